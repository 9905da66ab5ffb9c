//! `audit` against an inventory of mock publishers started in-process: healthy, failing,
//! unreachable (closed port) and slow ones; verdicts, exit code, isolation of the bad hosts.

mod support;

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use ils_doctor::analyze::Status;
use ils_doctor::audit::inventory;
use ils_doctor::audit::model::{AuditReport, Depth};
use ils_doctor::audit::run::{self, Request};
use ils_doctor::connect::tls::TlsMode;
use ils_doctor::pipeline::mock_pair::access_for;
use mock_server::scenario::{Faults, TraceLevel};

pub struct Net {
    pub name: String,
    pub mock: Option<mock_server::Running>,
}

/// Starts a scenario's mock and appends its hub and spoke to the inventory text.
pub fn add(inv: &mut String, kh: &Path, net: &str, scenario: &str, detailed: bool) -> Net {
    let mut s = mock_server::bundled::load(scenario).unwrap().unwrap();
    if detailed {
        s = s.with_trace_level(TraceLevel::Detailed);
    }
    let mock = mock_server::start(s).unwrap();
    writeln!(inv, "[[network]]\nname = \"{net}\"\n").unwrap();
    for (name, role) in [("hub", "hub"), ("spoke", "spoke")] {
        let p = mock.publisher(name).unwrap();
        let a = access_for(p, kh).unwrap();
        let TlsMode::Pin(pin) = &a.tls else { panic!("pinned") };
        let var = format!("AUDIT_TEST_PW_{}_{}", net.replace('-', "_").to_uppercase(), name.to_uppercase());
        // SAFETY of the test: each variable name is unique to this network and cluster.
        std::env::set_var(&var, &p.password);
        writeln!(
            inv,
            "[[network.cluster]]\nname = \"{name}\"\nrole = \"{role}\"\nhost = \"{}\"\nssh_port = {}\nhttps_port = {}\nadmin_user = \"{}\"\napp_user = \"{}\"\nadmin_credential = \"env:{var}\"\napp_credential = \"env:{var}\"\ntls_pin = \"{pin}\"\n{}",
            a.host,
            a.ssh_port,
            a.https_port,
            a.admin_user,
            a.app_user,
            if role == "spoke" { "hub = \"hub\"\n" } else { "" }
        )
        .unwrap();
    }
    Net { name: net.to_string(), mock: Some(mock) }
}

/// A network whose publishers listen nowhere (ports bound then closed).
pub fn add_unreachable(inv: &mut String, net: &str) {
    let closed = || std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    writeln!(inv, "[[network]]\nname = \"{net}\"\n").unwrap();
    for (name, role) in [("hub", "hub"), ("spoke", "spoke")] {
        writeln!(
            inv,
            "[[network.cluster]]\nname = \"{name}\"\nrole = \"{role}\"\nhost = \"127.0.0.1\"\nssh_port = {}\nhttps_port = {}\nadmin_credential = \"env:AUDIT_TEST_NONE\"\napp_credential = \"env:AUDIT_TEST_NONE\"\n{}",
            closed(),
            closed(),
            if role == "spoke" { "hub = \"hub\"\n" } else { "" }
        )
        .unwrap();
    }
}

pub fn request(inv_text: &str, dir: &Path, jobs: usize, host_timeout: Duration) -> Request {
    let inventory = inventory::parse(inv_text, "test-inventory.toml").unwrap();
    let mut req = support::audit::light(inventory, dir, &[], jobs, host_timeout);
    req.deep.capture = Duration::from_secs(20);
    req.deep.force_registration = true;
    req
}

fn pair<'a>(r: &'a AuditReport, network: &str) -> &'a ils_doctor::audit::model::PairResult {
    r.pairs.iter().find(|p| p.network == network).unwrap_or_else(|| panic!("no pair in {network}: {r:#?}"))
}

