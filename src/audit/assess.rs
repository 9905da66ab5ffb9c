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
use crate::analyze::network::{LinkKind, Membership};
use crate::analyze::{self, Catalog, Outcome, ScannedFile, Side, Status};
use crate::parse::facts::Facts;

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

/// One registration link the audit judges: the inventory's (a spoke to its hub, corrected by the
/// spoke's own traces) and every pair of hubs (the mesh).
struct Link {
    hub: usize,
    spoke: usize,
    kind: LinkKind,
    membership: Membership,
    /// What the reader should know about how the link was found.
    note: Option<String>,
}

/// The cluster the traces of `c` show it registering to, when they do: the hub address of its
/// latest attempt as the registering side (its own connection request names it, whatever the
/// outcome).
fn traced_server(catalog: &Catalog, c: usize, gathered: &[Gathered], ids: &[BTreeSet<String>]) -> Option<usize> {
    let g = gathered.get(c)?;
    if g.scanned.is_empty() {
        return None;
    }
    let a = link_analysis(catalog, &Gathered::default(), g, &analyze::Options::default());
    let own = ids.get(c)?;
    let latest = a
        .attempts
        .iter()
        .rev()
        .filter(|x| x.hub.as_ref().is_some_and(|h| !own.contains(&h.to_ascii_lowercase())))
        .find(|x| x.spoke.as_ref().is_none_or(|s| own.contains(&s.to_ascii_lowercase())))?;
    let hub = latest.hub.as_ref()?.to_ascii_lowercase();
    ids.iter().position(|set| set.contains(&hub)).filter(|&h| h != c)
}

/// Whether the traces of `server` show `client` connecting to it (the side registered to logs
/// the connections it accepts).
fn traced_client(
    catalog: &Catalog,
    server: usize,
    client: usize,
    gathered: &[Gathered],
    ids: &[BTreeSet<String>],
) -> bool {
    let (Some(g), Some(theirs), Some(own)) = (gathered.get(server), ids.get(client), ids.get(server)) else {
        return false;
    };
    if g.scanned.is_empty() {
        return false;
    }
    let a = link_analysis(catalog, g, &Gathered::default(), &analyze::Options::default());
    a.attempts.iter().any(|x| {
        x.spoke.as_ref().is_some_and(|s| theirs.contains(&s.to_ascii_lowercase()))
            && x.hub.as_ref().is_none_or(|h| own.contains(&h.to_ascii_lowercase()))
    })
}

