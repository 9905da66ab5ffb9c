//! The fault matrix (`docs/fault-matrix.md`): every fault the mock injects against
//! `check`, `audit` and `restore`, each with the behaviour the table promises: a clear error
//! naming the host and what to do, or the right diagnosis despite the fault; no partial file
//! under a final name; trace levels back as they were (or the journal kept for `restore`); the
//! other cluster of an audit unaffected. (`collect` is covered by tests/bundle.rs; SIGINT and
//! SIGTERM by tests/check_faults.rs and tests/audit.rs.)

mod support;

use std::path::Path;
use std::time::Duration;

use ils_doctor::analyze::Status;
use ils_doctor::audit::{inventory, model::Depth, run as audit_run};
use ils_doctor::collect::publisher::Access;
use ils_doctor::connect::tls::TlsMode;
use ils_doctor::pipeline::live::ConnOptions;
use ils_doctor::pipeline::mock_pair::access_for;
use ils_doctor::pipeline::session::{self as check, Request};
use mock_server::scenario::{Faults, TraceLevel};

/// How a fault must end.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// The run refuses to go on: an error naming the host and what to do (the words given).
    Refused(&'static [&'static str]),
    /// The run goes through and still diagnoses the failure.
    Diagnosed,
    /// The run goes through; the downloads failed and say so (no verdict from traces).
    DownloadFailed,
}

struct Case {
    name: &'static str,
    faults: fn() -> Faults,
    /// Set on the client side instead (known_hosts, TLS).
    client: Option<fn(&mut Access)>,
    expect: Expect,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "dropped connection mid-download",
            faults: || Faults { drop_download_after_bytes: Some(40), ..Faults::default() },
            client: None,
            expect: Expect::DownloadFailed,
        },
        Case {
            name: "slow link",
            faults: || Faults { download_bytes_per_sec: Some(64 * 1024), ..Faults::default() },
            client: None,
            expect: Expect::Diagnosed,
        },
        Case {
            name: "throttling 503",
            faults: || Faults { throttle_every_nth: Some(4), throttle_status: Some(503), ..Faults::default() },
            client: None,
            expect: Expect::Diagnosed,
        },
        Case {
            name: "599 incorrect AXL version",
            faults: || Faults { throttle_every_nth: Some(3), throttle_status: Some(599), ..Faults::default() },
            client: None,
            expect: Expect::Diagnosed,
        },
        Case {
            name: "SOAP fault (AXL SQL and log listing)",
            faults: || Faults {
                soap_fault_operations: vec!["executeSQLQuery".into(), "selectLogFiles".into()],
                ..Faults::default()
            },
            client: None,
            expect: Expect::Diagnosed,
        },
        Case {
            name: "pager despite pagination off",
            faults: || Faults { pager_ignores_off: true, ..Faults::default() },
            client: None,
            expect: Expect::Diagnosed,
        },
        Case {
            name: "command with no prompt",
            faults: || Faults { hang_command: Some("show cert".into()), ..Faults::default() },
            client: None,
            expect: Expect::Diagnosed,
        },
        Case {
            name: "wrong password",
            faults: || Faults { wrong_password: true, ..Faults::default() },
            client: None,
            expect: Expect::Refused(&["127.0.0.1", "refused"]),
        },
        Case {
            name: "host key changed",
            faults: Faults::default,
            client: Some(plant_other_host_key),
            expect: Expect::Refused(&["127.0.0.1", "HOST KEY CHANGED"]),
        },
        Case {
            name: "untrusted HTTPS certificate",
            faults: Faults::default,
            client: Some(|a| a.tls = TlsMode::Verify { extra_roots_pem: None }),
            expect: Expect::Refused(&["127.0.0.1", "ils-doctor trust"]),
        },
    ]
}

fn plant_other_host_key(a: &mut Access) {
    support::live::plant_other_host_key(a);
}

fn part_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(part_files(&p));
        } else if p.to_string_lossy().ends_with(".part") {
            out.push(p.display().to_string());
        }
    }
    out
}

struct Mock {
    mock: mock_server::Running,
    hub: Access,
    spoke: Access,
}

