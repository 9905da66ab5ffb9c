//! A light audit of many mock clusters, run as the real binary: wall time and peak RSS with
//! `--jobs 16` and `--jobs 1` (the goal: 200 clusters in under 10 s on 2 cores, under
//! 200 MiB).
//!
//! Run: `cargo bench --bench audit` (`ILS_BENCH_CLUSTERS=200` by default; half hubs, half
//! spokes, one pair per mock; every fifth pair fails with an untrusted certificate). The mocks
//! run in this process; the audit is a child process measured by GNU time (`/usr/bin/time`).

use std::fmt::Write as _;
use std::time::Instant;

#[path = "support/gnu_time.rs"]
mod gnu_time;

use ils_doctor::connect::tls::TlsMode;
use ils_doctor::pipeline::mock_pair::access_for;
use mock_server::scenario::TraceLevel;

fn main() {
    let clusters: usize = std::env::var("ILS_BENCH_CLUSTERS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    let started = Instant::now();
    let mut mocks = Vec::new();
    let mut inv = String::new();
    let mut envs = Vec::new();
    for i in 0..clusters / 2 {
        let failing = i % 5 == 4;
        let name = if failing { "m2-hub-cert-not-on-spoke" } else { "m1-password-success" };
        let s = mock_server::bundled::load(name).unwrap().unwrap().with_trace_level(TraceLevel::Detailed);
        let mock = mock_server::start(s).unwrap();
        writeln!(inv, "[[network]]\nname = \"net-{i:03}\"\n").unwrap();
        for role in ["hub", "spoke"] {
            let p = mock.publisher(role).unwrap();
            let a = access_for(p, &kh).unwrap();
            let TlsMode::Pin(pin) = &a.tls else { unreachable!() };
            let var = format!("BENCH_PW_{i}_{role}");
            envs.push((var.clone(), p.password.clone()));
            writeln!(
                inv,
                "[[network.cluster]]\nname = \"{role}\"\nrole = \"{role}\"\nhost = \"{}\"\nssh_port = {}\nhttps_port = {}\nadmin_user = \"{}\"\napp_user = \"{}\"\nadmin_credential = \"env:{var}\"\napp_credential = \"env:{var}\"\ntls_pin = \"{pin}\"\n{}",
                a.host,
                a.ssh_port,
                a.https_port,
                a.admin_user,
                a.app_user,
                if role == "spoke" { "hub = \"hub\"\n" } else { "" }
            )
            .unwrap();
        }
        mocks.push(mock);
    }
    let inv_path = dir.path().join("net.toml");
    std::fs::write(&inv_path, &inv).unwrap();
    println!("{} mock clusters started in {:.1} s", mocks.len() * 2, started.elapsed().as_secs_f64());
    std::thread::sleep(std::time::Duration::from_secs(3));

    for jobs in [16, 1] {
        let mut cmd = gnu_time::command();
        cmd.args(["audit", "--inventory"]).arg(&inv_path).args(["--format", "summary", "--no-history"]);
        cmd.args(["--jobs", &jobs.to_string(), "--known-hosts"]).arg(&kh);
        cmd.arg("--cache-dir").arg(dir.path().join(format!("cache-{jobs}")));
        cmd.envs(envs.iter().cloned());
        let (out, secs, mib) = gnu_time::run(cmd);
        println!(
            "light audit of {} clusters, --jobs {jobs:>2}: {secs} s wall, peak RSS {:.1} MiB, exit {:?}",
            mocks.len() * 2,
            mib,
            out.status.code()
        );
        println!("  {}", String::from_utf8_lossy(&out.stdout).trim());
    }
}
