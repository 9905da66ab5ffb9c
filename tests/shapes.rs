//! Traces the analyzer has never seen, of the technote's shapes: other addresses, ports, times,
//! several attempts and spokes, skewed clocks, midnight, gzip, truncation, CRLF, binary junk.

mod support;

use std::io::Write;

use ils_doctor::analyze::pairing::LinkKind;
use ils_doctor::analyze::{Method, Outcome, RootCause, Status};
use ils_doctor::pipeline::offline::Request;
use support::*;

const HUB: &str = "192.0.2.10";
const A: &str = "198.51.100.21";
const B: &str = "198.51.100.22";

/// Hub with two spokes: A fails on the password at 10:00 and succeeds at 10:05; B succeeds at
/// 10:00:30 and 10:05:30. B's clock runs 2.5 s ahead of the hub's.
fn two_spokes(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let skew_b = 2_500;
    let mut hub = Trace::new("2026/11/24", "+01:00", "hub-pub", HUB, t(9, 59, 0, 0));
    let mut a = Trace::new("2026/11/24", "+01:00", "spoke-a", A, t(9, 59, 0, 0));
    let mut b = Trace::new("2026/11/24", "+01:00", "spoke-b", B, t(9, 59, 0, 0));
    hub.noise(t(9, 59, 0, 0), 100);
    a.noise(t(9, 59, 0, 0), 20);
    b.noise(t(9, 59, 0, 0) + skew_b, 20);
    spoke_password_transport(&mut a, t(10, 0, 0, 0), HUB, A, 40001);
    hub_password_mismatch(&mut hub, t(10, 0, 0, 10), A, 40001);
    spoke_password_ok(&mut b, t(10, 0, 30, 0) + skew_b, HUB, B, 50001);
    hub_password_ok(&mut hub, t(10, 0, 30, 9), HUB, B, 50001);
    b.noise(t(10, 1, 0, 0) + skew_b, 10);
    spoke_password_ok(&mut a, t(10, 5, 0, 0), HUB, A, 40002);
    hub_password_ok(&mut hub, t(10, 5, 0, 9), HUB, A, 40002);
    spoke_password_ok(&mut b, t(10, 5, 30, 0) + skew_b, HUB, B, 50002);
    hub_password_ok(&mut hub, t(10, 5, 30, 9), HUB, B, 50002);
    hub.noise(t(10, 6, 0, 0), 10);
    (hub.write(dir, "hub.txt"), a.write(dir, "a.txt"), b.write(dir, "b.txt"))
}

#[test]
fn several_attempts_several_spokes_and_a_skewed_clock() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, a, b) = two_spokes(dir.path());
    let r = analyze(&[&hub], &[&a, &b]);
    assert_eq!(r.attempts.len(), 4, "{:#?}", r.attempts);
    assert_eq!(r.status, Status::Warning, "A failed once, then every pair registered");
    assert_eq!(r.exit_code, 1);
    let pair_a = r.pairs.iter().find(|p| p.spoke.as_deref() == Some(A)).unwrap();
    assert_eq!((pair_a.status, pair_a.failures, pair_a.successes), (Status::Warning, 1, 1));
    let pair_b = r.pairs.iter().find(|p| p.spoke.as_deref() == Some(B)).unwrap();
    assert_eq!((pair_b.status, pair_b.attempts), (Status::Ok, 2));
    let first = &r.attempts[0];
    assert_eq!(
        (first.spoke.as_deref(), first.outcome, first.root_cause),
        (Some(A), Outcome::Failure, Some(RootCause::PasswordMismatch))
    );
    assert_eq!(first.linked_by, LinkKind::Connection, "the spoke's ConnectRes names port 40001 too");
    assert!(first.fix.as_deref().unwrap().contains("same password"));
    assert!(r.attempts.iter().all(|x| x.hub.as_deref() == Some(HUB)));
    // Time order on the hub's clock: A 10:00, B 10:00:30, A 10:05, B 10:05:30.
    let order: Vec<&str> = r.attempts.iter().map(|x| x.spoke.as_deref().unwrap()).collect();
    assert_eq!(order, [A, B, A, B]);
    let skew_b = r.clock_skew.iter().find(|s| s.spoke.as_deref() == Some(B)).unwrap();
    assert_eq!((skew_b.hub_minus_spoke_ms, skew_b.samples), (-2_491, 2));
    assert!(r.warnings.iter().any(|w| w.contains("differ by -2.5 s") && w.contains("NTP")), "{:?}", r.warnings);
    // Evidence of B's attempts on the hub's clock: the spoke's ConnectReq before the hub's accept.
    let b1 = &r.attempts[1];
    assert_eq!(b1.evidence.first().unwrap().signature, "P4");
}

