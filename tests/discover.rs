//! `audit --discover`: a mesh of two hubs and six spokes (mock publishers on loopback, each with
//! its own ports) discovered from ONE hub, then audited. Every name the mock reports is reached
//! through a `--resolve` mapping to its loopback ports, with `--discover-mapped-only`: no name
//! is ever looked up in DNS. A row names a cluster no mock serves (mapped to a closed port: not
//! reachable) and one has a hostile name (not mapped: not contacted).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ils_doctor::analyze::Status;
use ils_doctor::audit::discover::{self, credentials::Credentials, resolve::Resolver};
use ils_doctor::audit::inventory;
use ils_doctor::audit::model::{AuditReport, Role};
use ils_doctor::audit::page;
use ils_doctor::audit::run;
use ils_doctor::connect::tls::TlsMode;
use ils_doctor::pipeline::mock_pair::access_for;

mod support;

use support::browser::{chromium_or_skip, dump_dom, screenshot};

const PW_VAR: &str = "DISCOVER_TEST_PW";
const HOSTILE_ID: &str = "<script>alert(1)</script>";

struct Mesh {
    mock: mock_server::Running,
    /// `--resolve` mappings (every cluster's FQDN to its loopback ports, BRANCH-X to a closed port).
    resolve: Vec<String>,
    /// `127.0.0.1:PORT=SHA256` pins of the Tomcat certificates.
    pins: Vec<String>,
    creds: std::path::PathBuf,
}

fn mesh(dir: &Path) -> Mesh {
    mesh_of(dir, "mesh-two-hubs-six-spokes", false)
}