/// The links of a network (docs/cucm-notes.md#membership): each spoke to the hub its own traces
/// show, else the inventory's (the user's word, or discovery's guess from rows); every pair of
/// hubs, its direction from the traces when an attempt shows one.
fn links(catalog: &Catalog, n: &Network, gathered: &[Gathered], ids: &[BTreeSet<String>]) -> Vec<Link> {
    let role = |i: usize| n.clusters.get(i).map(|c| c.role);
    let name = |i: usize| n.clusters.get(i).map_or("?", |c| c.name.as_str());
    let kind = |h: usize, s: usize| match (role(h), role(s)) {
        (Some(Role::Hub), Some(Role::Hub)) => LinkKind::HubToHub,
        (Some(Role::Spoke), _) => LinkKind::SpokeToSpoke,
        _ => LinkKind::SpokeToHub,
    };
    let mut out: Vec<Link> = Vec::new();
    for (h, s) in n.pairs() {
        let stated = n.clusters.get(s).is_some_and(|c| !c.hub_inferred);
        let (hub, membership, note) = match traced_server(catalog, s, gathered, ids) {
            Some(t) if t == h => (h, Membership::Traces, None),
            Some(t) => (
                t,
                Membership::Traces,
                Some(format!(
                    "{}'s traces show it registering to {}, not to {} as the inventory says",
                    name(s),
                    name(t),
                    name(h)
                )),
            ),
            None if stated => (h, Membership::Given, None),
            None => (
                h,
                Membership::Rows,
                Some(format!(
                    "inferred: discovery took {} as {}'s hub from remotecluster rows; no attempt in the traces shows it",
                    name(h),
                    name(s)
                )),
            ),
        };
        out.push(Link { hub, spoke: s, kind: kind(hub, s), membership, note });
    }
    let hubs: Vec<usize> = (0..n.clusters.len()).filter(|&i| role(i) == Some(Role::Hub)).collect();
    for (k, &a) in hubs.iter().enumerate() {
        for &b in hubs.iter().skip(k.saturating_add(1)) {
            if out.iter().any(|l| (l.hub, l.spoke) == (a, b) || (l.hub, l.spoke) == (b, a)) {
                continue;
            }
            let b_to_a =
                traced_server(catalog, b, gathered, ids) == Some(a) || traced_client(catalog, a, b, gathered, ids);
            let a_to_b =
                traced_server(catalog, a, gathered, ids) == Some(b) || traced_client(catalog, b, a, gathered, ids);
            let (hub, spoke, membership) = match (b_to_a, a_to_b) {
                (true, _) => (a, b, Membership::Traces),
                (false, true) => (b, a, Membership::Traces),
                (false, false) => (a, b, Membership::Unknown),
            };
            let note = (membership == Membership::Unknown).then(|| {
                format!(
                    "no attempt shows which of {} and {} registered to the other: judged both ways from their configuration",
                    name(a),
                    name(b)
                )
            });
            out.push(Link { hub, spoke, kind: LinkKind::HubToHub, membership, note });
        }
    }
    out
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
    let ids: Vec<BTreeSet<String>> = n.clusters.iter().zip(gathered).map(|(c, g)| identities(c, g)).collect();
    let mut pairs = Vec::new();
    for link in links(catalog, n, gathered, &ids) {
        let (h, s) = (link.hub, link.spoke);
        let (Some(hub), Some(spoke), Some(gh), Some(gs)) =
            (n.clusters.get(h), n.clusters.get(s), gathered.get(h), gathered.get(s))
        else {
            continue;
        };
        let mut a = link_analysis(catalog, gh, gs, options);
        // The hub's traces hold every spoke's attempts: keep this spoke's.
        let (spoke_ids, hub_ids) = (ids.get(s).cloned().unwrap_or_default(), ids.get(h).cloned().unwrap_or_default());
        a.attempts.retain(|x| {
            let client = x.spoke.as_ref().map(|ip| spoke_ids.contains(&ip.to_ascii_lowercase()));
            let server = x.hub.as_ref().map(|ip| hub_ids.contains(&ip.to_ascii_lowercase()));
            // A hub's own registration elsewhere is not this link's.
            client.unwrap_or(x.seen_on.contains(&Side::Spoke)) && server.unwrap_or(true)
        });
        let mut link_findings = match (&gh.facts, &gs.facts) {
            (Some(fh), Some(fs)) => findings::pair_findings(fh, fs),
            _ => Vec::new(),
        };
        let mut flat: Vec<Finding> = link_findings.iter().map(|(_, f)| f.clone()).collect();
        drop_moot_trust_findings(&mut flat, &mut a);
        let quiet_ok = a.attempts.is_empty() && quiet_link(&link, gh, gs).0 == Status::Ok;
        findings::drop_quiet_trust_findings(&mut flat, quiet_ok);
        link_findings.retain(|(_, f)| flat.iter().any(|k| k.code == f.code && k.message == f.message));
        for (side, f) in &link_findings {
            let owner = if *side == Side::Hub { h } else { s };
            let Some(cluster) = clusters.get_mut(owner) else { continue };
            if !cluster.findings.iter().any(|x| x.code == f.code && x.message == f.message) {
                cluster.findings.push(row(f));
            }
        }
        pairs.push(pair_result(&n.name, hub, spoke, gh, gs, &a, &flat, &link));
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

#[allow(clippy::too_many_arguments)] // one link's parts, each read once
fn pair_result(
    network: &str,
    hub: &Cluster,
    spoke: &Cluster,
    gh: &Gathered,
    gs: &Gathered,
    a: &analyze::Analysis,
    link_findings: &[Finding],
    link: &Link,
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
        Some(x) if x.outcome == Outcome::Failure => {
            (Status::Critical, format!("{label}: the latest attempt failed: {}", analyze::verdict::trace_cause(x).text))
        }
        Some(x) if failures > 0 => (
            Status::Warning,
            format!("{label}: registered at the latest attempt (#{}), after {failures} failed attempt(s)", x.id),
        ),
        Some(_) => (Status::Ok, format!("{label}: registered ({successes} successful attempt(s) in the window)")),
        None => {
            let (status, why) = quiet_link(link, gh, gs);
            (status, format!("{label}: {why}"))
        }
    };
    let summary = match &link.note {
        Some(n) => format!("{summary} ({n})"),
        None => summary,
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
        link: Some(link.kind),
        membership: Some(link.membership),
    }
}

/// No attempt in the window: judged from the configuration both sides report, by the same
/// rules as `check` (`analyze::quiet`); a hub-to-hub link whose direction is unknown both ways,
/// the better one.
fn quiet_link(link: &Link, gh: &Gathered, gs: &Gathered) -> (Status, String) {
    let (Some(fh), Some(fs)) = (&gh.facts, &gs.facts) else {
        let which = if gh.facts.is_none() { "the hub" } else { "the spoke" };
        return (Status::Unknown, format!("{which} could not be read and its traces show no attempt"));
    };
    let run = analyze::cause::RunNotes::default();
    let mut v = analyze::quiet::judge(fh, fs, &run);
    if link.membership == Membership::Unknown {
        let other = analyze::quiet::judge(fs, fh, &run);
        if other.status < v.status {
            v = other;
        }
    }
    (v.status, v.reason)
}
