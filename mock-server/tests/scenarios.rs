//! Every bundled scenario loads, and simulating it (at trace level Detailed) writes the technote
//! lines (docs/cucm-notes.md#technote-lines) on the expected side with the expected outcome.

use std::io::Read;
use std::path::PathBuf;

use mock_server::decision::{Method, Outcome};
use mock_server::scenario::TraceLevel;
use mock_server::{simulate, Scenario, Window};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

fn load(name: &str) -> Scenario {
    Scenario::load(&dir().join(format!("{name}.toml"))).unwrap().with_trace_level(TraceLevel::Detailed)
}

/// (scenario, expected first outcome, a line on the hub, a line on the spoke).
const CASES: &[(&str, Outcome, &str, &str)] = &[
    (
        "m1-password-success",
        Outcome::Registered(Method::Password),
        "TLSReq(f) established",
        "|AppInfo  |IlsD Ils::processConnectReq Initiating non-TLS Connection",
    ),
    (
        "m1-password-mismatch",
        Outcome::PasswordMismatch(Method::Password),
        "EncrUtil:: decryptData failed . DeviceName=",
        "Requesting Connection to IpAddr(10.106.104.220), IpPort(7502), TLSReq(f)",
    ),
    (
        "m2-tls-success",
        Outcome::Registered(Method::Tls),
        "peer certificates are in certificate store",
        "::ConnectIndInner starting  to PeerId(",
    ),
    (
        "m2-hub-cert-not-on-spoke",
        Outcome::HubCertRejected(Method::Tls, 18),
        "",
        "(Verification error:18)- self signed certificate for 10.106.104.220:7501",
    ),
    (
        "m2-spoke-cert-not-on-hub",
        Outcome::SpokeCertRejected(Method::Tls, 0),
        "the FQDN (cucm-spoke.example.com) is not in the peer info vector, closing the connection",
        "IpPort(7501), TLSReq(t)",
    ),
    (
        "m3-tls-password-success",
        Outcome::Registered(Method::TlsPassword),
        "EncrUtil Function: decryptData at line 163 succedded",
        "Root CA signed certs are uploaded locally.",
    ),
    (
        "m3-spoke-self-signed",
        Outcome::SpokeCertRejected(Method::TlsPassword, 18),
        "ssl reason code=internal error [68]),lib=SSL routines [20],fun=SSL_clear [164]",
        "IpPort(7501), TLSReq(t)",
    ),
    (
        "m3-hub-self-signed",
        Outcome::HubCertRejected(Method::TlsPassword, 18),
        "",
        "ssl reason code=bad message type [114]),lib=SSL routines [20],fun=ssl3_get_server_hello [146]",
    ),
    ("m3-both-self-signed", Outcome::HubCertRejected(Method::TlsPassword, 18), "", "bad message type [114]"),
    (
        "m4-switch-to-tls-success",
        Outcome::Registered(Method::SwitchToTls),
        "IlsD Ils::VerifyCertificateInfo(): FQDN is in PeerInfoVector",
        "IlsD Ils::VerifyCertificateInfo(): FQDN is in PeerInfoVector",
    ),
    (
        "m4-hub-self-signed",
        Outcome::HubCertRejected(Method::SwitchToTls, 18),
        "",
        "self signed certificate for 10.106.104.220:7501",
    ),
    (
        "m4-spoke-self-signed",
        Outcome::SpokeCertRejected(Method::SwitchToTls, 18),
        "- self signed certificate for 10.106.104.201:",
        "IpPort(7501), TLSReq(t)",
    ),
    ("hc-standalone-cluster-id", Outcome::Registered(Method::Password), "established", "established"),
    ("hc-duplicate-cluster-id", Outcome::Registered(Method::Password), "established", "established"),
    ("hc-ils-stopped", Outcome::HubUnreachable, "", "TLSReq(f) failed, ConnReason(2)"),
    (
        "hc-expired-tomcat",
        Outcome::HubCertRejected(Method::Tls, 10),
        "",
        "(Verification error:10)- certificate has expired for 10.106.104.220:7501",
    ),
    ("hc-hub-unreachable", Outcome::HubUnreachable, "", "ConnReason(2)"),
];