/// A bundled mesh scenario on loopback, every name mapped; `detailed`: its ILS trace level is
/// Detailed from the start, so that its traces hold each cluster's registration.
fn mesh_of(dir: &Path, scenario: &str, detailed: bool) -> Mesh {
    let mut s = mock_server::bundled::load(scenario).unwrap().unwrap();
    if detailed {
        s = s.with_trace_level(mock_server::scenario::TraceLevel::Detailed);
    }
    let names: Vec<String> = s.clusters.iter().map(|c| c.name.clone()).collect();
    let mock = mock_server::start(s).unwrap();
    let kh = dir.join("known_hosts");
    let (mut resolve, mut pins) = (Vec::new(), Vec::new());
    let mut password = String::new();
    for n in &names {
        let p = mock.publisher(n).unwrap();
        let a = access_for(p, &kh).unwrap();
        let TlsMode::Pin(pin) = &a.tls else { panic!("pinned") };
        assert!(a.host.starts_with("127."), "mocks listen on loopback only");
        resolve.push(format!("{}={}:{}:{}", p.fqdn, a.host, a.ssh_port, a.https_port));
        pins.push(format!("{}:{}={pin}", a.host, a.https_port));
        password = p.password.clone();
    }
    let closed = || std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    resolve.push(format!("cucm-branch-x.example.com=127.0.0.1:{}:{}", closed(), closed()));
    // SAFETY of the test: one variable, set to the same value by every test of this file.
    std::env::set_var(PW_VAR, &password);
    let creds = dir.join("creds.toml");
    std::fs::write(
        &creds,
        format!("[defaults]\nadmin_credential = \"env:{PW_VAR}\"\napp_credential = \"env:{PW_VAR}\"\n"),
    )
    .unwrap();
    Mesh { mock, resolve, pins, creds }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hub_finds_the_mesh_writes_an_inventory_and_the_audit_maps_it() {
    let dir = tempfile::tempdir().unwrap();
    let m = mesh(dir.path());
    let admin = m.mock.publisher("hub-a").unwrap().admin_user.clone();
    let app = m.mock.publisher("hub-a").unwrap().app_user.clone();
    let opts = discover::Options {
        starts: vec!["cucm-hub-a.example.com".into()],
        depth: 3,
        max: 500,
        resolver: Resolver::new(&m.resolve, false).unwrap(),
        credentials: Credentials::load(&m.creds).unwrap().with_users(&admin, &app),
        conn: support::audit::conn(dir.path(), &m.pins),
        jobs: 4,
        host_timeout: Duration::from_secs(30),
    };
    let found = discover::discover(&opts).await;
    let text = found.inventory_text();
    println!("{text}");
    // Discovery reads role, cluster ID and remotecluster over AXL: no CLI session is opened
    // for it, so the audit's own is the only one each publisher sees.
    let ssh_during_discovery = m.mock.with_world(|w| w.connections.values().map(|c| c.ssh).sum::<u64>());
    assert_eq!(ssh_during_discovery, 0, "discovery opened CLI sessions");

    // The written inventory parses back, holds references and no password.
    let inv = inventory::parse(&text, "discovered.toml").unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(!text.contains(&std::env::var(PW_VAR).unwrap()), "a password in the inventory");
    assert!(!text.to_ascii_lowercase().contains("password ="), "{text}");
    assert!(text.contains(&format!("admin_credential = \"env:{PW_VAR}\"")));
    assert!(!text.contains('\u{202E}'), "a raw bidirectional override");

    // One network: two hubs, each with its three spokes; BRANCH-X (not reachable) and the
    // hostile row (not contacted) kept, never dropped.
    assert_eq!(inv.networks.len(), 1, "{text}");
    let net = &inv.networks[0];
    assert_eq!(net.name, "HUB-A-CL");
    let c = |name: &str| net.clusters.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no {name}:\n{text}"));
    for hub in ["HUB-A-CL", "HUB-B-CL"] {
        assert_eq!((c(hub).role, c(hub).skip.as_deref()), (Role::Hub, None), "{hub}");
    }
    for (spoke, hub) in [
        ("A1", "HUB-A-CL"),
        ("A2", "HUB-A-CL"),
        ("A3", "HUB-A-CL"),
        ("B1", "HUB-B-CL"),
        ("B2", "HUB-B-CL"),
        ("B3", "HUB-B-CL"),
    ] {
        let s = c(&format!("SPOKE-{spoke}-CL"));
        assert_eq!((s.role, s.hub.as_deref(), s.skip.as_deref()), (Role::Spoke, Some(hub), None), "{spoke}");
        assert_eq!(s.host, "127.0.0.1");
    }
    let x = c("BRANCH-X-CL");
    assert_eq!(x.hub.as_deref(), Some("HUB-A-CL"));
    let why = x.skip.as_deref().unwrap();
    assert!(why.starts_with("seen from HUB-A-CL, not reachable"), "{why}");
    let hostile = c(HOSTILE_ID);
    assert_eq!(hostile.hub.as_deref(), Some("HUB-B-CL"));
    assert!(hostile.skip.as_deref().unwrap().contains("seen from HUB-B-CL, not contacted: not mapped"), "{hostile:?}");
    assert_eq!(hostile.host, "\"quoted\"\u{202E}evil.example.com", "kept as reported");
    assert_eq!(net.pairs().len(), 8);
    assert_eq!(net.clusters.len(), 10);

    // The audit over it: the skipped clusters are unknown with the reason, the others read.
    let req = support::audit::light(inv, dir.path(), &m.pins, 4, Duration::from_secs(30));
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let r: AuditReport = run::run(&req, rx).await.unwrap();
    assert_eq!(r.clusters.len(), 10);
    let sessions: Vec<(String, u64)> =
        m.mock.with_world(|w| w.connections.iter().map(|(name, c)| (name.clone(), c.ssh)).collect());
    assert_eq!(sessions.len(), 8, "the eight reachable publishers were read: {sessions:?}");
    assert!(sessions.iter().all(|(_, n)| *n == 1), "one CLI session per publisher and run: {sessions:?}");
    for c in &r.clusters {
        let skipped = c.name == "BRANCH-X-CL" || c.name == HOSTILE_ID;
        assert_eq!(c.error.is_some(), skipped, "{}: {:?}", c.name, c.error);
        if skipped {
            assert_eq!(c.status, Status::Unknown);
        }
    }
    let html = page::render(page::Kind::Html, &r).unwrap();
    assert!(html.contains("class=\"unreached\""), "unreached clusters drawn as such");
    assert!(html.contains("not reachable") && html.contains("not contacted: not mapped"));
    assert!(!html.contains("<script>") && !html.contains('\u{202E}'), "hostile text unescaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the map's text");
    let md = page::render(page::Kind::Markdown, &r).unwrap();
    // Markdown escapes a value's `<` with a backslash: no tag survives.
    assert!(!md.replace("\\<", "").contains("<script>") && !md.contains('\u{202E}'));
}

/// The command a user runs: discover from one hub, write the inventory, audit, HTML page with
/// trends from the history; then `history --format html|markdown`.
#[test]
fn the_binary_discovers_audits_and_pages_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let m = mesh(dir.path());
    let hub = m.mock.publisher("hub-a").unwrap();
    let bin = env!("CARGO_BIN_EXE_ils-doctor");
    let inv = dir.path().join("found.toml");
    let page_path = dir.path().join("audit.html");
    let history = dir.path().join("history.sqlite");
    for round in 0..2 {
        let mut cmd = discover_and_audit(&m, "hub-a", dir.path(), &history, &page_path);
        cmd.arg("--write-inventory").arg(&inv);
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("discovery: 1 network(s), 2 hub(s), 8 spoke(s); 2 cluster(s) seen but not reached"),
            "{round}: {stderr}"
        );
        assert_eq!(out.status.code(), Some(3), "unknown: two clusters not assessed; {stderr}");
    }
    let text = std::fs::read_to_string(&inv).unwrap();
    inventory::parse(&text, "found.toml").unwrap();
    assert!(!text.contains(&hub.password));
    let html = std::fs::read_to_string(&page_path).unwrap();
    assert!(html.contains("Last 2 run(s)") && html.contains("class=\"spark\""), "trends on the page");
    assert!(html.contains("class=\"failing\""));
    for format in ["html", "markdown"] {
        let out = Command::new(bin).args(["history", "--format", format, "--history"]).arg(&history).output().unwrap();
        let page = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(page.contains("2 run(s)") && page.contains("HUB-A-CL ← SPOKE-A1-CL"), "{page}");
        assert!(!page.replace("\\<", "").contains("<script>") && !page.contains('\u{202E}'));
    }
}

