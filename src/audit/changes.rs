//! What changed since the previous run: the part of an hourly audit a team reads first.
//!
//! Pure: the previous run and the per-subject history come in as data (from
//! [`History`](super::history::History)), so the rules are tested without a database.
//!
//! Rules, per cluster and per pair of the current run:
//! - `new_failure`: was ok, unknown or absent from the previous run (which exists), is now warning or
//!   critical; also warning → critical (it got worse);
//! - `recovery`: was warning or critical, is now ok;
//! - `new_unknown`: was ok, warning or critical (or absent), cannot be assessed now; or the other way
//!   round, unknown → ok ("assessable again");
//! - `certificate_expiring`: a cluster's Tomcat certificate has fewer than 30 days left and fewer
//!   than last time (or it is the first time the cluster is seen);
//! - `flapping`: the status changed at least 3 times over the last 6 runs, this one included.
//!
//! Without a previous run only `certificate_expiring` is reported.

use super::history::{Snapshot, Subject};
use super::model::{AuditReport, Change, ChangeKind};
use crate::analyze::Status;

/// A certificate with fewer days left than this is reported.
pub const CERT_WARNING_DAYS: i64 = 30;
/// How many runs, the current one included, `flapping` looks at.
pub const FLAP_WINDOW: usize = 6;
/// How many status changes in that window make a subject flap.
pub const FLAP_CHANGES: usize = 3;

