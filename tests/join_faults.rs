//! `join --apply` when the field says no, and when it is stopped: a read-only AXL user, a
//! publisher that refuses the certificate and a wrong password each stop cleanly with nothing
//! half-applied (the journal lists exactly what was made, and the mock's configuration is as
//! before); SIGTERM or SIGKILL between steps leaves a journal that `undo` completes. And the
//! binary end to end: the plan as text and JSON with its exit code, the consent, `--apply --yes`,
//! `undo --yes`.

mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use ils_doctor::analyze::Method;
use ils_doctor::configure::journal::{Journal, State};
use ils_doctor::pipeline::join;
use ils_doctor::pipeline::undo::{self, UndoRequest};
use ils_doctor::secret::Secret;
use mock_server::scenario::Faults;
use support::join::{lab, lab_of, no_signal, Lab};

/// `undo` of the lab's journal, as `ils-doctor undo` runs it without passwords.
fn undo_request(lab: &Lab) -> UndoRequest {
    UndoRequest { journal: lab.journal(), ils_password: None, previous_passwords: Default::default(), progress: false }
}

fn steps_in_journal(lab: &Lab) -> Vec<(usize, State)> {
    Journal::load(&lab.journal())
        .unwrap()
        .applies
        .last()
        .map(|a| a.steps.iter().map(|e| (e.n, e.state)).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_axl_user_stops_the_apply_at_its_first_write_with_nothing_made() {
    let mut s = mock_server::bundled::load("m1-password-mismatch").unwrap().unwrap();
    for c in &mut s.clusters {
        c.access.read_only_axl_user = Some("axlread".into());
    }
    let lab = lab_of(s);
    let before = lab.state();
    let mut req = lab.request("hub", "spoke", false, Method::Password);
    req.registered_to.app_user = "axlread".into();
    req.registering.app_user = "axlread".into();
    // Reading works with the read-only role: the plan is made.
    let planned = join::plan(&req, std::future::pending()).await.unwrap();
    let applied =
        join::apply(&req, &planned, Some(&Secret::new("ils-Secret1")), Some("env:X"), no_signal()).await.unwrap();
    let why = applied.stopped.clone().unwrap_or_default();
    assert!(why.starts_with("step 1 of 5") && why.contains("HTTP 401") && why.contains("Read Only"), "{why}");
    assert_eq!(steps_in_journal(&lab), [(1, State::Refused)]);
    assert_eq!(lab.state(), before);
    assert!(undo::pending(&lab.journal()).unwrap().is_none(), "nothing to undo");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_certificate_stops_the_apply_with_nothing_made() {
    let lab = lab("m2-hub-cert-not-on-spoke");
    let before = lab.state();
    let req = lab.request("hub", "spoke", false, Method::Tls);
    let planned = join::plan(&req, std::future::pending()).await.unwrap();
    lab.mock.set_faults(Faults { refuse_cert_import: true, ..Faults::default() });
    let applied = join::apply(&req, &planned, None, None, no_signal()).await.unwrap();
    let why = applied.stopped.clone().unwrap_or_default();
    assert!(why.starts_with("step 1 of 6") && why.contains("refused the certificate"), "{why}");
    assert_eq!(steps_in_journal(&lab), [(1, State::Refused)]);
    assert_eq!(lab.state(), before);
    assert!(undo::pending(&lab.journal()).unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_stops_before_any_change() {
    let lab = lab("m1-password-mismatch");
    let before = lab.state();
    let req = lab.request("hub", "spoke", false, Method::Password);
    let planned = join::plan(&req, std::future::pending()).await.unwrap();
    lab.mock.set_faults(Faults { wrong_password: true, ..Faults::default() });
    let applied = join::apply(&req, &planned, Some(&Secret::new("ils-Secret1")), None, no_signal()).await.unwrap();
    let why = applied.stopped.clone().unwrap_or_default();
    assert!(why.contains("refused") && why.contains("nothing was changed"), "{why}");
    assert!(steps_in_journal(&lab).is_empty(), "no step journalled: {:?}", steps_in_journal(&lab));
    assert_eq!(lab.state(), before);
    // The plan itself names the publisher and what to do.
    let e = join::plan(&req, std::future::pending()).await.unwrap_err().to_string();
    assert!(e.contains("127.0.0.1") && e.contains("check the"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_stops_at_the_next_step_and_undo_completes() {
    let lab = lab("m2-spoke-cert-not-on-hub");
    let before = lab.state();
    let req = lab.request("hub", "spoke", false, Method::Tls);
    let planned = join::plan(&req, std::future::pending()).await.unwrap();
    // Every step takes 300 ms from here on, so that the watcher below sees step 2 journalled
    // while it runs even on a loaded machine (with instant steps, step 3 could start within one
    // of its polls).
    lab.mock.with_world(|w| {
        w.scenario.latency.soap_ms = Some(300);
        w.scenario.latency.cli_command_ms = Some(300);
    });
    let (tx, rx) = tokio::sync::watch::channel(false);
    // The signal arrives while step 2 runs: step 2 ends, step 3 never starts.
    let watcher = {
        let path = lab.journal();
        tokio::spawn(async move {
            loop {
                let n = Journal::load(&path).map(|j| j.applies.last().map_or(0, |a| a.steps.len())).unwrap_or(0);
                if n >= 2 {
                    let _ = tx.send(true);
                    return;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let applied = join::apply(&req, &planned, None, None, rx).await.unwrap();
    watcher.await.unwrap();
    assert_eq!(applied.stopped.as_deref(), Some("interrupted before step 3 of 6"));
    assert_eq!(steps_in_journal(&lab), [(1, State::Done), (2, State::Done)]);
    let j = Journal::load(&lab.journal()).unwrap();
    assert!(j.applies[0].ended.as_deref().unwrap_or("").starts_with("stopped: interrupted"));
    assert_ne!(lab.state(), before, "the first two steps were made");
    let r = undo_request(&lab);
    let done = undo::undo(&r, lab.reach(), no_signal()).await.unwrap();
    assert!(done.complete, "{:?}", done.failed);
    assert_eq!(lab.state(), before);
}

/// The publisher answers the first `updateIlsConfig` (step 2 of 6, after the certificate import
/// on the hub was made) with a SOAP fault: the apply stops there, names the step, the host and
/// the operation, and journals step 1 as made and step 2 as refused. `undo` puts back step 1 alone
/// (the refused step was not made, so it needs no AXL write) and the clusters are as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_soap_fault_mid_apply_stops_there_and_undo_puts_back_what_was_made() {
    let lab = lab("m2-spoke-cert-not-on-hub");
    let before = lab.state();
    let req = lab.request("hub", "spoke", false, Method::Tls);
    let planned = join::plan(&req, std::future::pending()).await.unwrap();
    lab.mock.set_faults(Faults { soap_fault_operations: vec!["updateIlsConfig".into()], ..Faults::default() });
    let applied = join::apply(&req, &planned, None, None, no_signal()).await.unwrap();
    let why = applied.stopped.clone().unwrap_or_default();
    assert!(why.starts_with("step 2 of 6") && why.contains("updateIlsConfig"), "{why}");
    assert!(why.contains(&req.registered_to.host), "names the publisher: {why}");
    assert_eq!(steps_in_journal(&lab), [(1, State::Done), (2, State::Refused)]);
    assert_ne!(lab.state(), before, "the certificate import was made");

    let r = undo_request(&lab);
    // Undo takes back the import (the CLI works) but finds nothing else to write: the refused
    // step was not made. So the first undo completes even while AXL still faults.
    let done = undo::undo(&r, lab.reach(), no_signal()).await.unwrap();
    assert!(done.complete, "only the import was made: {:?}", done.failed);
    assert_eq!(lab.state(), before);
    assert!(undo::pending(&lab.journal()).unwrap().is_none(), "nothing left to undo");
}

/// A CLI command that never returns its prompt while the certificate is imported (step 1): the
/// apply stops at the command timeout with the step journalled as started (it may have been
/// made), and `undo` then puts back whatever of it was made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_certificate_import_stops_at_its_timeout_and_undo_completes() {
    let lab = lab("m2-spoke-cert-not-on-hub");
    let before = lab.state();
    let mut req = lab.request("hub", "spoke", false, Method::Tls);
    req.registered_to.command_timeout = Duration::from_secs(3);
    req.registering.command_timeout = Duration::from_secs(3);
    let planned = join::plan(&req, std::future::pending()).await.unwrap();
    lab.mock.set_faults(Faults { hang_command: Some("set cert import".into()), ..Faults::default() });
    let started = Instant::now();
    let applied = join::apply(&req, &planned, None, None, no_signal()).await.unwrap();
    let took = started.elapsed();
    let why = applied.stopped.clone().unwrap_or_default();
    assert!(why.starts_with("step 1 of 6"), "{why}");
    assert!(took < Duration::from_secs(30), "stopped at the command timeout, not later: {took:?}");
    let steps = steps_in_journal(&lab);
    // Its answer never came, so it may have been made: undo treats it as made.
    assert_eq!(steps, [(1, State::Started)]);
    lab.mock.set_faults(Faults::default());
    let r = undo_request(&lab);
    let done = undo::undo(&r, lab.reach(), no_signal()).await.unwrap();
    assert!(done.complete, "{:?}", done.failed);
    assert_eq!(lab.state(), before);
}

// ---- the binary ---------------------------------------------------------------------------

fn out_of(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn join_command(lab: &Lab, method: &str) -> std::process::Command {
    let mut c = lab.binary("join");
    c.args(["--hub", &lab.spec("hub"), "--spoke", &lab.spec("spoke"), "--method", method]);
    c.arg("--trace-journal").arg(lab.trace_journal());
    c.arg("--download-dir").arg(lab.dir.path().join("traces"));
    c.args(["--capture", "25s", "--poll", "1s"]);
    c
}

#[test]
fn the_binary_plans_asks_applies_and_undoes() {
    let lab = lab("m2-hub-cert-not-on-spoke");
    let before = lab.state();
    let o = join_command(&lab, "tls").output().unwrap();
    let text = out_of(&o);
    assert_eq!(o.status.code(), Some(2), "changes needed: {text}");
    assert!(
        text.contains("CHANGES: ")
            && text.contains("set cert import trust tomcat")
            && text.contains("Nothing was changed"),
        "{text}"
    );
    let o = join_command(&lab, "tls").args(["--format", "json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], "ils-doctor/join-plan/1");
    assert_eq!((v["status"].as_str(), v["exit_code"].as_u64()), (Some("changes"), Some(2)));
    assert_eq!(v["steps"][0]["operation"]["kind"], "import_trust");
    assert_eq!(lab.state(), before, "a plan changes nothing");
    // --apply without a terminal and without --yes: refused, nothing changed.
    let o = join_command(&lab, "tls").arg("--apply").output().unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(out_of(&o).contains("give --yes"), "{}", out_of(&o));
    assert_eq!(lab.state(), before);
    // Methods 3 and 4 are refused with the reason: exit 3.
    let o = join_command(&lab, "tls_with_password").output().unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(out_of(&o).contains("self-signed"), "{}", out_of(&o));
    // Apply.
    let o = join_command(&lab, "tls").args(["--apply", "--yes"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out_of(&o));
    assert!(out_of(&o).starts_with("JOINED: "), "{}", out_of(&o));
    assert_ne!(lab.state(), before);
    // Undo.
    let o = lab.binary("undo").output().unwrap();
    assert_eq!(o.status.code(), Some(3), "undo asks first: {}", out_of(&o));
    let o = lab.binary("undo").arg("--yes").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out_of(&o));
    let said = out_of(&o);
    assert!(said.contains("UNDONE") && said.contains("deleted tomcat-trust/cucm-hub.example.com_"), "{said}");
    assert!(said.contains("not put back") && said.contains("Use TLS Certificates"), "{said}");
    assert_eq!(lab.state(), before);
    let o = lab.binary("undo").arg("--yes").output().unwrap();
    assert!(out_of(&o).contains("nothing to undo"), "{}", out_of(&o));
}

/// SIGTERM (the step under way ends, the apply stops, exit 3) and SIGKILL (the journal holds
/// what was started) in the middle of an apply; `undo` puts everything back either way.
#[test]
fn sigterm_or_sigkill_mid_apply_leaves_a_journal_undo_completes() {
    for kill in [false, true] {
        let mut s = mock_server::bundled::load("m2-spoke-cert-not-on-hub").unwrap().unwrap();
        // A restart takes a while, as on a publisher: the signal lands between or in steps.
        s.latency.service_restart_ms = Some(1500);
        let lab = lab_of(s);
        let before = lab.state();
        let mut child = join_command(&lab, "tls")
            .args(["--apply", "--yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        loop {
            let n = Journal::load(&lab.journal()).map(|j| j.applies.last().map_or(0, |a| a.steps.len())).unwrap_or(0);
            if n >= 4 {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "the apply never reached step 4");
            std::thread::sleep(Duration::from_millis(10));
        }
        let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
        let sig = if kill { rustix::process::Signal::KILL } else { rustix::process::Signal::TERM };
        let _ = rustix::process::kill_process(pid, sig);
        let status = support::live::wait_child(&mut child, Duration::from_secs(60));
        let j = Journal::load(&lab.journal()).unwrap();
        let a = j.applies.last().unwrap();
        if kill {
            assert_eq!(status.code(), None, "killed");
            assert!(a.ended.is_none(), "a killed apply did not end");
        } else {
            assert_eq!(status.code(), Some(3), "SIGTERM stops the apply");
            assert!(a.ended.as_deref().unwrap_or("").contains("interrupted"), "{:?}", a.ended);
            assert!(a.steps.iter().all(|e| e.state == State::Done), "the step under way ended: {:?}", a.steps);
        }
        std::thread::sleep(Duration::from_millis(300));
        let o = lab.binary("undo").arg("--yes").output().unwrap();
        assert_eq!(o.status.code(), Some(0), "kill={kill}: {}", out_of(&o));
        assert_eq!(lab.state(), before, "kill={kill}: {}", out_of(&o));
    }
}

/// The ILS password `join` sets reaches the publishers and nothing else: not the output, not the
/// trace logs (`RUST_LOG=trace`), not a `--record` transcript, not the journals, not argv.
#[test]
fn the_ils_password_is_never_logged_recorded_or_journalled() {
    const ILS: &str = "Zq9-ILS-join-secret-3e7";
    let lab = lab("m1-password-mismatch");
    let mut seen: Vec<(String, Vec<u8>)> = Vec::new();
    for (sub, dir) in [("join", "rec-join"), ("undo", "rec-undo")] {
        let mut c = if sub == "join" {
            let mut c = join_command(&lab, "password");
            c.args(["--apply", "--yes"]);
            c
        } else {
            let mut c = lab.binary("undo");
            c.arg("--yes");
            c
        };
        c.arg("--record").arg(lab.dir.path().join(dir));
        c.env("ILS_DOCTOR_ILS_PASSWORD", ILS).env("RUST_LOG", "trace").env("NO_COLOR", "1");
        let child = c.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        if let Ok(argv) = std::fs::read(format!("/proc/{}/cmdline", child.id())) {
            seen.push((format!("{sub}: argv"), argv));
        }
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{sub}: {}", String::from_utf8_lossy(&o.stdout));
        seen.push((format!("{sub}: stdout"), o.stdout));
        seen.push((format!("{sub}: stderr"), o.stderr));
    }
    assert_eq!(lab.mock.with_world(|w| w.scenario.cluster("hub").unwrap().ils.password.clone()), ILS, "it was set");
    let mut files = Vec::new();
    let mut stack = vec![lab.dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                files.push(e.path());
            }
        }
    }
    assert!(files.iter().any(|f| f.to_string_lossy().contains("rec-join")), "the record was written");
    for f in files {
        seen.push((f.display().to_string(), std::fs::read(&f).unwrap_or_default()));
    }
    for (what, bytes) in &seen {
        assert!(!bytes.windows(ILS.len()).any(|w| w == ILS.as_bytes()), "the ILS password is in {what}");
    }
}
