//! The verdict of a check: each link the network expects (a spoke to its hub, hubs to each
//! other) gets a pair with its status, one cause and its method from every source; pairs the
//! traces show between other clusters stay as context. Pure: the analysis, the network, the
//! facts and the certificate checks in; the analysis judged.

use std::collections::BTreeSet;

use super::cause::{self, Ends, RunNotes};
use super::findings::SideConfig;
use super::method;
use super::model::{Analysis, Attempt, Pair};
use super::network::{ExpectedLink, LinkKind, Member, Membership, Network, Role};
use super::preflight::PairPreflight;
use super::quiet;
use super::types::{Method, Outcome, Side, Status};

/// Said once when a quiet pair's verdict rests on the synchronization status string.
pub const QUIET_INFERRED: &str =
    "the quiet pair's verdict rests on the ILS synchronization status string, which has no public sample (inferred)";

/// What the judgement of one link decided, for the findings that depend on it.
#[derive(Debug, Clone)]
pub struct Judged {
    /// Index into the network's links.
    pub link: usize,
    /// Index of the link's pair in the analysis.
    pub pair: usize,
    pub method: Option<Method>,
    pub candidates: Vec<Method>,
    pub cause: Option<String>,
    pub status: Status,
    /// The cluster (index into the configuration) whose Tomcat certificate the pair's cause
    /// says was refused as expired.
    pub expired_cert_of: Option<usize>,
}

/// Judges every link of `net` on `a` (see the module doc). `pre` holds each link's certificate
/// check (same order as `net.links`; `None` where a side was not read).
pub fn judge(
    a: &mut Analysis,
    net: &Network,
    config: &[SideConfig],
    pre: &[Option<PairPreflight>],
    configured: Option<Method>,
    run: &RunNotes,
) -> Vec<Judged> {
    for p in &mut a.pairs {
        p.judged = false;
    }
    let mut out = Vec::new();
    for (li, link) in net.links.iter().enumerate() {
        let preflight = pre.get(li).and_then(Option::as_ref);
        let Some(client) = net.member(link.client) else { continue };
        let server = link.server.and_then(|s| net.member(s));
        let indexes = pairs_of(a, net, link);
        let pi = match indexes.last() {
            Some(&i) => i,
            None => {
                let (pair, inferred) = quiet_pair(net, link, config, run);
                a.pairs.push(pair);
                if inferred && !a.warnings.iter().any(|w| w == QUIET_INFERRED) {
                    a.warnings.push(QUIET_INFERRED.into());
                }
                a.pairs.len().saturating_sub(1)
            }
        };
        let attempts: Vec<Attempt> = indexes
            .iter()
            .filter_map(|&i| a.pairs.get(i))
            .flat_map(|p| a.attempts.iter().filter(move |x| x.hub == p.hub && x.spoke == p.spoke))
            .cloned()
            .collect();
        let mut refs: Vec<&Attempt> = attempts.iter().collect();
        refs.sort_by_key(|x| x.id);
        let pm = method::decide(&refs, preflight, configured);
        let latest = refs.iter().rev().find(|x| x.outcome != Outcome::Incomplete).copied();
        let Some(p) = a.pairs.get_mut(pi) else { continue };
        let quiet_failure = (p.attempts == 0 && p.status != Status::Ok).then(|| p.reason.clone());
        let client_facts = config.get(client.index).map(|c| &c.facts);
        let server_facts = server.and_then(|s| config.get(s.index)).map(|c| &c.facts);
        let cause = client_facts.and_then(|cf| {
            let ends = Ends {
                kind: link.kind,
                client: cf,
                client_role: if client.role == Role::Hub { Side::Hub } else { Side::Spoke },
                server: server_facts,
            };
            cause::of(&ends, latest, quiet_failure.as_deref(), run)
        });
        p.judged = true;
        p.link = Some(link.kind);
        p.membership = Some(link.membership);
        p.method = pm;
        if let Some(c) = &cause {
            // A cause the facts explain is as bad as the failure it explains; a spoke
            // registered to a spoke is critical even when its registration works.
            let floor = match c.code.as_str() {
                "ils_service_stopped" | "client_service_stopped" | "registered_to_spoke" => Status::Critical,
                _ => p.status,
            };
            p.status = p.status.max(floor);
            p.reason = c.text.clone();
        }
        if link.membership.inferred() {
            p.reason = format!("{} ({})", p.reason, membership_words(link, client, server));
        }
        p.cause = cause;
        let expired_cert_of =
            latest.filter(|x| x.verify_error.as_ref().is_some_and(|v| v.code == 10)).and_then(|x| match x.root_cause {
                Some(super::types::RootCause::SpokeRejectsHubCertificate) => link.server,
                Some(super::types::RootCause::HubRejectsSpokeCertificate) => Some(link.client),
                _ => None,
            });
        out.push(Judged {
            link: li,
            pair: pi,
            method: p.method.method,
            candidates: p.method.candidates.clone(),
            cause: p.cause.as_ref().map(|c| c.code.clone()),
            status: p.status,
            expired_cert_of,
        });
        // Other pairs of the same link (a spoke named by two addresses) are judged with it.
        for &i in indexes.iter().rev().skip(1) {
            if let Some(p) = a.pairs.get_mut(i) {
                p.judged = true;
                p.link = Some(link.kind);
                p.membership = Some(link.membership);
            }
        }
    }
    out
}

