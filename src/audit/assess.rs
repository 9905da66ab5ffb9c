//! From what was gathered per cluster to verdicts per cluster and per registration link. Pure:
//! scanned files and facts in, results out.
//!
//! A light audit raises nothing, so a healthy registered pair usually has no attempt in the
//! window (it logs nothing until it reconnects) and the trace level may not be Detailed. Such a
//! pair is judged by `remotecluster`: both sides listing each other is `ok`; otherwise
//! `unknown`, with the advice to run `check` (or `audit --deep`), which forces an attempt.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;

use super::inventory::{Cluster, Network};
use super::model::{ClusterResult, FindingRow, PairResult, Role};
use crate::analyze::findings::{self, drop_moot_trust_findings, Finding, SideConfig};
use crate::analyze::{self, Catalog, Outcome, ScannedFile, Side, Status};
use crate::collect::facts::Facts;

/// What was gathered from one cluster.
#[derive(Debug, Default)]
pub struct Gathered {
    pub facts: Option<Facts>,
    pub scanned: Vec<ScannedFile>,
    /// Why the cluster could not be read (then `facts` is None).
    pub error: Option<String>,
    pub warnings: Vec<String>,
    pub duration_ms: u64,
    /// Findings of the run itself (a trace level `--deep` could not put back), whatever was read.
    pub findings: Vec<Finding>,
}

fn side_of(role: Role) -> Side {
    match role {
        Role::Hub => Side::Hub,
        Role::Spoke => Side::Spoke,
    }
}

fn row(f: &Finding) -> FindingRow {
    FindingRow { severity: f.severity, code: f.code.to_string(), message: f.message.clone(), fix: f.fix.clone() }
}

