//! Every path out of a run puts the trace levels back (docs/security.md, "Trace levels"): an
//! audit's time limit, a signal before the capture, a closed output pipe, a panic; a restore
//! that fails is critical and says how to fix it; the journal is shared safely between runs;
//! `restore` needs only the application user.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use ils_doctor::analyze::Status;
use ils_doctor::collect::trace_level::{Entry, Journal, Owner};
use ils_doctor::connect::envelope::TraceSettings;
use ils_doctor::pipeline::session::{self as check, CheckError};
use mock_server::scenario::{Faults, TraceLevel};
use support::live::{self, Net};

fn wait_exit(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        assert!(started.elapsed() < limit, "the run did not end within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// An audit's per-host limit stops a deep check like a signal: it still restores (outside the
/// timed part, within its own bound) and the audit says the check ran out of time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_check_that_runs_out_of_time_still_restores_and_is_reported() {
    use ils_doctor::audit::{inventory, model::Depth, run};
    use ils_doctor::pipeline::live::ConnOptions;
    // The CLI takes 3.5 s to start, so the levels are raised after the host timeout (3 s) and
    // the limit (host timeout + capture, 5 s) comes during the capture; the forced
    // registration's restart never returns, so the check is still busy then.
    let mut scenario = mock_server::bundled::load("m1-password-success").unwrap().unwrap();
    scenario.latency.cli_start_ms = Some(3_500);
    let net = live::start_scenario(scenario);
    let before = net.levels();
    net.mock.set_faults(Faults { hang_command: Some("utils service restart".into()), ..Faults::default() });
    let pin = |a: &ils_doctor::collect::publisher::Access| match &a.tls {
        ils_doctor::connect::tls::TlsMode::Pin(p) => p.clone(),
        _ => unreachable!(),
    };
    std::env::set_var("RESTORE_PATHS_PW", net.hub.admin_password.expose());
    let mut inv = String::from("[[network]]\nname = \"n\"\n");
    for (name, a, hub) in [("hub", &net.hub, ""), ("spoke", &net.spokes[0], "hub = \"hub\"\n")] {
        inv.push_str(&format!(
            "[[network.cluster]]\nname = \"{name}\"\nrole = \"{name}\"\nhost = \"{}\"\nssh_port = {}\nhttps_port = {}\nadmin_user = \"{}\"\napp_user = \"{}\"\nadmin_credential = \"env:RESTORE_PATHS_PW\"\napp_credential = \"env:RESTORE_PATHS_PW\"\ntls_pin = \"{}\"\n{hub}",
            a.host, a.ssh_port, a.https_port, a.admin_user, a.app_user, pin(a)
        ));
    }
    let req = run::Request {
        inventory: inventory::parse(&inv, "inv.toml").unwrap(),
        depth: Depth::Deep,
        since: Duration::from_secs(7200),
        jobs: 1,
        host_timeout: Duration::from_secs(3),
        conn: ConnOptions {
            ssh_port: 22,
            https_port: 8443,
            admin_user: "admin".into(),
            app_user: "administrator".into(),
            ca_file: None,
            pins: Vec::new(),
            pins_file: net.dir.path().join("pins"),
            insecure: false,
            known_hosts: net.hub.known_hosts.clone(),
            accept_new_host_key: false,
            legacy_ssh: false,
            command_timeout: Duration::from_secs(60),
            record: None,
        },
        cache: net.dir.path().join("cache"),
        progress: false,
        deep: run::DeepOptions {
            capture: Duration::from_secs(2),
            max_raised: 1,
            journal: net.journal(),
            force_registration: true,
        },
        catalog: Default::default(),
    };
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let report = run::run(&req, rx).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(60), "bounded: {:?}", started.elapsed());
    net.mock.set_faults(Faults::default());
    assert_eq!(net.levels(), before, "the timed-out check restored the levels");
    assert!(!net.journal().exists(), "nothing left in the journal");
    let hub = report.clusters.iter().find(|c| c.name == "hub").unwrap();
    let err = hub.error.clone().unwrap_or_default();
    assert!(err.contains("did not finish within 5 s") && err.contains("restored"), "{err}");
}

