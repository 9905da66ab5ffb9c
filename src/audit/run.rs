//! The audit run: every cluster of the inventory read with bounded concurrency (`--jobs`), each
//! bounded by the per-host timeout, then assessed per network. A dead or slow host becomes an
//! `unknown` for its own cluster and never holds up the others.
//!
//! `--deep` runs the full `check` per hub and its spokes instead (trace levels raised and
//! restored, a registration attempt captured), at most `max_raised` groups at once, and feeds
//! the downloaded traces to the same assessment.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::watch;

use super::assess::{self, Gathered};
use super::gather::{self, Reader};
use super::inventory::{Cluster, Inventory, Network};
use super::model::{AuditReport, ClusterResult, Depth, FindingRow, PairResult, Role, SCHEMA};
use crate::analyze::{self, Catalog, Side, Status, TimeBound};
use crate::collect::trace_level::Journal;
use crate::pipeline::live::ConnOptions;
use crate::pipeline::scan::{scan_all, Job};
use crate::pipeline::session;

pub use crate::values::DEFAULT_JOBS;

pub struct Request {
    pub inventory: Inventory,
    pub depth: Depth,
    pub since: Duration,
    pub jobs: usize,
    pub host_timeout: Duration,
    pub conn: ConnOptions,
    /// Traces are downloaded under here (kept between light runs: complete files are reused).
    pub cache: PathBuf,
    pub progress: bool,
    pub deep: DeepOptions,
    /// The signature catalog (the built-in one plus the user's `--signatures` file).
    pub catalog: std::sync::Arc<Catalog>,
}

#[derive(Debug, Clone)]
pub struct DeepOptions {
    pub capture: Duration,
    /// Hub groups (a hub and its spokes) whose trace levels may be raised at the same time.
    pub max_raised: usize,
    pub journal: PathBuf,
    pub force_registration: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("interrupted; nothing was changed on the clusters")]
    Interrupted,
    #[error("interrupted; the trace levels raised by --deep were restored{0}")]
    InterruptedDeep(String),
}

/// Counts for the progress display.
struct Tally {
    bar: ProgressBar,
    tty: bool,
    quiet: bool,
    running: AtomicUsize,
    failed: AtomicUsize,
}

impl Tally {
    fn new(total: usize, enabled: bool) -> Tally {
        let tty = enabled && std::io::IsTerminal::is_terminal(&std::io::stderr());
        let bar = ProgressBar::with_draw_target(
            Some(total as u64),
            if tty { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() },
        );
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} clusters done · {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Tally { bar, tty, quiet: !enabled, running: AtomicUsize::new(0), failed: AtomicUsize::new(0) }
    }
    fn message(&self) {
        self.bar.set_message(format!(
            "{} running · {} could not be read",
            self.running.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed)
        ));
    }
    fn start(&self) {
        self.running.fetch_add(1, Ordering::Relaxed);
        self.message();
    }
    fn done(&self, network: &str, name: &str, g: &Gathered) {
        self.running.fetch_sub(1, Ordering::Relaxed);
        if g.error.is_some() {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        let line = crate::untrusted::clean(&match &g.error {
            Some(e) => format!("audit: {network}/{name}: could not be read: {e}"),
            None => format!("audit: {network}/{name}: read in {:.1} s", g.duration_ms as f64 / 1000.0),
        });
        if self.tty {
            if g.error.is_some() {
                self.bar.println(line);
            }
        } else if !self.quiet {
            // Not `eprintln!`, which panics on a closed pipe while deep checks hold levels raised.
            let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("{line}\n").as_bytes());
        }
        self.bar.inc(1);
        self.message();
    }
}

