//! `check` against the embedded mock: wall time, the SSH sessions and HTTPS connections it
//! opened per publisher (goal: one SSH session and one HTTPS pool per host), and GetOneFile
//! download throughput against curl fetching the same file from the same mock in the same run
//! (goal: ratio >= 0.9).
//!
//! Then the same check against publishers with the mock's `field` latency (docs/cucm-notes.md#latency):
//! its wall time next to the longest chain of calls that cannot overlap, the latency one
//! publisher imposed on everything asked of it (goal: ratio <= 1.2: hub and spokes read in
//! parallel, nothing serialised that need not be).
//!
//! Run: `cargo bench --bench check` (`ILS_BENCH_DOWNLOAD_MB=256` sets the file size;
//! `ILS_BENCH_ONLY=field` runs only the field-latency part).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use ils_doctor::collect::publisher::Publisher;
use ils_doctor::connect::envelope;
use ils_doctor::pipeline::mock_pair::{access_for, DEFAULT_SCENARIO};
use ils_doctor::pipeline::session::{self as check, Request};
use mock_server::scenario::{Faults, BENCH_FILE};

fn connections(mock: &mock_server::Running) -> Vec<(String, u64, usize)> {
    mock.with_world(|w| w.connections.iter().map(|(name, c)| (name.clone(), c.ssh, c.https_peers.len())).collect())
}

