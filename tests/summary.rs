//! The answer stays short whatever the traces name: the summary is one line (a few failing
//! pairs by name, the others counted), and the terminal report shows as many pairs as one hub can
//! have spokes (Cisco: up to 20), worst first, and counts the rest.

mod support;

use ils_doctor::analyze::{Analysis, Status};
use ils_doctor::report::model::CheckParts;
use ils_doctor::report::terminal::write_report;
use support::*;

const HUB: &str = "192.0.2.10";

#[test]
fn a_hub_with_many_failing_spokes_names_five_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = Trace::new("2026/11/24", "+01:00", "hub", HUB, t(9, 0, 0, 0));
    // Twelve spokes whose ILS password differs from the hub's: twelve failing pairs.
    let spokes: Vec<String> = (1..=12).map(|i| format!("198.51.100.{i}")).collect();
    for (i, spoke) in spokes.iter().enumerate() {
        let i = u32::try_from(i).unwrap();
        hub_password_mismatch(&mut hub, t(9, 1 + i, 0, 0), spoke, 40_000 + u16::try_from(i).unwrap());
    }
    let path = hub.write(dir.path(), "hub.txt");
    let a = analyze(&[&path], &[]);
    assert_eq!(a.status, Status::Critical, "{}", a.summary);
    assert_eq!(a.pairs.iter().filter(|p| p.status == Status::Critical).count(), 12, "{}", a.summary);
    let named = spokes.iter().filter(|s| a.summary.contains(&format!("spoke {s} -> hub {HUB}"))).count();
    assert_eq!(named, 5, "{}", a.summary);
    assert!(a.summary.starts_with("CRITICAL: "), "{}", a.summary);
    assert!(a.summary.contains("and 7 more failing pair(s)"), "{}", a.summary);
    assert!(a.summary.ends_with("(12 attempt(s), 12 pair(s))"), "{}", a.summary);
}

/// A hub whose traces show `failing` spokes with a password that differs and `fine` spokes that
/// register.
fn hub_with(failing: u32, fine: u32) -> Analysis {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = Trace::new("2026/11/24", "+01:00", "hub", HUB, t(9, 0, 0, 0));
    for i in 0..failing {
        hub_password_mismatch(&mut hub, t(9, 0, i, 0), &format!("198.51.100.{}", i + 1), 40_000 + i as u16);
    }
    for i in 0..fine {
        hub_password_ok(&mut hub, t(9, 10, i, 0), HUB, &format!("203.0.113.{}", i + 1), 41_000 + i as u16);
    }
    let path = hub.write(dir.path(), "hub.txt");
    analyze(&[&path], &[])
}

/// The terminal report, its colour codes taken out.
fn text_report(a: &Analysis, verbose: bool) -> String {
    let mut out = Vec::new();
    write_report(&mut out, a, &CheckParts::default(), verbose).unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut plain = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find('\u{1b}') {
        plain.push_str(&rest[..at]);
        let after = &rest[at..];
        rest = after.find('m').map_or("", |m| &after[m + 1..]);
    }
    plain.push_str(rest);
    plain
}

/// The block of a pair starts with its status in capitals and its title.
fn pair_blocks(report: &str) -> usize {
    report.lines().filter(|l| (l.starts_with("CRITICAL ") || l.starts_with("OK ")) && l.contains(" → hub ")).count()
}

#[test]
fn the_terminal_report_shows_twenty_pairs_worst_first_and_counts_the_rest() {
    // 25 failing and 5 registering spokes: 30 pairs, more than one hub can have.
    let a = hub_with(25, 5);
    assert_eq!(a.pairs.len(), 30, "{}", a.summary);
    let short = text_report(&a, false);
    assert_eq!(pair_blocks(&short), 20, "{short}");
    assert!(!short.lines().any(|l| l.starts_with("OK ")), "the failing pairs come first: {short}");
    assert!(
        short.contains(
            "… and 10 more pair(s) (5 critical, 5 ok): `--verbose` shows them all, `--format json` lists them"
        ),
        "{short}"
    );
    let all = text_report(&a, true);
    assert_eq!(pair_blocks(&all), 30);
    assert!(!all.contains("more pair(s)"), "{all}");
    // A hub with as many spokes as ILS allows keeps every pair in the short report.
    let full_hub = text_report(&hub_with(20, 0), false);
    assert_eq!(pair_blocks(&full_hub), 20);
    assert!(!full_hub.contains("more pair(s)"), "{full_hub}");
}