fn all_text(files: &[mock_server::TraceFile]) -> String {
    files.iter().map(|f| f.text.as_str()).collect()
}

#[test]
fn every_scenario_file_loads_and_is_covered() {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    assert!(names.len() >= 18, "{names:?}");
    for n in &names {
        let stem = n.trim_end_matches(".toml");
        Scenario::load(&dir().join(n)).unwrap_or_else(|e| panic!("{e}"));
        // Several spokes or hubs: covered by ils-doctor's tests/check_scenarios.rs (each with its
        // golden verdict), tests/several_spokes.rs and tests/discover.rs.
        let covered_elsewhere = [
            "hc-spoke-to-spoke",
            "mesh-two-hubs",
            "multi-two-spokes",
            "multi-three-spokes",
            "mesh-two-hubs-six-spokes",
            "mesh-hub-cert-expired",
            "mesh-hub-password-mismatch",
            "mesh-spoke-moved",
        ]
        .contains(&stem);
        assert!(CASES.iter().any(|c| c.0 == stem) || covered_elsewhere, "no expectation for {stem}");
    }
}

#[test]
fn technote_scenarios_write_the_technote_lines_on_the_right_side() {
    for (name, outcome, hub_line, spoke_line) in CASES {
        let s = load(name);
        let sim = simulate(&s, Window::of(&s));
        let first = sim.attempts.first().unwrap_or_else(|| panic!("{name}: no attempt"));
        assert_eq!(first.outcome, *outcome, "{name}");
        let hub = all_text(&sim.files["hub"]);
        let spoke = all_text(&sim.files["spoke"]);
        if hub_line.is_empty() {
            assert!(!hub.contains("|AppInfo  |IlsD ::ConnectIndInner"), "{name}");
            assert!(!hub.contains("HandleSSLError"), "{name}: hub has SSL lines");
        } else {
            assert!(hub.contains(hub_line), "{name}: hub lacks {hub_line:?}\n{hub}");
        }
        assert!(spoke.contains(spoke_line), "{name}: spoke lacks {spoke_line:?}\n{spoke}");
        // Failing scenarios retry every 10 s for the whole window; successes stop.
        let n = sim.attempts.len();
        if outcome.is_registered() {
            assert_eq!(n, 1, "{name}");
        } else {
            assert!((55..=61).contains(&n), "{name}: {n} attempts");
        }
    }
}

#[test]
fn spoke_registered_to_a_spoke_chains_through_it() {
    let s = load("hc-spoke-to-spoke");
    let sim = simulate(&s, Window::of(&s));
    assert!(sim.attempts.iter().any(|a| a.spoke == "spoke" && a.hub == "spoke-b"));
    assert!(sim.attempts.iter().any(|a| a.spoke == "spoke-b" && a.hub == "hub"));
}

#[test]
fn below_detailed_no_ils_detail_lines_are_written() {
    let s = Scenario::load(&dir().join("m1-password-mismatch.toml")).unwrap();
    assert_eq!(s.clusters[0].ils.trace_level, TraceLevel::Significant);
    let sim = simulate(&s, Window::of(&s));
    assert!(!sim.attempts.is_empty());
    for files in sim.files.values() {
        let text = all_text(files);
        assert!(!text.contains("IlsD"), "{text}");
        assert!(text.contains("|SdlStat  |Period: 6s"));
    }
}

#[test]
fn alarm_counts_ports_and_skew_follow_the_attempts() {
    let s = load("m1-password-mismatch");
    let sim = simulate(&s, Window::of(&s));
    let hub = all_text(&sim.files["hub"]);
    assert!(hub.contains("mAlarmedConnections count= 1\n"));
    assert!(hub.contains("mAlarmedConnections count= 3\n"));
    // The spoke's port in the hub's line is the attempt's ephemeral port.
    let a = &sim.attempts[1];
    assert!(hub.contains(&format!("IPAddr=10.106.104.201, Port={}, Controller=[1,20,1]", a.spoke_port)));
    assert!((32768..61000).contains(&a.spoke_port));
    // Spoke clock is 1.25 s ahead and both are at +01:00: the first attempt (08:00:03 UTC)
    // shows 09:00:04.251 on the spoke.
    let spoke = all_text(&sim.files["spoke"]);
    assert!(spoke.contains("|09:00:04.251 |AppInfo  |IlsD Ils::ConnectReq(): Requesting"), "{spoke}");
    assert!(hub.lines().next().unwrap().contains(
        "|FileHead |UTC:+01:00,Date: 2026/11/25, AppName: Cisco Intercluster Lookup Service, AppId: 600, AppNodeId: 1,"
    ));
}

