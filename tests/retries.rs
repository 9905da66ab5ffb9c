//! A failing join retries on its interval until someone fixes it, so a field trace of a broken
//! link is dozens of identical failures minutes apart, whose SDL process ids (`TCPPid`) and even
//! source ports are reused. Each retry is its own attempt with its own lines: an attempt that
//! concluded never absorbs a later line because an identifier matches. The hub's `Close Req`
//! that follows a rejection naming no connection concludes that rejection and names its peer.

mod support;

use ils_doctor::analyze::model::Analysis;
use ils_doctor::analyze::{Outcome, RootCause};
use proptest::prelude::*;
use support::*;

const HUB: &str = "192.0.2.10";
const SPOKE: &str = "198.51.100.21";
const SPOKE_FQDN: &str = "cucm-br1.example.com";

/// How one retry is written.
#[derive(Debug, Clone)]
struct Retry {
    /// Milliseconds after the previous retry.
    gap_ms: u32,
    /// SDL process instance (`[1, 600, 17, N]`), drawn from a small set so that they collide.
    pid: u32,
    /// The spoke's source port, drawn from a small set.
    port: u16,
    /// Whether the opening line (the spoke's `ConnectReq`, the hub's accepted connection) is in
    /// the trace.
    opened: bool,
    /// Whether each line is its own SDL record (otherwise the conclusion shares one record).
    split_records: bool,
}

fn retries() -> impl Strategy<Value = Vec<Retry>> {
    prop::collection::vec(
        (
            prop_oneof![Just(60_000u32), 2_000u32..120_000],
            1u32..3,
            prop_oneof![Just(40_000u16), Just(40_001u16)],
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(gap_ms, pid, port, opened, split_records)| Retry {
                gap_ms,
                pid,
                port,
                opened,
                split_records,
            }),
        1..40,
    )
}

fn times(rs: &[Retry]) -> Vec<u32> {
    let mut at = t(9, 0, 0, 0);
    rs.iter()
        .map(|r| {
            at += r.gap_ms;
            at
        })
        .collect()
}

/// The spoke refuses the hub's certificate (technote method 2: P13, P14, P16, P17).
fn spoke_refusals(rs: &[Retry]) -> Trace {
    let mut tr = Trace::new("2026/11/24", "+00:00", "spoke", SPOKE, t(8, 59, 0, 0));
    for (r, at) in rs.iter().zip(times(rs)) {
        if r.opened {
            spoke_connect(&mut tr, at, HUB, true);
        }
        let lines = [
            format!("[1, 600, 17, {}]: HandleSSLError - Certificate verification failed:(Verification error:18)- self signed certificate for {HUB}:7501", r.pid),
            format!("[1, 600, 17, {}]: HandleSSLError - Certificate verification failed for {HUB}:7501", r.pid),
            format!("IlsD Ils::wait_SdlConnectErrRsp sending ILSTLSAuthenticationFailed alarm with Cluster1 = {HUB}; mAlarmedConnections count= 1"),
            format!("IlsD ERROR(000005C9): Connection to peerId(00000000000000000000000000000000) ipAddr({HUB}) ipPort(7501) TLSReq(t) failed, ConnReason(1)"),
        ];
        write_lines(&mut tr, at + 20, &lines, r.split_records);
    }
    tr
}

/// The hub refuses the spoke at application level and closes (technote method 2: P18, P19,
/// P20, P21): the rejection lines name only the spoke's FQDN, the close names the connection.
fn hub_refusals(rs: &[Retry]) -> Trace {
    let mut tr = Trace::new("2026/11/24", "+00:00", "hub", HUB, t(8, 59, 0, 0));
    for (r, at) in rs.iter().zip(times(rs)) {
        if r.opened {
            tr.app(at, &format!("IlsD IlsHandler: Ils::wait_SdlConnectionInd(): New connection accepted. DeviceName=, TCPPid = [1.600.17.{}], IPAddr={SPOKE}, Port={}, Controller=[1,20,1]", r.pid, r.port));
        }
        let lines = [
            "CertUtil Ils::isCertInLocalStore X509_STORE_get_by_subject failed.".to_string(),
            format!("IlsD Ils::VerifyCertificateInfo(): certificate is not in the local store and the FQDN ({SPOKE_FQDN}) is not in the peer info vector, closing the connection"),
            format!("IlsD Ils::VerifyCertificateInfo(): sending ILSTLSAuthenticationFailed alarm for Cluster1= {SPOKE_FQDN}; mAlarmedConnections count= 1"),
        ];
        write_lines(&mut tr, at + 10, &lines, r.split_records);
        tr.app(at + 15, &format!("IlsD IlsHandler: Close Req. DeviceName=, TCPPid = [1.600.17.{}], IPAddr={SPOKE}, Port={}, Controller=[1,20,1", r.pid, r.port));
    }
    tr
}