/// SIGTERM while the facts are read (before the capture, where the handlers used to be armed):
/// the run stops through its restore and exits 3, not killed by the signal.
#[test]
fn a_signal_before_the_capture_stops_the_run_through_its_restore() {
    let net = live::start("m1-password-success");
    let before = net.levels();
    net.mock.set_faults(Faults { hang_command: Some("utils service list".into()), ..Faults::default() });
    let mut child = net.check_command("60s").stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("reading the ILS configuration") {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    rx.recv_timeout(Duration::from_secs(60)).expect("the facts are being read");
    std::thread::sleep(Duration::from_millis(300));
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let status = wait_exit(&mut child, Duration::from_secs(30));
    let err = reader.join().unwrap();
    assert_eq!(status.code(), Some(3), "exits through the restore, not killed by the signal: {status:?} {err}");
    assert!(err.contains("interrupted; the trace levels were restored"), "{err}");
    net.mock.set_faults(Faults::default());
    assert_eq!(net.levels(), before);
    assert!(!net.journal().exists());
}

/// `ils-doctor check ... 2>&1 | head -n 2`: the reader goes away after two lines; the run must
/// still restore both levels and not die of a panic (exit 101).
#[test]
fn a_closed_output_pipe_does_not_stop_the_restore() {
    let net = live::start("m1-password-success");
    let before = net.levels();
    let mut child = net
        .check_command("20s")
        .arg("--force-registration")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Both pipes closed after two lines, as `2>&1 | head -n 2` does.
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    for _ in 0..2 {
        lines.next().expect("a line").unwrap();
    }
    drop(lines);
    drop(stdout);
    let status = wait_exit(&mut child, Duration::from_secs(90));
    assert_ne!(status.code(), Some(101), "no panic on the closed pipe");
    assert!(status.code().is_some(), "ended by itself: {status:?}");
    assert_eq!(net.levels(), before, "both levels restored");
    assert!(!net.journal().exists());
}

/// A panic after the raise (test-only injection, debug builds) is caught: the levels are
/// restored, and the run ends with an error naming the bug.
#[test]
fn a_panic_after_the_raise_restores_the_levels() {
    let net = live::start("m1-password-success");
    let before = net.levels();
    let out = net.check_command("20s").env("ILS_DOCTOR_TEST_PANIC", "raised").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("internal error") && err.contains("the trace levels were restored"), "{err}");
    assert_eq!(net.levels(), before);
    assert!(!net.journal().exists());
}

/// A restore that fails (the publisher refuses the write once the level is raised) is critical:
/// the run exits 2, names what is still raised and the command that puts it back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_restore_is_critical_and_says_how_to_fix_it() {
    let net = live::start("m1-password-success");
    let hub = net.mock.publisher("hub").unwrap().name.clone();
    let watcher = {
        let names = net.names.clone();
        let world = net.mock.world_handle();
        std::thread::spawn(move || {
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(60) {
                let mut w = mock_server::db::lock(&world);
                if names.iter().all(|n| w.engine.trace_level(n) == Some(TraceLevel::Detailed)) {
                    w.faults =
                        Faults { soap_fault_operations: vec!["updateProcessNodeService".into()], ..Faults::default() };
                    return true;
                }
                drop(w);
                std::thread::sleep(Duration::from_millis(20));
            }
            false
        })
    };
    let out = check::run(&net.request(3), std::future::pending()).await.unwrap();
    assert!(watcher.join().unwrap(), "the levels were raised");
    assert_eq!(out.analysis.status, Status::Critical, "{}", out.analysis.summary);
    assert_eq!(out.analysis.exit_code, 2);
    let f = out.findings.iter().find(|f| f.code == "trace_level_still_raised").expect("the finding");
    assert_eq!(f.severity, Status::Critical);
    assert!(f.message.contains("still raised") && f.message.contains(&net.hub.host), "{}", f.message);
    assert!(f.fix.contains("ils-doctor restore --journal"), "{}", f.fix);
    assert!(out.analysis.summary.contains("still raised"), "{}", out.analysis.summary);
    let journal = Journal::load(&net.journal()).unwrap();
    assert_eq!(journal.entries.len(), 2, "the journal keeps both for `restore`");
    assert!(journal.entries.values().all(|e| e.owner.is_none()), "handed over: no run holds them");
    // `restore` (application user only) puts them back once the publisher accepts writes.
    net.mock.set_faults(Faults::default());
    let r = net.restore_command().output().unwrap();
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(net.levels().iter().all(|l| *l != Some(TraceLevel::Detailed)), "{hub}: restored");
}

