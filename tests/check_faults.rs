//! `check` under the faults real publishers show: throttling, dropped downloads, a CLI command
//! that never returns, wrong password, changed host key, untrusted certificate, and SIGINT
//! during the capture. In every case the trace level ends as it was found.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ils_doctor::analyze::{RootCause, Status};
use ils_doctor::collect::publisher::Access;
use ils_doctor::connect::tls::TlsMode;
use ils_doctor::pipeline::mock_pair::access_for;
use ils_doctor::pipeline::session::{self as check, CheckError, Request};
use mock_server::scenario::Faults;

struct Setup {
    mock: mock_server::Running,
    hub: Access,
    spoke: Access,
    dir: tempfile::TempDir,
}

fn setup(scenario: &str) -> Setup {
    setup_with(mock_server::bundled::load(scenario).unwrap().unwrap())
}

fn setup_with(s: mock_server::Scenario) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock_server::start_with(
        s,
        mock_server::Options { state_dir: Some(dir.path().join("state")), ..Default::default() },
    )
    .unwrap();
    let kh = dir.path().join("known_hosts");
    let hub = access_for(mock.publisher("hub").unwrap(), &kh).unwrap();
    let spoke = access_for(mock.publisher("spoke").unwrap(), &kh).unwrap();
    Setup { mock, hub, spoke, dir }
}

fn request(s: &Setup, capture: u64) -> Request {
    Request {
        hubs: vec![s.hub.clone()],
        spokes: vec![s.spoke.clone()],
        capture: Duration::from_secs(capture),
        since: Duration::from_secs(7200),
        keep_trace_level: false,
        detailed_value: None,
        force_registration: true,
        start_stopped: false,
        method: None,
        download_dir: s.dir.path().join("traces"),
        journal: s.dir.path().join("journal.json"),
        progress: false,
        poll: Duration::from_secs(1),
        catalog: Default::default(),
        preflight_only: false,
    }
}

async fn level(a: &Access, node: &str) -> String {
    support::ils_trace_level(a, node).await
}

async fn levels(s: &Setup) -> (String, String) {
    let hub_node = s.mock.publisher("hub").unwrap().fqdn.clone();
    let spoke_node = s.mock.publisher("spoke").unwrap().fqdn.clone();
    (level(&s.hub, &hub_node).await, level(&s.spoke, &spoke_node).await)
}

