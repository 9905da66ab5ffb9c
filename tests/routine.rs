//! Routine ILS traffic at Detailed level is activity, never an attempt: lone decrypt and
//! certificate-check lines, busy links around a join, quiet traces, links proven alive only by
//! their traffic, and the technote's scenarios with routine lines mixed in.

mod support;

use std::path::{Path, PathBuf};

use ils_doctor::analyze::model::Analysis;
use ils_doctor::analyze::{Method, Outcome, RootCause, Status};
use proptest::prelude::*;
use support::*;

const HUB: &str = "192.0.2.10";
const SPOKE: &str = "198.51.100.21";

fn spoke_lone_cert_lines(tr: &mut Trace, at: u32) {
    // Technote method 4's spoke lines: alone they name no connection.
    tr.record(
        at,
        &[
            "CertUtil Ils::isCertInLocalStore X509_STORE_get_by_subject failed.",
            "IlsD Ils::VerifyCertificateInfo(): FQDN is in PeerInfoVector",
        ],
    );
}

fn write(dir: &Path, name: &str, tr: &Trace) -> PathBuf {
    tr.write(dir, name)
}

#[test]
fn lone_routine_lines_on_either_side_give_no_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = Trace::new("2026/11/24", "+00:00", "hub", HUB, t(9, 0, 0, 0));
    let mut spoke = Trace::new("2026/11/24", "+00:00", "spoke", SPOKE, t(9, 0, 0, 0));
    for i in 0..400 {
        hub.hub_decrypts(t(9, 0, 1, 0) + i * 250);
        if i % 50 == 0 {
            spoke_lone_cert_lines(&mut spoke, t(9, 0, 1, 0) + i * 250 + 1);
        }
    }
    let a = analyze(&[&write(dir.path(), "hub.txt", &hub)], &[&write(dir.path(), "spoke.txt", &spoke)]);
    assert!(a.attempts.is_empty(), "{:#?}", a.attempts);
    assert!(a.pairs.is_empty());
    assert_eq!((a.status, a.exit_code), (Status::Unknown, 3));
    assert!(a.summary.contains("routine ILS line(s) name no peer"), "{}", a.summary);
    assert!(a.warnings.iter().any(|w| w.contains("Debug Trace Level to Detailed")), "{:?}", a.warnings);
    let hub_act = a.traces.iter().find(|t| t.host_ip.as_deref() == Some(HUB)).unwrap().activity.clone().unwrap();
    assert_eq!(hub_act.count, 1200);
    assert_eq!(hub_act.by_signature.get("P23a"), Some(&800));
    assert_eq!(hub_act.by_signature.get("P23b"), Some(&400));
    let spoke_act = a.traces.iter().find(|t| t.host_ip.as_deref() == Some(SPOKE)).unwrap().activity.clone().unwrap();
    assert_eq!(spoke_act.count, 16);
}

/// The field case: one password mismatch in a trace pair full of routine traffic.
#[test]
fn one_password_mismatch_among_routine_lines_is_one_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = Trace::new("2026/11/24", "+00:00", "hub", HUB, t(9, 0, 0, 0));
    let mut spoke = Trace::new("2026/11/24", "+00:00", "spoke", SPOKE, t(9, 0, 0, 0));
    for i in 0..40 {
        hub.hub_decrypts(t(9, 0, 1, 0) + i * 700);
    }
    for i in 0..4 {
        spoke_lone_cert_lines(&mut spoke, t(9, 0, 2, 0) + i * 5_000);
    }
    spoke_password_transport(&mut spoke, t(9, 1, 0, 0), HUB, SPOKE, 40001);
    hub.hub_decrypts(t(9, 1, 0, 5));
    hub_password_mismatch(&mut hub, t(9, 1, 0, 10), SPOKE, 40001);
    hub.hub_decrypts(t(9, 1, 0, 12));
    for i in 0..40 {
        hub.hub_decrypts(t(9, 1, 1, 0) + i * 700);
    }
    spoke_lone_cert_lines(&mut spoke, t(9, 1, 0, 20));
    let a = analyze(&[&write(dir.path(), "hub.txt", &hub)], &[&write(dir.path(), "spoke.txt", &spoke)]);
    assert_eq!(a.attempts.len(), 1, "{:#?}", a.attempts);
    let at = &a.attempts[0];
    assert_eq!((at.outcome, at.root_cause), (Outcome::Failure, Some(RootCause::PasswordMismatch)));
    assert_eq!((a.status, a.exit_code), (Status::Critical, 2));
    assert!(at.evidence.iter().all(|e| !e.signature.starts_with("P23")), "no routine decrypt line is evidence");
}