fn start(dir: &Path, scenario: &str, detailed: bool) -> Mock {
    let mut s = mock_server::bundled::load(scenario).unwrap().unwrap();
    if detailed {
        s = s.with_trace_level(TraceLevel::Detailed);
    }
    let mock = mock_server::start(s).unwrap();
    let kh = dir.join("known_hosts");
    let mut hub = access_for(mock.publisher("hub").unwrap(), &kh).unwrap();
    let mut spoke = access_for(mock.publisher("spoke").unwrap(), &kh).unwrap();
    hub.command_timeout = Duration::from_secs(4);
    spoke.command_timeout = Duration::from_secs(4);
    Mock { mock, hub, spoke }
}

fn levels(m: &Mock) -> (Option<TraceLevel>, Option<TraceLevel>) {
    m.mock.with_world(|w| (w.engine.trace_level("hub"), w.engine.trace_level("spoke")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_under_every_fault() {
    let mut passed = Vec::new();
    for case in cases() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = start(dir.path(), "m2-hub-cert-not-on-spoke", false);
        if let Some(f) = case.client {
            f(&mut m.hub);
        }
        m.mock.set_faults((case.faults)());
        let before = levels(&m);
        let req = Request {
            hubs: vec![m.hub.clone()],
            spokes: vec![m.spoke.clone()],
            capture: Duration::from_secs(20),
            since: Duration::from_secs(7200),
            keep_trace_level: false,
            detailed_value: None,
            force_registration: true,
            start_stopped: false,
            method: None,
            download_dir: dir.path().join("traces"),
            journal: dir.path().join("journal.json"),
            progress: false,
            poll: Duration::from_secs(1),
            catalog: Default::default(),
            preflight_only: false,
        };
        let result = check::run(&req, std::future::pending()).await;
        let name = case.name;
        match (case.expect, result) {
            (Expect::Refused(words), Err(e)) => {
                let msg = e.to_string();
                assert!(words.iter().all(|w| msg.contains(w)), "{name}: {msg}");
            }
            (Expect::Diagnosed, Ok(out)) => {
                let a = &out.analysis;
                assert_eq!(a.status, Status::Critical, "{name}: {}", a.summary);
                assert!(
                    a.attempts
                        .iter()
                        .any(|x| x.root_cause.map(|c| c.as_str()) == Some("spoke_rejects_hub_certificate")),
                    "{name}: {}",
                    a.summary
                );
            }
            (Expect::DownloadFailed, Ok(out)) => {
                let w = out.analysis.warnings.join(" | ");
                assert!(w.contains("127.0.0.1") && w.contains("GetOneFile"), "{name}: {w}");
            }
            (want, got) => panic!("{name}: expected {want:?}, got {:?}", got.map(|o| o.analysis.summary)),
        }
        m.mock.set_faults(Faults::default());
        assert_eq!(levels(&m), before, "{name}: trace levels as found");
        assert!(!dir.path().join("journal.json").exists(), "{name}: journal empty");
        assert!(part_files(dir.path()).is_empty(), "{name}: no partial file");
        passed.push(name);
    }
    eprintln!("fault matrix, check: {} faults passed: {passed:?}", passed.len());
}

/// `collect` under every fault: refused runs write no bundle; the others write one whose
/// diagnosis holds (or whose warnings name the failed download); levels back, journal empty, no
/// partial file, no temporary bundle left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_under_every_fault() {
    let mut passed = Vec::new();
    for case in cases() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = start(dir.path(), "m2-hub-cert-not-on-spoke", false);
        if let Some(f) = case.client {
            f(&mut m.hub);
        }
        m.mock.set_faults((case.faults)());
        let before = levels(&m);
        let bundle = dir.path().join("out").join("case.tar.gz");
        std::fs::create_dir_all(bundle.parent().unwrap()).unwrap();
        let req = ils_doctor::pipeline::support_bundle::Request {
            check: Request {
                hubs: vec![m.hub.clone()],
                spokes: vec![m.spoke.clone()],
                capture: Duration::from_secs(20),
                since: Duration::from_secs(7200),
                keep_trace_level: false,
                detailed_value: None,
                force_registration: true,
                start_stopped: false,
                method: None,
                download_dir: dir.path().join("traces"),
                journal: dir.path().join("journal.json"),
                progress: false,
                poll: Duration::from_secs(1),
                catalog: Default::default(),
                preflight_only: false,
            },
            output: bundle.clone(),
            format: ils_doctor::bundle::ArchiveFormat::TarGz,
            redact: false,
            record: None,
            record_dir: false,
            command_line: vec!["ils-doctor".into(), "collect".into()],
        };
        let result = ils_doctor::pipeline::support_bundle::run(&req, std::future::pending()).await;
        let name = case.name;
        match (case.expect, result) {
            (Expect::Refused(words), Err(e)) => {
                let msg = e.to_string();
                assert!(words.iter().all(|w| msg.contains(w)), "{name}: {msg}");
                assert!(!bundle.exists(), "{name}: no bundle");
            }
            (Expect::Diagnosed, Ok(done)) => {
                assert_eq!(done.bundled.analysis.status, Status::Critical, "{name}: {}", done.bundled.analysis.summary);
                assert!(bundle.exists(), "{name}");
            }
            (Expect::DownloadFailed, Ok(done)) => {
                let w = done.live.analysis.warnings.join(" | ");
                assert!(w.contains("127.0.0.1") && w.contains("GetOneFile"), "{name}: {w}");
                assert!(bundle.exists(), "{name}");
            }
            (want, got) => panic!("{name}: expected {want:?}, got {:?}", got.map(|o| o.live.analysis.summary)),
        }
        m.mock.set_faults(Faults::default());
        assert_eq!(levels(&m), before, "{name}: trace levels as found");
        assert!(!dir.path().join("journal.json").exists(), "{name}: journal empty");
        assert!(part_files(dir.path()).is_empty(), "{name}: no partial file");
        let stray: Vec<_> = std::fs::read_dir(bundle.parent().unwrap())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(stray.is_empty(), "{name}: no temporary bundle");
        passed.push(name);
    }
    eprintln!("fault matrix, collect: {} faults passed: {passed:?}", passed.len());
}