/// The hub cannot decrypt the spoke's data (technote method 1: P1, P2, P10, P11).
fn hub_password_failures(rs: &[Retry]) -> Trace {
    let mut tr = Trace::new("2026/11/24", "+00:00", "hub", HUB, t(8, 59, 0, 0));
    for (r, at) in rs.iter().zip(times(rs)) {
        if r.opened {
            tr.app(at, &format!("IlsD IlsHandler: Ils::wait_SdlConnectionInd(): New connection accepted. DeviceName=, TCPPid = [1.600.13.{}], IPAddr={SPOKE}, Port={}, Controller=[1,20,1]", r.pid, r.port));
            tr.app(at, &format!("IlsD Ils::ConnectInd TCPPid([1, 600, 13, {}]), PeerIP/Port({SPOKE}:{}), LocalIP/Port({HUB}:7502) ({SPOKE}:{})", r.pid, r.port, r.port));
        }
        let lines = [
            format!("IlsD IlsHandler: wait_SdlDataInd EncrUtil:: decryptData failed . DeviceName=, TCPPid = [1.600.13.{}], IPAddr={SPOKE}, Port={}, Controller=[1,20,1]", r.pid, r.port),
            format!("IlsD wait_SdlDataInd sending ILSPwdAuthenticationFailed alarm with IPAddress= {SPOKE}; mAlarmedConnections count= 1"),
        ];
        write_lines(&mut tr, at + 15, &lines, r.split_records);
    }
    tr
}

fn write_lines(tr: &mut Trace, at: u32, lines: &[String], split: bool) {
    if split {
        for (i, l) in lines.iter().enumerate() {
            tr.app(at + i as u32, l);
        }
    } else {
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        tr.record(at, &refs);
    }
}

/// Every retry is one failed attempt with its own lines, in order, each within its own second.
fn assert_one_attempt_each(a: &Analysis, rs: &[Retry], cause: RootCause) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        a.attempts.len(),
        rs.len(),
        "{:#?}",
        a.attempts.iter().map(|x| (&x.time_of_day, x.outcome)).collect::<Vec<_>>()
    );
    for (x, at) in a.attempts.iter().zip(times(rs)) {
        prop_assert_eq!((x.outcome, x.root_cause), (Outcome::Failure, Some(cause)), "attempt #{}", x.id);
        for e in &x.evidence {
            let tod = e.at.as_deref().and_then(|s| s.split('T').nth(1)).unwrap_or("");
            let ms = parse_tod(tod);
            prop_assert!(ms >= at && ms < at + 1_000, "attempt #{} holds a line of another retry: {}", x.id, e.text);
        }
    }
    Ok(())
}

fn parse_tod(s: &str) -> u32 {
    let p: Vec<u32> = s.get(..12).unwrap_or("").split([':', '.']).filter_map(|x| x.parse().ok()).collect();
    match p.as_slice() {
        [h, m, sec, ms] => t(*h, *m, *sec, *ms),
        _ => 0,
    }
}

fn analyze_one(side_hub: Option<&Trace>, side_spoke: Option<&Trace>) -> Analysis {
    let dir = tempfile::tempdir().unwrap();
    let hub = side_hub.map(|tr| tr.write(dir.path(), "hub.txt"));
    let spoke = side_spoke.map(|tr| tr.write(dir.path(), "spoke.txt"));
    let hubs: Vec<&std::path::Path> = hub.iter().map(|p| p.as_path()).collect();
    let spokes: Vec<&std::path::Path> = spoke.iter().map(|p| p.as_path()).collect();
    analyze(&hubs, &spokes)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn every_spoke_retry_is_an_attempt(rs in retries()) {
        let a = analyze_one(None, Some(&spoke_refusals(&rs)));
        assert_one_attempt_each(&a, &rs, RootCause::SpokeRejectsHubCertificate)?;
    }

    #[test]
    fn every_hub_rejection_is_an_attempt_and_its_close_names_the_spoke(rs in retries()) {
        let a = analyze_one(Some(&hub_refusals(&rs)), None);
        assert_one_attempt_each(&a, &rs, RootCause::HubRejectsSpokeCertificate)?;
        for x in &a.attempts {
            prop_assert_eq!(x.spoke.as_deref(), Some(SPOKE), "attempt #{} names its spoke", x.id);
        }
    }

    #[test]
    fn every_password_failure_is_an_attempt(rs in retries()) {
        let a = analyze_one(Some(&hub_password_failures(&rs)), None);
        assert_one_attempt_each(&a, &rs, RootCause::PasswordMismatch)?;
    }
}