/// A start host that cannot be reached is audited as an unreachable hub, not dropped.
#[test]
fn an_unreachable_start_host_is_reported_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let closed = || std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = Command::new(env!("CARGO_BIN_EXE_ils-doctor"))
        .args(["audit", "--discover", "cucm-dead.example.com", "--discover-mapped-only", "--insecure"])
        .arg("--resolve")
        .arg(format!("cucm-dead.example.com=127.0.0.1:{}:{}", closed(), closed()))
        .args(["--no-history", "--format", "json", "--host-timeout", "10s"])
        .arg("--known-hosts")
        .arg(dir.path().join("known_hosts"))
        .arg("--cache-dir")
        .arg(dir.path().join("cache"))
        .env("ILS_DOCTOR_ADMIN_PASSWORD", "x")
        .env("ILS_DOCTOR_APP_PASSWORD", "x")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &doc["clusters"][0];
    assert_eq!(
        (c["name"].as_str(), c["role"].as_str(), c["status"].as_str()),
        (Some("cucm-dead.example.com"), Some("hub"), Some("unknown"))
    );
    assert!(c["error"].as_str().unwrap().starts_with("discovery start, not reachable"), "{c}");
    assert_eq!(doc["topology"]["nodes"].as_array().unwrap().len(), 1);
}