pub async fn run(req: &Request, cancel: watch::Receiver<bool>) -> Result<AuditReport, AuditError> {
    let started = Utc::now();
    let clock = Instant::now();
    let catalog = req.catalog.clone();
    let tally = Tally::new(req.inventory.cluster_count(), req.progress);
    let gathered = match req.depth {
        // A light read changes nothing: stop at once.
        Depth::Light => {
            let mut stop = cancel.clone();
            tokio::select! {
                g = gather_light(req, &catalog, &tally) => g,
                _ = stop.wait_for(|c| *c) => return Err(AuditError::Interrupted),
            }
        }
        // Each check sees the signal itself and restores what it raised before returning:
        // dropping it here would leave the levels raised.
        Depth::Deep => gather_deep(req, &catalog, &tally, cancel).await?,
    };
    tally.bar.finish_and_clear();

    let options = analyze::Options {
        from: Some(TimeBound::Utc(
            // A span reaching before the calendar's start means everything.
            started
                .checked_sub_signed(chrono::Duration::from_std(req.since).unwrap_or_default())
                .unwrap_or(chrono::DateTime::<Utc>::MIN_UTC)
                .timestamp_millis(),
        )),
        ..analyze::Options::default()
    };
    let mut clusters: Vec<ClusterResult> = Vec::new();
    let mut pairs: Vec<PairResult> = Vec::new();
    for (n, g) in req.inventory.networks.iter().zip(&gathered) {
        let opts = if req.depth == Depth::Deep { analyze::Options::default() } else { options.clone() };
        let (c, p) = assess::network(&catalog, n, g, &opts);
        clusters.extend(c);
        pairs.extend(p);
    }
    if req.depth == Depth::Light {
        left_raised(&req.deep.journal, &mut clusters);
    }
    let status = AuditReport::fold_status(&clusters, &pairs);
    let summary = summary(status, &clusters, &pairs);
    Ok(AuditReport {
        schema: SCHEMA.to_string(),
        status,
        exit_code: status.exit_code(),
        summary,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        tool_revision: env!("ILS_DOCTOR_GIT_REVISION").to_string(),
        tool_built: env!("ILS_DOCTOR_BUILD_DATE").to_string(),
        started: started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        duration_ms: clock.elapsed().as_millis() as u64,
        depth: req.depth,
        since_s: req.since.as_secs(),
        clusters,
        pairs,
        changes: Vec::new(),
    })
}

async fn gather_light(req: &Request, catalog: &Catalog, tally: &Tally) -> Vec<Vec<Gathered>> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let scans = tokio::sync::Semaphore::new(cores);
    let reader = Reader {
        conn: &req.conn,
        since: req.since,
        host_timeout: req.host_timeout,
        cache: &req.cache,
        catalog,
        scans: &scans,
    };
    let work: Vec<(usize, usize, &Network, &Cluster)> = req
        .inventory
        .networks
        .iter()
        .enumerate()
        .flat_map(|(ni, n)| n.clusters.iter().enumerate().map(move |(ci, c)| (ni, ci, n, c)))
        .collect();
    let reader = &reader;
    let done: Vec<((usize, usize), Gathered)> = futures_util::stream::iter(work)
        .map(|(ni, ci, n, c)| async move {
            tally.start();
            let g = reader.read(&n.name, c).await;
            tally.done(&n.name, &c.name, &g);
            ((ni, ci), g)
        })
        .buffer_unordered(req.jobs.max(1))
        .collect()
        .await;
    let mut out: Vec<Vec<Gathered>> =
        req.inventory.networks.iter().map(|n| n.clusters.iter().map(|_| Gathered::default()).collect()).collect();
    for ((ni, ci), g) in done {
        place(&mut out, ni, ci, g);
    }
    out
}

/// Puts a cluster's gathering at its place in the inventory's order.
fn place(out: &mut [Vec<Gathered>], network: usize, cluster: usize, g: Gathered) {
    if let Some(slot) = out.get_mut(network).and_then(|n| n.get_mut(cluster)) {
        *slot = g;
    }
}

/// A deep group's network, its clusters' gatherings, and the interruption message if any.
type GroupResult = (usize, Vec<(usize, Gathered)>, Option<String>);

/// One hub and its spokes, checked together.
fn groups(n: &Network) -> Vec<(usize, Vec<usize>)> {
    n.clusters
        .iter()
        .enumerate()
        .filter(|(_, c)| c.role == Role::Hub)
        .map(|(h, _)| (h, n.pairs().into_iter().filter(|(hh, _)| *hh == h).map(|(_, s)| s).collect()))
        .collect()
}

