//! The verdict: per spoke/hub pair the latest attempt decides; the worst pair decides the run.
//!
//! Monitoring-plugin convention: ok (0) every pair's latest attempt succeeded and none failed in
//! the window, or a pair made no attempt but its routine traffic shows the link in use
//! (registered before the window); warning (1) every pair's latest attempt succeeded but failures
//! happened in the window; critical (2) some pair's latest attempt failed; unknown (3) no attempt
//! and no traffic with a known peer, or a pair with only attempts whose outcome is not in the
//! traces and no traffic. Routine lines that name no peer never make a verdict ok by themselves.
//! Worst wins in the order critical > unknown > warning > ok.

use std::collections::BTreeMap;

use super::model::{self, Analysis, Pair};
use super::types::{Outcome, Status};

/// How to raise the trace level when no attempt was found.
pub const NO_ATTEMPT_HINT: &str = "no ILS registration attempt was found in the traces: the Cisco Intercluster Lookup \
Service trace level is probably not Detailed. On both publishers open Cisco Unified Serviceability > Trace > \
Configuration, service Cisco Intercluster Lookup Service, set Debug Trace Level to Detailed, wait for the next \
registration attempt, and collect activelog cm/trace/ils/sdl again";

#[allow(clippy::too_many_arguments)]
pub(crate) fn conclude(
    mut attempts: Vec<model::Attempt>,
    activity: BTreeMap<(Option<String>, Option<String>), model::Activity>,
    skews: Vec<model::ClockSkew>,
    traces: Vec<model::Trace>,
    files: Vec<model::FileSummary>,
    window: model::Window,
    mut warnings: Vec<String>,
    configured: Option<super::types::Method>,
) -> Analysis {
    // Attempts are numbered from 1.
    for (a, id) in attempts.iter_mut().zip(1..) {
        a.id = id;
    }
    let mut by_pair: BTreeMap<(Option<String>, Option<String>), Vec<&model::Attempt>> = BTreeMap::new();
    for a in &attempts {
        by_pair.entry((a.hub.clone(), a.spoke.clone())).or_default().push(a);
    }
    for key in activity.keys() {
        by_pair.entry(key.clone()).or_default();
    }
    let pairs: Vec<Pair> = by_pair
        .into_iter()
        .map(|((hub, spoke), list)| {
            let act = activity.get(&(hub.clone(), spoke.clone())).cloned();
            pair(hub, spoke, &list, act, configured)
        })
        .collect();
    let status = if pairs.is_empty() {
        warnings.push(NO_ATTEMPT_HINT.to_string());
        Status::Unknown
    } else {
        pairs.iter().map(|p| p.status).max().unwrap_or(Status::Unknown)
    };
    let unclaimed: u64 = traces.iter().filter_map(|t| t.activity.as_ref()).map(|a| a.count).sum();
    let summary = summary(status, &pairs, &attempts, unclaimed);
    Analysis {
        schema: model::SCHEMA,
        status,
        exit_code: status.exit_code(),
        summary,
        tool: model::Tool::this(),
        window,
        pairs,
        attempts,
        clock_skew: skews,
        traces,
        files,
        warnings,
    }
}

fn pair(
    hub: Option<String>,
    spoke: Option<String>,
    list: &[&model::Attempt],
    activity: Option<model::Activity>,
    configured: Option<super::types::Method>,
) -> Pair {
    let failures = list.iter().filter(|a| a.outcome == Outcome::Failure).count();
    let successes = list.iter().filter(|a| a.outcome == Outcome::Success).count();
    let latest = list.iter().rev().find(|a| a.outcome != Outcome::Incomplete);
    let (status, reason) = match (latest, &activity) {
        (Some(a), _) if a.outcome == Outcome::Failure => (
            Status::Critical,
            format!(
                "the latest attempt (#{}) failed: {}",
                a.id,
                a.root_cause.map_or("cause not in the traces", |c| c.as_str())
            ),
        ),
        (Some(a), _) if failures > 0 => (
            Status::Warning,
            format!("registered (attempt #{}) after {failures} failed attempt(s) in the window", a.id),
        ),
        (Some(a), _) => (Status::Ok, format!("registered (attempt #{})", a.id)),
        (None, Some(act)) => (
            Status::Ok,
            format!(
                "registered before the window, link active ({} routine ILS line(s), last at {})",
                act.count,
                act.last.as_deref().unwrap_or("an unknown time")
            ),
        ),
        (None, None) if list.is_empty() => (Status::Unknown, "nothing in the traces".to_string()),
        (None, None) => (
            Status::Unknown,
            format!("{} attempt(s) whose outcome is not in the traces, and no routine traffic", list.len()),
        ),
    };
    Pair {
        hub,
        spoke,
        hub_name: None,
        spoke_name: None,
        status,
        attempts: list.len(),
        successes,
        failures,
        latest_attempt: latest.map(|a| a.id),
        latest_outcome: latest.map(|a| a.outcome),
        latest_root_cause: latest.and_then(|a| a.root_cause),
        activity,
        reason,
        method: super::method::establish(list, configured),
    }
}

fn summary(status: Status, pairs: &[Pair], attempts: &[model::Attempt], unclaimed: u64) -> String {
    if pairs.is_empty() {
        if unclaimed > 0 {
            return format!(
                "UNKNOWN: no ILS registration attempt in the traces; {unclaimed} routine ILS line(s) name no peer, so they prove no link"
            );
        }
        return "UNKNOWN: no ILS registration attempt in the traces".into();
    }
    let name =
        |p: &Pair| format!("{} -> {}", p.spoke.as_deref().unwrap_or("spoke ?"), p.hub.as_deref().unwrap_or("hub ?"));
    let failing: Vec<String> = pairs
        .iter()
        .filter(|p| p.status == Status::Critical)
        .map(|p| format!("{} ({})", name(p), p.latest_root_cause.map_or("failed", |c| c.as_str())))
        .collect();
    let active = pairs.iter().filter(|p| p.attempts == 0 && p.status == Status::Ok).count();
    let mut tail = format!("{} attempt(s), {} pair(s)", attempts.len(), pairs.len());
    if active > 0 {
        tail.push_str(&format!(", {active} registered before the window with routine traffic"));
    }
    match status {
        Status::Critical => format!("CRITICAL: {} failing: {}; {tail}", failing.len(), failing.join(", ")),
        Status::Unknown => {
            format!("UNKNOWN: the outcome of the latest attempt is not in the traces for some pair; {tail}")
        }
        Status::Warning => {
            let failed: usize = pairs.iter().map(|p| p.failures).sum();
            format!("WARNING: every pair registered, after {failed} failed attempt(s) in the window; {tail}")
        }
        Status::Ok if attempts.is_empty() => {
            format!("OK: no registration attempt in the window; every link is active; {tail}")
        }
        Status::Ok => format!("OK: every pair registered; {tail}"),
    }
}