/// A hostile row: a `remotecluster` name `127.0.0.1:<ssh>:<https>`
/// pointing at ports of the attacker's choosing. Here two listeners stand in for them, and any
/// connection to either (a login or a request would need one) fails the test. It is refused by
/// default, with --discover-follow-names, and even when the credentials file lists that very
/// name; a plain reported name without its own credentials is not contacted either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_naming_its_own_ports_gets_no_credential_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let ssh = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let https = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ssh.set_nonblocking(true).unwrap();
    https.set_nonblocking(true).unwrap();
    let hostile = format!("127.0.0.1:{}:{}", ssh.local_addr().unwrap().port(), https.local_addr().unwrap().port());

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("mock-server/scenarios/mesh-two-hubs-six-spokes.toml");
    let mut s = mock_server::Scenario::load(&path).unwrap();
    let hub = s.clusters.iter_mut().find(|c| c.name == "hub-a").unwrap();
    let rows = &mut hub.tables.get_mut("remotecluster").unwrap().rows;
    rows.push(vec!["00000099-0000-0000-0000-000000000000".into(), "EVIL-CL".into(), String::new(), hostile.clone()]);
    rows.push(vec![
        "00000098-0000-0000-0000-000000000000".into(),
        "PLAIN-CL".into(),
        String::new(),
        "catcher.example.com".into(),
    ]);
    let mock = mock_server::start(s).unwrap();
    let p = mock.publisher("hub-a").unwrap();
    let a = access_for(p, &dir.path().join("known_hosts")).unwrap();
    let TlsMode::Pin(pin) = &a.tls else { panic!("pinned") };
    let resolve = vec![format!("{}={}:{}:{}", p.fqdn, a.host, a.ssh_port, a.https_port)];
    let pins = vec![format!("{}:{}={pin}", a.host, a.https_port)];
    std::env::set_var(PW_VAR, &p.password);
    // The shared credentials, and ones listed for the hostile name itself.
    let creds = format!(
        "[defaults]\nadmin_credential = \"env:{PW_VAR}\"\napp_credential = \"env:{PW_VAR}\"\n\n[host.\"{hostile}\"]\nadmin_credential = \"env:{PW_VAR}\"\napp_credential = \"env:{PW_VAR}\"\n"
    );
    let credentials = Credentials::parse(&creds, "creds.toml").unwrap().with_users(&p.admin_user, &p.app_user);

    for follow in [false, true] {
        let mut conn = support::audit::conn(dir.path(), &pins);
        // Even with both: they are for the start host only.
        conn.accept_new_host_key = true;
        conn.insecure = follow;
        let opts = discover::Options {
            starts: vec![p.fqdn.clone()],
            depth: 3,
            max: 500,
            resolver: Resolver::new(&resolve, follow).unwrap(),
            credentials: credentials.clone(),
            conn,
            jobs: 4,
            host_timeout: Duration::from_secs(30),
        };
        let found = discover::discover(&opts).await;
        let state = |id: &str| {
            let s = found.seen.iter().find(|s| s.name == id).unwrap_or_else(|| panic!("{id} not kept"));
            format!("{:?}", s.state)
        };
        assert!(state("HUB-A-CL").contains("Reached"), "{}", state("HUB-A-CL"));
        assert!(state("EVIL-CL").contains("carries ports"), "follow {follow}: {}", state("EVIL-CL"));
        let plain = state("PLAIN-CL");
        if follow {
            assert!(plain.contains("no credentials listed"), "{plain}");
        } else {
            assert!(plain.contains("not mapped"), "{plain}");
        }
        // The written inventory never lets a later audit contact either.
        let inv = inventory::parse(&found.inventory_text(), "found.toml").unwrap();
        for id in ["EVIL-CL", "PLAIN-CL"] {
            let c = inv.networks.iter().flat_map(|n| &n.clusters).find(|c| c.name == id).unwrap();
            assert!(c.skip.is_some(), "{id} would be contacted: {c:?}");
        }
    }
    for (what, l) in [("SSH", &ssh), ("HTTPS", &https)] {
        match l.accept() {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("the hostile row's {what} port was contacted: {other:?}"),
        }
    }
}

