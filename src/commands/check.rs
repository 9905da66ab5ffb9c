//! `ils-doctor check`: the whole job against live publishers.
//!
//! 1. open each publisher once (HTTPS pool + SSH shell), concurrently;
//! 2. restore trace levels a dead earlier run left raised (the journal says which);
//! 3. read each side's facts (version, cluster ID, ILS role and service, remotecluster, nodes);
//! 4. raise the ILS trace level to Detailed, journal first;
//! 5. capture: poll the ILS traces of the window, download new files, analyze, and stop early
//!    once every spoke's registration attempt has an outcome (or at `--capture`);
//! 6. restore the trace levels: always, on success, error, Ctrl-C or SIGTERM;
//! 7. diagnose: the analysis of both sides plus configuration findings.

use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use serde::Serialize;

pub use crate::analyze::findings::{
    drop_moot_trust_findings, findings, fold_findings, Finding, LevelChange, SideConfig,
};
use crate::analyze::model::Analysis;
use crate::analyze::{self, Catalog, Method, Side};
use crate::collect::download::{self, Progress};
use crate::collect::facts;
use crate::collect::publisher::{Access, Publisher, PublisherError};
use crate::collect::trace_level::{self, Journal, RaiseError};
use crate::commands::scan::{scan_all, Job};

/// Everything `check` needs, validated.
#[derive(Debug, Clone)]
pub struct Request {
    pub hub: Access,
    pub spokes: Vec<Access>,
    /// How long to wait for registration attempts when the level had to be raised.
    pub capture: Duration,
    /// How far back to read when the level already was Detailed.
    pub since: Duration,
    pub keep_trace_level: bool,
    pub detailed_value: Option<String>,
    /// Restart the ILS service on the spokes after raising the level, to force a registration
    /// (a registered pair logs nothing until it reconnects).
    pub force_registration: bool,
    pub method: Option<Method>,
    pub download_dir: PathBuf,
    pub journal: PathBuf,
    pub progress: bool,
    /// Seconds between two looks at the traces during the capture.
    pub poll: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Publisher(#[from] PublisherError),
    #[error(transparent)]
    TraceLevel(#[from] RaiseError),
    #[error("interrupted; the trace levels were restored")]
    Interrupted,
    #[error(
        "interrupted, and restoring the trace level failed: {0}; run `ils-doctor restore` to retry from the journal"
    )]
    InterruptedRestoreFailed(String),
}

/// The result: the analysis (its status already includes the findings), each side's facts.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    #[serde(flatten)]
    pub analysis: Analysis,
    pub config: Vec<SideConfig>,
    pub findings: Vec<Finding>,
    pub trace_levels: Vec<LevelChange>,
    pub download_dir: String,
}