/// The expired Tomcat certificate row: refused by verification in check, collect, audit and
/// restore; accepted once pinned (an explicit trust decision, as with ssh).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_certificate_is_refused_unless_pinned() {
    let dir = tempfile::tempdir().unwrap();
    let m = start(dir.path(), "hc-expired-tomcat", false);
    let before = levels(&m);
    let verify = |a: &Access| {
        let mut a = a.clone();
        a.tls = TlsMode::Verify { extra_roots_pem: None };
        a
    };
    let req = |hub: Access, spoke: Access| Request {
        hubs: vec![hub],
        spokes: vec![spoke],
        capture: Duration::from_secs(10),
        since: Duration::from_secs(7200),
        keep_trace_level: false,
        detailed_value: None,
        force_registration: true,
        start_stopped: false,
        method: None,
        download_dir: dir.path().join("traces"),
        journal: dir.path().join("journal.json"),
        progress: false,
        poll: Duration::from_secs(1),
        catalog: Default::default(),
        preflight_only: false,
    };
    // check
    let e = check::run(&req(verify(&m.hub), verify(&m.spoke)), std::future::pending()).await.expect_err("refused");
    assert!(e.to_string().contains("certificate") && e.to_string().contains("ils-doctor trust"), "{e}");
    // collect
    let bundle = dir.path().join("expired.tar.gz");
    let c = ils_doctor::pipeline::support_bundle::Request {
        check: req(verify(&m.hub), verify(&m.spoke)),
        output: bundle.clone(),
        format: ils_doctor::bundle::ArchiveFormat::TarGz,
        redact: false,
        record: None,
        record_dir: false,
        command_line: Vec::new(),
    };
    let e = ils_doctor::pipeline::support_bundle::run(&c, std::future::pending()).await.expect_err("refused");
    assert!(e.to_string().contains("certificate"), "{e}");
    assert!(!bundle.exists());
    // audit (light): that cluster unknown with the advice
    let mut unpinned = Mock {
        mock: mock_server::start(mock_server::bundled::load("hc-expired-tomcat").unwrap().unwrap()).unwrap(),
        hub: m.hub.clone(),
        spoke: m.spoke.clone(),
    };
    unpinned.hub =
        verify(&access_for(unpinned.mock.publisher("hub").unwrap(), &dir.path().join("known_hosts")).unwrap());
    unpinned.spoke =
        verify(&access_for(unpinned.mock.publisher("spoke").unwrap(), &dir.path().join("known_hosts")).unwrap());
    let inv = inventory_of(&[("expired", &unpinned)]);
    let areq = audit_run::Request {
        inventory: inventory::parse(&inv, "expired.toml").unwrap(),
        depth: Depth::Light,
        since: Duration::from_secs(7200),
        jobs: 2,
        host_timeout: Duration::from_secs(20),
        conn: ConnOptions {
            ssh_port: 22,
            https_port: 8443,
            admin_user: "admin".into(),
            app_user: "administrator".into(),
            ca_file: None,
            pins: Vec::new(),
            pins_file: dir.path().join("pins"),
            insecure: false,
            known_hosts: dir.path().join("known_hosts"),
            accept_new_host_key: false,
            legacy_ssh: false,
            command_timeout: Duration::from_secs(4),
            record: None,
        },
        cache: dir.path().join("cache"),
        progress: false,
        deep: audit_run::DeepOptions {
            capture: Duration::from_secs(10),
            max_raised: 1,
            journal: dir.path().join("journal.json"),
            force_registration: false,
        },
        catalog: Default::default(),
    };
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let r = audit_run::run(&areq, rx).await.unwrap();
    let hub = r.clusters.iter().find(|c| c.name == "hub").unwrap();
    assert_eq!(hub.status, Status::Unknown);
    assert!(hub.error.as_deref().is_some_and(|e| e.contains("certificate")), "{:?}", hub.error);
    // restore: the same client, refused without the pin
    let client = ils_doctor::connect::soap::SoapClient::new(&ils_doctor::connect::soap::HttpsTarget {
        host: m.hub.host.clone(),
        port: m.hub.https_port,
        user: m.hub.app_user.clone(),
        password: m.hub.app_password.clone(),
        tls: TlsMode::Verify { extra_roots_pem: None },
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(10),
    })
    .unwrap();
    let e = client.trace_settings("x", "y").await.expect_err("refused");
    assert!(e.to_string().contains("certificate"), "{e}");
    // Pinned: the run goes through.
    let out = check::run(&req(m.hub.clone(), m.spoke.clone()), std::future::pending()).await.unwrap();
    assert!(out.findings.iter().any(|f| f.code == "tomcat_certificate_expired"), "{:?}", out.findings);
    assert_eq!(levels(&m), before);
}