fn entry(net: &Net, name: &str, level: &str, owner: Option<Owner>) -> (String, Entry) {
    let a = net.access(name);
    let node = net.mock.publisher(name).unwrap().fqdn.clone();
    (
        Journal::key(&a.host, a.https_port),
        Entry {
            host: a.host.clone(),
            https_port: a.https_port,
            node,
            service: "Cisco Intercluster Lookup Service".into(),
            original: TraceSettings {
                trace_level: level.into(),
                user_categories: "0".into(),
                enable: "true".into(),
                num_files: "2".into(),
                max_file_size: "1".into(),
            },
            raised_at: "2026-01-01T00:00:00Z".into(),
            owner,
            reach: None,
        },
    )
}

/// An entry a live run holds is that run's: another run neither restores it nor raises over
/// it. A dead run's entry is a leftover: restored, but only its level (a stale entry's file
/// count would delete traces), and the raise starts from what it reads now.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_is_shared_safely_between_runs() {
    let net = live::start("m1-password-success");
    let before = net.levels();

    // A live owner: another run of a process that is still running (this test's own).
    let this = Owner::new_run();
    let live_owner = Owner { run: this.run.wrapping_add(1000), ..this };
    let (k, e) = entry(&net, "hub", "1", Some(live_owner));
    Journal::update(&net.journal(), |j| {
        j.entries.insert(k.clone(), e.clone());
    })
    .unwrap();
    let err = check::run(&net.request(2), std::future::pending()).await.expect_err("refused");
    assert!(matches!(err, CheckError::TraceLevel(_)) && err.to_string().contains("another ils-doctor run"), "{err}");
    assert_eq!(Journal::load(&net.journal()).unwrap().entries.get(&k), Some(&e), "the live run's entry is kept");
    assert_eq!(net.levels(), before, "nothing restored over the live run, nothing left raised");

    // A dead owner: a process that has ended (this test binary, listing its tests).
    let mut gone = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("--list")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let dead = Owner { pid: gone.id(), started: None, run: 1 };
    gone.wait().unwrap();
    let (k, e) = entry(&net, "hub", "1", Some(dead));
    Journal::update(&net.journal(), |j| {
        j.entries.insert(k.clone(), e.clone());
    })
    .unwrap();

    // The same entry, its owner now dead: a leftover. Restored (level only), then the run goes
    // on from what it reads.
    let out = check::run(&net.request(2), std::future::pending()).await.unwrap();
    let hub_level = out.trace_levels.iter().find(|l| l.host == net.hub.host && l.https_port == net.hub.https_port);
    assert_eq!(hub_level.map(|l| l.before.as_str()), Some("1"), "the leftover's level was put back first");
    let files = net.mock.with_world(|w| w.trace_files("hub"));
    assert_eq!(files, ("250".to_string(), "1".to_string()), "the stale entry's numFiles was never written");
    assert!(!net.journal().exists());
}