fn curl(mock: &mock_server::Running, name: &str, dest: &Path) -> Option<(u64, Duration)> {
    let p = mock.publisher(name)?;
    let body = dest.with_extension("envelope.xml");
    std::fs::write(&body, envelope::get_one_file(BENCH_FILE)).ok()?;
    // curl reads the user and password from a config file, not argv.
    let cfg = dest.with_extension("curlrc");
    std::fs::write(&cfg, format!("user = \"{}:{}\"\n", p.app_user, p.password)).ok()?;
    let started = Instant::now();
    let out = Command::new("curl")
        .args(["-sS", "-k", "-K"])
        .arg(&cfg)
        .args([
            "-H",
            "Content-Type: text/xml; charset=utf-8",
            "-H",
            "SOAPAction: \"http://schemas.cisco.com/ast/soap/action/#LogCollectionPort#GetOneFile\"",
        ])
        .arg("--data-binary")
        .arg(format!("@{}", body.display()))
        .arg("-o")
        .arg(dest)
        .arg(format!("https://127.0.0.1:{}/logcollectionservice/services/DimeGetFileService", p.https.port()))
        .output()
        .ok()?;
    let took = started.elapsed();
    if !out.status.success() {
        eprintln!("curl failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    Some((std::fs::metadata(dest).ok()?.len(), took))
}

/// The check `demo` runs: a forced registration, traces and journal under `dir`.
fn request(
    hub: ils_doctor::collect::publisher::Access,
    spoke: ils_doctor::collect::publisher::Access,
    dir: &Path,
    capture: Duration,
    poll: Duration,
) -> Request {
    Request {
        hubs: vec![hub],
        spokes: vec![spoke],
        capture,
        since: Duration::from_secs(7200),
        keep_trace_level: false,
        detailed_value: None,
        force_registration: true,
        start_stopped: false,
        method: None,
        download_dir: dir.join("traces"),
        journal: dir.join("journal.json"),
        progress: false,
        poll,
        catalog: Default::default(),
        preflight_only: false,
    }
}

/// `check` against the `field` latency profile: wall time against the longest chain.
fn field(rt: &tokio::runtime::Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let mut scenario = mock_server::bundled::load(DEFAULT_SCENARIO).unwrap().unwrap();
    scenario.latency.profile = mock_server::scenario::LatencyProfile::Field;
    let mock = mock_server::start(scenario).unwrap();
    let kh = dir.path().join("known_hosts");
    let mut hub = access_for(mock.publisher("hub").unwrap(), &kh).unwrap();
    let mut spoke = access_for(mock.publisher("spoke").unwrap(), &kh).unwrap();
    // The default --command-timeout: a field restart of the ILS service takes a minute.
    hub.command_timeout = Duration::from_secs(120);
    spoke.command_timeout = Duration::from_secs(120);
    let req = request(hub, spoke, dir.path(), Duration::from_secs(180), Duration::from_secs(10));
    let started = Instant::now();
    let out = rt.block_on(check::run(&req, std::future::pending())).expect("check");
    let wall = started.elapsed().as_secs_f64();
    let imposed: Vec<(String, u64)> =
        mock.with_world(|w| w.connections.iter().map(|(n, c)| (n.clone(), c.latency_ms)).collect());
    let chain = imposed.iter().map(|(_, ms)| *ms).max().unwrap_or(0) as f64 / 1000.0;
    let serial: f64 = imposed.iter().map(|(_, ms)| *ms as f64 / 1000.0).sum();
    println!(
        "check under field latency: {wall:.1} s wall, verdict {}; longest chain {chain:.1} s ({}); all publishers one after the other {serial:.1} s",
        out.analysis.status.as_str(),
        imposed.iter().map(|(n, ms)| format!("{n} {:.1} s", *ms as f64 / 1000.0)).collect::<Vec<_>>().join(", ")
    );
    if chain > 0.0 {
        println!("  ratio wall/chain {:.2} (goal <= 1.2)", wall / chain);
    }

    // The certificate check alone (`check --preflight`) on fresh publishers of the same
    // scenario: what it costs to know, before any capture, whether TLS can work.
    let mut scenario = mock_server::bundled::load(DEFAULT_SCENARIO).unwrap().unwrap();
    scenario.latency.profile = mock_server::scenario::LatencyProfile::Field;
    let mock = mock_server::start(scenario).unwrap();
    let mut hub = access_for(mock.publisher("hub").unwrap(), &kh).unwrap();
    let mut spoke = access_for(mock.publisher("spoke").unwrap(), &kh).unwrap();
    hub.command_timeout = Duration::from_secs(120);
    spoke.command_timeout = Duration::from_secs(120);
    let mut req = request(hub, spoke, dir.path(), Duration::from_secs(180), Duration::from_secs(10));
    req.preflight_only = true;
    let started = Instant::now();
    let pre = rt.block_on(check::run(&req, std::future::pending())).expect("preflight");
    let pre_wall = started.elapsed().as_secs_f64();
    println!(
        "check --preflight under field latency: {pre_wall:.1} s wall, verdict {} ({:.0} % of the full check)",
        pre.analysis.status.as_str(),
        100.0 * pre_wall / wall.max(0.001)
    );
}

fn main() {
    let rt0 = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    if std::env::var("ILS_BENCH_ONLY").as_deref() == Ok("field") {
        field(&rt0);
        return;
    }
    let mb: usize = std::env::var("ILS_BENCH_DOWNLOAD_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(256);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let scenario = mock_server::bundled::load(DEFAULT_SCENARIO).unwrap().unwrap();
    let mock = mock_server::start(scenario).unwrap();
    let kh = dir.path().join("known_hosts");
    let hub = access_for(mock.publisher("hub").unwrap(), &kh).unwrap();
    let spoke = access_for(mock.publisher("spoke").unwrap(), &kh).unwrap();

    // 1. The whole check, as `demo` runs it.
    let req = request(hub.clone(), spoke.clone(), dir.path(), Duration::from_secs(60), Duration::from_secs(1));
    let started = Instant::now();
    let out = rt.block_on(check::run(&req, std::future::pending())).expect("check");
    let wall = started.elapsed();
    println!(
        "check ({DEFAULT_SCENARIO}): {:.2} s wall, verdict {}, {} attempt(s), {} file(s)",
        wall.as_secs_f64(),
        out.analysis.status.as_str(),
        out.analysis.attempts.len(),
        out.analysis.files.len()
    );
    for (name, ssh, https) in connections(&mock) {
        println!(
            "  {name}: {ssh} SSH session(s), {https} HTTPS connection(s) (pool of up to {} for downloads)",
            ils_doctor::collect::download::CONCURRENCY
        );
    }

    // 2. Download throughput: one file, ils-doctor's streaming GetOneFile against curl.
    mock.set_faults(Faults { bench_file_bytes: Some(mb << 20), ..Faults::default() });
    let mut best_ours = f64::MAX;
    let mut best_curl = f64::MAX;
    let mut bytes = 0;
    for _ in 0..3 {
        let dest = dir.path().join("ours.bin");
        let secs = rt.block_on(async {
            let p = Publisher::open(spoke.clone()).await.expect("open");
            let t = Instant::now();
            bytes = p.soap.get_one_file(BENCH_FILE, &dest, |_| {}).await.expect("GetOneFile");
            let s = t.elapsed().as_secs_f64();
            p.close().await;
            s
        });
        best_ours = best_ours.min(secs);
        let _ = std::fs::remove_file(&dest);
        let cdest = dir.path().join("curl.bin");
        match curl(&mock, "spoke", &cdest) {
            Some((n, t)) => {
                assert!(n >= bytes, "curl got the whole response ({n} >= {bytes})");
                best_curl = best_curl.min(t.as_secs_f64());
            }
            None => println!("curl not available: no comparison"),
        }
        let _ = std::fs::remove_file(&cdest);
    }
    let mbps = |s: f64| bytes as f64 / s / 1e6;
    println!("GetOneFile {} MiB (best of 3): ils-doctor {:.0} MB/s", bytes >> 20, mbps(best_ours));
    if best_curl < f64::MAX {
        println!(
            "  curl {:.0} MB/s (whole multipart response, written to disk); ratio ils-doctor/curl {:.2} (goal >= 0.9)",
            mbps(best_curl),
            best_curl / best_ours
        );
    }

    // 3. The field-latency check.
    field(&rt0);
}