async fn audit(req: &Request) -> AuditReport {
    let (_tx, rx) = tokio::sync::watch::channel(false);
    run::run(req, rx).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_inventory_gets_a_verdict_per_cluster_and_link() {
    std::env::set_var("AUDIT_TEST_NONE", "x");
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    let mut inv = String::new();
    let _healthy = add(&mut inv, &kh, "healthy", "m1-password-success", true);
    let _failing = add(&mut inv, &kh, "failing", "m2-hub-cert-not-on-spoke", true);
    let slow = add(&mut inv, &kh, "slow", "m1-password-success", false);
    add_unreachable(&mut inv, "dead");
    std::fs::write(dir.path().join("net.toml"), &inv).unwrap();
    // The slow network's CLI never answers `show cert`: only its host timeout ends the read.
    slow.mock.as_ref().unwrap().set_faults(Faults { hang_command: Some("utils service".into()), ..Faults::default() });
    // Let the mocks write their first registration attempts.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let req = request(&inv, dir.path(), 8, Duration::from_secs(8));
    let started = std::time::Instant::now();
    let r = audit(&req).await;
    let took = started.elapsed();

    assert_eq!(r.clusters.len(), 8, "{r:#?}");
    assert_eq!(r.pairs.len(), 4);
    assert_eq!(pair(&r, "failing").status, Status::Critical, "{}", pair(&r, "failing").summary);
    assert_eq!(pair(&r, "failing").latest_root_cause.as_deref(), Some("spoke_rejects_hub_certificate"));
    assert!(pair(&r, "failing").failures_by_cause.get("spoke_rejects_hub_certificate").is_some_and(|n| *n >= 1));
    assert_eq!(pair(&r, "healthy").status, Status::Ok, "{}", pair(&r, "healthy").summary);
    for net in ["dead", "slow"] {
        for c in r.clusters.iter().filter(|c| c.network == net) {
            assert_eq!(c.status, Status::Unknown, "{net}/{}: {:?}", c.name, c.error);
            assert!(c.error.as_deref().is_some_and(|e| e.contains("127.0.0.1")), "the error names the host: {c:?}");
        }
        assert_eq!(pair(&r, net).status, Status::Unknown);
    }
    assert!(
        r.clusters.iter().filter(|c| c.network == "slow").all(|c| c.error.as_deref().unwrap().contains("timeout")),
        "{:?}",
        r.clusters
    );
    // Healthy clusters are not held up by the slow ones beyond their own time.
    for c in r.clusters.iter().filter(|c| c.network == "healthy") {
        assert!(c.error.is_none(), "{c:?}");
        assert!(c.duration_ms < 8000, "{c:?}");
    }
    assert!(took < Duration::from_secs(30), "the slow hosts are bounded by --host-timeout: {took:?}");
    // Critical wins over unknown.
    assert_eq!((r.status, r.exit_code), (Status::Critical, 2), "{}", r.summary);

    // Without the failing network, the unreachable ones make it unknown (3).
    let no_fail: String =
        inv.split("[[network]]").filter(|s| !s.contains("\"failing\"")).collect::<Vec<_>>().join("[[network]]");
    let r2 = audit(&request(&no_fail, dir.path(), 8, Duration::from_secs(8))).await;
    assert_eq!((r2.status, r2.exit_code), (Status::Unknown, 3), "{}", r2.summary);
}

/// The cron line end to end on the binary: a Prometheus file, then a change on the cluster, a
/// second run that reports it, JUnit, and `history` showing the trend.
#[test]
fn cron_line_history_and_changes_on_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    let mut inv = String::new();
    let net = add(&mut inv, &kh, "emea", "m1-password-success", true);
    let mock = net.mock.as_ref().unwrap();
    let inv_path = dir.path().join("net.toml");
    std::fs::write(&inv_path, &inv).unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let db = dir.path().join("history.sqlite");
    let audit = |extra: &[&str]| {
        let mut cmd = assert_cmd::Command::cargo_bin("ils-doctor").unwrap();
        cmd.args(["audit", "--inventory"]).arg(&inv_path);
        cmd.args(["--history"]).arg(&db).args(["--cache-dir"]).arg(dir.path().join("cache"));
        cmd.args(["--known-hosts"]).arg(&kh).args(["--command-timeout", "30s", "--host-timeout", "60s"]);
        cmd.env("NO_COLOR", "1").args(extra);
        for (k, v) in std::env::vars().filter(|(k, _)| k.starts_with("AUDIT_TEST_PW_EMEA")) {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };

    let prom = dir.path().join("ils.prom");
    let out = audit(&["--format", "prometheus", "-o", prom.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "healthy network: {stderr}");
    let text = std::fs::read_to_string(&prom).unwrap();
    let scrape = openmetrics_parser::prometheus::parse_prometheus(&text).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
    let status = &scrape.families["ils_doctor_pair_status"];
    assert_eq!(status.iter_samples().count(), 1);
    assert!(scrape.families.contains_key("ils_doctor_audit_duration_seconds"));
    assert!(!dir.path().join("ils.ils-doctor-tmp").exists(), "written through a temporary name");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&db).unwrap().permissions().mode() & 0o777, 0o600);
    }

    // The hub's ILS service stops: the next run is critical and says what changed.
    mock.with_world(|w| w.engine.control_service("hub", mock_server::scenario::ServiceState::Stopped));
    let out = audit(&["--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema"], "ils-doctor/audit/1");
    // The topology: a node per cluster and an edge per link, for tools that draw the network.
    let nodes = report["topology"]["nodes"].as_array().unwrap();
    let edges = report["topology"]["edges"].as_array().unwrap();
    assert_eq!(nodes.len(), 2, "{nodes:?}");
    assert!(nodes
        .iter()
        .any(|n| n["network"] == "emea" && n["cluster"] == "hub" && n["role"] == "hub" && n["status"] == "critical"));
    assert_eq!(edges.len(), 1, "{edges:?}");
    assert_eq!((&edges[0]["hub"], &edges[0]["spoke"]), (&report["pairs"][0]["hub"], &report["pairs"][0]["spoke"]));
    assert_eq!(edges[0]["status"], report["pairs"][0]["status"]);
    assert!(edges[0]["method"].is_string() || edges[0]["method"].is_null());
    let changes = report["changes"].as_array().unwrap();
    assert!(
        changes.iter().any(|c| c["kind"] == "new_failure" && c["subject"] == "hub"),
        "the hub's new failure is reported: {changes:?}"
    );

    // JUnit for a dashboard: the stopped hub is a failing test case.
    let junit = dir.path().join("junit.xml");
    let out = audit(&["--format", "junit", "-o", junit.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let xml = std::fs::read_to_string(&junit).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failures, mut current) = (0, Vec::new(), String::new());
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => match e.name().as_ref() {
                "testcase" => {
                    cases += 1;
                    current = e
                        .try_get_attribute("name")
                        .unwrap()
                        .map(|a| a.normalized_value(quick_xml::XmlVersion::Explicit1_0).unwrap().into_owned())
                        .unwrap_or_default();
                }
                "failure" => failures.push(current.clone()),
                _ => {}
            },
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(cases, 3, "one link and two clusters: {xml}");
    assert!(failures.iter().any(|n| n == "cluster hub"), "{failures:?}\n{xml}");

    // The trend of the hub: ok, then critical twice.
    let out = assert_cmd::Command::cargo_bin("ils-doctor")
        .unwrap()
        .args(["history", "--cluster", "hub", "--format", "json", "--history"])
        .arg(&db)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let hub: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["subject"] == "hub")
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(hub, ["ok", "critical", "critical"], "{rows}");

    // The page for people: a map whose clusters and link lead to their sections.
    let html = dir.path().join("audit.html");
    let out = audit(&["--format", "html", "-o", html.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(page.matches("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"ils-map\"").count(), 1);
    // The history's runs so far, as a sparkline per link and failing links per network.
    assert_eq!(page.matches("<svg class=\"spark\"").count(), 1);
    assert_eq!(page.matches("<svg class=\"failing\"").count(), 1);
    for anchor in ["cluster-0", "cluster-1", "pair-0"] {
        assert!(
            page.contains(&format!("href=\"#{anchor}\"")) && page.contains(&format!("id=\"{anchor}\"")),
            "{anchor}"
        );
    }
    drop(net);
}

/// `--deep`: the full check per hub group (levels raised, a registration forced and captured,
/// levels restored), one group at a time, assessed like a light read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_audit_captures_attempts_and_restores_the_levels() {
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    let mut inv = String::new();
    // Trace levels as found (not Detailed): a light audit would see no attempt.
    let failing = add(&mut inv, &kh, "deep-failing", "m2-hub-cert-not-on-spoke", false);
    let healthy = add(&mut inv, &kh, "deep-healthy", "m1-password-success", false);
    let mut req = request(&inv, dir.path(), 4, Duration::from_secs(30));
    req.depth = Depth::Deep;
    let before: Vec<_> = [&failing, &healthy]
        .iter()
        .map(|n| n.mock.as_ref().unwrap().with_world(|w| (w.engine.trace_level("hub"), w.engine.trace_level("spoke"))))
        .collect();
    let r = audit(&req).await;
    assert_eq!(r.depth, Depth::Deep);
    let f = pair(&r, "deep-failing");
    assert_eq!((f.status, f.latest_root_cause.as_deref()), (Status::Critical, Some("spoke_rejects_hub_certificate")));
    assert!(f.attempts >= 1);
    let h = pair(&r, "deep-healthy");
    assert_eq!(h.status, Status::Ok, "{}", h.summary);
    assert!(h.successes >= 1, "a forced registration was captured: {}", h.summary);
    let after: Vec<_> = [&failing, &healthy]
        .iter()
        .map(|n| n.mock.as_ref().unwrap().with_world(|w| (w.engine.trace_level("hub"), w.engine.trace_level("spoke"))))
        .collect();
    assert_eq!(before, after, "every trace level is back to what it was");
    assert!(!dir.path().join("journal.json").exists(), "the journal is empty");
}

