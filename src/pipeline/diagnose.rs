//! Diagnosis: the analysis of scanned trace files with the configuration facts of both sides
//! folded in, judged on the spokes that were asked for. Pure: what a live session concludes,
//! and what a bundle's offline analysis concludes again from the same inputs.

use std::collections::BTreeSet;

use serde::Serialize;

pub use crate::analyze::cause::RunNotes;
pub use crate::analyze::findings::{findings, fold_findings, Finding, LevelChange, SideConfig};
use crate::analyze::judge;
use crate::analyze::model::Analysis;
pub use crate::analyze::network::identities;
use crate::analyze::network::{ExpectedLink, Network, Role};
use crate::analyze::preflight::{self, PairPreflight};
use crate::analyze::{self, Catalog};

/// The result: the analysis (its status already includes the findings), each side's facts.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    #[serde(flatten)]
    pub analysis: Analysis,
    pub config: Vec<SideConfig>,
    pub findings: Vec<Finding>,
    pub trace_levels: Vec<LevelChange>,
    pub download_dir: String,
    /// The certificate check made before any trace level was touched: per link, what each side
    /// does with the other's Tomcat certificate and what that means per authentication method.
    pub preflight: Vec<PairPreflight>,
    /// What the run itself did on the publishers (levels raised, services restarted).
    pub run: RunNotes,
}

/// The analysis of scanned traces with the configuration findings folded in, judged on the
/// links between the clusters the configuration names: what `check` concludes, and what a
/// bundle's offline analysis concludes again from the same inputs.
pub fn diagnose(
    catalog: &Catalog,
    scanned: &[crate::analyze::ScannedFile],
    options: &analyze::Options,
    config: Vec<SideConfig>,
    levels: Vec<LevelChange>,
    download_dir: String,
    run: &RunNotes,
) -> Outcome {
    let mut analysis = analyze::analyze(catalog, scanned, options);
    analyze::names::apply(&mut analysis, &names_of(&config));
    if config.is_empty() {
        return Outcome {
            analysis,
            config,
            findings: Vec::new(),
            trace_levels: levels,
            download_dir,
            preflight: Vec::new(),
            run: run.clone(),
        };
    }
    let net = Network::build(&config, &analysis);
    let pre: Vec<Option<PairPreflight>> = net.links.iter().map(|l| predict_link(&config, l)).collect();
    let judged = judge::judge(&mut analysis, &net, &config, &pre, options.configured_method, run);
    let mut found = findings(&config, &net, &pre, &levels);
    judge::condition_findings(&mut found, &judged, &net, &config, &mut analysis);
    judge::conclude(&mut analysis);
    tidy_warnings(&mut analysis, &net, &levels);
    found.extend(contradicted(&net, &pre, &analysis, &config));
    fold_findings(&mut analysis, &found);
    Outcome {
        analysis,
        config,
        findings: found,
        trace_levels: levels,
        download_dir,
        preflight: pre.into_iter().flatten().collect(),
        run: run.clone(),
    }
}

/// The certificate check of one link: the registering side against the side registered to.
fn predict_link(config: &[SideConfig], link: &ExpectedLink) -> Option<PairPreflight> {
    let client = &config.get(link.client)?.facts;
    let server = &config.get(link.server?)?.facts;
    preflight::predict(server, &[client], chrono::Utc::now().naive_utc()).pop()
}