/// How a link's ends are known when that rests on a guess, in words.
fn membership_words(link: &ExpectedLink, client: &Member, server: Option<&Member>) -> String {
    match (link.membership, server) {
        (Membership::Rows, Some(s)) => format!(
            "inferred: no attempt shows which hub {} belongs to; its remotecluster rows name {} alone among the hubs given",
            client.label, s.label
        ),
        (Membership::Unknown, _) if link.kind == LinkKind::HubToHub => {
            "inferred: no attempt shows which hub registered to the other".to_string()
        }
        _ => format!("inferred: no attempt shows which hub {} belongs to", client.label),
    }
}

/// The analysis pairs of a link: the registering side named as spoke, the side registered to as
/// hub (or the address the traces connect to when it was not given).
fn pairs_of(a: &Analysis, net: &Network, link: &ExpectedLink) -> Vec<usize> {
    let Some(client) = net.member(link.client) else { return Vec::new() };
    let one_client = net.members.iter().filter(|m| m.role == Role::Spoke).count() == 1 && client.role == Role::Spoke;
    let named =
        |ids: &BTreeSet<String>, addr: Option<&str>| addr.is_some_and(|x| ids.contains(&x.to_ascii_lowercase()));
    a.pairs
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            let client_ok = named(&client.ids, p.spoke.as_deref()) || (one_client && p.spoke.is_none());
            let server_ok = match (link.server.and_then(|s| net.member(s)), &link.server_address) {
                (Some(s), _) => p.hub.is_none() || named(&s.ids, p.hub.as_deref()),
                (None, Some(addr)) => p.hub.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(addr)),
                (None, None) => true,
            };
            client_ok && server_ok
        })
        .map(|(i, _)| i)
        .collect()
}

/// A member's own address as its cluster knows it (the publisher's line of `show network
/// cluster`), else the address ils-doctor connected to.
fn address(config: &[SideConfig], m: &Member) -> String {
    let f = config.get(m.index).map(|c| &c.facts);
    f.and_then(|f| {
        let node = f.node_name.as_deref().map(str::trim);
        f.nodes
            .iter()
            .find(|(ip, fqdn, _)| node.is_some_and(|n| n.eq_ignore_ascii_case(ip) || n.eq_ignore_ascii_case(fqdn)))
            .or_else(|| f.nodes.iter().find(|(_, _, role)| role == "Publisher"))
            .map(|(ip, _, _)| ip.trim().to_string())
    })
    .filter(|s| !s.is_empty())
    .or_else(|| f.map(|f| f.host.clone()))
    .unwrap_or_default()
}

