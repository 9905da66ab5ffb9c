//! The one command both discovery benches run: `audit --discover` from the hubs, every name
//! mapped to its mock's loopback ports, under GNU time.

use std::path::Path;
use std::process::Command;

#[path = "gnu_time.rs"]
pub mod gnu_time;

/// Where the mock networks are and how to log in to them.
pub struct Networks<'a> {
    /// Host names given as `--discover` start hosts.
    pub starts: &'a [String],
    /// `NAME=HOST:SSH:HTTPS` for every publisher.
    pub resolve: &'a [String],
    /// `HOST:PORT=SHA256` for every publisher.
    pub pins: &'a [String],
    pub creds: &'a Path,
    pub known_hosts: &'a Path,
    pub admin: &'a str,
    pub app: &'a str,
    /// The shared password, in `BENCH_PW` (the credentials file names it).
    pub password: &'a str,
}

/// `ils-doctor audit --discover ... --jobs JOBS` under GNU time, writing the inventory it found to
/// `inventory` and its downloads to `cache`; add further arguments before running it.
pub fn command(n: &Networks, jobs: &str, inventory: &Path, cache: &Path) -> Command {
    let mut cmd = gnu_time::command();
    cmd.args(["audit", "--discover-mapped-only", "--format", "summary", "--no-history"]);
    for s in n.starts {
        cmd.arg("--discover").arg(s);
    }
    for r in n.resolve {
        cmd.arg("--resolve").arg(r);
    }
    for p in n.pins {
        cmd.arg("--pin").arg(p);
    }
    cmd.arg("--discover-credentials").arg(n.creds).arg("--write-inventory").arg(inventory);
    cmd.args(["--admin-user", n.admin, "--app-user", n.app, "--jobs", jobs]);
    cmd.arg("--known-hosts").arg(n.known_hosts).arg("--cache-dir").arg(cache);
    cmd.env("BENCH_PW", n.password);
    cmd
}
