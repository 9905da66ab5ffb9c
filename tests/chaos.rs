//! Chaos: `check` and `audit --deep` against the mock, each ended at a random moment by SIGKILL,
//! SIGINT, SIGTERM or a test-only injected panic, followed by `ils-doctor restore` or the next
//! run. After each, every trace level must be where it started and the journal empty: 100 %.
//! docs/fault-matrix.md records the figure.
//!
//! The default run is 50 runs (25 `check`, 25 `audit --deep`, on two mock networks in
//! parallel), about a minute on two busy cores; `CHAOS_RUNS=N` changes the total and
//! `CHAOS_SEED` replays a sequence.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::live::{self, Net};

/// xorshift64*: enough randomness for kill times, and replayable from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum End {
    Kill,
    Int,
    Term,
    Panic,
}

const ENDS: [End; 4] = [End::Kill, End::Int, End::Term, End::Panic];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Check,
    Audit,
}

fn inventory(net: &Net) -> std::path::PathBuf {
    let pin = |a: &ils_doctor::collect::publisher::Access| match &a.tls {
        ils_doctor::connect::tls::TlsMode::Pin(p) => p.clone(),
        _ => unreachable!(),
    };
    let mut inv = String::from("[[network]]\nname = \"chaos\"\n");
    for (name, a) in net.names.iter().zip(std::iter::once(&net.hub).chain(&net.spokes)) {
        let role = if name == "hub" { "hub" } else { "spoke" };
        inv.push_str(&format!(
            "[[network.cluster]]\nname = \"{name}\"\nrole = \"{role}\"\nhost = \"{}\"\nssh_port = {}\nhttps_port = {}\nadmin_user = \"{}\"\napp_user = \"{}\"\nadmin_credential = \"env:ILS_DOCTOR_ADMIN_PASSWORD\"\napp_credential = \"env:ILS_DOCTOR_APP_PASSWORD\"\ntls_pin = \"{}\"\n{}",
            a.host,
            a.ssh_port,
            a.https_port,
            a.admin_user,
            a.app_user,
            pin(a),
            if role == "spoke" { "hub = \"hub\"\n" } else { "" }
        ));
    }
    let path = net.dir.path().join("inventory.toml");
    std::fs::write(&path, inv).unwrap();
    path
}

fn command(net: &Net, kind: Kind) -> Command {
    match kind {
        Kind::Check => {
            let mut c = net.check_command("6s");
            c.args(["--force-registration", "--poll", "1s"]);
            c
        }
        Kind::Audit => {
            let mut c = net.binary("audit");
            c.args(["--deep", "--force-registration", "--capture", "6s", "--no-history", "--format", "summary"]);
            c.arg("--inventory").arg(inventory(net)).arg("--cache-dir").arg(net.dir.path().join("cache"));
            c
        }
    }
}

fn signal(child: &Child, sig: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    // The child may have ended already: then there is nothing to interrupt.
    let _ = rustix::process::kill_process(pid, sig);
}

/// One run ended by `end` after `delay`, then the follow-up; returns a line for the log and
/// whether the run was still going when it was ended.
fn one(net: &Net, kind: Kind, end: End, delay: Duration, next_is_restore: bool) -> (String, bool) {
    let before = net.levels();
    let mut c = command(net, kind);
    if end == End::Panic {
        c.env("ILS_DOCTOR_TEST_PANIC", "raised");
    }
    let mut child = c.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let started = Instant::now();
    while started.elapsed() < delay && child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(10));
    }
    let cut = end == End::Panic || child.try_wait().unwrap().is_none();
    match end {
        End::Kill => {
            let _ = child.kill();
        }
        End::Int => signal(&child, rustix::process::Signal::INT),
        End::Term => signal(&child, rustix::process::Signal::TERM),
        End::Panic => {}
    }
    let status = support::live::wait_child(&mut child, Duration::from_secs(120));
    let mut follow = "none";
    if end == End::Kill {
        // A request the killed run sent may still be handled by the publisher: let it land.
        std::thread::sleep(Duration::from_millis(200));
        if next_is_restore {
            follow = "restore";
            let out = net.restore_command().stdout(Stdio::null()).output().unwrap();
            assert_eq!(out.status.code(), Some(0), "restore: {}", String::from_utf8_lossy(&out.stderr));
        } else {
            follow = "next run";
            let out = command(net, kind).stdout(Stdio::null()).output().unwrap();
            assert!(out.status.code().is_some(), "the next run ended by itself");
        }
    }
    let after = net.levels();
    let journal = ils_doctor::collect::trace_level::Journal::load(&net.journal()).unwrap();
    let line = format!("{kind:?} {end:?} after {} ms (exit {:?}), then {follow}", delay.as_millis(), status.code());
    assert_eq!(after, before, "levels not back after {line}");
    assert!(journal.entries.is_empty(), "journal not empty after {line}: {:?}", journal.entries.keys());
    (line, cut)
}

#[test]
fn every_level_ends_where_it_started() {
    let total: u64 = std::env::var("CHAOS_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(50);
    let seed: u64 = std::env::var("CHAOS_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64) | 1
    });
    eprintln!("chaos: {total} runs, CHAOS_SEED={seed}");
    let started = Instant::now();
    let workers: Vec<_> = [Kind::Check, Kind::Audit]
        .into_iter()
        .enumerate()
        .map(|(i, kind)| {
            std::thread::spawn(move || {
                let net = live::start("m1-password-success");
                let mut rng = Rng(seed.wrapping_add(i as u64 * 0x9e37_79b9_7f4a_7c15) | 1);
                // How long an undisturbed run takes (the fastest of three): the kill moments are
                // spread over it, so that most land while the run is still going.
                let span = (0..3)
                    .map(|_| {
                        let t = Instant::now();
                        let out = command(&net, kind).stdout(Stdio::null()).output().unwrap();
                        assert!(out.status.code().is_some_and(|c| c < 3), "{}", String::from_utf8_lossy(&out.stderr));
                        t.elapsed().as_millis() as u64
                    })
                    .min()
                    .unwrap_or(1000);
                let runs = total / 2 + if i == 0 { total % 2 } else { 0 };
                let mut lines = Vec::new();
                for n in 0..runs {
                    let end = ENDS[rng.below(4) as usize];
                    let delay = Duration::from_millis(rng.below(span));
                    lines.push(one(&net, kind, end, delay, n % 2 == 0));
                }
                (kind, span, lines)
            })
        })
        .collect();
    let (mut done, mut cut) = (0, 0);
    for w in workers {
        let (kind, span, lines) = w.join().unwrap();
        let c = lines.iter().filter(|(_, c)| *c).count();
        eprintln!("chaos: {kind:?}: {} runs ({c} ended while running) over a {span} ms run, all restored", lines.len());
        for (l, _) in &lines {
            eprintln!("  {l}");
        }
        done += lines.len();
        cut += c;
    }
    eprintln!(
        "chaos: {done}/{done} runs ({cut} ended while running) left every level where it started (100 %), in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    // Most kill moments must land inside a run, or the test proves little.
    assert!(cut * 2 >= done, "only {cut} of {done} runs were ended while running");
}