/// The pair of a link that showed no attempt and no traffic: judged from both sides' facts
/// (`quiet`), both ways for a hub-to-hub link whose direction is unknown, against every hub
/// for a spoke whose hub is unknown.
fn quiet_pair(net: &Network, link: &ExpectedLink, config: &[SideConfig], run: &RunNotes) -> (Pair, bool) {
    let facts = |i: usize| config.get(i).map(|c| &c.facts);
    let client = net.member(link.client);
    let mut candidates: Vec<(usize, usize)> = Vec::new();
    match link.server {
        Some(s) => {
            candidates.push((link.client, s));
            if !link.direction_known {
                candidates.push((s, link.client));
            }
        }
        None => {
            for h in net.members.iter().filter(|m| m.role == Role::Hub) {
                candidates.push((link.client, h.index));
            }
        }
    }
    let verdicts: Vec<quiet::QuietVerdict> =
        candidates.iter().filter_map(|&(c, s)| Some(quiet::judge(facts(s)?, facts(c)?, run))).collect();
    let best = verdicts.into_iter().min_by_key(|v| v.status);
    let (status, reason, inferred) = match best {
        Some(v) => (v.status, v.reason, v.inferred),
        None => (
            Status::Unknown,
            "no registration attempt in the capture, and no cluster to judge it against".into(),
            false,
        ),
    };
    let server = link.server.and_then(|s| net.member(s));
    let pair = Pair {
        hub: server.map(|s| address(config, s)).or_else(|| link.server_address.clone()),
        spoke: client.map(|c| address(config, c)),
        hub_name: server.map(|s| s.label.clone()),
        spoke_name: client.map(|c| c.label.clone()),
        status,
        attempts: 0,
        successes: 0,
        failures: 0,
        latest_attempt: None,
        latest_outcome: None,
        latest_root_cause: None,
        activity: None,
        reason,
        method: method::decide(&[], None, None),
        judged: true,
        link: Some(link.kind),
        membership: Some(link.membership),
        cause: None,
        runs: Vec::new(),
    };
    (pair, inferred)
}

/// The run's status and summary from its judged pairs: the worst pair decides; the summary
/// names each pair that is not ok with its cause.
pub fn conclude(a: &mut Analysis) {
    let judged: Vec<&Pair> = a.pairs.iter().filter(|p| p.judged).collect();
    if judged.is_empty() {
        return;
    }
    let status = judged.iter().map(|p| p.status).max().unwrap_or(Status::Unknown);
    let name = |p: &Pair| {
        let s = p.spoke_name.as_deref().or(p.spoke.as_deref()).unwrap_or("?");
        let h = p.hub_name.as_deref().or(p.hub.as_deref()).unwrap_or("?");
        let (sr, hr) = match p.link {
            Some(LinkKind::HubToHub) => ("hub", "hub"),
            _ => ("spoke", "hub"),
        };
        format!("{sr} {s} -> {hr} {h}")
    };
    let bad: Vec<String> = judged
        .iter()
        .filter(|p| p.status != Status::Ok)
        .map(|p| format!("{}: {}", name(p), p.cause.as_ref().map_or(p.reason.as_str(), |c| c.text.as_str())))
        .collect();
    let n = judged.len();
    let links = if n == 1 { "1 link".to_string() } else { format!("{n} links") };
    a.summary = match (status, judged.as_slice()) {
        (Status::Ok, [one]) => format!("OK: {}: {}", name(one), one.reason),
        (Status::Ok, _) => format!("OK: {links}, every one registered"),
        (s, _) => format!("{}: {}", s.as_str().to_uppercase(), bad.join("; ")),
    };
    a.status = status;
    a.exit_code = status.exit_code();
}