async fn gather_deep(
    req: &Request,
    catalog: &Catalog,
    tally: &Tally,
    cancel: watch::Receiver<bool>,
) -> Result<Vec<Vec<Gathered>>, AuditError> {
    let work: Vec<(usize, &Network, usize, Vec<usize>)> = req
        .inventory
        .networks
        .iter()
        .enumerate()
        .flat_map(|(ni, n)| groups(n).into_iter().map(move |(h, s)| (ni, n, h, s)))
        .collect();
    let results: Vec<GroupResult> = futures_util::stream::iter(work)
        .map(|(ni, n, h, spokes)| {
            let mut cancel = cancel.clone();
            async move {
                // Clusters marked `skip` are never contacted: a skipped hub's group is not
                // checked, a skipped spoke is left out of its hub's check.
                let skip_of = |ci: usize| n.clusters.get(ci).and_then(|c| c.skip.clone());
                let skipped: Vec<(usize, Gathered)> = if let Some(why) = skip_of(h) {
                    std::iter::once(h)
                        .chain(spokes.iter().copied())
                        .map(|ci| {
                            let e =
                                skip_of(ci).unwrap_or_else(|| format!("not checked: its hub is not contacted ({why})"));
                            (ci, Gathered { error: Some(e), ..Gathered::default() })
                        })
                        .collect()
                } else {
                    spokes
                        .iter()
                        .filter_map(|&ci| skip_of(ci).map(|e| (ci, Gathered { error: Some(e), ..Gathered::default() })))
                        .collect()
                };
                if skip_of(h).is_some() {
                    return (ni, skipped, None);
                }
                let spokes: Vec<usize> = spokes.into_iter().filter(|&ci| skip_of(ci).is_none()).collect();
                if *cancel.borrow() {
                    // Interrupted before this group started: raise nothing.
                    let mut interrupted: Vec<(usize, Gathered)> = std::iter::once(h)
                        .chain(spokes.iter().copied())
                        .map(|ci| {
                            (
                                ci,
                                Gathered {
                                    error: Some("interrupted before it was checked".into()),
                                    ..Gathered::default()
                                },
                            )
                        })
                        .collect();
                    interrupted.extend(skipped);
                    return (ni, interrupted, None);
                }
                let (mut gs, interrupted) = deep_group(req, catalog, n, h, &spokes, async move {
                    let _ = cancel.wait_for(|c| *c).await;
                })
                .await;
                gs.extend(skipped);
                for (ci, g) in &gs {
                    tally.start();
                    tally.done(&n.name, n.clusters.get(*ci).map_or("", |c| c.name.as_str()), g);
                }
                (ni, gs, interrupted)
            }
        })
        .buffer_unordered(req.deep.max_raised.max(1))
        .collect()
        .await;
    let mut out: Vec<Vec<Gathered>> =
        req.inventory.networks.iter().map(|n| n.clusters.iter().map(|_| Gathered::default()).collect()).collect();
    let mut interrupted = Vec::new();
    for (ni, gs, int) in results {
        interrupted.extend(int);
        for (ci, g) in gs {
            place(&mut out, ni, ci, g);
        }
    }
    if *cancel.borrow() {
        let extra = interrupted.iter().filter(|e| !e.is_empty()).cloned().collect::<Vec<_>>().join("; ");
        return Err(AuditError::InterruptedDeep(if extra.is_empty() { String::new() } else { format!(" ({extra})") }));
    }
    Ok(out)
}

