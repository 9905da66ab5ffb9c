//! From matched trace lines to diagnosed registration attempts. Pure: no files, no clock.
//!
//! The steps, each in its own module:
//! 1. [`event`]: place each matched line on a timeline (FileHead date, UTC offset, midnights);
//! 2. [`tracker`]: follow each side's connections: lines that open, conclude or support an
//!    attempt make episodes (one side's view of one connection); the rest is routine activity
//!    ([`filter`] does this per file while scanning, so routine lines are only counted);
//! 3. [`pairing`]: join the hub's and the spoke's episodes into attempts, estimate clock skew;
//! 4. [`diagnose`] and [`fix`]: method, outcome, root cause and what to do, per attempt;
//! 5. [`verdict`]: per spoke/hub pair the latest attempt decides; the worst pair decides the
//!    run's status and exit code;
//! 6. with both sides' configuration (`check`): [`network`] says which links the clusters given
//!    should have and how each end is known, [`judge`] gives each link one [`cause`] and its
//!    [`method`] from every source, and [`findings`] what the configuration says.
//!
//! The [`catalog`] holds the signatures (built in from `signatures/ils.toml`).

pub mod catalog;
pub mod cause;
pub mod diagnose;
pub mod episode;
pub mod event;
pub mod fields;
pub mod filter;
pub mod findings;
pub mod fix;
pub mod judge;
pub mod method;
pub mod model;
pub mod names;
pub mod network;
pub mod pairing;
pub mod preflight;
pub mod quiet;
pub mod readers;
pub mod tracker;
pub mod types;
pub mod verdict;
pub mod vocabulary;

mod activity;
mod attempts;

use std::collections::BTreeMap;

pub use catalog::Catalog;
pub use event::{RawHit, ScannedFile};
pub use model::Analysis;
pub use types::{Method, Outcome, RootCause, Side, Status};

use crate::parse::clock::Stamp;
use event::{FileDate, When};
use types::SideSpec;

/// Choices that shape an analysis.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The authentication method the user says is configured (resolves what traces leave open).
    pub configured_method: Option<Method>,
    /// Only lines at or after this time; lines without a date are kept.
    pub from: Option<TimeBound>,
    /// Only lines before this time.
    pub to: Option<TimeBound>,
    /// The window as the user wrote it, for the report.
    pub window: model::Window,
    /// Warnings from reading the files (unreadable, binary, truncated), carried into the report.
    pub warnings: Vec<String>,
}

/// One end of the time window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeBound {
    /// An instant (Unix ms), from a time with an offset.
    Utc(i64),
    /// A wall-clock time, compared with each trace's own local time (what an engineer reads on
    /// the publisher).
    Local(chrono::NaiveDateTime),
}

impl TimeBound {
    /// Whether the line is before the bound; `None` when the line's date is unknown.
    fn line_is_before(&self, w: &When) -> Option<bool> {
        match self {
            TimeBound::Utc(ms) => w.utc_ms.map(|t| t < *ms),
            TimeBound::Local(dt) => w.local.map(|t| t < *dt),
        }
    }
}

/// A matched line with its place on the timeline and its role in the connection.
#[derive(Debug, Clone)]
pub(crate) struct Event<'a> {
    pub trace: usize,
    pub file: usize,
    pub hit: &'a RawHit,
    pub when: Option<When>,
    /// The writer's role in this connection (hub = server, spoke = client).
    pub role: Side,
}

/// One host's trace: the files of one argument (and one FileHead host).
#[derive(Debug, Clone)]
pub(crate) struct TraceInfo {
    pub side: Side,
    pub files: Vec<usize>,
    pub host_ip: Option<String>,
    pub host_name: Option<String>,
}