fn no_part_files(dir: &std::path::Path) -> bool {
    fn walk(d: &std::path::Path) -> bool {
        std::fs::read_dir(d).map_or(true, |r| {
            r.flatten().all(|e| {
                if e.path().is_dir() {
                    walk(&e.path())
                } else {
                    !e.path().to_string_lossy().ends_with(".part")
                }
            })
        })
    }
    walk(dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_is_retried_and_the_diagnosis_holds() {
    let s = setup("m1-password-mismatch");
    let before = levels(&s).await;
    s.mock.set_faults(Faults { throttle_every_nth: Some(4), throttle_status: Some(503), ..Faults::default() });
    let out = check::run(&request(&s, 30), std::future::pending()).await.unwrap();
    s.mock.set_faults(Faults::default());
    assert_eq!(levels(&s).await, before);
    let last = out.analysis.attempts.iter().rev().find(|a| a.root_cause.is_some()).expect("a failed attempt");
    assert_eq!(last.root_cause, Some(RootCause::PasswordMismatch), "{}", out.analysis.summary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_download_leaves_no_partial_file() {
    let s = setup("m1-password-mismatch");
    let before = levels(&s).await;
    s.mock.set_faults(Faults { drop_download_after_bytes: Some(40), ..Faults::default() });
    let out = check::run(&request(&s, 4), std::future::pending()).await.unwrap();
    s.mock.set_faults(Faults::default());
    assert_eq!(levels(&s).await, before);
    assert!(no_part_files(&s.dir.path().join("traces")), "no .part file left");
    assert!(
        out.analysis.warnings.iter().any(|w| w.contains("restarted once") || w.contains("cut")),
        "{:?}",
        out.analysis.warnings
    );
    assert_ne!(out.analysis.status, Status::Ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_that_never_returns_times_out_and_the_level_is_restored() {
    let mut s = setup("m1-password-mismatch");
    s.hub.command_timeout = Duration::from_secs(3);
    let before = levels(&s).await;
    s.mock.set_faults(Faults { hang_command: Some("utils service list".into()), ..Faults::default() });
    let started = Instant::now();
    let out = check::run(&request(&s, 20), std::future::pending()).await.unwrap();
    s.mock.set_faults(Faults::default());
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(levels(&s).await, before);
    let hub = out
        .config
        .iter()
        .find(|c| c.facts.host == s.hub.host && c.facts.errors.iter().any(|e| e.contains("utils service list")));
    let errors = hub.map(|c| c.facts.errors.join(" | ")).unwrap_or_default();
    assert!(errors.contains("timed out"), "{errors}");
    assert!(errors.contains("not sent"), "the session is not reused after a timeout: {errors}");
    assert!(
        out.analysis.attempts.iter().any(|a| a.root_cause == Some(RootCause::PasswordMismatch)),
        "the diagnosis still comes through SOAP"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_changed_host_key_and_untrusted_certificate_are_refused() {
    let s = setup("m1-password-success");
    s.mock.set_faults(Faults { wrong_password: true, ..Faults::default() });
    let e = check::run(&request(&s, 5), std::future::pending()).await.err().unwrap();
    assert!(matches!(e, CheckError::Publisher(_)), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("refused") && msg.contains("not retried"), "{msg}");
    assert!(!s.dir.path().join("journal.json").exists(), "nothing was raised");

    // The mock's SSH key is fixed once it runs: record another Ed25519 key for the hub instead,
    // which is what a rotated (or impostor) key looks like from the client.
    s.mock.set_faults(Faults::default());
    let kh = std::fs::read_to_string(&s.hub.known_hosts).unwrap();
    let hub_entry = format!("[{}]:{} ", s.hub.host, s.hub.ssh_port);
    let planted: String = kh
        .lines()
        .map(|l| {
            if l.starts_with(&hub_entry) {
                format!("{hub_entry}ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&s.hub.known_hosts, planted + "\n").unwrap();
    let e = check::run(&request(&s, 5), std::future::pending()).await.err().unwrap().to_string();
    assert!(e.contains("HOST KEY CHANGED") && e.matches("SHA256:").count() == 2, "{e}");
    std::fs::write(&s.hub.known_hosts, kh).unwrap();

    let mut r = request(&s, 5);
    r.hubs[0].tls = TlsMode::Verify { extra_roots_pem: None };
    let e = check::run(&r, std::future::pending()).await.err().unwrap().to_string();
    assert!(e.contains("certificate") && e.contains("ils-doctor trust"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_during_the_capture_restores_the_level() {
    interrupted_capture_restores_the_level("-INT").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_the_capture_restores_the_level() {
    interrupted_capture_restores_the_level("-TERM").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_at_the_speed_of_the_field_restores_the_level() {
    // The mock's field latency: seconds per CLI command, a slow CLI start, 0.3 s per request.
    let mut scenario = mock_server::bundled::load("m1-password-success").unwrap().unwrap();
    scenario.latency.profile = mock_server::scenario::LatencyProfile::Field;
    interrupted_capture_restores_the_level_of(setup_with(scenario), "-TERM").await;
}

async fn interrupted_capture_restores_the_level(signal: &str) {
    interrupted_capture_restores_the_level_of(setup("m1-password-success"), signal).await;
}

async fn interrupted_capture_restores_the_level_of(s: Setup, signal: &str) {
    // A registered pair is quiet: without --force-registration the capture waits, and is
    // interrupted while the level is raised.
    let before = levels(&s).await;
    let pin = match &s.hub.tls {
        TlsMode::Pin(p) => p.clone(),
        _ => unreachable!(),
    };
    let spin = match &s.spoke.tls {
        TlsMode::Pin(p) => p.clone(),
        _ => unreachable!(),
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_ils-doctor"))
        .args(["check", "--hub", &format!("{}:{}:{}", s.hub.host, s.hub.ssh_port, s.hub.https_port)])
        .args(["--spoke", &format!("{}:{}:{}", s.spoke.host, s.spoke.ssh_port, s.spoke.https_port)])
        .args(["--admin-user", &s.hub.admin_user, "--app-user", &s.hub.app_user])
        .args(["--pin", &format!("{}:{}={pin}", s.hub.host, s.hub.https_port)])
        .args(["--pin", &format!("{}:{}={spin}", s.spoke.host, s.spoke.https_port)])
        .arg("--known-hosts")
        .arg(&s.hub.known_hosts)
        .arg("--journal")
        .arg(s.dir.path().join("journal.json"))
        .arg("--download-dir")
        .arg(s.dir.path().join("traces"))
        .args(["--capture", "120s", "--format", "json"])
        .env("ILS_DOCTOR_ADMIN_PASSWORD", s.hub.admin_password.expose())
        .env("ILS_DOCTOR_APP_PASSWORD", s.hub.app_password.expose())
        .env("XDG_CONFIG_HOME", s.dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("raised to Detailed") {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    rx.recv_timeout(Duration::from_secs(180)).expect("the level was raised");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(levels(&s).await.0, "127", "raised while capturing");
    let kill = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let started = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "check did not stop after {signal}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let err = reader.join().unwrap();
    assert_eq!(status.code(), Some(3), "{err}");
    assert!(err.contains("interrupted; the trace levels were restored"), "{err}");
    assert_eq!(levels(&s).await, before);
    assert!(!s.dir.path().join("journal.json").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remotecluster_falls_back_to_run_sql_when_axl_sql_fails() {
    let s = setup("m1-password-success");
    s.mock.set_faults(Faults { soap_fault_operations: vec!["executeSQLQuery".into()], ..Faults::default() });
    let mut p = ils_doctor::collect::publisher::Publisher::open(s.spoke.clone()).await.unwrap();
    let f = ils_doctor::collect::facts::read(&mut p).await;
    p.close().await;
    assert!(f.remote_clusters.iter().any(|(id, _)| id == "HUB-CL"), "{:?} / {:?}", f.remote_clusters, f.errors);
    assert!(!f.errors.iter().any(|e| e.starts_with("remotecluster")), "{:?}", f.errors);
    assert!(
        f.errors.iter().any(|e| e.starts_with("cluster ID")),
        "the AXL-only reads report the fault: {:?}",
        f.errors
    );
    assert!(
        f.db_replication.iter().all(|(_, code, _)| *code == 2) && !f.db_replication.is_empty(),
        "{:?}",
        f.db_replication
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_listing_falls_back_to_the_cli_when_select_log_files_fails() {
    let s = setup("m2-hub-cert-not-on-spoke");
    s.mock.set_faults(Faults { soap_fault_operations: vec!["selectLogFiles".into()], ..Faults::default() });
    let out = check::run(&request(&s, 20), std::future::pending()).await.unwrap();
    let a = &out.analysis;
    assert!(
        a.warnings.iter().any(|w| w.contains("file list activelog cm/trace/ils/sdl detail")),
        "the fallback is said: {:?}",
        a.warnings
    );
    assert!(!a.files.is_empty(), "files listed by the CLI were downloaded");
    let last = a.attempts.iter().rev().find(|x| x.root_cause.is_some()).expect("a diagnosed attempt");
    assert_eq!(last.root_cause, Some(RootCause::SpokeRejectsHubCertificate), "{}", last.summary);
    assert!(no_part_files(s.dir.path()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cli_command_slower_than_the_command_timeout_fails_it_and_restores() {
    // The spoke's ILS restart (after the level was raised) takes longer than --command-timeout,
    // as a real publisher's restart does: the run names the host and the command, and puts the
    // levels back.
    let mut scenario = mock_server::bundled::load("m1-password-success").unwrap().unwrap();
    scenario.latency.service_restart_ms = Some(4_000);
    let mut s = setup_with(scenario);
    s.hub.command_timeout = Duration::from_secs(1);
    s.spoke.command_timeout = Duration::from_secs(1);
    let before = levels(&s).await;
    let started = Instant::now();
    let result = check::run(&request(&s, 10), std::future::pending()).await;
    let text = match &result {
        Ok(out) => format!("{} {:?} {:?}", out.analysis.summary, out.analysis.warnings, out.findings),
        Err(e) => e.to_string(),
    };
    assert!(text.contains("timed out") && text.contains("127.0.0.1"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(60), "bounded by the timeouts: {:?}", started.elapsed());
    assert_eq!(levels(&s).await, before, "the levels are put back: {text}");
}
