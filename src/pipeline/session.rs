//! A live session with a hub and its spokes: the whole job against live publishers, which
//! `check`, `collect`, `demo` and a deep audit run.
//!
//! 1. open each publisher once (HTTPS pool + SSH shell), concurrently;
//! 2. restore trace levels a dead earlier run left raised (the journal says which);
//! 3. read each side's facts (version, cluster ID, ILS role and service, remotecluster, nodes);
//! 4. raise the ILS trace level to Detailed, journal first;
//! 5. capture: poll the ILS traces of the window, download new files, analyze, and stop early
//!    once each requested spoke has a new decided attempt, or at `--capture`: a hard deadline
//!    that cuts a poll or a download under way (the last complete poll's files are kept);
//! 6. restore the trace levels: always, on success, error, a panic, Ctrl-C, SIGTERM or an
//!    audit's time limit, wherever in steps 1-5 the run was (docs/security.md, "Trace levels"):
//!    every publisher at once, each within [`RESTORE_LIMIT`] with its read-back, so a level is
//!    raised at most the capture plus that limit;
//! 7. diagnose: the analysis of both sides plus configuration findings, judged on the requested
//!    spokes; a level that could not be restored is critical.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;

use super::diagnose::{decided_per_spoke, diagnose, fold_findings, identities, RunNotes};
pub use super::diagnose::{Finding, LevelChange, Outcome, SideConfig};
use super::scan::{scan_all, Job};
use crate::analyze::cause::publisher_key;
use crate::analyze::model::Analysis;
use crate::analyze::{self, Catalog, Method, Side};
use crate::collect::download::{self, Progress};
use crate::collect::facts;
use crate::collect::publisher::{Access, Publisher, PublisherError};
use crate::collect::trace_level::{self, Owner, RaiseError};
use crate::parse::levels;
use futures_util::FutureExt;