/// Analyzes scanned files (in the order given: files of one trace in file-name order).
pub fn analyze(catalog: &Catalog, files: &[ScannedFile], options: &Options) -> Analysis {
    let mut warnings = options.warnings.clone();
    let traces = traces_of(files);
    let file_traces: Vec<Vec<usize>> = traces.iter().map(|t| t.files.clone()).collect();
    let dates = event::resolve_dates(files, &file_traces);
    warn_missing_dates(files, &traces, &mut warnings);

    let events = events_of(catalog, files, &traces, &dates, options, &mut warnings);
    let built = attempts::build(catalog, files, &traces, &events, options.configured_method);
    for s in &built.skews {
        if s.hub_minus_spoke_ms.abs() > attempts::SKEW_CORRECTION_MIN_MS {
            warnings.push(format!(
                "the hub's clock ({}) and the spoke's clock ({}) differ by {:.1} s: check NTP on both publishers (utils ntp status)",
                s.hub.as_deref().unwrap_or("?"),
                s.spoke.as_deref().unwrap_or("?"),
                s.hub_minus_spoke_ms as f64 / 1000.0
            ));
        }
    }
    let sums = activity::sum(catalog, files, &traces, &dates, &events, &built.routine, options);
    let summaries = files
        .iter()
        .map(|f| {
            let routine: u64 = f.activity.iter().map(|a| a.count).sum();
            model::FileSummary {
                side: f.side,
                path: f.path.clone(),
                bytes: f.bytes,
                lines: f.lines,
                matched: f.hits.len().saturating_add(usize::try_from(routine).unwrap_or(usize::MAX)),
                routine,
            }
        })
        .collect();
    // Routine lines that name a peer belong to the pair of this trace's host and that peer;
    // the others to the trace.
    let mut pair_activity: BTreeMap<(Option<String>, Option<String>), activity::Sum> = BTreeMap::new();
    let mut trace_activity: BTreeMap<usize, activity::Sum> = BTreeMap::new();
    for ((ti, role, peer), sum) in &sums {
        match peer {
            Some(p) => {
                let own = traces.get(*ti).and_then(|t| t.host_ip.clone().or_else(|| t.host_name.clone()));
                let key = match role {
                    Side::Hub => (own, Some(p.clone())),
                    Side::Spoke => (Some(p.clone()), own),
                };
                pair_activity.entry(key).or_default().merge(sum);
            }
            None => trace_activity.entry(*ti).or_default().merge(sum),
        }
    }
    let trace_models = traces
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut m = trace_model(t, files, &dates);
            m.activity = trace_activity.get(&i).map(|s| s.model());
            m
        })
        .collect();
    let pair_activity = pair_activity.into_iter().map(|(k, v)| (k, v.model())).collect();
    verdict::conclude(
        built.attempts,
        pair_activity,
        built.skews,
        trace_models,
        summaries,
        options.window.clone(),
        warnings,
        options.configured_method,
    )
}

/// Splits the files into traces: one per command-line argument and FileHead host. A file without
/// a FileHead host stays with the file before it.
fn traces_of(files: &[ScannedFile]) -> Vec<TraceInfo> {
    let mut traces: Vec<TraceInfo> = Vec::new();
    let mut index: BTreeMap<(Side, usize, Option<String>), usize> = BTreeMap::new();
    let mut last_host: BTreeMap<(Side, usize), Option<String>> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        let head_host = f.filehead.as_ref().and_then(|h| h.host_ip.clone().or_else(|| h.host_name.clone()));
        let host = match head_host {
            Some(h) => Some(h),
            None => last_host.get(&(f.side, f.arg)).cloned().flatten(),
        };
        last_host.insert((f.side, f.arg), host.clone());
        let key = (f.side, f.arg, host);
        let t = *index.entry(key).or_insert_with(|| {
            traces.push(TraceInfo { side: f.side, files: Vec::new(), host_ip: None, host_name: None });
            traces.len().saturating_sub(1)
        });
        let Some(trace) = traces.get_mut(t) else { continue };
        trace.files.push(i);
        if let Some(h) = &f.filehead {
            trace.host_ip = trace.host_ip.take().or_else(|| h.host_ip.clone());
            trace.host_name = trace.host_name.take().or_else(|| h.host_name.clone());
        }
    }
    traces
}