/// The changes of `current` against `previous` (the latest recorded run, or `None` on the first
/// run). `history(network, subject, limit)` returns the subject's statuses in the recorded runs
/// before the current one, newest first (as [`History::recent_statuses`](super::history::History::recent_statuses)).
/// Sorted by network, subject, kind, message.
pub fn changes(
    previous: Option<&Snapshot>,
    history: impl Fn(&str, Subject<'_>, usize) -> Vec<Status>,
    current: &AuditReport,
) -> Vec<Change> {
    let mut out = Vec::new();
    for c in &current.clusters {
        let before = previous.map(|p| p.cluster(&c.network, &c.name));
        if let Some(before) = before {
            let detail = match c.status {
                Status::Unknown => c.error.clone(),
                Status::Warning | Status::Critical => c.findings.iter().map(|f| f.code.clone()).next(),
                Status::Ok => None,
            };
            status_change(&mut out, &c.network, &c.name, before.map(|b| b.status), c.status, detail.as_deref());
            flapping(
                &mut out,
                &c.network,
                &c.name,
                c.status,
                &history(&c.network, Subject::Cluster(&c.name), FLAP_WINDOW - 1),
            );
        }
        if let Some(days) = c.cert_days_left.filter(|d| *d < CERT_WARNING_DAYS) {
            let last = before.flatten().and_then(|b| b.cert_days_left);
            if last.is_none_or(|last| days < last) {
                let when = if days < 0 {
                    format!("expired {} days ago", days.unsigned_abs())
                } else {
                    format!("expires in {days} days")
                };
                let was = last.map(|l| format!(" (was {l} days)")).unwrap_or_default();
                out.push(Change {
                    kind: ChangeKind::CertificateExpiring,
                    network: c.network.clone(),
                    subject: c.name.clone(),
                    message: format!("{}: {}: the Tomcat certificate {when}{was}", c.network, c.name),
                });
            }
        }
    }
    if let Some(previous) = previous {
        for p in &current.pairs {
            let label = p.label();
            let before = previous.pair(&p.network, &p.hub, &p.spoke).map(|b| b.status);
            let detail = match p.status {
                Status::Critical | Status::Warning => {
                    p.latest_root_cause.clone().or_else(|| p.failures_by_cause.keys().next().cloned())
                }
                Status::Unknown => Some(p.summary.clone()).filter(|s| !s.is_empty()),
                Status::Ok => None,
            };
            status_change(&mut out, &p.network, &label, before, p.status, detail.as_deref());
            let past = history(&p.network, Subject::Pair { hub: &p.hub, spoke: &p.spoke }, FLAP_WINDOW - 1);
            flapping(&mut out, &p.network, &label, p.status, &past);
        }
    }
    out.sort_by(|a, b| (&a.network, &a.subject, a.kind, &a.message).cmp(&(&b.network, &b.subject, b.kind, &b.message)));
    out
}

fn is_failure(s: Status) -> bool {
    matches!(s, Status::Warning | Status::Critical)
}

/// `before` is `None` when the subject was absent from the previous run.
fn status_change(
    out: &mut Vec<Change>,
    network: &str,
    subject: &str,
    before: Option<Status>,
    now: Status,
    detail: Option<&str>,
) {
    let kind = match (before, now) {
        (Some(b), n) if b == n => return,
        (None | Some(Status::Ok | Status::Unknown), n) if is_failure(n) => ChangeKind::NewFailure,
        (Some(Status::Warning), Status::Critical) => ChangeKind::NewFailure,
        (Some(Status::Warning | Status::Critical), Status::Ok) => ChangeKind::Recovery,
        (_, Status::Unknown) => ChangeKind::NewUnknown,
        (Some(Status::Unknown), Status::Ok) => ChangeKind::NewUnknown,
        // Critical → warning (better but not well), absent → ok: nothing to tell.
        _ => return,
    };
    let was = before.map_or("absent", Status::as_str);
    let why = detail.filter(|d| !d.is_empty()).map(|d| format!(" ({d})")).unwrap_or_default();
    out.push(Change {
        kind,
        network: network.to_string(),
        subject: subject.to_string(),
        message: format!("{network}: {subject}: {was} → {}{why}", now.as_str()),
    });
}

/// `past`: the statuses before the current one, newest first.
fn flapping(out: &mut Vec<Change>, network: &str, subject: &str, now: Status, past: &[Status]) {
    let window: Vec<Status> = std::iter::once(now).chain(past.iter().copied()).take(FLAP_WINDOW).collect();
    let flips = window.iter().zip(window.iter().skip(1)).filter(|(a, b)| a != b).count();
    if flips >= FLAP_CHANGES {
        let sequence: Vec<&str> = window.iter().rev().map(|s| s.as_str()).collect();
        out.push(Change {
            kind: ChangeKind::Flapping,
            network: network.to_string(),
            subject: subject.to_string(),
            message: format!(
                "{network}: {subject}: changed {flips} times in the last {} runs ({})",
                window.len(),
                sequence.join(" → ")
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::audit::history::{ClusterState, PairState};
    use crate::audit::testdata::simple;
    use Status::{Critical, Ok, Unknown, Warning};

    const T: &str = "2026-01-01T11:00:00Z";

    fn snapshot(report: &AuditReport) -> Snapshot {
        Snapshot {
            run_id: 1,
            started: report.started.clone(),
            status: report.status,
            clusters: report
                .clusters
                .iter()
                .map(|c| ClusterState {
                    network: c.network.clone(),
                    cluster: c.name.clone(),
                    status: c.status,
                    cert_days_left: c.cert_days_left,
                })
                .collect(),
            pairs: report
                .pairs
                .iter()
                .map(|p| PairState {
                    network: p.network.clone(),
                    hub: p.hub.clone(),
                    spoke: p.spoke.clone(),
                    status: p.status,
                })
                .collect(),
        }
    }

    fn no_history(_: &str, _: Subject<'_>, _: usize) -> Vec<Status> {
        Vec::new()
    }

    fn kinds(changes: &[Change]) -> Vec<(ChangeKind, &str)> {
        changes.iter().map(|c| (c.kind, c.subject.as_str())).collect()
    }

    #[test]
    fn no_change_is_empty() {
        let before = simple("2026-01-01T10:00:00Z", Ok, Warning, Critical, Ok);
        let now = simple(T, Ok, Warning, Critical, Ok);
        assert!(changes(Some(&snapshot(&before)), no_history, &now).is_empty());
    }

    #[test]
    fn a_pair_that_breaks_is_a_new_failure_naming_both_states_and_the_cause() {
        let before = simple("2026-01-01T10:00:00Z", Ok, Ok, Ok, Ok);
        let now = simple(T, Ok, Ok, Critical, Ok);
        let got = changes(Some(&snapshot(&before)), no_history, &now);
        assert_eq!(kinds(&got), vec![(ChangeKind::NewFailure, "hub-a <- spoke-1")]);
        assert_eq!(got[0].network, "net1");
        assert_eq!(got[0].message, "net1: hub-a <- spoke-1: ok → critical (spoke_rejects_hub_certificate)");
    }

    #[test]
    fn clusters_fail_worsen_and_appear() {
        let before = simple("2026-01-01T10:00:00Z", Ok, Warning, Ok, Ok);
        let mut now = simple(T, Warning, Critical, Ok, Ok);
        let mut extra = crate::audit::testdata::cluster("net2", "hub-z", crate::audit::model::Role::Hub, Critical);
        extra.cert_days_left = None;
        now.clusters.push(extra);
        let got = changes(Some(&snapshot(&before)), no_history, &now);
        assert_eq!(
            kinds(&got),
            vec![
                (ChangeKind::NewFailure, "hub-a"),
                (ChangeKind::NewFailure, "spoke-1"),
                (ChangeKind::NewFailure, "hub-z"),
            ]
        );
        assert_eq!(got[0].message, "net1: hub-a: ok → warning (ils_password_unset)");
        assert_eq!(got[1].message, "net1: spoke-1: warning → critical (ils_password_unset)");
        assert_eq!(got[2].message, "net2: hub-z: absent → critical (ils_password_unset)");
    }

    #[test]
    fn recovery() {
        let before = simple("2026-01-01T10:00:00Z", Critical, Ok, Warning, Ok);
        let now = simple(T, Ok, Ok, Ok, Ok);
        let got = changes(Some(&snapshot(&before)), no_history, &now);
        assert_eq!(kinds(&got), vec![(ChangeKind::Recovery, "hub-a"), (ChangeKind::Recovery, "hub-a <- spoke-1")]);
        assert_eq!(got[1].message, "net1: hub-a <- spoke-1: warning → ok");
    }

    #[test]
    fn new_unknown_carries_the_error_and_back() {
        let before = simple("2026-01-01T10:00:00Z", Ok, Critical, Ok, Unknown);
        let now = simple(T, Unknown, Critical, Ok, Ok);
        let got = changes(Some(&snapshot(&before)), no_history, &now);
        assert_eq!(kinds(&got), vec![(ChangeKind::NewUnknown, "hub-a"), (ChangeKind::NewUnknown, "hub-a <- spoke-2")]);
        assert_eq!(got[0].message, "net1: hub-a: ok → unknown (connection refused)");
        assert_eq!(got[1].message, "net1: hub-a <- spoke-2: unknown → ok");
    }

    #[test]
    fn unknown_to_critical_is_a_new_failure() {
        let before = simple("2026-01-01T10:00:00Z", Ok, Ok, Unknown, Ok);
        let now = simple(T, Ok, Ok, Critical, Ok);
        let got = changes(Some(&snapshot(&before)), no_history, &now);
        assert_eq!(kinds(&got), vec![(ChangeKind::NewFailure, "hub-a <- spoke-1")]);
    }

    #[test]
    fn certificate_expiring_when_under_30_days_and_closer() {
        let mut before = simple("2026-01-01T10:00:00Z", Ok, Ok, Ok, Ok);
        before.clusters[0].cert_days_left = Some(12);
        before.clusters[1].cert_days_left = Some(40);
        before.clusters[2].cert_days_left = Some(5);
        let mut now = simple(T, Ok, Ok, Ok, Ok);
        now.clusters[0].cert_days_left = Some(11); // closer: reported
        now.clusters[1].cert_days_left = Some(29); // crossed 30: reported
        now.clusters[2].cert_days_left = Some(5); // same day as last run: not again
        let got = changes(Some(&snapshot(&before)), no_history, &now);
        assert_eq!(
            kinds(&got),
            vec![(ChangeKind::CertificateExpiring, "hub-a"), (ChangeKind::CertificateExpiring, "spoke-1")]
        );
        assert_eq!(got[0].message, "net1: hub-a: the Tomcat certificate expires in 11 days (was 12 days)");
        assert_eq!(got[1].message, "net1: spoke-1: the Tomcat certificate expires in 29 days (was 40 days)");
    }

    #[test]
    fn first_run_reports_only_expiring_certificates() {
        let mut now = simple(T, Critical, Unknown, Critical, Warning);
        now.clusters[2].cert_days_left = Some(-3);
        let flappy = |_: &str, _: Subject<'_>, _: usize| vec![Ok, Critical, Ok, Critical, Ok];
        let got = changes(None, flappy, &now);
        assert_eq!(kinds(&got), vec![(ChangeKind::CertificateExpiring, "spoke-2")]);
        assert_eq!(got[0].message, "net1: spoke-2: the Tomcat certificate expired 3 days ago");
    }

    #[test]
    fn flapping_needs_three_changes_in_six_runs() {
        let before = simple("2026-01-01T10:00:00Z", Ok, Ok, Ok, Ok);
        let now = simple(T, Ok, Ok, Critical, Ok);
        let mut past: HashMap<&str, Vec<Status>> = HashMap::new();
        // spoke-1: now critical; before, newest first: ok, critical, ok, ok, ok → 3 changes.
        past.insert("spoke-1", vec![Ok, Critical, Ok, Ok, Ok]);
        // spoke-2: ok now; ok, critical, critical, ok, ok → 2 changes: not flapping.
        past.insert("spoke-2", vec![Ok, Critical, Critical, Ok, Ok]);
        let history = |network: &str, subject: Subject<'_>, limit: usize| {
            assert_eq!(network, "net1");
            assert_eq!(limit, FLAP_WINDOW - 1);
            match subject {
                Subject::Pair { spoke, .. } => past.get(spoke).cloned().unwrap_or_default(),
                Subject::Cluster(_) => vec![Ok; 5],
            }
        };
        let got = changes(Some(&snapshot(&before)), history, &now);
        assert_eq!(
            kinds(&got),
            vec![(ChangeKind::NewFailure, "hub-a <- spoke-1"), (ChangeKind::Flapping, "hub-a <- spoke-1")]
        );
        assert_eq!(
            got[1].message,
            "net1: hub-a <- spoke-1: changed 3 times in the last 6 runs (ok → ok → ok → critical → ok → critical)"
        );
    }

    #[test]
    fn changes_older_than_six_runs_do_not_count() {
        // Flips only in runs 7 and 8 back: a history that returns more than asked is cut.
        let mut v = vec![Ok; 5];
        v.extend([Critical, Ok, Critical]);
        let mut out = Vec::new();
        flapping(&mut out, "net1", "hub-a", Ok, &v);
        assert!(out.is_empty());
        flapping(&mut out, "net1", "hub-a", Critical, &[Ok, Critical, Ok]);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn sorted_by_network_then_subject() {
        let before = simple("2026-01-01T10:00:00Z", Ok, Ok, Ok, Ok);
        let mut now = simple(T, Critical, Critical, Critical, Critical);
        now.clusters.reverse();
        now.pairs.reverse();
        let got = changes(Some(&snapshot(&before)), no_history, &now);
        let subjects: Vec<&str> = got.iter().map(|c| c.subject.as_str()).collect();
        assert_eq!(subjects, vec!["hub-a", "hub-a <- spoke-1", "hub-a <- spoke-2", "spoke-1"]);
    }
}