/// Which hub a spoke belongs to comes from evidence (docs/cucm-notes.md#membership): with no
/// attempt in the traces, discovery's rows are a guess the audit says is inferred (and the map
/// draws dashed); with the clusters' registrations in their traces, the true hub, even where the
/// rows point elsewhere (a spoke that moved from hub A to hub B). Hub-to-hub links are judged too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn membership_comes_from_the_traces_or_is_said_inferred() {
    for (scenario, detailed) in
        [("mesh-two-hubs", false), ("mesh-two-hubs", true), ("mesh-spoke-moved", false), ("mesh-spoke-moved", true)]
    {
        let dir = tempfile::tempdir().unwrap();
        let m = mesh_of(dir.path(), scenario, detailed);
        let truth: Vec<(String, String, String)> = m.mock.with_world(|w| {
            w.scenario
                .clusters
                .iter()
                .filter_map(|c| {
                    let hub = w.scenario.cluster(c.ils.registration_server.as_deref()?)?;
                    Some((c.cluster_id.clone(), hub.cluster_id.clone(), format!("{:?}", c.role)))
                })
                .collect()
        });
        if detailed {
            // Every registering cluster has registered (and written it) before the audit reads.
            let names: Vec<String> = m.mock.with_world(|w| {
                w.scenario
                    .clusters
                    .iter()
                    .filter(|c| c.ils.registration_server.is_some())
                    .map(|c| c.name.clone())
                    .collect()
            });
            for n in &names {
                assert!(m.mock.wait_for(Duration::from_secs(30), |w| w.engine.is_registered(n)), "{scenario}: {n}");
            }
        }
        let hub_a = if scenario == "mesh-two-hubs" { "hub" } else { "hub-a" };
        let admin = m.mock.publisher(hub_a).unwrap().admin_user.clone();
        let app = m.mock.publisher(hub_a).unwrap().app_user.clone();
        let opts = discover::Options {
            starts: vec!["cucm-hub-a.example.com".into()],
            depth: 3,
            max: 50,
            resolver: Resolver::new(&m.resolve, false).unwrap(),
            credentials: Credentials::load(&m.creds).unwrap().with_users(&admin, &app),
            conn: support::audit::conn(dir.path(), &m.pins),
            jobs: 4,
            host_timeout: Duration::from_secs(30),
        };
        let found = discover::discover(&opts).await;
        let inv = inventory::parse(&found.inventory_text(), "discovered.toml").unwrap();
        let req = support::audit::light(inv, dir.path(), &m.pins, 4, Duration::from_secs(30));
        let (_tx, rx) = tokio::sync::watch::channel(false);
        let r: AuditReport = run::run(&req, rx).await.unwrap();
        let links: Vec<String> =
            r.pairs.iter().map(|p| format!("{} <- {} {:?}", p.hub, p.spoke, p.membership)).collect();
        eprintln!("{scenario} detailed={detailed}: {links:?}");
        for (client, hub, role) in &truth {
            let link = r
                .pairs
                .iter()
                .find(|p| &p.spoke == client || (role == "Hub" && &p.hub == client && &p.spoke == hub))
                .unwrap_or_else(|| panic!("{scenario}: no link of {client}: {links:?}"));
            if detailed {
                // From the traces: the true hub, said so.
                let ends = [link.hub.as_str(), link.spoke.as_str()];
                assert!(
                    ends.contains(&hub.as_str()) && ends.contains(&client.as_str()),
                    "{scenario}: {client}: {links:?}"
                );
                assert_eq!(
                    link.membership,
                    Some(ils_doctor::analyze::network::Membership::Traces),
                    "{scenario}: {links:?}"
                );
                assert!(!link.inferred(), "{scenario}: {links:?}");
            } else if &link.hub != hub && &link.spoke != hub {
                // A guess that is wrong must at least be said to be a guess.
                assert!(link.inferred(), "{scenario}: {client} drawn under {} as a fact: {links:?}", link.hub);
            }
        }
        // The two hubs' link is judged, and the map draws an inferred link dashed.
        assert!(
            r.pairs.iter().any(|p| p.link == Some(ils_doctor::analyze::network::LinkKind::HubToHub)),
            "{scenario}: {links:?}"
        );
        let html = page::render(page::Kind::Html, &r).unwrap();
        assert_eq!(
            html.contains("class=\"inferred\""),
            r.pairs.iter().any(|p| p.inferred()),
            "{scenario}: inferred links are drawn dashed"
        );
    }
}