#[test]
fn success_adds_peers_to_the_peer_info_vector() {
    let s = load("m1-password-success");
    let mut e = mock_server::sim::Engine::new(&s, Window::of(&s).start);
    e.advance_to(Window::of(&s).end);
    assert!(e.is_registered("spoke"));
    assert_eq!(e.peer_info_vector("hub"), ["cucm-spoke.example.com"]);
    assert_eq!(e.peer_info_vector("spoke"), ["cucm-hub.example.com"]);
}

#[test]
fn raising_the_level_mid_run_starts_the_ils_lines() {
    let s = Scenario::load(&dir().join("m2-hub-cert-not-on-spoke.toml")).unwrap();
    let w = Window::of(&s);
    let mut e = mock_server::sim::Engine::new(&s, w.start);
    e.advance_to(w.start + chrono::Duration::seconds(60));
    assert!(!all_text(e.files("spoke")).contains("HandleSSLError"));
    assert!(e.set_trace_level("spoke", TraceLevel::Detailed));
    e.advance_to(w.start + chrono::Duration::seconds(120));
    let text = all_text(e.files("spoke"));
    assert!(text.contains("HandleSSLError"));
    // Written files decompress to their text.
    let f = &e.files("spoke")[0];
    let mut s = String::new();
    if !f.active {
        flate2::read::GzDecoder::new(&f.bytes()[..]).read_to_string(&mut s).unwrap();
        assert_eq!(s, f.text);
    }
}

#[test]
fn restarting_the_ils_service_makes_a_registered_spoke_register_again() {
    let s = Scenario::load(&dir().join("m1-password-success.toml")).unwrap();
    let w = Window::of(&s);
    let mut e = mock_server::sim::Engine::new(&s, w.start);
    e.advance_to(w.start + chrono::Duration::seconds(30));
    assert_eq!(e.attempts().len(), 1);
    assert!(e.is_registered("spoke"));
    // The engineer raises the level on both sides, then restarts ILS on the hub.
    e.set_trace_level("hub", TraceLevel::Detailed);
    e.set_trace_level("spoke", TraceLevel::Detailed);
    assert!(e.control_service("hub", mock_server::scenario::ServiceState::Started));
    e.advance_to(w.start + chrono::Duration::seconds(60));
    assert_eq!(e.attempts().len(), 2);
    assert!(e.attempts()[1].written_hub && e.attempts()[1].written_spoke);
    assert!(all_text(e.files("hub")).contains("Server Connection to PeerId("));
    // Stopped hub: the spoke's next attempts fail as unreachable.
    e.control_service("hub", mock_server::scenario::ServiceState::Stopped);
    e.advance_to(w.start + chrono::Duration::seconds(90));
    assert_eq!(e.attempts().last().map(|a| a.outcome), Some(Outcome::HubUnreachable));
}

#[test]
fn scenario_tables_override_and_extend_the_database() {
    let mut s = Scenario::load(&dir().join("m1-password-success.toml")).unwrap();
    s.clusters[0].tables.insert(
        "remotecluster".into(),
        mock_server::scenario::Table {
            columns: vec!["clusterid".into(), "fullyqualifiedname".into()],
            rows: vec![vec!["X-CL".into(), "NULL".into()]],
        },
    );
    let mut w = mock_server::db::World::new(s, chrono::Utc::now());
    let db = w.db("hub").unwrap();
    let q = mock_server::sql::parse("select * from remotecluster").unwrap();
    let r = mock_server::sql::query(db, &q).unwrap();
    assert_eq!(r.rows, vec![vec![Some("X-CL".to_string()), None]]);
    assert_eq!(
        mock_server::sql::format_table(&r),
        "clusterid fullyqualifiedname\n========= ==================\nX-CL      NULL\n"
    );
}