/// Runs the check. `cancel` resolving (Ctrl-C, SIGTERM) stops the capture; the levels are
/// restored either way.
pub async fn run(req: &Request, cancel: impl std::future::Future<Output = ()>) -> Result<Outcome, CheckError> {
    let progress = Progress::new(req.progress);
    let all: Vec<(Side, Access)> = std::iter::once((Side::Hub, req.hub.clone()))
        .chain(req.spokes.iter().map(|s| (Side::Spoke, s.clone())))
        .collect();
    progress.say(&format!("connecting to {} publisher(s)", all.len()));
    let opened = futures_util::future::join_all(all.iter().map(|(_, a)| Publisher::open(a.clone()))).await;
    let mut pubs: Vec<(Side, Publisher)> = Vec::new();
    let mut first_err = None;
    for ((side, _), r) in all.iter().zip(opened) {
        match r {
            Ok(p) => pubs.push((*side, p)),
            Err(e) => first_err = first_err.or(Some(e)),
        }
    }
    if let Some(e) = first_err {
        for (_, p) in pubs {
            p.close().await;
        }
        return Err(e.into());
    }

    let mut journal = Journal::load(&req.journal).map_err(RaiseError::from)?;
    for (_, p) in &pubs {
        if let Some(old) = trace_level::restore(p, &mut journal, &req.journal).await? {
            progress.say(&format!(
                "{}: restored the trace level {} left raised by an earlier run",
                p.access.host, old.trace_level
            ));
        }
    }

    progress.say("reading the ILS configuration of both sides");
    let mut config = Vec::new();
    for (side, p) in pubs.iter_mut() {
        let f = facts::read(p).await;
        p.node_name = f.node_name.clone();
        config.push(SideConfig { side: *side, facts: f });
    }

    // Raise, remembering what to restore; on any failure, restore what was raised.
    let mut levels = Vec::new();
    let mut raised_any = false;
    for ((_, p), c) in pubs.iter().zip(&config) {
        let node = c.facts.node_name.clone().unwrap_or_else(|| p.access.host.clone());
        let detailed = match &req.detailed_value {
            Some(v) => v.clone(),
            None => trace_level::detailed_value(p, trace_level::DEFAULT_DETAILED).await,
        };
        match trace_level::raise(p, &node, &detailed, &mut journal, &req.journal).await {
            Ok(r) => {
                raised_any |= r.changed;
                levels.push(LevelChange {
                    host: p.access.host.clone(),
                    https_port: p.access.https_port,
                    before: r.original.trace_level,
                    during: detailed,
                    restored: None,
                });
            }
            Err(e) => {
                restore_all(&pubs, &mut journal, req, &mut levels, &progress).await;
                close_all(pubs).await;
                return Err(e.into());
            }
        }
    }
    if raised_any {
        progress.say("ILS trace level raised to Detailed; it is restored at the end, whatever happens");
    }

    let capture = capture(req, &mut pubs, raised_any, &progress);
    let result = tokio::select! {
        r = capture => Some(r),
        () = cancel => None,
    };

    let restore_errors = if req.keep_trace_level {
        progress
            .say("--keep-trace-level: the ILS trace level stays at Detailed (journal kept for `ils-doctor restore`)");
        Vec::new()
    } else {
        restore_all(&pubs, &mut journal, req, &mut levels, &progress).await
    };
    close_all(pubs).await;
    let Some(files) = result else {
        return Err(if restore_errors.is_empty() {
            CheckError::Interrupted
        } else {
            CheckError::InterruptedRestoreFailed(restore_errors.join("; "))
        });
    };

    let (jobs, mut warnings) = files;
    warnings.extend(restore_errors);
    let catalog = Catalog::builtin();
    let (scanned, scan_warnings) =
        scan_all(&catalog, &jobs, std::thread::available_parallelism().map_or(1, |n| n.get()));
    warnings.extend(scan_warnings);
    let options = analyze::Options { configured_method: req.method, warnings, ..analyze::Options::default() };
    Ok(diagnose(&catalog, &scanned, &options, config, levels, req.download_dir.display().to_string()))
}

/// The analysis of scanned traces with the configuration findings folded in: what `check`
/// concludes, and what a bundle's offline analysis concludes again from the same inputs.
pub fn diagnose(
    catalog: &Catalog,
    scanned: &[crate::analyze::ScannedFile],
    options: &analyze::Options,
    config: Vec<SideConfig>,
    levels: Vec<LevelChange>,
    download_dir: String,
) -> Outcome {
    let mut analysis = analyze::analyze(catalog, scanned, options);
    let mut findings = findings(&config, &levels);
    drop_moot_trust_findings(&mut findings, &mut analysis);
    fold_findings(&mut analysis, &findings);
    Outcome { analysis, config, findings, trace_levels: levels, download_dir }
}

type Collected = (Vec<Job>, Vec<String>);