/// `ils-doctor audit --discover` from the mesh's hub A, every name mapped, pinned, with the
/// mock's users; the HTML page to `page`, the history in `history`.
fn discover_and_audit(m: &Mesh, hub_name: &str, dir: &Path, history: &Path, page: &Path) -> Command {
    let hub = m.mock.publisher(hub_name).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ils-doctor"));
    cmd.args(["audit", "--discover", "cucm-hub-a.example.com", "--discover-mapped-only"]);
    for r in &m.resolve {
        cmd.arg("--resolve").arg(r);
    }
    for p in &m.pins {
        cmd.arg("--pin").arg(p);
    }
    cmd.arg("--discover-credentials").arg(&m.creds);
    cmd.args(["--admin-user", &hub.admin_user, "--app-user", &hub.app_user, "--host-timeout", "30s"]);
    cmd.arg("--known-hosts").arg(dir.join("known_hosts"));
    cmd.arg("--history").arg(history).arg("--cache-dir").arg(dir.join("cache"));
    cmd.args(["--format", "html", "-o"]).arg(page).env(PW_VAR, &hub.password);
    cmd
}

/// What a user gets: discovery from one hub of a realistic network (two meshed hubs on TLS with
/// password, one hub's certificate expired, a spoke each; every registration in the traces), two
/// audit runs for the trends, the HTML page. It is the example page of docs/ (regenerated with
/// `UPDATE_DOCS=1`): no test fixture, no hostile name.
fn example_page(dir: &Path) -> std::path::PathBuf {
    let m = mesh_of(dir, "mesh-hub-cert-expired", true);
    for n in ["spoke-a", "spoke-b", "hub-b"] {
        let tried = m.mock.wait_for(Duration::from_secs(30), |w| w.engine.attempts().iter().any(|a| a.spoke == n));
        assert!(tried, "{n} tried to register");
    }
    let page_path = dir.join("audit.html");
    let history = dir.join("history.sqlite");
    for _ in 0..2 {
        let out = discover_and_audit(&m, "hub-a", dir, &history, &page_path).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    }
    page_path
}

#[test]
fn the_example_audit_page_is_a_realistic_network() {
    let dir = tempfile::tempdir().unwrap();
    let html = std::fs::read_to_string(example_page(dir.path())).unwrap();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/example-audit.html"), &html).unwrap();
    }
    for fixture in ["script", "alert(", "BRANCH-X", "quoted", "\u{202E}", "unknown</span>"] {
        assert!(!html.contains(fixture), "a test fixture in the example page: {fixture}");
    }
    assert!(html.contains("HUB-A-CL") && html.contains("HUB-B-CL") && html.contains("SPOKE-A-CL"));
    assert!(html.contains("status-critical") && html.contains("status-ok"), "a realistic mix of states");
    assert!(html.contains("(hub to hub)"), "the hubs' link is assessed");
    assert!(html.contains("the certificate has expired") || html.contains("refuses"), "the cause in words");
}

/// The example page in headless Chromium at 1300 px: it loads, draws its map, has no script
/// element, and a screenshot is kept under target/ (looked at before a release).
#[test]
#[cfg_attr(missing_chromium, ignore = "no chromium on this machine: apt-get install chromium (CI installs it)")]
fn the_example_audit_page_renders_in_a_browser() {
    let Some(browser) = chromium_or_skip() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page_path = example_page(dir.path());
    let url = format!("file://{}", page_path.display());
    let dom = dump_dom(browser, &dir.path().join("p1"), &url);
    assert!(dom.contains("id=\"summary\"") && dom.contains("class=\"ils-map\""), "the page and its map loaded");
    assert!(!dom.contains("<script"), "no script element");
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("example-audit.png");
    screenshot(browser, &dir.path().join("p2"), "1300,1800", &url, &shot);
    println!("screenshot: {}", shot.display());
}