/// Everything `check` needs, validated.
#[derive(Debug, Clone)]
pub struct Request {
    /// The hubs (one, or several meshed hubs whose links to each other are checked too).
    pub hubs: Vec<Access>,
    pub spokes: Vec<Access>,
    /// How long to wait for registration attempts when the level had to be raised.
    pub capture: Duration,
    /// How far back to read when the level already was Detailed.
    pub since: Duration,
    pub keep_trace_level: bool,
    pub detailed_value: Option<String>,
    /// Restart the ILS service on the spokes (and, with several hubs, on the hubs) after raising
    /// the level, to force a registration (a registered pair logs nothing until it reconnects).
    /// Only running services are restarted: a stopped one stays stopped and is reported.
    pub force_registration: bool,
    /// With `force_registration`: start a stopped ILS service instead of leaving it stopped.
    pub start_stopped: bool,
    pub method: Option<Method>,
    pub download_dir: PathBuf,
    pub journal: PathBuf,
    pub progress: bool,
    /// Seconds between two looks at the traces during the capture.
    pub poll: Duration,
    /// The signature catalog (the built-in one plus the user's `--signatures` file).
    pub catalog: std::sync::Arc<Catalog>,
    /// Stop after the certificate check (`check --preflight`): read only, nothing changed on
    /// any publisher (no trace level, no restore of an earlier run's leftovers).
    pub preflight_only: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Publisher(#[from] PublisherError),
    #[error(transparent)]
    TraceLevel(#[from] RaiseError),
    #[error("interrupted; the trace levels were restored")]
    Interrupted,
    #[error("interrupted, and restoring the trace level failed: {0}")]
    InterruptedRestoreFailed(String),
    #[error("internal error (a bug in ils-doctor, please report it): {0}; the trace levels were restored")]
    Panicked(String),
    #[error("{error}; and restoring the trace level failed: {still_raised}")]
    StillRaised { error: String, still_raised: String },
}

/// How long one publisher's restore may take once the run is over (a request and its retries):
/// bounded, so that an audit's per-host limit or a second signal never waits forever, and
/// separate from the capture's time, so that a check that ran out of time still restores.
pub const RESTORE_LIMIT: Duration = Duration::from_secs(60);

/// What the run built up before the restore: kept outside the cancellable part, so that the
/// restore sees every publisher opened and every level raised whatever stopped the run.
#[derive(Default)]
struct State {
    pubs: Vec<(Side, Publisher)>,
    config: Vec<SideConfig>,
    levels: Vec<LevelChange>,
    raised_any: bool,
    /// What the run did on the publishers, for the advice (never ask for what was done).
    run: RunNotes,
    /// Trace-level writes started by `raise`; the restore waits for them first.
    in_flight: Vec<tokio::task::JoinHandle<()>>,
}

/// How the cancellable part ended.
enum Ended {
    Done(Result<Collected, CheckError>),
    Interrupted,
    Panicked(String),
}

/// Runs the check. `cancel` resolving (Ctrl-C, SIGTERM, an audit's time limit) stops the run
/// wherever it is (connecting, reading facts, raising, capturing); the levels this run raised
/// are restored either way, and after a panic too (docs/security.md, "Trace levels").
pub async fn run(req: &Request, cancel: impl std::future::Future<Output = ()>) -> Result<Outcome, CheckError> {
    let progress = Progress::new(req.progress);
    let me = Owner::new_run();
    let mut st = State::default();
    let ended = {
        let work = std::panic::AssertUnwindSafe(work(req, &mut st, &progress, &me)).catch_unwind();
        tokio::pin!(cancel);
        tokio::select! {
            r = work => match r {
                Ok(r) => Ended::Done(r),
                Err(panic) => Ended::Panicked(panic_message(panic.as_ref())),
            },
            () = &mut cancel => Ended::Interrupted,
        }
    };

    let restore_errors = if req.keep_trace_level {
        if st.raised_any {
            progress.say(
                "--keep-trace-level: the ILS trace level stays at Detailed (journal kept for `ils-doctor restore`)",
            );
        }
        match trace_level::release_mine(&req.journal, &me) {
            Ok(_) => Vec::new(),
            Err(e) => vec![e.to_string()],
        }
    } else {
        // A raise cancelled mid-write: its write ends first (bounded), so it cannot land after
        // the restore's.
        let writes = std::mem::take(&mut st.in_flight);
        let _ = tokio::time::timeout(RESTORE_LIMIT, futures_util::future::join_all(writes)).await;
        let errors = restore_all(&st.pubs, req, &mut st.levels, &progress, &me).await;
        if !errors.is_empty() {
            // Handed over: `ils-doctor restore`, or the next run in any process, puts them back.
            let _ = trace_level::release_mine(&req.journal, &me);
        }
        errors
    };
    let State { pubs, config, levels, run, .. } = st;
    close_all(pubs).await;
    let still_raised = restore_errors.join("; ");
    let files = match ended {
        Ended::Done(Ok(files)) => files,
        Ended::Done(Err(e)) if restore_errors.is_empty() => return Err(e),
        Ended::Done(Err(e)) => return Err(CheckError::StillRaised { error: e.to_string(), still_raised }),
        Ended::Interrupted if restore_errors.is_empty() => return Err(CheckError::Interrupted),
        Ended::Interrupted => return Err(CheckError::InterruptedRestoreFailed(still_raised)),
        Ended::Panicked(m) if restore_errors.is_empty() => return Err(CheckError::Panicked(m)),
        Ended::Panicked(m) => {
            return Err(CheckError::StillRaised { error: format!("internal error: {m}"), still_raised })
        }
    };

    if req.preflight_only {
        return Ok(super::diagnose::preflight_outcome(config, req.method));
    }
    let (jobs, warnings) = files;
    let catalog = &*req.catalog;
    let (scanned, scan_warnings) =
        scan_all(catalog, &jobs, std::thread::available_parallelism().map_or(1, |n| n.get()));
    let mut warnings = warnings;
    warnings.extend(scan_warnings);
    let options = analyze::Options { configured_method: req.method, warnings, ..analyze::Options::default() };
    let mut outcome =
        diagnose(catalog, &scanned, &options, config, levels, req.download_dir.display().to_string(), &run);
    let given: Vec<(Side, &Access)> =
        req.hubs.iter().map(|a| (Side::Hub, a)).chain(req.spokes.iter().map(|a| (Side::Spoke, a))).collect();
    super::join_hint::point_at_join(&mut outcome, &given, req.method);
    let raised = still_raised_findings(&outcome.trace_levels, &restore_errors, &req.journal);
    outcome.findings.retain(|f| f.code != "trace_level_not_restored");
    fold_findings(&mut outcome.analysis, &raised);
    outcome.findings.extend(raised);
    Ok(outcome)
}

/// The text of a caught panic.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

/// A level left raised is critical: a forgotten Detailed trace fills the disk (Cisco Unified
/// Serviceability Administration Guide, "Trace configuration"). The finding names what is still
/// raised and the command that puts it back.
fn still_raised_findings(levels: &[LevelChange], errors: &[String], journal: &std::path::Path) -> Vec<Finding> {
    levels
        .iter()
        .filter(|l| l.restored == Some(false))
        .map(|l| {
            let why = errors.iter().find(|e| e.contains(&l.host)).cloned().unwrap_or_else(|| {
                "the level read back after the restore differs from the original".to_string()
            });
            Finding {
                severity: analyze::Status::Critical,
                code: "trace_level_still_raised",
                host: l.host.clone(),
                message: format!(
                    "{}:{}: the ILS trace level is still raised ({}; it was {}): {why}",
                    l.host,
                    l.https_port,
                    l.describe(&l.during),
                    l.describe(&l.before)
                ),
                fix: format!(
                    "run `ils-doctor restore --journal {}` (it needs only the application user), or set the Cisco Intercluster Lookup Service trace level back to {} in Cisco Unified Serviceability > Trace > Configuration",
                    journal.display(),
                    l.describe(&l.before)
                ),
                pair: None,
                condition: None,
                part_of_cause: false,
                cluster: None,
            }
        })
        .collect()
}

/// Test-only fault injection (debug builds only): `ILS_DOCTOR_TEST_PANIC=raised` panics right
/// after the levels are raised, so that the chaos test (tests/chaos.rs) proves the restore after
/// a panic. Release builds ignore it.
fn injected_panic(at: &str) {
    if cfg!(debug_assertions) && std::env::var("ILS_DOCTOR_TEST_PANIC").is_ok_and(|v| v == at) {
        panic!("injected test panic at {at}");
    }
}

/// Everything up to the end of the capture; cancellable at any await.
async fn work(req: &Request, st: &mut State, progress: &Progress, me: &Owner) -> Result<Collected, CheckError> {
    let all: Vec<(Side, Access)> = req
        .hubs
        .iter()
        .map(|h| (Side::Hub, h.clone()))
        .chain(req.spokes.iter().map(|s| (Side::Spoke, s.clone())))
        .collect();
    progress.say(&format!("connecting to {} publisher(s)", all.len()));
    let opened = futures_util::future::join_all(all.iter().map(|(_, a)| Publisher::open(a.clone()))).await;
    let mut first_err = None;
    for ((side, _), r) in all.iter().zip(opened) {
        match r {
            Ok(p) => st.pubs.push((*side, p)),
            Err(e) => first_err = first_err.or(Some(e)),
        }
    }
    if let Some(e) = first_err {
        return Err(e.into());
    }

    for (_, p) in st.pubs.iter().filter(|_| !req.preflight_only) {
        if let Some(old) = trace_level::restore_leftover(p, &req.journal).await? {
            progress.say(&format!(
                "{}: restored the trace level {} left raised by an earlier run",
                p.access.host, old.trace_level
            ));
        }
    }

    progress.say("reading the ILS configuration of both sides");
    // Every publisher at once: each CLI command takes seconds on a real publisher, and the
    // sides do not depend on each other (benches/check.rs measures it under field latency).
    let read = futures_util::future::join_all(st.pubs.iter_mut().map(|(_, p)| facts::read(p))).await;
    let (mut hub_no, mut spoke_no) = (0usize, 0usize);
    for ((side, p), f) in st.pubs.iter_mut().zip(read) {
        p.node_name = f.node_name.clone();
        p.label = Some(f.label());
        let side_id = match side {
            Side::Hub => {
                hub_no = hub_no.saturating_add(1);
                format!("hub-{hub_no}")
            }
            Side::Spoke => {
                spoke_no = spoke_no.saturating_add(1);
                format!("spoke-{spoke_no}")
            }
        };
        super::record::note_facts(&p.access, &side_id, side.as_str(), &f);
        st.config.push(SideConfig { side: *side, facts: f });
    }

    // Certificates before traces: each side reads the tomcat-trust entries a chain from its
    // peers' certificates could use; `diagnose` predicts the handshake from them.
    progress.say("checking both sides' Tomcat certificates against the other side's tomcat-trust");
    // Every other cluster's certificate: which hub a spoke belongs to, and which hub registers
    // to which, may only be known from the traces.
    let certs: Vec<(usize, crate::parse::cert::CertInfo)> =
        st.config.iter().enumerate().filter_map(|(i, c)| c.facts.tomcat_certificate.clone().map(|x| (i, x))).collect();
    futures_util::future::join_all(st.pubs.iter_mut().zip(st.config.iter_mut()).enumerate().map(|(i, ((_, p), c))| {
        let peers: Vec<_> = certs.iter().filter(|(j, _)| *j != i).map(|(_, x)| x.clone()).collect();
        async move { crate::collect::certs::read_trust_details(p, &mut c.facts, &peers).await }
    }))
    .await;
    if req.preflight_only {
        return Ok((Vec::new(), Vec::new()));
    }

    // Raise, journal first; whatever stops the run from here, `run` restores what was raised.
    for ((_, p), c) in st.pubs.iter().zip(&st.config) {
        let node = c.facts.node_name.clone().unwrap_or_else(|| p.access.host.clone());
        let names = trace_level::level_names(&p.soap).await;
        let detailed = match &req.detailed_value {
            Some(v) => v.clone(),
            None => levels::detailed_of(&names).unwrap_or_else(|| trace_level::DEFAULT_DETAILED.to_string()),
        };
        let r = trace_level::raise(p, &node, &detailed, &req.journal, me, &mut st.in_flight).await?;
        st.raised_any |= r.changed;
        st.levels.push(LevelChange {
            host: p.access.host.clone(),
            https_port: p.access.https_port,
            before: r.original.trace_level,
            during: detailed,
            restored: None,
            names,
        });
    }
    if st.raised_any {
        progress.say("ILS trace level raised to Detailed; it is restored at the end, whatever happens");
    }
    st.run.levels_raised = st.raised_any;
    injected_panic("raised");
    Ok(capture(req, &mut st.pubs, &st.config, st.raised_any, &mut st.run, progress).await)
}

/// Who registers, as far as the capture can tell before it sees the traces: every spoke given,
/// and, with several hubs, the hubs (one of them is registered to, the others register).
struct Clients {
    spokes: Vec<BTreeSet<String>>,
    hubs: Vec<BTreeSet<String>>,
    /// Spokes whose ILS service does not run (and this run did not start): they will not
    /// register, so the capture does not wait for them.
    idle: Vec<bool>,
}

impl Clients {
    fn of(config: &[SideConfig], run: &RunNotes) -> Clients {
        let ids = |side: Side| -> Vec<BTreeSet<String>> {
            config.iter().filter(|c| c.side == side).map(|c| identities(&c.facts)).collect()
        };
        let idle = config
            .iter()
            .filter(|c| c.side == Side::Spoke)
            .map(|c| {
                let state = c.facts.ils_service.as_deref().unwrap_or("STARTED").trim().to_ascii_uppercase();
                !state.starts_with("STARTED")
                    && !run.started.contains(&publisher_key(&c.facts.host, c.facts.https_port))
            })
            .collect();
        let hubs = ids(Side::Hub);
        Clients { spokes: ids(Side::Spoke), hubs: if hubs.len() > 1 { hubs } else { Vec::new() }, idle }
    }

    fn all(&self) -> Vec<BTreeSet<String>> {
        self.spokes.iter().chain(&self.hubs).cloned().collect()
    }

    /// Each spoke has a new decided attempt, and so have all hubs but one (in a mesh of n hubs,
    /// n - 1 register; the mesh forms from there).
    fn done(&self, now: &[usize], before: &[usize]) -> bool {
        let new = |i: usize| now.get(i).zip(before.get(i)).is_some_and(|(n, b)| n > b);
        let idle = |i: usize| self.idle.get(i).copied().unwrap_or(false);
        let spokes_done = (0..self.spokes.len().max(usize::from(self.hubs.is_empty()))).all(|i| idle(i) || new(i));
        let hubs_new = (0..self.hubs.len()).filter(|&i| new(self.spokes.len().saturating_add(i))).count();
        spokes_done && hubs_new >= self.hubs.len().saturating_sub(1)
    }
}

type Collected = (Vec<Job>, Vec<String>);

/// Polls and downloads until each requested spoke has a decided attempt, or the capture time is
/// over. With `--force-registration` the running ILS services of the registering sides are
/// restarted (a stopped one is left stopped unless `--start-stopped`), and the capture waits
/// for the new attempts even when the level already was Detailed.
async fn capture(
    req: &Request,
    pubs: &mut [(Side, Publisher)],
    config: &[SideConfig],
    raised: bool,
    run: &mut RunNotes,
    progress: &Progress,
) -> Collected {
    let started = Utc::now();
    let wait = raised || req.force_registration;
    let back =
        if raised { chrono::Duration::minutes(2) } else { chrono::Duration::from_std(req.since).unwrap_or_default() };
    // A span reaching before the calendar's start means everything.
    let from = started.checked_sub_signed(back).unwrap_or(chrono::DateTime::<Utc>::MIN_UTC);
    // A capture too long for the clock has no deadline.
    run.capture_s = if wait { req.capture.as_secs() } else { 0 };
    // While a level is raised the capture has one hard deadline that cuts whatever is under way
    // (a poll, a download, a restart): the level must not stay raised because a publisher is
    // slow. No look starts after `--capture`; the one under way then may finish within
    // [`capture_grace`]. With nothing raised and nothing to wait for, one look, bounded by the
    // request timeouts only.
    let start = tokio::time::Instant::now();
    let last_look = if wait { start.checked_add(req.capture) } else { None };
    let deadline = if wait { start.checked_add(req.capture.saturating_add(capture_grace(req.capture))) } else { None };
    let mut warnings = Vec::new();
    let dirs = pubs_dirs(req, pubs);
    let cut = |warnings: &mut Vec<String>, jobs: Vec<Job>| {
        warnings.push(format!(
            "a look at the traces was still under way {} s after the capture's end ({} s, --capture): it was cut, and the files of the last complete look are used",
            capture_grace(req.capture).as_secs_f64(),
            req.capture.as_secs()
        ));
        remove_parts(&dirs);
        (jobs, std::mem::take(warnings))
    };
    let Some(log_names) =
        within(deadline, futures_util::future::join_all(pubs.iter().map(|(_, p)| download::ils_log_name(p)))).await
    else {
        return cut(&mut warnings, Vec::new());
    };
    let catalog = &*req.catalog;
    let mut jobs: Vec<Job> = Vec::new();
    let several_hubs = config.iter().filter(|c| c.side == Side::Hub).count() > 1;
    let ids = Clients::of(config, run).all();
    // A forced registration is a new attempt: what was decided before the restart does not
    // count (the count, not the time, so that the publishers' clocks do not matter).
    let mut baseline = vec![0usize; ids.len().max(1)];
    if req.force_registration {
        let Some(a) =
            within(deadline, poll(req, pubs, &log_names, from, progress, catalog, &mut jobs, &mut warnings)).await
        else {
            return cut(&mut warnings, Vec::new());
        };
        baseline = decided_per_spoke(&a, &ids);
        let forced = within(deadline, force(req, pubs, config, several_hubs, run, &mut warnings, progress)).await;
        if forced.is_none() {
            return cut(&mut warnings, jobs);
        }
    }
    let clients = Clients::of(config, run);
    let spinner = wait.then(|| {
        progress.spinner(format!(
            "waiting up to {} s for ILS registration attempts on {} spoke(s){}",
            req.capture.as_secs(),
            req.spokes.len(),
            if clients.hubs.is_empty() { String::new() } else { format!(" and {} hubs", clients.hubs.len()) }
        ))
    });
    loop {
        let mut fresh = Vec::new();
        let looked =
            within(deadline, poll(req, pubs, &log_names, from, progress, catalog, &mut fresh, &mut warnings)).await;
        let Some(a) = looked else {
            if let Some(s) = &spinner {
                s.finish_and_clear();
            }
            return cut(&mut warnings, jobs);
        };
        jobs = fresh;
        // Each requested spoke needs its own decided attempt: another spoke's (the hub's traces
        // hold them all) says nothing about this one.
        let done = clients.done(&decided_per_spoke(&a, &ids), &baseline);
        if done || last_look.is_none_or(|d| tokio::time::Instant::now() >= d) {
            if let Some(s) = &spinner {
                s.finish_and_clear();
            }
            if !done && wait {
                let hint = if req.force_registration {
                    "the ILS service was restarted to force a registration; a longer --capture may see it".to_string()
                } else {
                    "a registered pair logs nothing until it reconnects; run again with --force-registration (restarts the running ILS services of the registering sides) or a longer --capture".to_string()
                };
                warnings.push(format!(
                    "no decided registration attempt for every registering cluster within {} s: {hint}",
                    req.capture.as_secs()
                ));
            }
            // Keep only the last state of each file: the final listing's jobs.
            return (jobs, warnings);
        }
        // The last look starts at `--capture` at the latest.
        let next = tokio::time::Instant::now().checked_add(req.poll);
        match (next, last_look) {
            (Some(n), Some(d)) => tokio::time::sleep_until(n.min(d)).await,
            _ => tokio::time::sleep(req.poll).await,
        }
    }
}

/// How long a look at the traces under way when `--capture` ends may still take: half the
/// capture, at most 30 s. Past it, the look is cut and the last complete one is used.
pub fn capture_grace(capture: Duration) -> Duration {
    capture.checked_div(2).unwrap_or_default().min(Duration::from_secs(30))
}

/// `work` cut at `deadline` (None: not cut).
async fn within<T>(deadline: Option<tokio::time::Instant>, work: impl std::future::Future<Output = T>) -> Option<T> {
    match deadline {
        Some(d) => tokio::time::timeout_at(d, work).await.ok(),
        None => Some(work.await),
    }
}

/// The download folders of this run's publishers.
fn pubs_dirs(req: &Request, pubs: &[(Side, Publisher)]) -> Vec<PathBuf> {
    pubs.iter().map(|(side, p)| side_dir(&req.download_dir, *side, &p.access)).collect()
}

/// Removes the `.part` files a cut download left (docs/fault-matrix.md: no `.part` is left).
fn remove_parts(dirs: &[PathBuf]) {
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        for e in entries.flatten() {
            if e.path().extension().is_some_and(|x| x == "part") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// Restarts the ILS service of every registering side whose service runs (the spokes, and the
/// hubs when several were given), all at once: each takes about a minute on a real publisher.
/// A stopped service is left stopped and said so, unless `--start-stopped` asked to start it.
async fn force(
    req: &Request,
    pubs: &mut [(Side, Publisher)],
    config: &[SideConfig],
    hubs_too: bool,
    run: &mut RunNotes,
    warnings: &mut Vec<String>,
    progress: &Progress,
) {
    enum Act {
        Restart,
        Start,
        Leave(String),
    }
    let acts: Vec<Option<Act>> = pubs
        .iter()
        .zip(config)
        .map(|((side, _), c)| {
            if *side == Side::Hub && !hubs_too {
                return None;
            }
            let state = c.facts.ils_service.clone().unwrap_or_default();
            let running = state.is_empty() || state.trim().to_ascii_uppercase().starts_with("STARTED");
            Some(match (running, req.start_stopped) {
                (true, _) => Act::Restart,
                (false, true) => Act::Start,
                (false, false) => Act::Leave(state),
            })
        })
        .collect();
    let results = futures_util::future::join_all(pubs.iter_mut().zip(&acts).filter_map(|((_, p), act)| {
        let start = match act.as_ref()? {
            Act::Restart => false,
            Act::Start => true,
            Act::Leave(_) => return None,
        };
        Some(async move {
            let r = if start { p.start_ils().await } else { p.restart_ils().await };
            (p.name(), publisher_key(&p.access.host, p.access.https_port), start, r)
        })
    }))
    .await;
    for ((_, p), act) in pubs.iter().zip(&acts) {
        if let Some(Act::Leave(state)) = act {
            run.left_stopped.push(publisher_key(&p.access.host, p.access.https_port));
            warnings.push(format!(
                "{}: the Cisco Intercluster Lookup Service is {state}; --force-registration restarts only running services, so it was left stopped (--start-stopped starts it)",
                p.name()
            ));
        }
    }
    for (name, host, start, r) in results {
        match (r, start) {
            (Ok(_), false) => {
                run.restarted.push(host);
                progress.say(&format!("{name}: Cisco Intercluster Lookup Service restarted to force a registration"));
            }
            (Ok(_), true) => {
                run.started.push(host);
                progress.say(&format!("{name}: Cisco Intercluster Lookup Service started (--start-stopped)"));
            }
            (Err(e), _) => warnings.push(e.to_string()),
        }
    }
}

/// One look at the traces: lists and downloads each side's files of the window into `jobs`
/// (replaced), and analyses them.
#[allow(clippy::too_many_arguments)] // one internal step of `capture`, with its state
async fn poll(
    req: &Request,
    pubs: &mut [(Side, Publisher)],
    log_names: &[String],
    from: chrono::DateTime<Utc>,
    progress: &Progress,
    catalog: &Catalog,
    jobs: &mut Vec<Job>,
    warnings: &mut Vec<String>,
) -> Analysis {
    let now = Utc::now();
    let to = now.checked_add_signed(chrono::Duration::minutes(2)).unwrap_or(now);
    jobs.clear();
    // Each publisher's listing and downloads at once (one session per publisher).
    let fetched = futures_util::future::join_all(pubs.iter_mut().zip(log_names).map(|((side, p), log)| {
        let dir = side_dir(&req.download_dir, *side, &p.access);
        let side = *side;
        async move { (side, download::fetch(p, log, from, to, &dir, progress).await) }
    }))
    .await;
    for (arg, (side, r)) in fetched.into_iter().enumerate() {
        match r {
            Ok(f) => {
                warnings.extend(f.warnings);
                jobs.extend(f.files.into_iter().map(|path| Job { path, side, arg }));
            }
            Err(e) => warnings.push(e.to_string()),
        }
    }
    let (scanned, _) = scan_all(catalog, jobs, 2);
    analyze::analyze(catalog, &scanned, &analyze::Options::default())
}

/// Where one side's traces are downloaded under the run's download folder.
pub fn side_dir(download_dir: &std::path::Path, side: Side, a: &Access) -> PathBuf {
    download_dir.join(format!("{}-{}-{}", side.as_str(), sanitize(&a.host), a.https_port))
}

fn sanitize(host: &str) -> String {
    host.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect()
}

/// Restores every level this run raised, all publishers at once, each within [`RESTORE_LIMIT`]
/// with its read-back (`trace_level::restore_with`); returns what failed, each naming the host,
/// what is still raised and how to put it back.
async fn restore_all(
    pubs: &[(Side, Publisher)],
    req: &Request,
    levels: &mut [LevelChange],
    progress: &Progress,
    me: &Owner,
) -> Vec<String> {
    let outcomes = futures_util::future::join_all(
        pubs.iter().map(|(_, p)| tokio::time::timeout(RESTORE_LIMIT, trace_level::restore(p, &req.journal, me))),
    )
    .await;
    let mut errors = Vec::new();
    for ((_, p), restored) in pubs.iter().zip(outcomes) {
        let mut level = levels.iter_mut().find(|l| l.host == p.access.host && l.https_port == p.access.https_port);
        let failure = match restored {
            Ok(Ok(Some(orig))) => {
                if let Some(l) = level.as_deref_mut() {
                    l.restored = Some(true);
                }
                let shown =
                    level.as_deref().map_or_else(|| orig.trace_level.clone(), |l| l.describe(&orig.trace_level));
                progress.say(&format!("{}: ILS trace level restored to {shown}", p.name()));
                None
            }
            Ok(Ok(None)) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some(format!("no answer within {} s", RESTORE_LIMIT.as_secs())),
        };
        if let Some(why) = failure {
            let (during, before) = match &level {
                Some(l) => (l.describe(&l.during), l.describe(&l.before)),
                None => ("Detailed".into(), "its original level".into()),
            };
            if let Some(l) = level {
                l.restored = Some(false);
            }
            errors.push(format!(
                "{}:{}: the ILS trace level is still {during} (it was {before}): {why}; the journal {} keeps the original: run `ils-doctor restore --journal {}`",
                p.access.host,
                p.access.https_port,
                req.journal.display(),
                req.journal.display()
            ));
        }
    }
    errors
}

async fn close_all(pubs: Vec<(Side, Publisher)>) {
    for (_, p) in pubs {
        p.close().await;
    }
}