#[test]
fn a_busy_healthy_link_with_one_join_is_one_attempt_with_its_method() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = Trace::new("2026/11/24", "+00:00", "hub", HUB, t(9, 0, 0, 0));
    let mut spoke = Trace::new("2026/11/24", "+00:00", "spoke", SPOKE, t(9, 0, 0, 0));
    for i in 0..2_000 {
        hub.hub_decrypts(t(9, 0, 0, 100) + i * 60);
    }
    spoke_tls_password_ok(&mut spoke, t(9, 2, 0, 0), HUB, SPOKE, 56181);
    // Routine traffic in the same milliseconds as the join, in records of its own.
    hub.hub_decrypts(t(9, 2, 0, 1));
    hub_tls_password_ok(&mut hub, t(9, 2, 0, 4), HUB, SPOKE, 56181);
    hub.hub_decrypts(t(9, 2, 0, 9));
    hub.hub_decrypts(t(9, 2, 0, 10));
    for i in 0..2_000 {
        hub.hub_decrypts(t(9, 2, 1, 0) + i * 60);
    }
    let a = analyze(&[&write(dir.path(), "hub.txt", &hub)], &[&write(dir.path(), "spoke.txt", &spoke)]);
    assert_eq!(a.attempts.len(), 1, "{:#?}", a.attempts);
    let at = &a.attempts[0];
    assert_eq!(at.outcome, Outcome::Success);
    assert_eq!(at.method, Some(Method::TlsWithPassword), "{at:#?}");
    assert_eq!(at.linked_by, ils_doctor::analyze::pairing::LinkKind::Connection);
    assert!(!at.opened_before_window, "the spoke's ConnectReq opened it");
    // The join's own record holds four decrypt lines; the 12,006 routine ones are activity.
    let decrypts = at.evidence.iter().filter(|e| e.signature.starts_with("P23")).count();
    assert_eq!(decrypts, 4);
    let hub_act = a.traces.iter().find(|t| t.host_ip.as_deref() == Some(HUB)).unwrap().activity.clone().unwrap();
    assert_eq!(hub_act.count, 4_003 * 3);
    assert_eq!(a.status, Status::Ok);
}

#[test]
fn a_quiet_trace_with_only_sync_traffic_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = Trace::new("2026/11/24", "+00:00", "hub", HUB, t(9, 0, 0, 0));
    hub.noise(t(9, 0, 0, 0), 50);
    for i in 0..20 {
        hub.hub_decrypts(t(9, 0, 20, 0) + i * 1_000);
    }
    let a = analyze(&[&write(dir.path(), "hub.txt", &hub)], &[]);
    assert_eq!((a.status, a.exit_code), (Status::Unknown, 3));
    assert!(a.attempts.is_empty());
}