/// One cluster's result from its own facts (pair findings are added by [`network`]).
fn cluster_result(network: &str, c: &Cluster, g: &Gathered) -> ClusterResult {
    let mut r = ClusterResult {
        network: network.to_string(),
        name: c.name.clone(),
        role: c.role,
        host: c.host.clone(),
        status: Status::Ok,
        error: g.error.clone(),
        cluster_id: None,
        version: None,
        ils_service: None,
        cert_days_left: None,
        cert_expires: None,
        findings: Vec::new(),
        trace_files: g.scanned.len(),
        duration_ms: g.duration_ms,
    };
    r.findings = g.findings.iter().map(row).collect();
    let Some(f) = &g.facts else {
        r.status = Status::Unknown;
        return r;
    };
    r.cluster_id = f.cluster_id.clone();
    r.version = f.version.clone();
    r.ils_service = f.ils_service.clone();
    r.cert_days_left = f.tomcat_valid_to_parsed.map(|to| to.signed_duration_since(Utc::now().naive_utc()).num_days());
    r.cert_expires = f.tomcat_valid_to_parsed.map(|to| to.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let side = SideConfig { side: side_of(c.role), facts: f.clone() };
    r.findings.extend(findings::side_findings(&side).iter().map(row));
    r
}

/// Every address and name a cluster is known by: the inventory's host, the nodes of `show
/// network cluster`, and the FileHead of its own traces.
fn identities(c: &Cluster, g: &Gathered) -> BTreeSet<String> {
    let mut ids = BTreeSet::from([c.host.to_ascii_lowercase()]);
    if let Some(f) = &g.facts {
        for (ip, fqdn, _) in &f.nodes {
            ids.insert(ip.to_ascii_lowercase());
            if !fqdn.is_empty() {
                ids.insert(fqdn.to_ascii_lowercase());
            }
        }
    }
    for s in &g.scanned {
        if let Some(h) = &s.filehead {
            ids.extend(h.host_ip.iter().chain(h.host_name.iter()).map(|x| x.to_ascii_lowercase()));
        }
    }
    ids
}

/// The traces of both ends of one link, as one analysis (hub files first).
fn link_analysis(catalog: &Catalog, hub: &Gathered, spoke: &Gathered, options: &analyze::Options) -> analyze::Analysis {
    let files: Vec<ScannedFile> = hub
        .scanned
        .iter()
        .map(|f| ScannedFile { side: Side::Hub, arg: 0, ..f.clone() })
        .chain(spoke.scanned.iter().map(|f| ScannedFile { side: Side::Spoke, arg: 1, ..f.clone() }))
        .collect();
    analyze::analyze(catalog, &files, options)
}

/// Results of one network: its clusters (with the findings of their links folded in) and its
/// registration links.
pub fn network(
    catalog: &Catalog,
    n: &Network,
    gathered: &[Gathered],
    options: &analyze::Options,
) -> (Vec<ClusterResult>, Vec<PairResult>) {
    let mut clusters: Vec<ClusterResult> =
        n.clusters.iter().zip(gathered).map(|(c, g)| cluster_result(&n.name, c, g)).collect();
    let mut pairs = Vec::new();
    for (h, s) in n.pairs() {
        let (Some(hub), Some(spoke), Some(gh), Some(gs)) =
            (n.clusters.get(h), n.clusters.get(s), gathered.get(h), gathered.get(s))
        else {
            continue;
        };
        let mut a = link_analysis(catalog, gh, gs, options);
        // The hub's traces hold every spoke's attempts: keep this spoke's.
        let spoke_ids = identities(spoke, gs);
        a.attempts.retain(|x| {
            x.seen_on.contains(&Side::Spoke)
                || x.spoke.as_ref().is_some_and(|ip| spoke_ids.contains(&ip.to_ascii_lowercase()))
        });
        let mut link_findings = match (&gh.facts, &gs.facts) {
            (Some(fh), Some(fs)) => findings::pair_findings(fh, fs),
            _ => Vec::new(),
        };
        let mut flat: Vec<Finding> = link_findings.iter().map(|(_, f)| f.clone()).collect();
        drop_moot_trust_findings(&mut flat, &mut a);
        let quiet_ok = a.attempts.is_empty()
            && matches!((&gh.facts, &gs.facts), (Some(fh), Some(fs)) if analyze::quiet::judge(fh, fs, &analyze::cause::RunNotes::default()).status == Status::Ok);
        findings::drop_quiet_trust_findings(&mut flat, quiet_ok);
        link_findings.retain(|(_, f)| flat.iter().any(|k| k.code == f.code && k.message == f.message));
        for (side, f) in &link_findings {
            let owner = if *side == Side::Hub { h } else { s };
            let Some(cluster) = clusters.get_mut(owner) else { continue };
            if !cluster.findings.iter().any(|x| x.code == f.code && x.message == f.message) {
                cluster.findings.push(row(f));
            }
        }
        pairs.push(pair_result(&n.name, hub, spoke, gh, gs, &a, &flat));
    }
    for c in &mut clusters {
        let worst = c.findings.iter().map(|f| f.severity).max();
        if c.error.is_none() {
            c.status = worst.unwrap_or(Status::Ok);
        } else if worst == Some(Status::Critical) {
            // Unread, but known to be left with a level raised: that is critical.
            c.status = Status::Critical;
        }
    }
    (clusters, pairs)
}

fn pair_result(
    network: &str,
    hub: &Cluster,
    spoke: &Cluster,
    gh: &Gathered,
    gs: &Gathered,
    a: &analyze::Analysis,
    link_findings: &[Finding],
) -> PairResult {
    let list = &a.attempts;
    let failures = list.iter().filter(|x| x.outcome == Outcome::Failure).count();
    let successes = list.iter().filter(|x| x.outcome == Outcome::Success).count();
    let mut by_cause: BTreeMap<String, usize> = BTreeMap::new();
    for x in list.iter().filter(|x| x.outcome == Outcome::Failure) {
        let n = by_cause.entry(x.root_cause.map_or("unexplained", |c| c.as_str()).to_string()).or_default();
        *n = n.saturating_add(1);
    }
    let latest = list.iter().rev().find(|x| x.outcome != Outcome::Incomplete);
    let label = format!("{} <- {}", hub.name, spoke.name);
    let (status, summary) = match latest {
        Some(x) if x.outcome == Outcome::Failure => (Status::Critical, format!("{label}: {}", x.summary)),
        Some(x) if failures > 0 => (
            Status::Warning,
            format!("{label}: registered at the latest attempt, after {failures} failed attempt(s); {}", x.summary),
        ),
        Some(_) => (Status::Ok, format!("{label}: registered ({successes} successful attempt(s) in the window)")),
        None => quiet_link(&label, hub, gh, gs),
    };
    // A link finding (duplicate cluster ID, untrusted certificate) makes the link at least as
    // bad as the finding, even when no attempt showed it yet.
    let worst_finding = link_findings.iter().map(|f| f.severity).max();
    let (status, summary) = match worst_finding {
        Some(w) if w > status || (status == Status::Unknown && w == Status::Critical) => {
            let f = link_findings.iter().find(|f| f.severity == w).map(|f| f.message.clone()).unwrap_or_default();
            (w, format!("{summary}; {f}"))
        }
        _ => (status, summary),
    };
    PairResult {
        network: network.to_string(),
        hub: hub.name.clone(),
        spoke: spoke.name.clone(),
        status,
        attempts: list.len(),
        successes,
        failures,
        failures_by_cause: by_cause,
        latest_outcome: latest.map(|x| format!("{:?}", x.outcome).to_ascii_lowercase()),
        latest_root_cause: latest.and_then(|x| x.root_cause).map(|c| c.as_str().to_string()),
        latest_at: latest.and_then(|x| x.at.clone()),
        summary,
        method: list.iter().rev().find_map(|x| x.method).map(|m| m.as_str().to_string()),
        last_success_at: list.iter().rev().find(|x| x.outcome == Outcome::Success).and_then(|x| x.at.clone()),
    }
}

/// No attempt in the window: judged from the configuration both sides report, by the same
/// rules as `check` (`analyze::quiet`).
fn quiet_link(label: &str, _hub: &Cluster, gh: &Gathered, gs: &Gathered) -> (Status, String) {
    let (Some(fh), Some(fs)) = (&gh.facts, &gs.facts) else {
        let which = if gh.facts.is_none() { "the hub" } else { "the spoke" };
        return (Status::Unknown, format!("{label}: {which} could not be read and its traces show no attempt"));
    };
    let v = analyze::quiet::judge(fh, fs, &analyze::cause::RunNotes::default());
    (v.status, format!("{label}: {}", v.reason))
}