/// The full check of one hub and its spokes, returned as what a light read would have gathered
/// (facts and scanned traces), so the same assessment applies.
async fn deep_group(
    req: &Request,
    catalog: &Catalog,
    n: &Network,
    hub: usize,
    spokes: &[usize],
    cancel: impl std::future::Future<Output = ()>,
) -> (Vec<(usize, Gathered)>, Option<String>) {
    let started = Instant::now();
    let members: Vec<usize> = std::iter::once(hub).chain(spokes.iter().copied()).collect();
    let fail = |e: String| {
        members.iter().map(|&ci| (ci, Gathered { error: Some(e.clone()), ..Gathered::default() })).collect()
    };
    let accesses: Result<Vec<_>, String> = members
        .iter()
        .map(|&ci| n.clusters.get(ci).ok_or_else(|| "not in the inventory".to_string()))
        .map(|c| gather::access(c?, &req.conn))
        .collect();
    let accesses = match accesses {
        Ok(a) => a,
        Err(e) => return (fail(e), None),
    };
    // `members` starts with the hub, so both exist once the accesses do.
    let (Some(hub_cluster), Some((hub_access, spoke_accesses))) = (n.clusters.get(hub), accesses.split_first()) else {
        return (fail("not in the inventory".into()), None);
    };
    let hub_name = &hub_cluster.name;
    let dir = req.cache.join("deep").join(gather::dir_name(&n.name)).join(gather::dir_name(hub_name));
    let check_req = session::Request {
        hubs: vec![hub_access.clone()],
        spokes: spoke_accesses.to_vec(),
        capture: req.deep.capture,
        since: req.since,
        keep_trace_level: false,
        detailed_value: None,
        force_registration: req.deep.force_registration,
        start_stopped: false,
        // One session judges every spoke of the hub: the links' method when they agree.
        method: {
            let methods: BTreeSet<_> = spokes.iter().map(|&ci| n.clusters.get(ci).and_then(|c| c.method)).collect();
            if methods.len() == 1 {
                methods.into_iter().next().flatten()
            } else {
                None
            }
        },
        download_dir: dir,
        journal: req.deep.journal.clone(),
        progress: false,
        poll: Duration::from_secs(2),
        catalog: req.catalog.clone(),
        preflight_only: false,
    };
    // The time limit stops the check like a signal does: through its restore, which has its own
    // bounded time (`session::RESTORE_LIMIT`). Dropping the check at the limit would skip it.
    let limit = req.host_timeout.saturating_add(req.deep.capture);
    let timed_out = std::sync::atomic::AtomicBool::new(false);
    let stop = async {
        tokio::select! {
            () = cancel => {}
            () = tokio::time::sleep(limit) => timed_out.store(true, Ordering::SeqCst),
        }
    };
    let ran = session::run(&check_req, stop).await;
    let timed_out = timed_out.load(Ordering::SeqCst);
    let late =
        || format!("check of {hub_name} and its spokes did not finish within {} s and was stopped", limit.as_secs());
    let outcome = match ran {
        Ok(o) => o,
        Err(session::CheckError::Interrupted) if timed_out => {
            return (fail(format!("{}; the trace levels were restored", late())), None)
        }
        Err(session::CheckError::Interrupted) => return (fail("interrupted".into()), Some(String::new())),
        Err(session::CheckError::InterruptedRestoreFailed(m)) if timed_out => {
            let e = format!("{}; restoring the trace level failed: {m}", late());
            return (still_raised(fail(e.clone()), &accesses, &members, &e), None);
        }
        Err(e @ session::CheckError::InterruptedRestoreFailed(_)) => {
            let text = e.to_string();
            return (still_raised(fail(text.clone()), &accesses, &members, &text), Some(text));
        }
        Err(e @ session::CheckError::StillRaised { .. }) => {
            let text = format!("check of {hub_name} and its spokes: {e}");
            return (still_raised(fail(text.clone()), &accesses, &members, &text), None);
        }
        Err(e) => return (fail(format!("check of {hub_name} and its spokes: {e}")), None),
    };
    let elapsed = started.elapsed().as_millis() as u64;
    let mut out = Vec::new();
    for (k, (&ci, a)) in members.iter().zip(&accesses).enumerate() {
        let side = if k == 0 { Side::Hub } else { Side::Spoke };
        let facts = outcome
            .config
            .iter()
            .find(|c| c.facts.host == a.host && c.facts.https_port == a.https_port && c.side == side)
            .map(|c| c.facts.clone());
        let folder = session::side_dir(&check_req.download_dir, side, a);
        let jobs: Vec<Job> = outcome
            .analysis
            .files
            .iter()
            .filter(|f| std::path::Path::new(&f.path).starts_with(&folder))
            .map(|f| Job { path: PathBuf::from(&f.path), side, arg: 0 })
            .collect();
        let (scanned, warnings) = scan_all(catalog, &jobs, 1);
        let extra = outcome
            .findings
            .iter()
            .filter(|f| f.code == "trace_level_still_raised" && f.host == a.host)
            .cloned()
            .collect();
        let mut g = Gathered { facts, scanned, error: None, warnings, duration_ms: elapsed, findings: extra };
        if g.facts.is_none() {
            g.error = Some(format!("{}: the check returned no facts for this publisher", a.host));
        }
        out.push((ci, g));
    }
    (out, None)
}

const RESTORE_FIX: &str = "run `ils-doctor restore` (it needs only the application user), or set the Cisco Intercluster Lookup Service trace level back in Cisco Unified Serviceability > Trace > Configuration";

/// A light audit reads no trace levels, but the journal lists each level a run raised and did
/// not put back (a check killed hard, a restore that failed). A cluster whose publisher has such
/// an entry, held by no running ils-doctor, is critical, as after a deep audit that could not
/// restore, until `ils-doctor restore` puts the level back.
fn left_raised(journal: &Path, clusters: &mut [ClusterResult]) {
    let Ok(journal) = Journal::load(journal) else { return };
    for entry in journal.entries.values().filter(|e| !e.held_by_live_run()) {
        for c in clusters.iter_mut().filter(|c| c.host == entry.host) {
            c.findings.push(FindingRow {
                severity: Status::Critical,
                code: "trace_level_still_raised".into(),
                message: format!(
                    "{}: the trace-level journal says a run raised the ILS trace level at {} and did not put it back (it was {})",
                    entry.host, entry.raised_at, entry.original.trace_level
                ),
                fix: RESTORE_FIX.into(),
            });
            c.status = Status::Critical;
        }
    }
}

