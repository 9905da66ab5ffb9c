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
                a.root_cause.map_or("the lines do not say why", |c| c.words())
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
        judged: true,
        link: None,
        membership: None,
        cause: latest.filter(|a| a.outcome == Outcome::Failure).map(|a| trace_cause(a)),
        runs: runs(list),
    }
}

/// The cause of a failed attempt, as its lines give it.
pub fn trace_cause(a: &model::Attempt) -> model::PairCause {
    let cause = a.root_cause.unwrap_or(super::types::RootCause::Unknown);
    let verify = match &a.verify_error {
        Some(v) => format!(" (OpenSSL error {}: {})", v.code, v.meaning),
        None => String::new(),
    };
    let sides = a.seen_on.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" and ");
    model::PairCause {
        code: cause.as_str().to_string(),
        text: format!("{}{verify}", cause.words()),
        basis: vec![if sides.is_empty() {
            format!("attempt #{}", a.id)
        } else {
            format!("attempt #{}, in the {sides} traces", a.id)
        }],
        fix: a.fix.clone().unwrap_or_default(),
        confidence: a.confidence,
    }
}

/// Rebuilds the pairs and the verdict of `a` from its attempts (ids already given), with no
/// routine traffic: what a test of a later step starts from.
pub fn rejudge(a: &mut Analysis, configured: Option<super::types::Method>) {
    let mut by_pair: BTreeMap<(Option<String>, Option<String>), Vec<&model::Attempt>> = BTreeMap::new();
    for x in &a.attempts {
        by_pair.entry((x.hub.clone(), x.spoke.clone())).or_default().push(x);
    }
    a.pairs = by_pair.into_iter().map(|((hub, spoke), list)| pair(hub, spoke, &list, None, configured)).collect();
    a.status = a.pairs.iter().map(|p| p.status).max().unwrap_or(Status::Unknown);
    a.exit_code = a.status.exit_code();
    a.summary = summary(a.status, &a.pairs, &a.attempts, 0);
}

/// Consecutive attempts (oldest first) with the same outcome, root cause and method, as runs:
/// a failing join retries on its interval, and a run tells that once.
pub fn runs(list: &[&model::Attempt]) -> Vec<model::AttemptRun> {
    let mut out: Vec<(model::AttemptRun, Vec<Option<i64>>)> = Vec::new();
    for a in list {
        let t = instant_ms(a);
        match out.last_mut() {
            Some((r, times)) if r.outcome == a.outcome && r.root_cause == a.root_cause && r.method == a.method => {
                r.count = r.count.saturating_add(1);
                r.last = a.id;
                r.last_at = a.at.clone().or_else(|| a.time_of_day.clone());
                times.push(t);
            }
            _ => out.push((
                model::AttemptRun {
                    count: 1,
                    outcome: a.outcome,
                    root_cause: a.root_cause,
                    method: a.method,
                    first: a.id,
                    last: a.id,
                    first_at: a.at.clone().or_else(|| a.time_of_day.clone()),
                    last_at: a.at.clone().or_else(|| a.time_of_day.clone()),
                    interval_s: None,
                },
                vec![t],
            )),
        }
    }
    out.into_iter()
        .map(|(mut r, times)| {
            let mut gaps: Vec<i64> = times
                .windows(2)
                .filter_map(|w| match w {
                    [Some(a), Some(b)] if b >= a => Some(b.saturating_sub(*a)),
                    _ => None,
                })
                .collect();
            gaps.sort_unstable();
            r.interval_s = gaps.get(gaps.len() / 2).map(|ms| u64::try_from(ms.saturating_add(500) / 1000).unwrap_or(0));
            r
        })
        .collect()
}

/// An attempt's instant in ms: from its RFC 3339 time, else its time of day (same day).
fn instant_ms(a: &model::Attempt) -> Option<i64> {
    if let Some(t) = a.at.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) {
        return Some(t.timestamp_millis());
    }
    let t = chrono::NaiveTime::parse_from_str(a.time_of_day.as_deref()?, "%H:%M:%S%.f").ok()?;
    Some(i64::from(chrono::Timelike::num_seconds_from_midnight(&t)).saturating_mul(1000))
}

/// How many failing pairs the summary names; the others are counted.
pub const SUMMARY_PAIRS: usize = 5;

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
        |p: &Pair| format!("spoke {} -> hub {}", p.spoke.as_deref().unwrap_or("?"), p.hub.as_deref().unwrap_or("?"));
    // One line for a person or a monitoring system: a few failing pairs by name, the rest
    // counted (a hub with thousands of failing spokes gave a line of hundreds of kilobytes).
    let critical = pairs.iter().filter(|p| p.status == Status::Critical);
    let mut failing: Vec<String> = critical
        .clone()
        .take(SUMMARY_PAIRS)
        .map(|p| format!("{}: {}", name(p), p.cause.as_ref().map_or("failed", |c| c.text.as_str())))
        .collect();
    let unnamed = critical.count().saturating_sub(SUMMARY_PAIRS);
    if unnamed > 0 {
        failing.push(format!("and {unnamed} more failing pair(s)"));
    }
    let active = pairs.iter().filter(|p| p.attempts == 0 && p.status == Status::Ok).count();
    let mut tail = format!("{} attempt(s), {} pair(s)", attempts.len(), pairs.len());
    if active > 0 {
        tail.push_str(&format!(", {active} registered before the window with routine traffic"));
    }
    match status {
        Status::Critical => format!("CRITICAL: {} ({tail})", failing.join("; ")),
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
