//! Runs the ils-doctor binary under GNU time (`/usr/bin/time -f "%e %M"`): its output, the wall
//! time as GNU time prints it, and the peak RSS in MiB.

use std::process::{Command, Output};

/// `/usr/bin/time` set up to run the binary; add its arguments. `ILS_BENCH_WRAP` (words, e.g.
/// `heaptrack -o /tmp/audit`) runs the binary under a profiler; its figures then include the
/// profiler's own.
pub fn command() -> Command {
    let mut cmd = Command::new("/usr/bin/time");
    cmd.args(["-f", "%e %M"]);
    if let Ok(wrap) = std::env::var("ILS_BENCH_WRAP") {
        cmd.args(wrap.split_whitespace());
    }
    cmd.arg(env!("CARGO_BIN_EXE_ils-doctor"));
    cmd
}

/// Runs it: (output, wall seconds as printed, peak RSS in MiB).
pub fn run(mut cmd: Command) -> (Output, String, f64) {
    let out = cmd.output().expect("/usr/bin/time (GNU time) runs the audit");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or("");
    let mut it = last.split_whitespace();
    let secs = it.next().unwrap_or("?").to_string();
    let kib = it.next().and_then(|k| k.parse::<f64>().ok()).unwrap_or(0.0);
    (out, secs, kib / 1024.0)
}