/// Warnings that the network explains away: a hub's trace holds both roles' lines (it accepts
/// its spokes and registers to another hub); the advice to raise a trace level this run raised;
/// attempts of clusters not given are context.
fn tidy_warnings(a: &mut Analysis, net: &Network, levels: &[LevelChange]) {
    let hub_ids: Vec<&String> = net.members.iter().filter(|m| m.role == Role::Hub).flat_map(|m| m.ids.iter()).collect();
    let raised = levels.iter().any(|l| l.during != l.before || !l.during.is_empty());
    a.warnings.retain(|w| {
        let both_roles = w.contains("-side lines (") && hub_ids.iter().any(|id| w.contains(id.as_str()));
        let raise_advice = raised && w == analyze::verdict::NO_ATTEMPT_HINT;
        !both_roles && !raise_advice
    });
    let context: Vec<String> = a
        .pairs
        .iter()
        .filter(|p| !p.judged)
        .map(|p| {
            let s = p.spoke_name.as_deref().or(p.spoke.as_deref()).unwrap_or("?");
            let h = p.hub_name.as_deref().or(p.hub.as_deref()).unwrap_or("?");
            format!("{s} -> {h}")
        })
        .collect();
    if !context.is_empty() {
        a.warnings.push(format!(
            "the traces also hold attempts between clusters not given ({}): listed as context, not judged",
            context.join(", ")
        ));
    }
}

/// Attempts that contradict the certificate check of their link.
fn contradicted(net: &Network, pre: &[Option<PairPreflight>], a: &Analysis, config: &[SideConfig]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (link, p) in net.links.iter().zip(pre) {
        let Some(p) = p else { continue };
        let server_host = link.server.and_then(|s| config.get(s)).map(|c| c.facts.host.clone()).unwrap_or_default();
        let attempts = net.attempts_of(a, link.client, link.server);
        let label = crate::analyze::findings::pair_label(net, link);
        out.extend(preflight::contradictions(p, &attempts, &server_host).into_iter().map(|mut f| {
            f.pair = Some(label.clone());
            f
        }));
    }
    out
}

/// The outcome of `check --preflight`: the configuration findings and the certificate
/// prediction of every link, judged on the configured method when there is one; no traces. A
/// spoke whose hub is not known (several hubs, no rows naming one) is checked against each.
pub fn preflight_outcome(config: Vec<SideConfig>, method: Option<analyze::Method>) -> Outcome {
    let empty = Analysis::empty(analyze::Status::Unknown, String::new());
    let net = Network::build(&config, &empty);
    let mut links: Vec<ExpectedLink> = Vec::new();
    for l in &net.links {
        if l.server.is_some() {
            links.push(l.clone());
        } else {
            for h in net.members.iter().filter(|m| m.role == Role::Hub) {
                links.push(ExpectedLink { server: Some(h.index), ..l.clone() });
            }
        }
    }
    let per_link = Network { members: net.members.clone(), links };
    let pre: Vec<Option<PairPreflight>> = per_link.links.iter().map(|l| predict_link(&config, l)).collect();
    let pairs: Vec<PairPreflight> = pre.iter().flatten().cloned().collect();
    let (status, summary) = preflight::verdict(&pairs, method);
    let mut analysis = Analysis::empty(status, format!("{summary} (certificate check, no traces read)"));
    let mut found = findings(&config, &per_link, &pre, &[]);
    // Only the findings the certificates and the configuration give: no capture ran.
    for f in found.iter_mut().filter(|f| f.code.starts_with("peer_certificate_")) {
        f.condition.get_or_insert_with(|| match method {
            Some(m) => format!("with {}", m.title()),
            None => "if the pair uses TLS (authentication methods 2 to 4)".into(),
        });
    }
    let worst = found.iter().filter(|f| f.counts()).map(|f| f.severity).max();
    if let Some(w) = worst {
        let only: Vec<Finding> = found.iter().filter(|f| f.severity == w && f.counts()).cloned().collect();
        fold_findings(&mut analysis, &only);
    }
    Outcome {
        analysis,
        config,
        findings: found,
        trace_levels: Vec::new(),
        download_dir: String::new(),
        preflight: pairs,
        run: RunNotes::default(),
    }
}