/// Two writers at once each merge their own entry under the lock: none is lost.
#[test]
fn concurrent_writers_merge_their_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.json");
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let path = path.clone();
            std::thread::spawn(move || {
                for n in 0..10 {
                    Journal::update(&path, |j| {
                        j.entries.insert(
                            format!("h{i}-{n}:8443"),
                            Entry {
                                host: format!("h{i}-{n}"),
                                https_port: 8443,
                                node: "n".into(),
                                service: "s".into(),
                                original: TraceSettings::default(),
                                raised_at: String::new(),
                                owner: Some(Owner::new_run()),
                                reach: None,
                            },
                        );
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(Journal::load(&path).unwrap().entries.len(), 80);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// `restore` needs only the application user: no SSH password in the environment.
#[test]
fn restore_needs_only_the_application_user() {
    let net = live::start("m1-password-success");
    let before = net.levels();
    let mut req = net.request(2);
    req.keep_trace_level = true;
    req.force_registration = false;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(check::run(&req, std::future::pending())).unwrap();
    assert_ne!(net.levels(), before, "kept raised on purpose");
    let out = net.restore_command().output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(net.levels(), before);
    assert!(!net.journal().exists());
    // The level by name and number, as check says it: the scenario's publishers run at
    // Significant, stored as 15, and list their level names.
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(said.matches("ILS trace level restored to Significant (15)\n").count(), 2, "{said}");
    assert!(ils_doctor::analyze::vocabulary::slips(&said).is_empty(), "{said}");
}

/// A publisher's fault text reaches the terminal escaped: no terminal escape, no bidirectional
/// control gets through as is.
#[test]
fn publisher_text_reaches_the_terminal_escaped() {
    let net = live::start("m1-password-success");
    let mut req = net.request(2);
    req.keep_trace_level = true;
    req.force_registration = false;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(check::run(&req, std::future::pending())).unwrap();
    net.mock.set_faults(Faults {
        soap_fault_operations: vec!["updateProcessNodeService".into()],
        fault_text: Some("denied\u{1b}]0;owned\u{7}\u{1b}[2J \u{202e}txt.exe\u{2066}".into()),
        ..Faults::default()
    });
    let out = net.restore_command().output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("denied"), "{err}");
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "no raw escape: {err:?}");
    assert!(!err.contains('\u{202e}') && !err.contains('\u{2066}'), "no raw bidi control: {err:?}");
    assert!(err.contains("\\x1b") && err.contains("\\u{202e}"), "{err}");
    net.mock.set_faults(Faults::default());
    let out = net.restore_command().output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}

/// SIGTERM while `restore` works on an entry: it finishes that entry (here: the publisher keeps
/// answering 503, so the entry fails after its retries and stays in the journal), then stops,
/// says what is left, and exits 3; it is not killed half-way.
#[test]
fn an_interrupted_restore_finishes_its_entry_then_stops() {
    let net = live::start("m1-password-success");
    let mut req = net.request(2);
    req.keep_trace_level = true;
    req.force_registration = false;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(check::run(&req, std::future::pending())).unwrap();
    assert_eq!(Journal::load(&net.journal()).unwrap().entries.len(), 2);
    net.mock.set_faults(Faults { throttle_every_nth: Some(1), throttle_status: Some(503), ..Faults::default() });
    let mut child = net.restore_command().stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let status = wait_exit(&mut child, Duration::from_secs(60));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(3), "ended by itself, not by the signal: {status:?} {err}");
    assert!(err.contains("interrupted") && err.contains("left in"), "{err}");
    assert_eq!(Journal::load(&net.journal()).unwrap().entries.len(), 2, "both entries kept for the next try");
    net.mock.set_faults(Faults::default());
    let out = net.restore_command().output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!net.journal().exists());
}

/// `check --app-user axladmin` (pinned certificates) killed with SIGKILL while the levels are
/// raised; then plain `ils-doctor restore`, with the same environment and nothing else: no
/// `--app-user`, no `--pin`, no `--journal`. The journal kept the user, the credential
/// reference and the pin (never the password), so the restore puts every level back; without
/// them it would log in as `administrator` (refused) over an unverifiable certificate.
#[test]
fn plain_restore_after_sigkill_uses_what_the_journal_kept() {
    let mut s = mock_server::bundled::load("m1-password-success").unwrap().unwrap();
    for c in &mut s.clusters {
        c.access.app_user = "axladmin".into();
    }
    let net = live::start_scenario(s);
    let before = net.levels();
    let env = |c: &mut std::process::Command| {
        c.env("ILS_DOCTOR_ADMIN_PASSWORD", net.hub.admin_password.expose())
            .env("ILS_DOCTOR_APP_PASSWORD", net.hub.app_password.expose())
            .env("XDG_CONFIG_HOME", net.dir.path().join("config"))
            .env("XDG_STATE_HOME", net.dir.path().join("state-home"))
            .stdin(Stdio::null());
    };
    let mut check = std::process::Command::new(env!("CARGO_BIN_EXE_ils-doctor"));
    check.args(["check", "--admin-user", &net.hub.admin_user, "--app-user", "axladmin"]);
    check.arg("--known-hosts").arg(&net.hub.known_hosts);
    for a in std::iter::once(&net.hub).chain(&net.spokes) {
        let ils_doctor::connect::tls::TlsMode::Pin(fp) = &a.tls else { panic!("pinned") };
        check.args(["--pin", &format!("{}:{}={fp}", a.host, a.https_port)]);
        let at = format!("{}:{}:{}", a.host, a.ssh_port, a.https_port);
        check.args([if std::ptr::eq(a, &net.hub) { "--hub" } else { "--spoke" }, &at]);
    }
    check.arg("--download-dir").arg(net.dir.path().join("traces"));
    check.args(["--capture", "120s", "--format", "json"]);
    env(&mut check);
    let mut child = check.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("raised to Detailed") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(90)).expect("the levels are raised");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    reader.join().unwrap();
    assert!(net.levels().iter().all(|l| *l == Some(TraceLevel::Detailed)), "left raised: {:?}", net.levels());
    let journal = net.dir.path().join("state-home/ils-doctor/trace-journal.json");
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(text.contains("axladmin") && !text.contains(net.hub.app_password.expose()), "{text}");

    let mut restore = std::process::Command::new(env!("CARGO_BIN_EXE_ils-doctor"));
    restore.arg("restore");
    env(&mut restore);
    restore.env_remove("ILS_DOCTOR_ADMIN_PASSWORD");
    let out = restore.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(net.levels(), before);
    assert!(!journal.exists(), "the journal is emptied");
}