/// Says under which methods each link's certificate finding matters, from the methods its link
/// may use, and makes each finding that explains a pair that pair's cause (said once, with the
/// pair). A password-only pair's certificate findings matter only if it moves to TLS; a pair
/// using a CA (methods 3 and 4) does not need the peer's certificate itself imported (method 2
/// does). A pair with no cause of its own takes its worst counted finding as its cause (a
/// duplicate cluster ID).
pub fn condition_findings(
    findings: &mut [super::findings::Finding],
    judged: &[Judged],
    net: &Network,
    config: &[SideConfig],
    a: &mut Analysis,
) {
    use super::types::{MethodSet, RootCause};
    for j in judged {
        let Some(link) = net.links.get(j.link) else { continue };
        let label = super::findings::pair_label(net, link);
        let _ = config;
        let quiet_ok = a.pairs.get(j.pair).is_some_and(|p| p.attempts == 0 && p.status == Status::Ok);
        let candidates = match j.method {
            Some(m) => MethodSet::of(&[m]),
            None if j.candidates.is_empty() => MethodSet::ALL,
            None => MethodSet::of(&j.candidates),
        };
        let tls_only = candidates.intersect(MethodSet::NON_TLS).is_empty();
        let refused_by = match j.cause.as_deref() {
            Some(c) if c == RootCause::SpokeRejectsHubCertificate.as_str() => Some(link.client),
            Some(c) if c == RootCause::HubRejectsSpokeCertificate.as_str() => link.server,
            _ => None,
        };
        for f in findings.iter_mut().filter(|f| f.pair.as_deref() == Some(label.as_str())) {
            if f.code.starts_with("peer_certificate_") {
                let not_imported = f.code == "peer_certificate_not_imported";
                f.condition = if candidates == MethodSet::NON_TLS {
                    Some("if this pair moves to TLS (authentication methods 2 to 4); it uses the password alone (method 1)".into())
                } else if quiet_ok && j.method.is_none() {
                    Some("if this pair uses TLS (authentication methods 2 to 4): it is registered, so whatever it uses works".into())
                } else if not_imported && candidates == MethodSet::of(&[Method::Tls]) {
                    None
                } else if not_imported && candidates.contains(Method::Tls) {
                    Some("if this pair uses TLS certificates alone (method 2)".into())
                } else if not_imported {
                    Some(format!(
                        "only with TLS certificates alone (method 2); this pair uses {}",
                        super::method::numbers(&candidates.members())
                    ))
                } else if tls_only {
                    None
                } else {
                    Some("if this pair uses TLS (authentication methods 2 to 4)".into())
                };
                // The refusal the pair failed with is its cause, said with the pair.
                if refused_by.is_some() && refused_by == f.cluster && !not_imported {
                    f.part_of_cause = true;
                    f.condition = None;
                }
            }
            if f.code == "peer_missing_from_remotecluster" && j.cause.as_deref() == Some("not_registered") {
                f.part_of_cause = true;
            }
        }
        // A stopped service or an expired certificate that is a pair's cause is said with it.
        let stopped_cluster = match j.cause.as_deref() {
            Some("ils_service_stopped") => link.server,
            Some("client_service_stopped") => Some(link.client),
            _ => None,
        };
        for f in findings.iter_mut().filter(|f| f.cluster.is_some()) {
            let stopped = f.code == "ils_service_not_running" && f.cluster == stopped_cluster;
            let expired = f.code == "tomcat_certificate_expired" && f.cluster == j.expired_cert_of;
            if stopped || expired {
                f.part_of_cause = true;
            }
        }
        // A pair with no cause of its own: its worst counted finding is its cause.
        let Some(p) = a.pairs.get_mut(j.pair) else { continue };
        if p.cause.is_none() {
            let worst = findings
                .iter_mut()
                .filter(|f| f.pair.as_deref() == Some(label.as_str()) && f.counts() && f.severity > Status::Ok)
                .max_by_key(|f| f.severity);
            if let Some(f) = worst {
                f.part_of_cause = true;
                p.status = p.status.max(f.severity);
                p.reason = f.message.clone();
                p.cause = Some(super::model::PairCause {
                    code: f.code.to_string(),
                    text: f.message.clone(),
                    basis: vec!["the configuration read from both clusters".into()],
                    fix: f.fix.clone(),
                    confidence: super::types::Confidence::Confirmed,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::model::Analysis;

    use crate::analyze::network::test_side as side;

    fn analysed(attempts: Vec<Attempt>) -> Analysis {
        let mut a = Analysis::empty(Status::Unknown, String::new());
        a.attempts = attempts;
        crate::analyze::verdict::rejudge(&mut a, None);
        a
    }

    #[test]
    fn a_healthy_hub_mesh_is_ok_and_every_link_is_judged() {
        let config = vec![
            side(Side::Hub, "10.0.0.1", "Hub Cluster", "A", &["B", "S", "T"], "STARTED"),
            side(Side::Hub, "10.0.0.2", "Hub Cluster", "B", &["A", "S", "T"], "STARTED"),
            side(Side::Spoke, "10.0.0.11", "Spoke Cluster", "S", &["A", "B", "T"], "STARTED"),
            side(Side::Spoke, "10.0.0.12", "Spoke Cluster", "T", &["A", "B", "S"], "STARTED"),
        ];
        let mut a = analysed(vec![
            Attempt::bare(1, Some("10.0.0.2".into()), Some("10.0.0.1".into()), Outcome::Success),
            Attempt::bare(2, Some("10.0.0.11".into()), Some("10.0.0.1".into()), Outcome::Success),
            Attempt::bare(3, Some("10.0.0.12".into()), Some("10.0.0.2".into()), Outcome::Success),
        ]);
        let net = Network::build(&config, &a);
        let judged = judge(&mut a, &net, &config, &[None, None, None], None, &RunNotes::default());
        conclude(&mut a);
        assert_eq!(judged.len(), 3);
        assert_eq!(a.status, Status::Ok, "{}", a.summary);
        let kinds: Vec<_> = a.pairs.iter().filter(|p| p.judged).map(|p| p.link).collect();
        assert!(kinds.contains(&Some(LinkKind::HubToHub)), "{kinds:?}");
    }

    #[test]
    fn the_stopped_hub_is_the_cause_and_the_pair_is_critical() {
        let config = vec![
            side(Side::Hub, "10.0.0.1", "Hub Cluster", "A", &[], "STOPPED"),
            side(Side::Spoke, "10.0.0.11", "Spoke Cluster", "S", &["A"], "STARTED"),
        ];
        let mut failed = Attempt::bare(1, Some("10.0.0.11".into()), Some("10.0.0.1".into()), Outcome::Failure);
        failed.root_cause = Some(crate::analyze::RootCause::HubUnreachable);
        let mut a = analysed(vec![failed]);
        let net = Network::build(&config, &a);
        judge(&mut a, &net, &config, &[None], None, &RunNotes::default());
        conclude(&mut a);
        assert_eq!(a.status, Status::Critical);
        let p = a.pairs.iter().find(|p| p.judged).unwrap();
        assert_eq!(p.cause.as_ref().map(|c| c.code.as_str()), Some("ils_service_stopped"));
        assert!(a.summary.contains("STOPPED"), "{}", a.summary);
    }

    #[test]
    fn other_spokes_in_the_hub_traces_are_context() {
        let config = vec![
            side(Side::Hub, "10.0.0.1", "Hub Cluster", "A", &[], "STARTED"),
            side(Side::Spoke, "10.0.0.11", "Spoke Cluster", "S", &["A"], "STARTED"),
        ];
        let mut other = Attempt::bare(1, Some("10.0.0.99".into()), Some("10.0.0.1".into()), Outcome::Failure);
        other.root_cause = Some(crate::analyze::RootCause::PasswordMismatch);
        let mut a = analysed(vec![
            other,
            Attempt::bare(2, Some("10.0.0.11".into()), Some("10.0.0.1".into()), Outcome::Success),
        ]);
        let net = Network::build(&config, &a);
        judge(&mut a, &net, &config, &[None], None, &RunNotes::default());
        conclude(&mut a);
        assert_eq!(a.status, Status::Ok, "{}", a.summary);
        assert_eq!(a.pairs.iter().filter(|p| !p.judged).count(), 1);
    }

    #[test]
    fn a_quiet_spoke_whose_hub_is_unknown_is_judged_against_every_hub_and_says_it_is_inferred() {
        let config = vec![
            side(Side::Hub, "10.0.0.1", "Hub Cluster", "A", &["B", "S"], "STARTED"),
            side(Side::Hub, "10.0.0.2", "Hub Cluster", "B", &["A", "S"], "STARTED"),
            side(Side::Spoke, "10.0.0.11", "Spoke Cluster", "S", &["A", "B"], "STARTED"),
        ];
        let mut a = analysed(vec![]);
        let net = Network::build(&config, &a);
        judge(&mut a, &net, &config, &[None, None], None, &RunNotes::default());
        conclude(&mut a);
        let s = a.pairs.iter().find(|p| p.spoke.as_deref() == Some("10.0.0.11")).unwrap();
        assert_eq!(s.membership, Some(Membership::Unknown));
        assert!(s.reason.contains("inferred"), "{}", s.reason);
        assert_eq!(s.status, Status::Ok, "{}", s.reason);
    }
}
