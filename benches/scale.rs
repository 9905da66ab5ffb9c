//! A thousand clusters at the speed of the field: discovery and a light audit of 100 ILS networks
//! of ten clusters each (two meshed hubs, four spokes on each), every publisher answering with
//! the mock's `field` latency (CLI start 10 s, a command 2 s, a SOAP request 0.3 s,
//! `selectLogFiles` 1 s, downloads at 5 MB/s: docs/cucm-notes.md#latency). One `ils-doctor audit`
//! gets the 200 hubs as `--discover` start hosts, every name as a `--resolve` mapping to its
//! loopback ports and `--discover-mapped-only`; it finds the spokes from the hubs' remotecluster
//! rows and audits all of them. Run as the real binary under GNU time: wall time and peak RSS.
//!
//! Next to the wall time it prints the chain no client can shorten: the latency each publisher
//! imposed on what it was asked (the mock counts it), the longest of them. A run at `--jobs N`
//! with N at least the number of clusters can approach the chain; below it, the clusters queue.
//!
//! Run: `cargo bench --bench scale` (`ILS_BENCH_NETWORKS=100`, `ILS_BENCH_JOBS=1000` by default;
//! `ILS_BENCH_JOBS="1000 250"` runs each). Goals (docs/benchmarks.md): under 60 s wall and under
//! 256 MiB peak RSS for 1,000 clusters on 2 cores. Prints figures and the goals met or missed;
//! asserts nothing about time.

use std::fmt::Write as _;
use std::time::Instant;

#[path = "support/discover_cmd.rs"]
mod discover_cmd;
use discover_cmd::gnu_time;

use mock_server::scenario::{LatencyProfile, Scenario, TraceLevel};

/// Spokes per hub in each network.
const SPOKES_PER_HUB: usize = 4;

fn main() {
    let networks: usize = std::env::var("ILS_BENCH_NETWORKS").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let jobs_list: Vec<String> = std::env::var("ILS_BENCH_JOBS")
        .unwrap_or_else(|_| "1000".into())
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    let started = Instant::now();
    let mut net = discover_cmd::Started::default();
    for n in 0..networks {
        let mut s = Scenario::from_toml(&network(n), "bench").unwrap().with_trace_level(TraceLevel::Detailed);
        s.latency.profile = LatencyProfile::Field;
        net.add(mock_server::start(s).unwrap(), &kh);
    }
    let clusters: usize = net.mocks.iter().map(|m| m.publishers().len()).sum();
    let creds = discover_cmd::credentials_file(dir.path());
    println!(
        "{clusters} mock clusters ({networks} networks of {}) with field latency, started in {:.1} s",
        clusters / networks.max(1),
        started.elapsed().as_secs_f64()
    );
    std::thread::sleep(std::time::Duration::from_secs(3));

    for jobs in &jobs_list {
        for m in &net.mocks {
            m.with_world(|w| w.connections.clear());
        }
        let inv = dir.path().join(format!("found-{jobs}.toml"));
        let networks_arg = net.networks(&creds, &kh);
        let mut cmd = discover_cmd::command(&networks_arg, jobs, &inv, &dir.path().join(format!("cache-{jobs}")));
        cmd.args(["--discover-max", "2000", "--host-timeout", "300"]);
        let (out, secs, mib) = gnu_time::run(cmd);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let imposed: Vec<u64> = net
            .mocks
            .iter()
            .flat_map(|m| m.with_world(|w| w.connections.values().map(|c| c.latency_ms).collect::<Vec<_>>()))
            .collect();
        let chain = imposed.iter().copied().max().unwrap_or(0) as f64 / 1000.0;
        let serial: f64 = imposed.iter().map(|ms| *ms as f64 / 1000.0).sum();
        println!(
            "discovery + light audit of {clusters} clusters, --jobs {jobs}: {secs} s wall, peak RSS {mib:.1} MiB, exit {:?}",
            out.status.code()
        );
        println!(
            "  chain: the longest latency one publisher imposed {chain:.1} s; all publishers one after the other {serial:.0} s; publishers asked {}",
            imposed.len()
        );
        if let Some(line) = stderr.lines().find(|l| l.starts_with("discovery:")) {
            println!("  {line}");
        }
        println!("  {}", String::from_utf8_lossy(&out.stdout).trim());
        let wall: f64 = secs.parse().unwrap_or(f64::INFINITY);
        let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
        println!("  goal: under 60 s wall: {wall:.1} s {}", verdict(wall < 60.0));
        println!("  goal: under 256 MiB peak RSS: {mib:.1} MiB {}", verdict(mib < 256.0));
        if wall.is_finite() && chain > 0.0 {
            println!("  wall / chain: {:.2}", wall / chain);
        }
    }
}

/// One network's scenario: hubs `hub-a` and `hub-b` in a mesh, [`SPOKES_PER_HUB`] spokes on each,
/// names unique to the network (`hub-a-007.bench.test`, cluster ID `HUB-A-007`); each
/// publisher's remotecluster rows list its direct ILS peers, as discovery reads them.
fn network(n: usize) -> String {
    let mut t = format!("name = \"scale-{n:03}\"\ndescription = \"bench network {n}\"\n");
    let fqdn = |name: &str| format!("{name}-{n:03}.bench.test");
    let id = |name: &str| format!("{}-{n:03}", name.to_uppercase());
    let spokes = |hub: &str| (1..=SPOKES_PER_HUB).map(|k| format!("spoke-{}{k}", &hub[4..])).collect::<Vec<_>>();
    let mut row = 0;
    let mut rows = |peers: &[String]| {
        let mut out = String::new();
        for p in peers {
            row += 1;
            writeln!(out, "  [\"{row:08}-0000-0000-0000-000000000000\", \"{}\", \"\", \"{}\"],", id(p), fqdn(p))
                .unwrap();
        }
        out
    };
    let mut cluster = |name: &str, role: &str, ip: String, hub: Option<&str>, peers: &[String]| {
        let reg = hub.map(|h| format!("registration_server = \"{h}\"\n")).unwrap_or_default();
        write!(
            t,
            "\n[[cluster]]\nname = \"{name}\"\ncluster_id = \"{}\"\nfqdn = \"{}\"\nip = \"{ip}\"\nrole = \"{role}\"\n\
             [cluster.ils]\nuse_password = true\npassword = \"ils-Secret1\"\nretry_interval_s = 10\n{reg}\
             [cluster.tables.remotecluster]\ncolumns = [\"pkid\", \"clusterid\", \"description\", \"fullyqualifiedname\"]\nrows = [\n{}]\n",
            id(name),
            fqdn(name),
            rows(peers)
        )
        .unwrap();
    };
    let (a, b) = (n / 250, n % 250);
    for (h, hub) in ["hub-a", "hub-b"].iter().enumerate() {
        let other = if *hub == "hub-a" { "hub-b" } else { "hub-a" };
        let mut peers = vec![other.to_string()];
        peers.extend(spokes(hub));
        let reg = (*hub == "hub-b").then_some("hub-a");
        cluster(hub, "hub", format!("10.{}.{b}.{}", 100 + a, 1 + h * 100), reg, &peers);
        for (k, spoke) in spokes(hub).iter().enumerate() {
            cluster(spoke, "spoke", format!("10.{}.{b}.{}", 100 + a, 2 + h * 100 + k), Some(hub), &[hub.to_string()]);
        }
    }
    t
}
