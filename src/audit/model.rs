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
pub use crate::analyze::network::Role;

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
    /// The git revision and build date of the binary that ran the audit.
    #[serde(default)]
    pub tool_revision: String,
    #[serde(default)]
    pub tool_built: String,
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
    /// The authentication method the traces show for the link (`password`, `tls`,
    /// `tls_with_password`, `tls_after_password`), from its latest attempt that shows one.
    #[serde(default)]
    pub method: Option<String>,
    /// RFC 3339 of the latest successful attempt, when the traces give its date.
    #[serde(default)]
    pub last_success_at: Option<String>,
    /// What the link joins: `spoke_to_hub` (null in older records), `hub_to_hub`, or
    /// `spoke_to_spoke` (a misconfiguration).
    #[serde(default)]
    pub link: Option<crate::analyze::network::LinkKind>,
    /// How its ends are known: `traces` (an attempt shows it), `given` (the inventory says so),
    /// `rows` (discovery's guess from `remotecluster`), `unknown` (a hub-to-hub link with no
    /// attempt: either hub may be the one that registered). Rows and unknown are inferred and
    /// drawn dashed (docs/cucm-notes.md#membership).
    #[serde(default)]
    pub membership: Option<crate::analyze::network::Membership>,
}

impl PairResult {
    /// Whether which hub this link joins is a guess.
    pub fn inferred(&self) -> bool {
        self.membership.is_some_and(|m| m.inferred())
    }

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

/// The ILS networks as a graph, for tools that draw them: what `--format json` adds to the
/// report as `topology`. Derived from `clusters` and `pairs`; hubs of a network mesh with each
/// other, which the edges (registration links only) leave implicit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topology {
    pub nodes: Vec<TopologyNode>,
    pub edges: Vec<TopologyEdge>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopologyNode {
    pub network: String,
    pub cluster: String,
    pub role: Role,
    pub status: Status,
    pub host: String,
    /// Configuration findings of the cluster.
    pub findings: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopologyEdge {
    pub network: String,
    pub hub: String,
    pub spoke: String,
    pub status: Status,
    pub method: Option<String>,
    pub last_success_at: Option<String>,
    /// `spoke_to_hub`, `hub_to_hub` or `spoke_to_spoke`.
    #[serde(default)]
    pub link: Option<crate::analyze::network::LinkKind>,
    /// Which hub the link joins is a guess (docs/cucm-notes.md#membership).
    #[serde(default)]
    pub inferred: bool,
}

/// The JSON document: the report and its topology.
#[derive(Debug, Serialize)]
pub struct Document<'a> {
    #[serde(flatten)]
    pub report: &'a AuditReport,
    pub topology: Topology,
}

impl AuditReport {
    /// The clusters and links as nodes and edges, in the report's order.
    pub fn topology(&self) -> Topology {
        Topology {
            nodes: self
                .clusters
                .iter()
                .map(|c| TopologyNode {
                    network: c.network.clone(),
                    cluster: c.name.clone(),
                    role: c.role,
                    status: c.status,
                    host: c.host.clone(),
                    findings: c.findings.len(),
                })
                .collect(),
            edges: self
                .pairs
                .iter()
                .map(|p| TopologyEdge {
                    network: p.network.clone(),
                    hub: p.hub.clone(),
                    spoke: p.spoke.clone(),
                    status: p.status,
                    method: p.method.clone(),
                    last_success_at: p.last_success_at.clone(),
                    link: p.link,
                    inferred: p.inferred(),
                })
                .collect(),
        }
    }

    /// What `--format json` prints.
    pub fn document(&self) -> Document<'_> {
        Document { report: self, topology: self.topology() }
    }

    /// Worst verdict wins; `unknown` only when nothing is critical (monitoring-plugin rule).
    pub fn fold_status(clusters: &[ClusterResult], pairs: &[PairResult]) -> Status {
        let all = clusters.iter().map(|c| c.status).chain(pairs.iter().map(|p| p.status));
        all.max().unwrap_or(Status::Unknown)
    }
}