/// A 3 s capture against a publisher whose every trace listing takes 20 s (`selectLogFiles`,
/// the slowest operation of a poll): the capture's deadline (3 s and a grace of 1.5 s for the
/// look under way) cuts the listing, and every level is back where it was within that deadline
/// plus the restore's limit. The levels are
/// sampled from the mock every 20 ms to measure how long they stayed raised. Before the
/// deadline cut polls, the first poll alone held the levels raised for 20 s.
#[test]
fn a_short_capture_against_a_slow_publisher_ends_by_its_deadline_restored() {
    let mut s = mock_server::bundled::load("m1-password-success").unwrap().unwrap();
    s.latency.select_log_files_ms = Some(20_000);
    let net = live::start_scenario(s);
    let before = net.levels();
    let mut req = net.request(3);
    req.force_registration = false;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (stop, world) = (stop.clone(), net.mock.world_handle());
        let names = net.names.clone();
        let before = before.clone();
        std::thread::spawn(move || {
            let (mut first, mut last) = (None, None);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let now: Vec<_> = {
                    let w = world.lock().unwrap();
                    names.iter().map(|n| w.engine.trace_level(n)).collect()
                };
                if now != before {
                    first.get_or_insert_with(Instant::now);
                    last = Some(Instant::now());
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            first.zip(last).map(|(a, b)| b - a)
        })
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let started = Instant::now();
    let outcome = rt.block_on(check::run(&req, std::future::pending())).unwrap();
    let took = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let raised = sampler.join().unwrap().expect("the levels were raised");
    eprintln!(
        "levels raised for {:.2} s (capture 3 s); the check took {:.2} s",
        raised.as_secs_f64(),
        took.as_secs_f64()
    );
    assert_eq!(net.levels(), before, "restored");
    assert!(!net.journal().exists());
    assert!(outcome.analysis.warnings.iter().any(|w| w.contains("it was cut")), "{:?}", outcome.analysis.warnings);
    let capture = Duration::from_secs(3);
    let limit = capture + check::capture_grace(capture) + check::RESTORE_LIMIT;
    assert!(raised < limit, "raised for {raised:?}, past the capture, its grace and the restore's limit");
    // A listing takes 20 s: a cut listing is the only way to be back well before that.
    assert!(raised < Duration::from_secs(10), "raised for {raised:?}: the poll under way was not cut");
    let parts: Vec<_> = walk(&net.dir.path().join("traces")).into_iter().filter(|p| p.ends_with(".part")).collect();
    assert!(parts.is_empty(), "{parts:?}");
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}