fn warn_missing_dates(files: &[ScannedFile], traces: &[TraceInfo], warnings: &mut Vec<String>) {
    for t in traces {
        let of_trace = || t.files.iter().filter_map(|&f| files.get(f));
        let dated = of_trace().any(|f| f.filehead.as_ref().is_some_and(|h| h.date.is_some()));
        let matched = of_trace().any(|f| !f.hits.is_empty());
        if !dated && matched {
            let first = t.files.first().and_then(|&f| files.get(f)).map_or("?", |f| f.path.as_str());
            warnings.push(format!(
                "{} trace {first}: no FileHead line with a date, so times are compared as times of day only and --from/--to do not apply to it",
                t.side.as_str()
            ));
        }
    }
}

fn events_of<'a>(
    catalog: &Catalog,
    files: &'a [ScannedFile],
    traces: &[TraceInfo],
    dates: &[FileDate],
    options: &Options,
    warnings: &mut Vec<String>,
) -> Vec<Event<'a>> {
    let mut events = Vec::new();
    for (ti, t) in traces.iter().enumerate() {
        let mut wrong_side: BTreeMap<String, usize> = BTreeMap::new();
        for &fi in &t.files {
            let (Some(file), Some(date)) = (files.get(fi), dates.get(fi)) else { continue };
            for hit in &file.hits {
                let Some(sig) = catalog.get(hit.sig) else { continue };
                let when = hit.stamp.map(|s| event::when(date, s));
                if let Some(w) = &when {
                    let too_early = options.from.and_then(|b| b.line_is_before(w)) == Some(true);
                    let too_late = options.to.and_then(|b| b.line_is_before(w)) == Some(false);
                    if too_early || too_late {
                        continue;
                    }
                }
                let role = filter::writer_role(sig.side, hit.fields.peer_port, t.side);
                if role != t.side && sig.side != SideSpec::Both {
                    let n = wrong_side.entry(sig.id.clone()).or_default();
                    *n = n.saturating_add(1);
                }
                events.push(Event { trace: ti, file: fi, hit, when, role });
            }
        }
        if !wrong_side.is_empty() {
            let ids: Vec<String> = wrong_side.iter().map(|(id, n)| format!("{id} x{n}")).collect();
            let other = if t.side == Side::Hub { "spoke" } else { "hub" };
            warnings.push(format!(
                "the {} trace of {} holds {other}-side lines ({}): either --hub and --spoke are swapped, or this cluster is also the {other} of another ILS connection (hubs connect to each other)",
                t.side.as_str(),
                t.host_ip.as_deref().or(t.host_name.as_deref()).unwrap_or("an unnamed host"),
                ids.join(", ")
            ));
        }
    }
    events
}

fn trace_model(t: &TraceInfo, files: &[ScannedFile], dates: &[FileDate]) -> model::Trace {
    let at = |f: usize, pick: fn(&ScannedFile) -> Option<Stamp>| Some(event::when(dates.get(f)?, pick(files.get(f)?)?));
    let first = t.files.first().and_then(|&f| at(f, |file| file.first));
    let last = t.files.last().and_then(|&f| at(f, |file| file.last));
    let show = |w: Option<When>| w.map(|w| w.rfc3339().unwrap_or_else(|| w.time_of_day()));
    let offset = t.files.first().and_then(|&f| dates.get(f)?.offset_min).map(|m| {
        let sign = if m < 0 { '-' } else { '+' };
        format!("{sign}{:02}:{:02}", m.abs() / 60, m.abs() % 60)
    });
    model::Trace {
        side: t.side,
        host_name: t.host_name.clone(),
        host_ip: t.host_ip.clone(),
        utc_offset: offset,
        files: t.files.len(),
        first: show(first),
        last: show(last),
        activity: None,
    }
}