fn inventory_of(nets: &[(&str, &Mock)]) -> String {
    let mut inv = String::new();
    for (net, m) in nets {
        inv.push_str(&format!("[[network]]\nname = \"{net}\"\n\n"));
        for (name, a) in [("hub", &m.hub), ("spoke", &m.spoke)] {
            let pin = match &a.tls {
                TlsMode::Pin(p) => format!("tls_pin = \"{p}\"\n"),
                _ => String::new(),
            };
            let var = format!("FAULT_PW_{}", net.to_uppercase());
            std::env::set_var(&var, a.admin_password.expose());
            inv.push_str(&format!(
                "[[network.cluster]]\nname = \"{name}\"\nrole = \"{name}\"\nhost = \"{}\"\nssh_port = {}\nhttps_port = {}\nadmin_user = \"{}\"\napp_user = \"{}\"\nadmin_credential = \"env:{var}\"\napp_credential = \"env:{var}\"\n{pin}{}\n",
                a.host,
                a.ssh_port,
                a.https_port,
                a.admin_user,
                a.app_user,
                if name == "spoke" { "hub = \"hub\"" } else { "" }
            ));
        }
    }
    inv
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_under_every_fault_leaves_the_other_cluster_alone() {
    let mut passed = Vec::new();
    for case in cases() {
        let dir = tempfile::tempdir().unwrap();
        let mut faulty = start(dir.path(), "m2-hub-cert-not-on-spoke", true);
        let healthy = start(dir.path(), "m1-password-success", true);
        if let Some(f) = case.client {
            f(&mut faulty.hub);
        }
        let mut inv = inventory_of(&[("faulty", &faulty), ("healthy", &healthy)]);
        if case.name == "untrusted HTTPS certificate" {
            // The inventory's pin is what trusts the mock: without it, system roots refuse it.
            let first_pin = inv.find("tls_pin").unwrap();
            let end = first_pin + inv[first_pin..].find('\n').unwrap() + 1;
            inv.replace_range(first_pin..end, "");
        }
        // Wait for the mocks' first registration attempts (and the healthy one to register).
        assert!(healthy.mock.wait_for(Duration::from_secs(20), |w| w.engine.is_registered("spoke")));
        assert!(faulty.mock.wait_for(Duration::from_secs(20), |w| !w.engine.attempts().is_empty()));
        faulty.mock.set_faults((case.faults)());
        let req = audit_run::Request {
            inventory: inventory::parse(&inv, "faults.toml").unwrap(),
            depth: Depth::Light,
            since: Duration::from_secs(7200),
            jobs: 4,
            host_timeout: Duration::from_secs(20),
            conn: ConnOptions {
                ssh_port: 22,
                https_port: 8443,
                admin_user: "admin".into(),
                app_user: "administrator".into(),
                ca_file: None,
                pins: Vec::new(),
                pins_file: dir.path().join("pins"),
                insecure: false,
                known_hosts: dir.path().join("known_hosts"),
                accept_new_host_key: false,
                legacy_ssh: false,
                command_timeout: Duration::from_secs(4),
                record: None,
            },
            cache: dir.path().join("cache"),
            progress: false,
            deep: audit_run::DeepOptions {
                capture: Duration::from_secs(10),
                max_raised: 1,
                journal: dir.path().join("journal.json"),
                force_registration: false,
            },
            catalog: Default::default(),
        };
        let (_tx, rx) = tokio::sync::watch::channel(false);
        let r = audit_run::run(&req, rx).await.unwrap();
        let name = case.name;
        let pair = |net: &str| r.pairs.iter().find(|p| p.network == net).unwrap();
        assert_eq!(
            pair("healthy").status,
            Status::Ok,
            "{name}: the healthy network is unaffected: {}",
            pair("healthy").summary
        );
        assert!(r.clusters.iter().filter(|c| c.network == "healthy").all(|c| c.error.is_none()), "{name}");
        let hub = r.clusters.iter().find(|c| c.network == "faulty" && c.name == "hub").unwrap();
        match case.expect {
            Expect::Refused(words) => {
                assert_eq!(hub.status, Status::Unknown, "{name}");
                let e = hub.error.clone().unwrap_or_default();
                assert!(words.iter().all(|w| e.contains(w)), "{name}: {e}");
            }
            Expect::Diagnosed => {
                assert_eq!(pair("faulty").status, Status::Critical, "{name}: {}", pair("faulty").summary);
            }
            Expect::DownloadFailed => assert_ne!(pair("faulty").status, Status::Ok, "{name}"),
        }
        faulty.mock.set_faults(Faults::default());
        assert!(part_files(dir.path()).is_empty(), "{name}: no partial file");
        passed.push(name);
    }
    eprintln!("fault matrix, audit: {} faults passed: {passed:?}", passed.len());
}

/// `restore` (HTTPS only): a fault leaves the journal for the next try; then it restores.
#[test]
fn restore_under_faults_keeps_the_journal_until_it_succeeds() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let m = start(dir.path(), "m1-password-success", false);
    let before = levels(&m);
    let journal = dir.path().join("journal.json");
    // A check that keeps the level raised leaves the journal behind, as a killed run would.
    let req = Request {
        hubs: vec![m.hub.clone()],
        spokes: vec![m.spoke.clone()],
        capture: Duration::from_secs(2),
        since: Duration::from_secs(7200),
        keep_trace_level: true,
        detailed_value: None,
        force_registration: false,
        start_stopped: false,
        method: None,
        download_dir: dir.path().join("traces"),
        journal: journal.clone(),
        progress: false,
        poll: Duration::from_secs(1),
        catalog: Default::default(),
        preflight_only: false,
    };
    rt.block_on(check::run(&req, std::future::pending())).unwrap();
    assert_ne!(levels(&m), before, "left raised on purpose");
    assert!(journal.exists());
    let pin = |a: &Access| match &a.tls {
        TlsMode::Pin(p) => format!("{}:{}={p}", a.host, a.https_port),
        _ => unreachable!(),
    };
    let restore = |pins: bool| {
        let mut c = assert_cmd::Command::cargo_bin("ils-doctor").unwrap();
        c.args(["restore", "--journal"]).arg(&journal).args(["--app-user", &m.hub.app_user]);
        if pins {
            c.args(["--pin", &pin(&m.hub), "--pin", &pin(&m.spoke)]);
        } else {
            let other = rcgen::generate_simple_self_signed(vec!["other-ca.example".into()]).unwrap();
            let ca = dir.path().join("other-ca.pem");
            std::fs::write(&ca, other.cert.pem()).unwrap();
            c.arg("--ca-file").arg(ca);
        }
        c.env("ILS_DOCTOR_ADMIN_PASSWORD", m.hub.admin_password.expose())
            .env("ILS_DOCTOR_APP_PASSWORD", m.hub.app_password.expose())
            .env("XDG_CONFIG_HOME", dir.path().join("config"));
        c.output().unwrap()
    };
    let mut passed = Vec::new();
    for (name, faults, pins) in [
        ("wrong password", Faults { wrong_password: true, ..Faults::default() }, true),
        (
            "SOAP fault",
            Faults { soap_fault_operations: vec!["updateProcessNodeService".into()], ..Faults::default() },
            true,
        ),
        // No --pin: an unrelated CA (--ca-file, which wins over the journal's pin) does not
        // vouch for the publisher's certificate.
        ("untrusted HTTPS certificate", Faults::default(), false),
    ] {
        m.mock.set_faults(faults);
        let out = restore(pins);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{name}: {err}");
        assert!(err.contains("127.0.0.1"), "{name}: the error names the host: {err}");
        assert!(journal.exists(), "{name}: the journal is kept for the next try");
        assert_ne!(levels(&m), before, "{name}");
        passed.push(name);
    }
    // Throttling is retried: the restore goes through.
    m.mock.set_faults(Faults { throttle_every_nth: Some(2), throttle_status: Some(503), ..Faults::default() });
    let out = restore(true);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    passed.push("throttling 503");
    m.mock.set_faults(Faults::default());
    assert_eq!(levels(&m), before, "restored");
    let left = std::fs::read_to_string(&journal).unwrap_or_default();
    assert!(!left.contains("127.0.0.1"), "journal emptied: {left}");
    eprintln!("fault matrix, restore: {} faults passed: {passed:?}", passed.len());
}