#[test]
fn the_latest_attempt_decides() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = Trace::new("2026/11/24", "+00:00", "hub", HUB, t(8, 0, 0, 0));
    hub_password_ok(&mut hub, t(8, 0, 1, 0), HUB, A, 40001);
    hub_password_mismatch(&mut hub, t(8, 10, 0, 0), A, 40002);
    let r = analyze(&[&hub.write(dir.path(), "hub.txt")], &[]);
    assert_eq!((r.status, r.exit_code), (Status::Critical, 2));
    assert_eq!(r.pairs[0].latest_attempt, Some(2));
    assert_eq!(r.pairs[0].latest_root_cause, Some(RootCause::PasswordMismatch));
    assert!(r.summary.starts_with("CRITICAL") && r.summary.contains(A), "{}", r.summary);
}

#[test]
fn midnight_within_a_file_and_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut f1 = Trace::new("2026/11/24", "-05:00", "hub", HUB, t(23, 58, 0, 0));
    f1.noise(t(23, 58, 0, 0), 300); // runs past midnight
    hub_password_ok(&mut f1, t(0, 1, 40, 0), HUB, A, 40001);
    let p1 = f1.write(dir.path(), "SDL001_600_000001.txt");
    // The next file has no FileHead (an excerpt): it continues the previous file's date.
    let mut f2 = Trace::headless();
    f2.noise(t(23, 59, 0, 0), 10);
    hub_password_mismatch(&mut f2, t(0, 0, 5, 0), A, 40002);
    let p2 = f2.write(dir.path(), "SDL001_600_000002.txt");
    let r = analyze(&[dir.path()], &[]);
    let _ = (p1, p2);
    assert_eq!(r.attempts.len(), 2, "{:#?}", r.attempts);
    assert_eq!(r.attempts[0].at.as_deref(), Some("2026-11-25T00:01:40.000-05:00"));
    assert_eq!(r.attempts[1].at.as_deref(), Some("2026-11-26T00:00:05.000-05:00"));
    assert_eq!(r.status, Status::Critical);
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn gzip_gzo_truncation_crlf_and_junk() {
    let (hub_txt, spoke_txt) = fixture("m1_password_success");
    let hub_text = std::fs::read(&hub_txt).unwrap();
    let spoke_text = std::fs::read_to_string(&spoke_txt).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let hub_dir = dir.path().join("hub/cm/trace/ils/sdl");
    std::fs::create_dir_all(&hub_dir).unwrap();
    // Hub: the scenario gzipped, then a .gzo cut halfway (CUCM still writing it), then junk.
    std::fs::write(hub_dir.join("SDL001_600_000001.txt.gz"), gzip(&hub_text)).unwrap();
    let mut big = Trace::new("2016/09/20", "+05:30", "cucm1150", "10.106.104.220", t(17, 0, 0, 0));
    big.noise(t(17, 0, 0, 0), 20_000);
    let packed = gzip(big.text().as_bytes());
    std::fs::write(hub_dir.join("SDL001_600_000002.txt.gzo"), &packed[..packed.len() / 2]).unwrap();
    let junk: Vec<u8> = (0..50_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(hub_dir.join("SDL001_600_000003.txt"), &junk).unwrap();
    // Spoke: CRLF line ends.
    let spoke_crlf = dir.path().join("spoke.txt");
    std::fs::write(&spoke_crlf, spoke_text.replace('\n', "\r\n")).unwrap();

    let r = analyze(&[&dir.path().join("hub")], &[&spoke_crlf]);
    assert_eq!(r.status, Status::Ok, "{:#?}", r.warnings);
    assert_eq!(r.attempts.len(), 1);
    let at = &r.attempts[0];
    assert_eq!((at.method, at.linked_by), (Some(Method::Password), LinkKind::Connection));
    assert!(at.evidence.iter().all(|e| !e.text.ends_with('\r')));
    assert!(at.evidence.iter().any(|e| e.file.ends_with("SDL001_600_000001.txt.gz") && e.line_no > 1));
    assert_eq!(r.files.len(), 4);
    let gzo = r.files.iter().find(|f| f.path.ends_with(".gzo")).unwrap();
    assert!(gzo.lines > 1000, "the readable half of the .gzo is scanned: {}", gzo.lines);
    assert!(!r.warnings.iter().any(|w| w.contains(".gzo")), "a .gzo ending mid-stream is normal: {:?}", r.warnings);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("SDL001_600_000003.txt") && (w.contains("binary") || w.contains("does not look like"))),
        "{:?}",
        r.warnings
    );
}

