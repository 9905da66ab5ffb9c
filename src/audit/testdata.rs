//! Small audit reports for the audit modules' unit tests.

use std::collections::BTreeMap;

use super::model::{AuditReport, ClusterResult, Depth, FindingRow, PairResult, Role, SCHEMA};
use crate::analyze::Status;

pub fn cluster(network: &str, name: &str, role: Role, status: Status) -> ClusterResult {
    ClusterResult {
        network: network.to_string(),
        name: name.to_string(),
        role,
        host: format!("{name}.example.com"),
        status,
        error: (status == Status::Unknown).then(|| "connection refused".to_string()),
        cluster_id: Some(format!("{name}-id")),
        version: Some("15.0.1.12900-40".to_string()),
        ils_service: Some("STARTED".to_string()),
        cert_days_left: Some(200),
        cert_expires: Some("2026-07-20T10:00:00Z".to_string()),
        findings: match status {
            Status::Warning | Status::Critical => vec![FindingRow {
                severity: status,
                code: "ils_password_unset".to_string(),
                message: format!("{name}: no ILS password"),
                fix: "Set the ILS password.".to_string(),
            }],
            _ => Vec::new(),
        },
        trace_files: 3,
        duration_ms: 1500,
    }
}

pub fn pair(network: &str, hub: &str, spoke: &str, status: Status) -> PairResult {
    let failed = matches!(status, Status::Warning | Status::Critical);
    let mut failures_by_cause = BTreeMap::new();
    if failed {
        failures_by_cause.insert("spoke_rejects_hub_certificate".to_string(), 2);
    }
    PairResult {
        network: network.to_string(),
        hub: hub.to_string(),
        spoke: spoke.to_string(),
        status,
        attempts: if status == Status::Unknown { 0 } else { 4 },
        successes: if status == Status::Critical {
            2
        } else if status == Status::Unknown {
            0
        } else {
            4 - 2 * failed as usize
        },
        failures: if failed { 2 } else { 0 },
        failures_by_cause,
        latest_outcome: match status {
            Status::Critical => Some("failure".to_string()),
            Status::Unknown => None,
            _ => Some("success".to_string()),
        },
        latest_root_cause: (status == Status::Critical).then(|| "spoke_rejects_hub_certificate".to_string()),
        latest_at: Some("2026-01-01T09:59:00Z".to_string()),
        summary: format!("{hub} <- {spoke}: {}", status.as_str()),
        method: (status != Status::Unknown).then(|| "tls".to_string()),
        last_success_at: (status != Status::Unknown).then(|| "2026-01-01T09:58:00Z".to_string()),
        link: Some(crate::analyze::network::LinkKind::SpokeToHub),
        membership: Some(crate::analyze::network::Membership::Given),
    }
}

pub fn report(started: &str, clusters: Vec<ClusterResult>, pairs: Vec<PairResult>) -> AuditReport {
    let status = AuditReport::fold_status(&clusters, &pairs);
    AuditReport {
        schema: SCHEMA.to_string(),
        status,
        exit_code: status.exit_code(),
        summary: format!("{}: {} clusters", status.as_str().to_uppercase(), clusters.len()),
        tool_version: "0.1.0".to_string(),
        tool_revision: "0123456789ab".to_string(),
        tool_built: "2026-12-02".to_string(),
        started: started.to_string(),
        duration_ms: 12_345,
        depth: Depth::Light,
        since_s: 3600,
        clusters,
        pairs,
        changes: Vec::new(),
    }
}

/// One network `net1`: hub `hub-a`, spokes `spoke-1` and `spoke-2`, all with the given statuses.
pub fn simple(started: &str, hub: Status, spoke1: Status, pair1: Status, pair2: Status) -> AuditReport {
    report(
        started,
        vec![
            cluster("net1", "hub-a", Role::Hub, hub),
            cluster("net1", "spoke-1", Role::Spoke, spoke1),
            cluster("net1", "spoke-2", Role::Spoke, Status::Ok),
        ],
        vec![pair("net1", "hub-a", "spoke-1", pair1), pair("net1", "hub-a", "spoke-2", pair2)],
    )
}

/// One network of `hubs` hubs and `spokes` spokes spread over them, with statuses, findings,
/// methods and sync times varied, and names as long as real ones.
pub fn network(net: &str, hubs: usize, spokes: usize) -> (Vec<ClusterResult>, Vec<PairResult>) {
    let statuses = [Status::Ok, Status::Warning, Status::Critical, Status::Unknown];
    let methods = ["password", "tls", "tls_with_password", "tls_after_password"];
    let mut clusters = Vec::new();
    let mut pairs = Vec::new();
    for h in 0..hubs {
        clusters.push(cluster(net, &format!("{net}-hub-{h:02}"), Role::Hub, statuses[h % 3]));
    }
    for s in 0..spokes {
        let hub = format!("{net}-hub-{:02}", s % hubs.max(1));
        let name = format!("{net}-spoke-{s:03}");
        clusters.push(cluster(net, &name, Role::Spoke, statuses[(s / 3) % 4]));
        if hubs > 0 {
            let mut p = pair(net, &hub, &name, statuses[s % 4]);
            p.method = Some(methods[s % 4].to_string());
            p.last_success_at = Some(format!("2026-01-{:02}T{:02}:{:02}:00+01:00", 1 + s % 28, s % 24, s % 60));
            pairs.push(p);
        }
    }
    (clusters, pairs)
}