#[test]
fn traffic_with_a_known_peer_and_no_attempt_is_ok_with_activity() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = Trace::new("2026/11/24", "+00:00", "hub", HUB, t(9, 0, 0, 0));
    // Each message on the registered link: the hub's indication naming the spoke, then the
    // decrypted payload. No connection is accepted and none concludes in the window.
    for i in 0..30u32 {
        let at = t(9, 0, 1, 0) + i * 10_000;
        hub.app(at, &format!("IlsD Ils::ConnectInd TCPPid([1, 600, 17, 4]), PeerIP/Port({SPOKE}:{}), LocalIP/Port({HUB}:7501) ({SPOKE}:{})", 45000 + i, 45000 + i));
        hub.hub_decrypts(at + 1);
    }
    let a = analyze(&[&write(dir.path(), "hub.txt", &hub)], &[]);
    assert_eq!(a.pairs.len(), 1, "{:#?}", a.pairs);
    let p = &a.pairs[0];
    assert_eq!((p.hub.as_deref(), p.spoke.as_deref()), (Some(HUB), Some(SPOKE)));
    assert_eq!(p.status, Status::Ok);
    assert!(p.reason.starts_with("registered before the window, link active"), "{}", p.reason);
    let act = p.activity.as_ref().unwrap();
    assert_eq!(act.by_signature.get("P2"), Some(&(30 - 1)), "all but the latest indication");
    // The latest indication stays an attempt (its outcome is not in the traces); the activity
    // ends with the one before it.
    assert_eq!(act.last.as_deref().map(|s| s.starts_with("2026-11-24T09:04:41")), Some(true), "{act:?}");
    assert_eq!(a.attempts.len(), 1);
    assert!(a.attempts.iter().all(|x| x.outcome == Outcome::Incomplete));
    assert_eq!((a.status, a.exit_code), (Status::Ok, 0));
}

/// A fixture's lines with a routine line after every line: decrypt lines on the hub, peer
/// lines naming an unrelated hub on the spoke; each in a record of its own.
fn mixed(text: &str, hub_side: bool) -> String {
    let mut out = String::new();
    let mut seq = 90_000_000u32;
    for line in text.lines() {
        out.push_str(line);
        out.push('\n');
        let Some(time) = line.get(14..26).filter(|t| t.as_bytes().get(2) == Some(&b':')) else { continue };
        seq += 1;
        if hub_side {
            out.push_str(&format!(
                "{seq:08}.001 |{time} |AppInfo  |EncrUtil Function: decryptData at line 163 succedded\n"
            ));
            out.push_str(&format!(
                "{seq:08}.002 |{time} |AppInfo  |EncrUtil decryptData: inlen 512, outlen 500 succeed\n"
            ));
        } else {
            out.push_str(&format!("{seq:08}.001 |{time} |AppInfo  |IlsD DEBUG(0000FA0E): Client Connection to peerId(00000000000000000000000000000000) ipAddr(203.0.113.77) ipPort(7501) TLSReq(t) succeeded\n"));
        }
    }
    out
}

fn shape(a: &Analysis) -> Vec<String> {
    a.attempts
        .iter()
        .map(|x| {
            let sigs: Vec<&str> = x.evidence.iter().map(|e| e.signature.as_str()).collect();
            format!(
                "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {}",
                x.outcome,
                x.method,
                x.method_candidates,
                x.root_cause,
                x.hub,
                x.spoke,
                x.seen_on,
                sigs.join(",")
            )
        })
        .collect()
}

#[test]
fn routine_lines_around_each_technote_scenario_leave_the_diagnosis_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sdl");
    let mut scenarios: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    scenarios.sort();
    assert!(scenarios.len() >= 11, "{scenarios:?}");
    for s in scenarios {
        let (hub, spoke) = fixture(&s);
        let plain = analyze(&[&hub], &[&spoke]);
        let d = dir.path().join(&s);
        std::fs::create_dir_all(&d).unwrap();
        let mh = d.join("hub.txt");
        let ms = d.join("spoke.txt");
        std::fs::write(&mh, mixed(&std::fs::read_to_string(&hub).unwrap(), true)).unwrap();
        std::fs::write(&ms, mixed(&std::fs::read_to_string(&spoke).unwrap(), false)).unwrap();
        let busy = analyze(&[&mh], &[&ms]);
        assert_eq!(shape(&busy), shape(&plain), "{s}");
        assert_eq!(busy.status, plain.status, "{s}");
        let hub_act = busy.traces.iter().find(|t| t.side == ils_doctor::analyze::Side::Hub).unwrap();
        assert!(hub_act.activity.as_ref().is_some_and(|x| x.count > 10), "{s}: the decrypt lines are counted");
    }
}