/// Disk full while downloading: the `.part` write fails with ENOSPC (a `.part` that is a link to
/// /dev/full), the file is skipped with the OS error and the host, nothing is left under the
/// final name, and the trace levels are restored.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_full_while_downloading() {
    use ils_doctor::analyze::Side;
    let dir = tempfile::tempdir().unwrap();
    let m = start(dir.path(), "m2-hub-cert-not-on-spoke", false);
    let before = levels(&m);
    let download = dir.path().join("traces");
    let spoke_dir = check::side_dir(&download, Side::Spoke, &m.spoke);
    std::fs::create_dir_all(&spoke_dir).unwrap();
    let name = "SDL001_600_000001.txt.gzo";
    std::os::unix::fs::symlink("/dev/full", spoke_dir.join(format!("{name}.part"))).unwrap();
    let req = Request {
        hubs: vec![m.hub.clone()],
        spokes: vec![m.spoke.clone()],
        capture: Duration::from_secs(8),
        since: Duration::from_secs(7200),
        keep_trace_level: false,
        detailed_value: None,
        force_registration: true,
        start_stopped: false,
        method: None,
        download_dir: download.clone(),
        journal: dir.path().join("journal.json"),
        progress: false,
        poll: Duration::from_secs(1),
        catalog: Default::default(),
        preflight_only: false,
    };
    let out = check::run(&req, std::future::pending()).await.unwrap();
    let w = out.analysis.warnings.join(" | ");
    // /dev/full refuses the write (ENOSPC, or EINVAL for the truncation of a device): the same
    // error path as a full disk, named with host, operation and path.
    assert!(w.contains("127.0.0.1") && w.contains("GetOneFile: cannot write") && w.contains(".part"), "{w}");
    // The failed `.part` was removed; a later poll (space free again) may fetch the file whole.
    let fin = spoke_dir.join(name);
    assert!(
        !fin.is_symlink() && (!fin.exists() || std::fs::metadata(&fin).unwrap().len() > 0),
        "no partial final file"
    );
    assert!(part_files(dir.path()).is_empty(), "no .part left");
    assert_eq!(levels(&m), before, "levels restored");
}

