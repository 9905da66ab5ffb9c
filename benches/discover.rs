//! Discovery plus a light audit of many mock clusters from one command, run as the real binary:
//! wall time and peak RSS (GNU time). Prints figures; asserts nothing about time.
//!
//! Run: `cargo bench --bench discover` (`ILS_BENCH_CLUSTERS=200` by default: 100 ILS networks
//! of one hub and one spoke, one mock per network, each publisher with its own loopback ports;
//! every fifth spoke fails with an untrusted certificate). One `ils-doctor audit` gets the 100
//! hubs as `--discover` start hosts, every reported name as a `--resolve` mapping to its
//! loopback ports and `--discover-mapped-only`: it reads each hub's remotecluster rows, finds
//! its spoke, writes the inventory and audits the 200 clusters. No name is looked up in DNS.

use std::time::Instant;

#[path = "support/discover_cmd.rs"]
mod discover_cmd;
use discover_cmd::gnu_time;

use mock_server::scenario::TraceLevel;

fn main() {
    let clusters: usize = std::env::var("ILS_BENCH_CLUSTERS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let networks = (clusters / 2).max(1);
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    let started = Instant::now();
    let mut net = discover_cmd::Started::default();
    for i in 0..networks {
        let name = if i % 5 == 4 { "m2-hub-cert-not-on-spoke" } else { "m1-password-success" };
        let mut s = mock_server::bundled::load(name).unwrap().unwrap().with_trace_level(TraceLevel::Detailed);
        // Names of their own per network: remotecluster rows then name them.
        for c in &mut s.clusters {
            c.fqdn = format!("{}-{i:03}.bench.test", c.name);
            c.cluster_id = format!("{}-{i:03}", c.name.to_uppercase());
        }
        net.add(mock_server::start(s).unwrap(), &kh);
    }
    let creds = discover_cmd::credentials_file(dir.path());
    println!("{} mock clusters started in {:.1} s", networks * 2, started.elapsed().as_secs_f64());
    std::thread::sleep(std::time::Duration::from_secs(3));

    for jobs in [16, 4] {
        let inv = dir.path().join(format!("found-{jobs}.toml"));
        let networks_arg = net.networks(&creds, &kh);
        let cmd =
            discover_cmd::command(&networks_arg, &jobs.to_string(), &inv, &dir.path().join(format!("cache-{jobs}")));
        let (out, secs, mib) = gnu_time::run(cmd);
        let stderr = String::from_utf8_lossy(&out.stderr);
        println!(
            "discovery + light audit of {} clusters ({networks} networks), --jobs {jobs:>2}: {secs} s wall, peak RSS {:.1} MiB, exit {:?}",
            networks * 2,
            mib,
            out.status.code()
        );
        if let Some(line) = stderr.lines().find(|l| l.starts_with("discovery:")) {
            println!("  {line}");
        }
        println!("  {}", String::from_utf8_lossy(&out.stdout).trim());
        let text = std::fs::read_to_string(&inv).unwrap_or_default();
        match ils_doctor::audit::inventory::parse(&text, "found.toml") {
            Ok(i) => println!("  inventory: {} network(s), {} cluster(s)", i.networks.len(), i.cluster_count()),
            Err(e) => println!("  inventory: {e}\n{stderr}"),
        }
    }
}
