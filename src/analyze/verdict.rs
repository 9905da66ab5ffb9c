//! The verdict: per spoke/hub pair the latest attempt decides; the worst pair decides the run.
//!
//! Monitoring-plugin convention (issue 3): ok (0) every pair's latest attempt succeeded and none
//! failed in the window; warning (1) every pair's latest attempt succeeded but failures happened
//! in the window; critical (2) some pair's latest attempt failed; unknown (3) no attempt found, or
//! a pair with only attempts whose outcome is not in the traces. Worst wins in the order
//! critical > unknown > warning > ok.

use std::collections::BTreeMap;

use super::model::{self, Analysis, Pair};
use super::types::{Outcome, Status};

/// How to raise the trace level when no attempt was found.
pub const NO_ATTEMPT_HINT: &str = "no ILS registration attempt was found in the traces: the Cisco Intercluster Lookup \
Service trace level is probably not Detailed. On both publishers open Cisco Unified Serviceability > Trace > \
Configuration, service Cisco Intercluster Lookup Service, set Debug Trace Level to Detailed, wait for the next \
registration attempt, and collect activelog cm/trace/ils/sdl again";

pub(crate) fn conclude(
    mut attempts: Vec<model::Attempt>,
    skews: Vec<model::ClockSkew>,
    traces: Vec<model::Trace>,
    files: Vec<model::FileSummary>,
    window: model::Window,
    mut warnings: Vec<String>,
) -> Analysis {
    for (i, a) in attempts.iter_mut().enumerate() {
        a.id = i + 1;
    }
    let mut by_pair: BTreeMap<(Option<String>, Option<String>), Vec<&model::Attempt>> = BTreeMap::new();
    for a in &attempts {
        by_pair.entry((a.hub.clone(), a.spoke.clone())).or_default().push(a);
    }
    let pairs: Vec<Pair> = by_pair.into_iter().map(|((hub, spoke), list)| pair(hub, spoke, &list)).collect();
    let status = if attempts.is_empty() {
        warnings.push(NO_ATTEMPT_HINT.to_string());
        Status::Unknown
    } else {
        pairs.iter().map(|p| p.status).max().unwrap_or(Status::Unknown)
    };
    let summary = summary(status, &pairs, &attempts);
    Analysis {
        schema: model::SCHEMA,
        status,
        exit_code: status.exit_code(),
        summary,
        tool: model::Tool { name: "ils-doctor", version: env!("CARGO_PKG_VERSION") },
        window,
        pairs,
        attempts,
        clock_skew: skews,
        traces,
        files,
        warnings,
    }
}

fn pair(hub: Option<String>, spoke: Option<String>, list: &[&model::Attempt]) -> Pair {
    let failures = list.iter().filter(|a| a.outcome == Outcome::Failure).count();
    let successes = list.iter().filter(|a| a.outcome == Outcome::Success).count();
    let latest = list.iter().rev().find(|a| a.outcome != Outcome::Incomplete);
    let status = match latest.map(|a| a.outcome) {
        Some(Outcome::Failure) => Status::Critical,
        Some(Outcome::Success) if failures > 0 => Status::Warning,
        Some(Outcome::Success) => Status::Ok,
        _ => Status::Unknown,
    };
    Pair {
        hub,
        spoke,
        status,
        attempts: list.len(),
        successes,
        failures,
        latest_attempt: latest.map(|a| a.id),
        latest_outcome: latest.map(|a| a.outcome),
        latest_root_cause: latest.and_then(|a| a.root_cause),
    }
}

fn summary(status: Status, pairs: &[Pair], attempts: &[model::Attempt]) -> String {
    if attempts.is_empty() {
        return "UNKNOWN: no ILS registration attempt in the traces".into();
    }
    let name =
        |p: &Pair| format!("{} -> {}", p.spoke.as_deref().unwrap_or("spoke ?"), p.hub.as_deref().unwrap_or("hub ?"));
    let failing: Vec<String> = pairs
        .iter()
        .filter(|p| p.status == Status::Critical)
        .map(|p| format!("{} ({})", name(p), p.latest_root_cause.map_or("failed", |c| c.as_str())))
        .collect();
    let tail = format!("{} attempt(s), {} pair(s)", attempts.len(), pairs.len());
    match status {
        Status::Critical => format!("CRITICAL: {} failing: {}; {tail}", failing.len(), failing.join(", ")),
        Status::Unknown => {
            format!("UNKNOWN: the outcome of the latest attempt is not in the traces for some pair; {tail}")
        }
        Status::Warning => {
            let failed: usize = pairs.iter().map(|p| p.failures).sum();
            format!("WARNING: every pair registered, after {failed} failed attempt(s) in the window; {tail}")
        }
        Status::Ok => format!("OK: every pair registered; {tail}"),
    }
}