/// Ctrl-C (SIGINT) to the binary during a deep audit's capture: it stops, restores every level
/// it raised, and exits 3.
#[test]
fn sigint_during_a_deep_audit_restores_the_levels() {
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    let mut inv = String::new();
    // A registered pair is quiet: without --force-registration the capture waits its full time.
    let net = add(&mut inv, &kh, "sigint", "m1-password-success", false);
    let mock = net.mock.as_ref().unwrap();
    let inv_path = dir.path().join("net.toml");
    std::fs::write(&inv_path, &inv).unwrap();
    let level = || mock.with_world(|w| (w.engine.trace_level("hub"), w.engine.trace_level("spoke")));
    let before = level();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("ils-doctor"));
    cmd.args(["audit", "--deep", "--capture", "120s", "--no-history", "--format", "summary", "--inventory"]);
    cmd.arg(&inv_path).arg("--known-hosts").arg(&kh).arg("--cache-dir").arg(dir.path().join("cache"));
    cmd.arg("--journal").arg(dir.path().join("journal.json"));
    for (k, v) in std::env::vars().filter(|(k, _)| k.starts_with("AUDIT_TEST_PW_SIGINT")) {
        cmd.env(k, v);
    }
    let child = cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let raised = (0..200).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        level() != before
    });
    assert!(raised, "the deep audit raised the trace levels");
    std::thread::sleep(Duration::from_millis(500));
    let kill = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("interrupted") && stderr.contains("restored"), "{stderr}");
    assert_eq!(level(), before, "levels restored");
    assert!(!dir.path().join("journal.json").exists());
}