#[test]
fn corrupt_gzip_is_a_warning_not_an_abort() {
    let dir = tempfile::tempdir().unwrap();
    let mut bad = gzip(b"00000001.000 |10:00:00.000 |AppInfo  |x\n");
    let n = bad.len();
    bad[n / 2] ^= 0xff;
    bad[n / 2 + 1] ^= 0xff;
    std::fs::write(dir.path().join("broken.txt.gz"), &bad).unwrap();
    let (hub, _) = fixture("password_mismatch");
    std::fs::copy(&hub, dir.path().join("good.txt")).unwrap();
    let r = analyze(&[dir.path()], &[]);
    assert_eq!(r.status, Status::Critical);
    assert!(r.warnings.iter().any(|w| w.contains("broken.txt.gz")), "{:?}", r.warnings);
}

#[test]
fn no_attempt_is_unknown_with_the_trace_level_hint() {
    let dir = tempfile::tempdir().unwrap();
    let mut quiet = Trace::new("2026/11/24", "+00:00", "hub", HUB, t(8, 0, 0, 0));
    quiet.noise(t(8, 0, 0, 0), 50);
    let r = analyze(&[&quiet.write(dir.path(), "hub.txt")], &[]);
    assert_eq!((r.status, r.exit_code), (Status::Unknown, 3));
    assert!(r.warnings.iter().any(|w| w.contains("Detailed") && w.contains("Cisco Intercluster Lookup Service")));
}

#[test]
fn the_time_window_selects_attempts() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = Trace::new("2026/11/24", "+01:00", "hub", HUB, t(8, 0, 0, 0));
    hub_password_mismatch(&mut hub, t(8, 0, 1, 0), A, 40001);
    hub_password_ok(&mut hub, t(9, 0, 1, 0), HUB, A, 40002);
    let path = hub.write(dir.path(), "hub.txt");
    let run = |from: Option<&str>, to: Option<&str>| {
        analyze_with(Request {
            hub: vec![path.clone()],
            from: from.map(String::from),
            to: to.map(String::from),
            ..Request::default()
        })
    };
    assert_eq!(run(None, None).status, Status::Warning);
    assert_eq!(run(Some("2026-11-24 08:30"), None).status, Status::Ok, "local time of the trace");
    assert_eq!(run(Some("2026-11-24T07:30:00Z"), None).status, Status::Ok, "08:30+01:00 as an instant");
    assert_eq!(run(None, Some("2026-11-24 08:30")).status, Status::Critical);
}

#[test]
fn a_taught_signature_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let mut spoke = Trace::new("2026/11/24", "+00:00", "spoke", A, t(8, 0, 0, 0));
    spoke_connect(&mut spoke, t(8, 0, 1, 0), HUB, true);
    spoke.app(t(8, 0, 1, 20), &format!("IlsD Ils::connect(): socket error 113 No route to host for {HUB}:7501"));
    let path = spoke.write(dir.path(), "spoke.txt");
    let sig = dir.path().join("mine.toml");
    std::fs::write(
        &sig,
        r#"
[[signature]]
id = "LOCAL1"
side = "spoke"
methods = ["password", "tls", "tls_with_password", "tls_after_password"]
outcome = "failure"
root_cause = "hub_unreachable"
anchor = "No route to host"
regex = 'No route to host for (?P<peer_ip>[^\s:]+):(?P<peer_port>\d+)'
"#,
    )
    .unwrap();
    let without = analyze_with(Request { spoke: vec![path.clone()], ..Request::default() });
    assert_eq!(without.attempts[0].outcome, Outcome::Incomplete);
    assert_eq!(without.status, Status::Unknown);
    let with = analyze_with(Request { spoke: vec![path], signatures: Some(sig), ..Request::default() });
    assert_eq!(with.status, Status::Critical);
    assert_eq!(with.attempts[0].root_cause, Some(RootCause::HubUnreachable));
    assert_eq!(with.attempts[0].evidence.last().unwrap().signature, "LOCAL1");
}