#[test]
fn two_hubs_in_a_mesh_all_register() {
    let s = load("mesh-two-hubs");
    let sim = simulate(&s, Window::of(&s));
    assert_eq!(sim.attempts.len(), 3);
    assert!(sim.attempts.iter().all(|a| a.outcome == Outcome::Registered(Method::Password)));
    // hub-b writes the client side of its join in its own time zone (-05:00, 0.8 s behind).
    let hb = all_text(&sim.files["hub-b"]);
    assert!(hb.contains("|FileHead |UTC:-05:00,"));
    assert!(hb.contains("starting  to PeerId(") && hb.contains("Server Connection to PeerId("));
}

#[test]
fn simulations_write_flat_and_rtmt_layouts() {
    let s = load("m1-password-success");
    let sim = simulate(&s, Window::of(&s));
    let d = tempfile::tempdir().unwrap();
    let flat = sim.write_flat(d.path()).unwrap();
    // The hub's active file is the last one, a `.gzo` (routine traffic can roll the first).
    let hub_files: Vec<_> = flat.iter().filter(|p| p.parent().is_some_and(|d| d.ends_with("hub"))).collect();
    assert!(hub_files.last().is_some_and(|p| p.to_string_lossy().ends_with(".txt.gzo")), "{flat:?}");
    assert!(
        hub_files.first().is_some_and(
            |p| p.ends_with("hub/SDL001_600_000001.txt.gz") || p.ends_with("hub/SDL001_600_000001.txt.gzo")
        ),
        "{flat:?}"
    );
    let t = Window::of(&s).end;
    let rtmt = sim.write_rtmt(&s, d.path(), t).unwrap();
    let want = format!("10.106.104.201/{}/cm/trace/ils/sdl/SDL001_600_000001.txt.gzo", t.format("%Y-%m-%d_%H-%M-%S"));
    assert!(rtmt.iter().any(|p| p.ends_with(&want)), "{rtmt:?}");
    let mut text = String::new();
    let bytes = std::fs::read(&rtmt[0]).unwrap();
    let _ = flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text);
    assert!(text.starts_with("00000000.000 |"), "{text}");
}

#[test]
fn attempts_carry_catalog_ids_and_payloads_for_both_sides() {
    let s = load("m2-spoke-cert-not-on-hub");
    let sim = simulate(&s, Window::of(&s));
    let a = &sim.attempts[0];
    let hub: Vec<&str> =
        a.lines.iter().filter(|l| l.side == mock_server::decision::Side::Hub).map(|l| l.line.id()).collect();
    assert_eq!(hub, ["P18", "P19", "P20", "P21"]);
    let p21 = a.lines.iter().find(|l| l.line.id() == "P21").unwrap();
    assert!(p21.payload.ends_with("Controller=[1,20,1"), "{}", p21.payload);
    assert!(all_text(&sim.files["hub"]).contains(&p21.payload));
}

#[test]
fn switching_to_tls_after_a_password_join_is_method_4() {
    use mock_server::scenario::CertKind;
    let s = load("m1-password-success");
    let w = Window::of(&s);
    let mut e = mock_server::sim::Engine::new(&s, w.start);
    e.advance_to(w.start + chrono::Duration::seconds(10));
    assert_eq!(e.attempts()[0].outcome, Outcome::Registered(Method::Password));
    // Both clusters get CA-signed Tomcat certificates and switch to "Use TLS Certificates" only.
    for name in ["hub", "spoke"] {
        assert!(e.reconfigure(name, |c| {
            c.ils.use_tls = true;
            c.ils.use_password = false;
            c.tomcat.kind = CertKind::CaSigned;
            c.trust.ca_roots = vec![c.tomcat.ca.clone()];
        }));
    }
    e.advance_to(w.start + chrono::Duration::seconds(30));
    assert_eq!(e.attempts().last().map(|a| a.outcome), Some(Outcome::Registered(Method::SwitchToTls)));
    assert!(all_text(e.files("hub")).contains("IlsD Ils::VerifyCertificateInfo(): FQDN is in PeerInfoVector"));
}