/// SIGINT or SIGTERM during `collect` (the cancel future, as the binary's signal handlers
/// resolve it): the levels are restored and no bundle is written under the final name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_collect_writes_no_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let m = start(dir.path(), "m1-password-success", false);
    let before = levels(&m);
    let bundle = dir.path().join("case.zip");
    let req = ils_doctor::pipeline::support_bundle::Request {
        check: Request {
            hubs: vec![m.hub.clone()],
            spokes: vec![m.spoke.clone()],
            capture: Duration::from_secs(60),
            since: Duration::from_secs(7200),
            keep_trace_level: false,
            detailed_value: None,
            force_registration: false,
            start_stopped: false,
            method: None,
            download_dir: dir.path().join("traces"),
            journal: dir.path().join("journal.json"),
            progress: false,
            poll: Duration::from_secs(1),
            catalog: Default::default(),
            preflight_only: false,
        },
        output: bundle.clone(),
        format: ils_doctor::bundle::ArchiveFormat::Zip,
        redact: false,
        record: None,
        record_dir: false,
        command_line: Vec::new(),
    };
    let world = m.mock.world_handle();
    let cancel = async move {
        // Interrupted once both levels are raised (a registered pair is quiet: the capture waits).
        loop {
            let raised = {
                let w = mock_server::db::lock(&world);
                w.engine.trace_level("hub") == Some(TraceLevel::Detailed)
                    && w.engine.trace_level("spoke") == Some(TraceLevel::Detailed)
            };
            if raised {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let e = ils_doctor::pipeline::support_bundle::run(&req, cancel).await.expect_err("interrupted");
    assert!(e.to_string().contains("interrupted; the trace levels were restored"), "{e}");
    assert!(!bundle.exists(), "no bundle");
    assert_eq!(levels(&m), before);
    assert!(!dir.path().join("journal.json").exists());
}

/// Reads a JSON document a run wrote; fails the test with the run's standard error when there is
/// none or it does not parse.
fn json_document(path: &Path, out: &std::process::Output) -> serde_json::Value {
    let err = String::from_utf8_lossy(&out.stderr);
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("no document at {}: {e}\n{err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON: {e}\n{text}\n{err}"))
}

/// Every refusal of the matrix, run as the binary with `--format json -o FILE`: the file holds
/// an error document (docs/json-contract.md, "Error document") in place of the previous run's
/// verdict: status unknown, exit code 3, the host and the operation that failed.
#[test]
fn a_refused_check_still_writes_its_json_document() {
    // The operation each refusal stops at: the TLS probe comes first (an untrusted certificate),
    // then the SSH host key, then the SSH login.
    let operation = |name: &str| match name {
        "wrong password" => "ssh login",
        "host key changed" => "ssh host key check",
        "untrusted HTTPS certificate" => "https TLS probe",
        other => panic!("no operation for {other}"),
    };
    let mut passed = Vec::new();
    for case in cases().into_iter().filter(|c| matches!(c.expect, Expect::Refused(_))) {
        let name = case.name;
        let net = support::live::start("m2-hub-cert-not-on-spoke");
        net.mock.set_faults((case.faults)());
        let cmd = match name {
            "untrusted HTTPS certificate" => net.binary_unpinned("check"),
            "host key changed" => {
                support::live::plant_other_host_key(&net.hub);
                net.binary("check")
            }
            _ => net.binary("check"),
        };
        let file = net.dir.path().join("check.json");
        std::fs::write(&file, "{\"status\": \"ok\", \"summary\": \"the previous run\"}").unwrap();
        let mut c = net.check_args(cmd, "20s");
        c.arg("-o").arg(&file).stdin(std::process::Stdio::null());
        let out = c.output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let doc = json_document(&file, &out);
        assert_eq!(doc["schema"], "ils-doctor/analysis/2", "{name}: {doc}");
        assert_eq!(doc["status"], "unknown", "{name}");
        assert_eq!(doc["exit_code"], 3, "{name}");
        assert_eq!(doc["error"]["command"], "check", "{name}");
        assert_eq!(doc["error"]["host"], "127.0.0.1", "{name}: {doc}");
        assert_eq!(doc["error"]["operation"], operation(name), "{name}: {doc}");
        let message = doc["error"]["message"].as_str().unwrap();
        let Expect::Refused(words) = case.expect else { unreachable!() };
        assert!(words.iter().all(|w| message.contains(w)), "{name}: {message}");
        assert!(doc["summary"].as_str().unwrap().starts_with("UNKNOWN: check failed: "), "{name}: {doc}");
        passed.push(name);
    }
    assert_eq!(passed.len(), 3, "{passed:?}");
}

/// The same refusal with the document on standard output (no `-o`): standard output is the
/// document alone, standard error says the error to a person.
#[test]
fn a_refused_check_prints_its_json_document_on_standard_output() {
    let net = support::live::start("m2-hub-cert-not-on-spoke");
    net.mock.set_faults(Faults { wrong_password: true, ..Faults::default() });
    let out = net.check_args(net.binary("check"), "20s").stdin(std::process::Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!((doc["status"].as_str(), doc["error"]["operation"].as_str()), (Some("unknown"), Some("ssh login")));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ils-doctor: error: check: no verdict"));
}

/// An audit that cannot start (its inventory unreadable) writes each of its machine formats:
/// the JSON audit document, a JUnit suite with one test case in error, and metrics whose
/// status is 3 with `ils_doctor_audit_error` naming the operation.
#[test]
fn an_audit_that_cannot_start_writes_every_machine_format() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("missing.toml");
    for format in ["json", "junit", "prometheus"] {
        let file = dir.path().join(format!("audit.{format}"));
        let out = assert_cmd::Command::cargo_bin("ils-doctor")
            .unwrap()
            .args(["audit", "--no-history", "--format", format, "--inventory"])
            .arg(&inventory)
            .arg("-o")
            .arg(&file)
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{format}: {e}"));
        match format {
            "json" => {
                let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(doc["schema"], "ils-doctor/audit/1");
                assert_eq!((doc["status"].as_str(), doc["exit_code"].as_u64()), (Some("unknown"), Some(3)));
                assert_eq!(doc["error"]["operation"], "read the inventory", "{doc}");
                assert_eq!(doc["error"]["host"], serde_json::Value::Null);
                assert!(doc["error"]["message"].as_str().unwrap().contains("missing.toml"), "{doc}");
            }
            "junit" => {
                assert!(text.contains("errors=\"1\"") && text.contains("type=\"read the inventory\""), "{text}");
                assert!(text.contains("missing.toml"), "{text}");
            }
            _ => {
                assert!(text.contains("\nils_doctor_audit_status 3\n"), "{text}");
                assert!(
                    text.contains("ils_doctor_audit_error{operation=\"read the inventory\",host=\"\"} 1\n"),
                    "{text}"
                );
            }
        }
    }
}

/// `join --format json -o FILE` refused by the publishers (the admin password wrong): the file
/// gets the error document (`ils-doctor/error/1`, docs/json-contract.md) in place of a plan:
/// unknown, exit code 3, the host and the SSH login that failed.
#[test]
fn a_refused_join_writes_the_error_document_in_place_of_a_plan() {
    let net = support::live::start("m1-password-mismatch");
    let wrong = cases().into_iter().find(|c| c.name == "wrong password").expect("the matrix has the case");
    net.mock.set_faults((wrong.faults)());
    let file = net.dir.path().join("plan.json");
    std::fs::write(&file, "{\"schema\": \"ils-doctor/join-plan/1\", \"status\": \"the previous run\"}").unwrap();
    let spec = |a: &ils_doctor::collect::publisher::Access| format!("{}:{}:{}", a.host, a.ssh_port, a.https_port);
    let mut c = net.binary("join");
    c.args(["--hub", &spec(&net.hub), "--spoke", &spec(&net.spokes[0]), "--method", "password"]);
    c.args(["--format", "json"]).arg("-o").arg(&file);
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let doc = json_document(&file, &out);
    assert_eq!(doc["schema"], "ils-doctor/error/1", "{doc}");
    assert_eq!((doc["status"].as_str(), doc["exit_code"].as_u64()), (Some("unknown"), Some(3)), "{doc}");
    assert_eq!(doc["error"]["command"], "join", "{doc}");
    assert_eq!(doc["error"]["host"], "127.0.0.1", "{doc}");
    assert_eq!(doc["error"]["operation"], "ssh login", "{doc}");
}

/// A command line with a typo, from a script that asks for JSON in a file: the file gets the
/// error document (operation "read the command line"), and clap's suggestion names the option
/// meant.
#[test]
fn a_mistyped_option_still_writes_the_json_document_and_names_the_option_meant() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("check.json");
    let out = assert_cmd::Command::cargo_bin("ils-doctor")
        .unwrap()
        .args(["check", "--hub", "cucm-hub", "--spoke", "cucm-spoke", "--format", "json", "-o"])
        .arg(&file)
        .arg("--capure")
        .arg("5m")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("--capture"), "the option meant is named: {err}");
    let doc = json_document(&file, &out);
    assert_eq!((doc["status"].as_str(), doc["exit_code"].as_u64()), (Some("unknown"), Some(3)));
    assert_eq!(doc["error"]["operation"], "read the command line");
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(message.contains("--capure") && message.contains("--capture"), "{message}");
}
