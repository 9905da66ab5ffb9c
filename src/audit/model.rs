//! The result of one audit run: what `--format json` prints (contract `ils-doctor/audit/1`),
//! what the history database stores, and what the JUnit and Prometheus outputs render.
//! Plain data: no I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analyze::Status;

pub const SCHEMA: &str = "ils-doctor/audit/1";

/// How deep the audit went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Depth {
    /// Reads only: configuration, certificates, existing traces. Changes nothing.
    Light,
    /// The full `check` per hub/spoke pair: raises and restores trace levels.
    Deep,
}

impl Depth {
    pub fn as_str(self) -> &'static str {
        match self {
            Depth::Light => "light",
            Depth::Deep => "deep",
        }
    }
}

/// A cluster's ILS role as the inventory states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Hub,
    Spoke,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Hub => "hub",
            Role::Spoke => "spoke",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditReport {
    pub schema: String,
    /// Worst of all clusters and pairs; `unknown` when a cluster could not be assessed and
    /// none is critical.
    pub status: Status,
    pub exit_code: u8,
    /// One line for a person or a monitoring system.
    pub summary: String,
    pub tool_version: String,
    /// RFC 3339, UTC.
    pub started: String,
    pub duration_ms: u64,
    pub depth: Depth,
    /// How far back existing traces were read (light audit).
    pub since_s: u64,
    pub clusters: Vec<ClusterResult>,
    pub pairs: Vec<PairResult>,
    /// What changed since the previous run in the history (empty without history).
    pub changes: Vec<Change>,
}

/// One cluster (its publisher) of one ILS network.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterResult {
    pub network: String,
    /// The inventory's name for the cluster.
    pub name: String,
    pub role: Role,
    /// The publisher's address.
    pub host: String,
    pub status: Status,
    /// Why the cluster could not be assessed (unreachable, login refused, timeout); the status
    /// is then `unknown`.
    pub error: Option<String>,
    pub cluster_id: Option<String>,
    pub version: Option<String>,
    pub ils_service: Option<String>,
    /// Days until the Tomcat certificate expires (negative once expired).
    pub cert_days_left: Option<i64>,
    /// When the Tomcat certificate expires: RFC 3339, UTC.
    #[serde(default)]
    pub cert_expires: Option<String>,
    pub findings: Vec<FindingRow>,
    /// ILS trace files read for this cluster.
    pub trace_files: usize,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRow {
    pub severity: Status,
    pub code: String,
    pub message: String,
    pub fix: String,
}

/// One spoke → hub registration link of the inventory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PairResult {
    pub network: String,
    /// Cluster names from the inventory.
    pub hub: String,
    pub spoke: String,
    /// The latest decided attempt decides; `unknown` when no attempt was seen or a side could
    /// not be read.
    pub status: Status,
    pub attempts: usize,
    pub successes: usize,
    pub failures: usize,
    /// Failed attempts per root cause (`RootCause` names, snake_case; `unexplained` when none).
    pub failures_by_cause: BTreeMap<String, usize>,
    pub latest_outcome: Option<String>,
    pub latest_root_cause: Option<String>,
    /// RFC 3339 of the latest attempt, when the traces give its date.
    pub latest_at: Option<String>,
    pub summary: String,
}

impl PairResult {
    /// `hub <- spoke`, how pairs are named in changes, JUnit and history.
    pub fn label(&self) -> String {
        format!("{} <- {}", self.hub, self.spoke)
    }
}

/// What changed since the previous run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub kind: ChangeKind,
    pub network: String,
    /// A cluster name, or a pair label (`hub <- spoke`).
    pub subject: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Was ok (or absent), is now warning or critical.
    NewFailure,
    /// Was warning or critical, is now ok.
    Recovery,
    /// Could be assessed before, cannot now (or the other way round).
    NewUnknown,
    /// The Tomcat certificate is within 30 days of expiry and closer than last time.
    CertificateExpiring,
    /// The status changed at least 3 times in the last 6 runs.
    Flapping,
}

impl AuditReport {
    /// Worst verdict wins; `unknown` only when nothing is critical (monitoring-plugin rule).
    pub fn fold_status(clusters: &[ClusterResult], pairs: &[PairResult]) -> Status {
        let all = clusters.iter().map(|c| c.status).chain(pairs.iter().map(|p| p.status));
        all.max().unwrap_or(Status::Unknown)
    }
}