/// Polls and downloads until every spoke has a decided attempt or the capture time is over.
async fn capture(req: &Request, pubs: &mut [(Side, Publisher)], raised: bool, progress: &Progress) -> Collected {
    let started = Utc::now();
    let from = if raised {
        started - chrono::Duration::minutes(2)
    } else {
        started - chrono::Duration::from_std(req.since).unwrap_or_default()
    };
    let deadline = tokio::time::Instant::now() + if raised { req.capture } else { Duration::ZERO };
    let mut warnings = Vec::new();
    if raised && req.force_registration {
        for (side, p) in pubs.iter_mut() {
            if *side == Side::Spoke {
                match p.restart_ils().await {
                    Ok(_) => progress.say(&format!(
                        "{}: Cisco Intercluster Lookup Service restarted to force a registration",
                        p.access.host
                    )),
                    Err(e) => warnings.push(e.to_string()),
                }
            }
        }
    }
    let mut log_names = Vec::new();
    for (_, p) in pubs.iter() {
        log_names.push(download::ils_log_name(p).await);
    }
    let spinner = raised.then(|| {
        progress.spinner(format!(
            "waiting up to {} s for ILS registration attempts on {} spoke(s)",
            req.capture.as_secs(),
            req.spokes.len()
        ))
    });
    let catalog = Catalog::builtin();
    let mut jobs: Vec<Job> = Vec::new();
    loop {
        let to = Utc::now() + chrono::Duration::minutes(2);
        jobs.clear();
        for (arg, ((side, p), log)) in pubs.iter_mut().zip(&log_names).enumerate() {
            let dir = side_dir(&req.download_dir, *side, &p.access);
            match download::fetch(p, log, from, to, &dir, progress).await {
                Ok(f) => {
                    warnings.extend(f.warnings);
                    jobs.extend(f.files.into_iter().map(|path| Job { path, side: *side, arg }));
                }
                Err(e) => warnings.push(e.to_string()),
            }
        }
        let done = {
            let (scanned, _) = scan_all(&catalog, &jobs, 2);
            let a = analyze::analyze(&catalog, &scanned, &analyze::Options::default());
            let decided: std::collections::BTreeSet<_> = a
                .attempts
                .iter()
                .filter(|x| x.outcome != analyze::Outcome::Incomplete)
                .map(|x| x.spoke.clone())
                .collect();
            decided.len() >= req.spokes.len().max(1)
        };
        if done || tokio::time::Instant::now() >= deadline {
            if let Some(s) = &spinner {
                s.finish_and_clear();
            }
            if !done && raised {
                warnings.push(format!(
                    "no decided registration attempt for every spoke within {} s: a registered pair logs nothing until it reconnects; run again with --force-registration (restarts the ILS service on the spokes) or a longer --capture",
                    req.capture.as_secs()
                ));
            }
            // Keep only the last state of each file: the final listing's jobs.
            return (jobs.clone(), warnings);
        }
        tokio::time::sleep(req.poll).await;
    }
}

/// Where one side's traces are downloaded under the run's download folder.
pub fn side_dir(download_dir: &std::path::Path, side: Side, a: &Access) -> PathBuf {
    download_dir.join(format!("{}-{}-{}", side.as_str(), sanitize(&a.host), a.https_port))
}

fn sanitize(host: &str) -> String {
    host.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect()
}

async fn restore_all(
    pubs: &[(Side, Publisher)],
    journal: &mut Journal,
    req: &Request,
    levels: &mut [LevelChange],
    progress: &Progress,
) -> Vec<String> {
    let mut errors = Vec::new();
    for (_, p) in pubs {
        match trace_level::restore(p, journal, &req.journal).await {
            Ok(Some(orig)) => {
                let ok = p
                    .soap
                    .trace_settings(&journal_node(p), facts::ILS_SERVICE)
                    .await
                    .map(|s| s.trace_level == orig.trace_level)
                    .unwrap_or(false);
                if let Some(l) =
                    levels.iter_mut().find(|l| l.host == p.access.host && l.https_port == p.access.https_port)
                {
                    l.restored = Some(ok);
                }
                progress.say(&format!("{}: ILS trace level restored to {}", p.access.host, orig.trace_level));
            }
            Ok(None) => {}
            Err(e) => errors.push(format!(
                "{e}; the journal {} keeps the original level: run `ils-doctor restore`",
                req.journal.display()
            )),
        }
    }
    errors
}

/// The node name the level was read with.
fn journal_node(p: &Publisher) -> String {
    p.node_name.clone().unwrap_or_else(|| p.access.host.clone())
}

async fn close_all(pubs: Vec<(Side, Publisher)>) {
    for (_, p) in pubs {
        p.close().await;
    }
}