/// The names the publishers give their own nodes (`show network cluster`): each address, FQDN
/// and short host name → `fqdn (address)`, what the report calls that publisher.
pub fn names_of(config: &[SideConfig]) -> analyze::names::Names {
    let mut names = analyze::names::Names::new();
    for c in config {
        for (ip, fqdn, _) in &c.facts.nodes {
            let (ip, fqdn) = (ip.trim(), fqdn.trim());
            if fqdn.is_empty() || ip.is_empty() || fqdn.eq_ignore_ascii_case(ip) {
                continue;
            }
            let label = format!("{fqdn} ({ip})");
            // The first side to name an address keeps it (the hub's own nodes come first).
            names.entry(ip.to_ascii_lowercase()).or_insert_with(|| label.clone());
            names.entry(fqdn.to_ascii_lowercase()).or_insert_with(|| label.clone());
            if let Some(short) = fqdn.split('.').next().filter(|h| !h.is_empty() && *h != fqdn) {
                names.entry(short.to_ascii_lowercase()).or_insert(label);
            }
        }
    }
    names
}

/// Whether an attempt is one of this client's: the traces name the registering side by address.
pub fn attempt_of(a: &analyze::model::Attempt, ids: &BTreeSet<String>) -> bool {
    a.spoke.iter().chain(a.spoke_fqdn.iter()).any(|x| ids.contains(&x.to_ascii_lowercase()))
}

/// Decided attempts in which each of `clients` registers (one count when none is named). With
/// one client, an attempt the traces do not name is that client's (its own traces decided it).
pub fn decided_per_spoke(a: &Analysis, clients: &[BTreeSet<String>]) -> Vec<usize> {
    let decided: Vec<&analyze::model::Attempt> =
        a.attempts.iter().filter(|x| x.outcome != analyze::Outcome::Incomplete).collect();
    match clients {
        [] => vec![decided.len()],
        [only] => {
            vec![decided
                .iter()
                .filter(|x| attempt_of(x, only) || (x.spoke.is_none() && x.spoke_fqdn.is_none()))
                .count()]
        }
        many => many.iter().map(|ids| decided.iter().filter(|x| attempt_of(x, ids)).count()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::{Side, Status};
    use crate::parse::facts::Facts;

    fn side(side: Side, id: &str, remote: &[&str], sync: Option<&str>) -> SideConfig {
        let facts = Facts {
            host: "127.0.0.1".into(),
            cluster_id: Some(id.into()),
            remote_clusters: remote.iter().map(|r| (r.to_string(), String::new())).collect(),
            ils_sync_status: sync.map(str::to_string),
            ils_service: Some("STARTED".into()),
            ..Facts::default()
        };
        SideConfig { side, facts }
    }

    #[test]
    fn a_quiet_pair_is_judged_from_both_sides_configuration() {
        let catalog = Catalog::builtin();
        let config = vec![
            side(Side::Hub, "HUB-CL", &["SPOKE-CL"], None),
            side(Side::Spoke, "SPOKE-CL", &["HUB-CL"], Some("Up to Date")),
        ];
        let run = RunNotes::default();
        let out =
            diagnose(&catalog, &[], &analyze::Options::default(), config.clone(), Vec::new(), String::new(), &run);
        assert_eq!(out.analysis.status, Status::Ok, "{}", out.analysis.summary);
        assert!(out.analysis.summary.contains("registered; no new registration observed"), "{}", out.analysis.summary);
        assert!(out.analysis.warnings.iter().any(|w| w.contains("inferred")), "{:?}", out.analysis.warnings);

        // The spoke does not list the hub: a warning with the reason, not a shrug.
        let mut lost = config.clone();
        lost[1].facts.remote_clusters.clear();
        lost[1].facts.remote_clusters.push(("OTHER".into(), String::new()));
        let out = diagnose(&catalog, &[], &analyze::Options::default(), lost, Vec::new(), String::new(), &run);
        assert_eq!(out.analysis.status, Status::Warning, "{}", out.analysis.summary);
        assert!(out.analysis.summary.contains("does not list the hub HUB-CL"), "{}", out.analysis.summary);

        // Without configuration nothing can tell: unknown stays.
        let out = diagnose(&catalog, &[], &analyze::Options::default(), Vec::new(), Vec::new(), String::new(), &run);
        assert_eq!(out.analysis.status, Status::Unknown);
    }
}