/// Supporting lines that name unrelated peers (another hub, another handler) or none.
fn unrelated_line(kind: u8, seq: u32, time: &str) -> String {
    match kind % 4 {
        0 => format!("{seq:08}.001 |{time} |AppInfo  |EncrUtil Function: decryptData at line 163 succedded"),
        1 => format!("{seq:08}.001 |{time} |AppInfo  |IlsD DEBUG(0000FA0E): Client Connection to peerId(00000000000000000000000000000000) ipAddr(203.0.113.{}) ipPort(7502) TLSReq(f) succeeded", seq % 200),
        2 => format!("{seq:08}.001 |{time} |AppInfo  |IlsD Ils::ConnectRes() appCorr(77) TCPPid([1, 600, 13, 99]), PeerIP/Port(203.0.113.9:7502), LocalIP/Port(198.51.100.250:{}) TLSReq(f) found", 30000 + seq % 1000),
        _ => format!("{seq:08}.001 |{time} |AppInfo  |EncrUtil decryptData: inlen 64, outlen 60 succeed"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Inserting any number of supporting lines with unrelated peers, anywhere, never changes
    /// the attempts.
    #[test]
    fn unrelated_supporting_lines_never_change_the_attempts(
        inserts in proptest::collection::vec((0usize..400, any::<u8>(), any::<bool>()), 0..120)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut hub = Trace::new("2026/11/24", "+00:00", "hub", HUB, t(9, 0, 0, 0));
        let mut spoke = Trace::new("2026/11/24", "+00:00", "spoke", SPOKE, t(9, 0, 0, 0));
        spoke_password_transport(&mut spoke, t(9, 1, 0, 0), HUB, SPOKE, 40001);
        hub_password_mismatch(&mut hub, t(9, 1, 0, 10), SPOKE, 40001);
        spoke_password_ok(&mut spoke, t(9, 3, 0, 0), HUB, SPOKE, 40002);
        hub_password_ok(&mut hub, t(9, 3, 0, 9), HUB, SPOKE, 40002);
        spoke_tls_password_ok(&mut spoke, t(9, 5, 0, 0), HUB, SPOKE, 40003);
        hub_tls_password_ok(&mut hub, t(9, 5, 0, 4), HUB, SPOKE, 40003);
        let base_hub = hub.text();
        let base_spoke = spoke.text();
        let plain = analyze(&[&write_text(dir.path(), "h0.txt", &base_hub)], &[&write_text(dir.path(), "s0.txt", &base_spoke)]);
        prop_assert_eq!(plain.attempts.len(), 3);

        let mut hub_lines: Vec<String> = base_hub.lines().map(String::from).collect();
        let mut spoke_lines: Vec<String> = base_spoke.lines().map(String::from).collect();
        for (n, (pos, kind, on_hub)) in inserts.iter().enumerate() {
            let lines = if *on_hub { &mut hub_lines } else { &mut spoke_lines };
            // After the FileHead, taking the time of the line before.
            let at = 1 + pos % (lines.len() - 1).max(1);
            let time = lines[at - 1].get(14..26).unwrap_or("09:00:00.000").to_string();
            // Lines of the hub's catalog side only go to the hub, and so on.
            let kind = if *on_hub { if kind % 2 == 0 { 0 } else { 3 } } else if kind % 2 == 0 { 1 } else { 2 };
            lines.insert(at, unrelated_line(kind, 80_000_000 + n as u32, &time));
        }
        let busy = analyze(
            &[&write_text(dir.path(), "h1.txt", &(hub_lines.join("\n") + "\n"))],
            &[&write_text(dir.path(), "s1.txt", &(spoke_lines.join("\n") + "\n"))],
        );
        prop_assert_eq!(shape(&busy), shape(&plain));
        prop_assert_eq!(busy.status, plain.status);
    }
}

fn write_text(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}