/// A check that could not put a level back makes each cluster it names critical: a forgotten
/// Detailed trace fills the disk (see `session::still_raised_findings`).
fn still_raised(
    mut gs: Vec<(usize, Gathered)>,
    accesses: &[crate::collect::publisher::Access],
    members: &[usize],
    text: &str,
) -> Vec<(usize, Gathered)> {
    for (ci, g) in &mut gs {
        let Some(a) = members.iter().position(|m| m == ci).and_then(|k| accesses.get(k)) else { continue };
        if text.contains(&format!("{}:{}", a.host, a.https_port)) {
            g.findings.push(crate::analyze::findings::Finding {
                severity: Status::Critical,
                code: "trace_level_still_raised",
                host: a.host.clone(),
                message: text.to_string(),
                fix: RESTORE_FIX.into(),
                pair: None,
                condition: None,
                part_of_cause: false,
                cluster: None,
            });
        }
    }
    gs
}

fn summary(status: Status, clusters: &[ClusterResult], pairs: &[PairResult]) -> String {
    let count = |s: Status| pairs.iter().filter(|p| p.status == s).count();
    let unread = clusters.iter().filter(|c| c.error.is_some()).count();
    let mut text = format!(
        "{}: {} cluster(s), {} link(s): {} ok, {} warning, {} critical, {} unknown",
        status.as_str().to_uppercase(),
        clusters.len(),
        pairs.len(),
        count(Status::Ok),
        count(Status::Warning),
        count(Status::Critical),
        count(Status::Unknown)
    );
    if unread > 0 {
        text.push_str(&format!("; {unread} cluster(s) could not be read"));
    }
    if let Some(p) = pairs.iter().find(|p| p.status == status && status != Status::Ok) {
        text.push_str(&format!("; first: {}: {}", p.network, p.summary));
    } else if let Some(c) = clusters.iter().find(|c| c.status == status && status != Status::Ok) {
        let why =
            c.error.clone().or_else(|| c.findings.iter().find(|f| f.severity == status).map(|f| f.message.clone()));
        text.push_str(&format!("; first: {}/{}: {}", c.network, c.name, why.unwrap_or_default()));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::testdata::simple;
    use crate::collect::trace_level::{Entry, Owner};

    fn entry(host: &str, owner: Option<Owner>) -> Entry {
        Entry {
            host: host.into(),
            https_port: 8443,
            node: host.into(),
            service: "Cisco Intercluster Lookup Service".into(),
            original: crate::connect::envelope::TraceSettings { trace_level: "Error".into(), ..Default::default() },
            raised_at: "2026-01-01T09:00:00Z".into(),
            owner,
            reach: None,
        }
    }

    #[test]
    fn a_journal_entry_no_run_holds_makes_its_cluster_critical() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.json");
        let mut journal = Journal::default();
        journal.entries.insert(Journal::key("spoke-1.example.com", 8443), entry("spoke-1.example.com", None));
        // Held by this (running) process: a check in progress, not a leftover.
        journal
            .entries
            .insert(Journal::key("spoke-2.example.com", 8443), entry("spoke-2.example.com", Some(Owner::new_run())));
        std::fs::write(&path, serde_json::to_string(&journal).unwrap()).unwrap();

        let mut r = simple("2026-01-01T10:00:00Z", Status::Ok, Status::Ok, Status::Ok, Status::Ok);
        left_raised(&path, &mut r.clusters);
        let by_name = |n: &str| r.clusters.iter().find(|c| c.name == n).unwrap();
        let spoke1 = by_name("spoke-1");
        assert_eq!(spoke1.status, Status::Critical);
        assert_eq!(spoke1.findings.len(), 1);
        assert_eq!(spoke1.findings[0].code, "trace_level_still_raised");
        assert!(spoke1.findings[0].message.contains("it was Error"), "{:?}", spoke1.findings[0]);
        assert!(spoke1.findings[0].fix.contains("ils-doctor restore"));
        for name in ["hub-a", "spoke-2"] {
            assert_eq!(by_name(name).status, Status::Ok, "{name}");
            assert!(by_name(name).findings.is_empty(), "{name}");
        }
        assert!(super::super::prometheus::render(&r).contains(
            "ils_doctor_trace_level_raised{network=\"net1\",cluster=\"spoke-1\",role=\"spoke\",host=\"spoke-1.example.com\"} 1\n"
        ));
    }

    #[test]
    fn no_journal_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = simple("2026-01-01T10:00:00Z", Status::Ok, Status::Ok, Status::Ok, Status::Ok);
        left_raised(&dir.path().join("absent.json"), &mut r.clusters);
        assert!(r.clusters.iter().all(|c| c.status == Status::Ok && c.findings.is_empty()));
    }
}