/// The shape from the field: the hub's rejection, then its close 5 ms later in another record,
/// with the connection's opening line before the window. One attempt, naming the spoke.
#[test]
fn a_close_after_an_unattributed_rejection_concludes_it() {
    let rs = vec![Retry { gap_ms: 1_000, pid: 16, port: 39_267, opened: false, split_records: true }];
    let a = analyze_one(Some(&hub_refusals(&rs)), None);
    assert_eq!(a.attempts.len(), 1, "{:#?}", a.attempts);
    let x = &a.attempts[0];
    assert_eq!((x.outcome, x.root_cause), (Outcome::Failure, Some(RootCause::HubRejectsSpokeCertificate)));
    assert_eq!(x.spoke.as_deref(), Some(SPOKE));
    assert!(x.evidence.iter().any(|e| e.text.contains("Close Req")), "{:#?}", x.evidence);
}

/// Fifty retries with colliding ids: fifty attempts, and a terminal answer that fits one screen.
#[test]
fn fifty_retries_are_fifty_attempts_told_once() {
    let rs: Vec<Retry> = (0..50)
        .map(|i| Retry {
            gap_ms: 60_000,
            pid: 1 + i % 2,
            port: 40_000 + (i % 2) as u16,
            opened: i % 3 != 0,
            split_records: i % 2 == 0,
        })
        .collect();
    let a = analyze_one(None, Some(&spoke_refusals(&rs)));
    assert_eq!(a.attempts.len(), 50);
    let pair = a.pairs.first().unwrap();
    assert_eq!(pair.runs.len(), 1, "{:?}", pair.runs);
    assert_eq!((pair.runs[0].count, pair.runs[0].interval_s), (50, Some(60)));
    let mut out = Vec::new();
    ils_doctor::report::terminal::write(&mut out, &a).unwrap();
    let text = String::from_utf8(out).unwrap();
    // The figure a closing note quotes: `cargo test --test retries fifty -- --nocapture`.
    println!("fifty retries: {} attempts, terminal answer {} lines", a.attempts.len(), text.lines().count());
    assert!(text.lines().count() <= 40, "{} lines:\n{text}", text.lines().count());
    assert!(text.contains("50 attempts from 09:01:00 to 09:50:00, every 60 s, all failed the same way"), "{text}");
}

/// The mock writes what a retrying cluster writes: a failing scenario left for many retry
/// intervals at Detailed level, its SDL handler instances reused. Every retry is an attempt, all
/// of one run, and the pair keeps the cause and method of its golden verdict
/// (tests/golden/verdicts.toml).
#[test]
fn a_retry_storm_from_the_mock_keeps_each_golden_verdict() {
    #[derive(serde::Deserialize)]
    struct Golden {
        scenario: Vec<Row>,
    }
    #[derive(serde::Deserialize)]
    struct Row {
        name: String,
        pair: Vec<toml::Value>,
    }
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/verdicts.toml")).unwrap();
    let golden: Golden = toml::from_str(&text).unwrap();
    let traced =
        ["password_mismatch", "spoke_rejects_hub_certificate", "hub_rejects_spoke_certificate", "hub_unreachable"];
    let mut storms = 0;
    for row in golden.scenario.iter().filter(|r| r.pair.len() == 1) {
        let cause = row.pair[0].get("cause").and_then(|v| v.as_str()).unwrap_or("");
        if !traced.contains(&cause) {
            continue;
        }
        let scenario = mock_server::bundled::load(&row.name)
            .unwrap()
            .unwrap()
            .with_trace_level(mock_server::scenario::TraceLevel::Detailed);
        let start = chrono::Utc::now() - chrono::Duration::hours(2);
        let sim = mock_server::sim::simulate_window(&scenario, start, start + chrono::Duration::minutes(20));
        let written: Vec<_> = sim.attempts.iter().filter(|a| a.written_hub || a.written_spoke).collect();
        assert!(written.len() >= 10, "{}: a storm of {} retries", row.name, written.len());
        let dir = tempfile::tempdir().unwrap();
        sim.write_flat(dir.path()).unwrap();
        let a = analyze(&[&dir.path().join("hub")], &[&dir.path().join("spoke")]);
        assert_eq!(a.attempts.len(), written.len(), "{}: one attempt per retry", row.name);
        let p = &a.pairs[0];
        assert_eq!(p.runs.len(), 1, "{}: {:?}", row.name, p.runs);
        assert_eq!(p.runs[0].count, written.len(), "{}", row.name);
        assert_eq!(p.cause.as_ref().map(|c| c.code.as_str()), Some(cause), "{}", row.name);
        let method = row.pair[0].get("method").and_then(|v| v.as_str()).unwrap_or("");
        if method != "undecidable" {
            assert_eq!(p.method.method.map(|m| m.as_str()), Some(method), "{}: {}", row.name, p.method.basis);
        }
        storms += 1;
    }
    assert!(storms >= 10, "only {storms} failing scenarios ran as storms");
}
