//! The summary is one line for a person or a monitoring system, whatever the size of the
//! network: a few failing pairs by name, the others counted.

mod support;

use ils_doctor::analyze::Status;
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
