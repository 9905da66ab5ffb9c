//! Diagnosis: the analysis of scanned trace files with the configuration facts of both sides
//! folded in, judged on the spokes that were asked for. Pure: what a live session concludes,
//! and what a bundle's offline analysis concludes again from the same inputs.

use std::collections::BTreeSet;

use serde::Serialize;

pub use crate::analyze::findings::{
    drop_moot_trust_findings, drop_quiet_trust_findings, findings, fold_findings, Finding, LevelChange, SideConfig,
};
use crate::analyze::model::Analysis;
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
    /// The certificate check made before any trace level was touched: per pair, what each side
    /// does with the other's Tomcat certificate and what that means per authentication method.
    pub preflight: Vec<PairPreflight>,
}

/// The analysis of scanned traces with the configuration findings folded in, judged on the
/// spokes the configuration names: what `check` concludes, and what a bundle's offline
/// analysis concludes again from the same inputs.
pub fn diagnose(
    catalog: &Catalog,
    scanned: &[crate::analyze::ScannedFile],
    options: &analyze::Options,
    config: Vec<SideConfig>,
    levels: Vec<LevelChange>,
    download_dir: String,
) -> Outcome {
    let mut analysis = analyze::analyze(catalog, scanned, options);
    analyze::names::apply(&mut analysis, &names_of(&config));
    let spokes: Vec<BTreeSet<String>> =
        config.iter().filter(|c| c.side == analyze::Side::Spoke).map(|c| identities(&c.facts)).collect();
    judge_requested(&mut analysis, &spokes);
    let quiet_ok = judge_quiet(&mut analysis, &config);
    let mut findings = findings(&config, &levels);
    drop_moot_trust_findings(&mut findings, &mut analysis);
    drop_quiet_trust_findings(&mut findings, quiet_ok);
    let preflight = predict(&config);
    narrow_methods(&mut analysis, &preflight, &config);
    drop_method_2_findings(&mut findings, &analysis, options.configured_method);
    findings.extend(contradicted(&preflight, &analysis, &config));
    fold_findings(&mut analysis, &findings);
    Outcome { analysis, config, findings, trace_levels: levels, download_dir, preflight }
}

/// The certificate prediction of every hub-spoke pair in `config` (`analyze::preflight`).
pub fn predict(config: &[SideConfig]) -> Vec<PairPreflight> {
    let Some(hub) = config.iter().find(|c| c.side == analyze::Side::Hub) else { return Vec::new() };
    let spokes: Vec<&crate::collect::facts::Facts> =
        config.iter().filter(|c| c.side == analyze::Side::Spoke).map(|c| &c.facts).collect();
    preflight::predict(&hub.facts, &spokes, chrono::Utc::now().naive_utc())
}

/// The certificate finding that matters under method 2 alone (the peer's certificate trusted
/// through its CA, not imported itself) is dropped when no pair can be using method 2: another
/// method is configured or established, or a TLS registration already succeeded. A healthy
/// CA-signed method 3 or 4 network must not warn on every check.
fn drop_method_2_findings(findings: &mut Vec<Finding>, a: &Analysis, configured: Option<analyze::Method>) {
    use analyze::Method;
    let possible = match configured {
        Some(m) => m == Method::Tls,
        None => {
            a.pairs.is_empty()
                || a.pairs.iter().any(|p| match p.method.method {
                    Some(m) => m == Method::Tls,
                    None => {
                        p.method.candidates.contains(&Method::Tls)
                            && !a.attempts.iter().any(|x| {
                                x.hub == p.hub
                                    && x.spoke == p.spoke
                                    && x.tls == Some(true)
                                    && x.outcome == analyze::Outcome::Success
                            })
                    }
                })
        }
    };
    if !possible {
        findings.retain(|f| f.code != "peer_certificate_not_imported");
    }
}

/// Each undecided pair whose latest attempt registered over TLS: the methods its certificates
/// rule out are dropped from its candidates (`analyze::method::narrow_by_certificates`).
fn narrow_methods(a: &mut Analysis, pairs: &[PairPreflight], config: &[SideConfig]) {
    let spokes: Vec<BTreeSet<String>> =
        config.iter().filter(|c| c.side == analyze::Side::Spoke).map(|c| identities(&c.facts)).collect();
    let attempts = &a.attempts;
    for p in a.pairs.iter_mut().filter(|p| p.method.method.is_none()) {
        // The pair of a requested spoke only: the hub's traces hold every spoke's attempts (a
        // pair naming no spoke is the one spoke's when only one was asked for).
        let pre = spokes
            .iter()
            .position(|ids| match &p.spoke {
                Some(s) => ids.contains(&s.to_ascii_lowercase()),
                None => spokes.len() == 1,
            })
            .and_then(|i| pairs.get(i));
        let Some(pre) = pre else { continue };
        let tls_success = attempts
            .iter()
            .rev()
            .filter(|x| x.hub == p.hub && x.spoke == p.spoke && x.outcome != analyze::Outcome::Incomplete)
            .map(|x| x.outcome == analyze::Outcome::Success && x.tls == Some(true))
            .next()
            .unwrap_or(false);
        if tls_success {
            analyze::method::narrow_by_certificates(&mut p.method, pre);
        }
    }
}

/// Attempts that contradict the prediction of their pair (the spoke's attempts, or every
/// attempt when there is one spoke).
fn contradicted(pairs: &[PairPreflight], a: &Analysis, config: &[SideConfig]) -> Vec<Finding> {
    let hub_host = config.iter().find(|c| c.side == analyze::Side::Hub).map(|c| c.facts.host.clone());
    let spokes: Vec<&SideConfig> = config.iter().filter(|c| c.side == analyze::Side::Spoke).collect();
    let mut out = Vec::new();
    for (p, spoke) in pairs.iter().zip(&spokes) {
        let ids = identities(&spoke.facts);
        let unnamed = |x: &analyze::model::Attempt| x.spoke.is_none() && x.spoke_fqdn.is_none();
        let attempts: Vec<&analyze::model::Attempt> =
            a.attempts.iter().filter(|x| attempt_of(x, &ids) || (spokes.len() == 1 && unnamed(x))).collect();
        out.extend(preflight::contradictions(p, &attempts, hub_host.as_deref().unwrap_or_default()));
    }
    out
}

/// The outcome of `check --preflight`: the configuration findings and the certificate
/// prediction, judged on the configured method when there is one; no traces.
pub fn preflight_outcome(config: Vec<SideConfig>, method: Option<analyze::Method>) -> Outcome {
    let pairs = predict(&config);
    let (status, summary) = preflight::verdict(&pairs, method);
    let mut analysis =
        analyze::model::Analysis::empty(status, format!("{summary} (certificate check, no traces read)"));
    let found = findings(&config, &[]);
    // Only the findings the certificates and the configuration give: no capture ran.
    let worst = found.iter().filter(|f| !f.code.starts_with("peer_certificate_")).map(|f| f.severity).max();
    if let Some(w) = worst {
        let only: Vec<Finding> =
            found.iter().filter(|f| f.severity == w && !f.code.starts_with("peer_certificate_")).cloned().collect();
        fold_findings(&mut analysis, &only);
    }
    Outcome {
        analysis,
        config,
        findings: found,
        trace_levels: Vec::new(),
        download_dir: String::new(),
        preflight: pairs,
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

/// Every address and name a publisher is known by (lower case): the address used, its own
/// name, and the nodes of `show network cluster`. The hub's traces name a spoke by these.
pub fn identities(f: &crate::collect::facts::Facts) -> BTreeSet<String> {
    let mut ids = BTreeSet::from([f.host.to_ascii_lowercase()]);
    for (ip, fqdn, _) in &f.nodes {
        ids.insert(ip.to_ascii_lowercase());
        if !fqdn.is_empty() {
            ids.insert(fqdn.to_ascii_lowercase());
        }
    }
    ids.extend(f.node_name.iter().map(|n| n.to_ascii_lowercase()));
    ids
}

/// Whether an attempt is one of this spoke's: the hub's traces name the spoke by address.
pub fn attempt_of(a: &analyze::model::Attempt, ids: &BTreeSet<String>) -> bool {
    a.spoke.iter().chain(a.spoke_fqdn.iter()).any(|x| ids.contains(&x.to_ascii_lowercase()))
}

/// Decided attempts of each requested spoke (one count when no spoke is named). With one spoke,
/// an attempt the traces do not name is that spoke's (its own traces decided it).
pub fn decided_per_spoke(a: &Analysis, spokes: &[BTreeSet<String>]) -> Vec<usize> {
    let decided: Vec<&analyze::model::Attempt> =
        a.attempts.iter().filter(|x| x.outcome != analyze::Outcome::Incomplete).collect();
    match spokes {
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

/// The verdict judges the requested spokes: the hub's traces hold every spoke's attempts, and
/// another spoke's success or failure says nothing about the one asked for. Other spokes'
/// attempts stay in the report as context. A requested spoke with no decided attempt is unknown.
pub fn judge_requested(a: &mut Analysis, spokes: &[BTreeSet<String>]) {
    if spokes.is_empty() || a.attempts.is_empty() {
        return;
    }
    let unnamed = |p: &analyze::model::Pair| p.spoke.is_none();
    let of = |p: &analyze::model::Pair, ids: &BTreeSet<String>| {
        p.spoke.as_ref().is_some_and(|s| ids.contains(&s.to_ascii_lowercase())) || (spokes.len() == 1 && unnamed(p))
    };
    let mut status = analyze::Status::Ok;
    let mut missing = Vec::new();
    for ids in spokes {
        let worst = a.pairs.iter().filter(|p| of(p, ids)).map(|p| p.status).max();
        match worst {
            Some(w) => status = status.max(w),
            None => {
                status = status.max(analyze::Status::Unknown);
                missing.push(ids.iter().next().cloned().unwrap_or_default());
            }
        }
    }
    let context: Vec<String> =
        a.pairs.iter().filter(|p| !spokes.iter().any(|ids| of(p, ids))).filter_map(|p| p.spoke.clone()).collect();
    if !context.is_empty() {
        a.warnings.push(format!(
            "the hub's traces also hold attempts of spoke(s) not asked for ({}): listed as context, not judged",
            context.join(", ")
        ));
    }
    if status != a.status {
        let why = if missing.is_empty() {
            "judged on the requested spoke(s) only".to_string()
        } else {
            format!("no registration attempt of the requested spoke(s) {} in the traces", missing.join(", "))
        };
        a.summary = format!(
            "{}: {why}; {}",
            status.as_str().to_uppercase(),
            a.summary.split_once(": ").map_or(a.summary.as_str(), |(_, r)| r)
        );
        a.status = status;
        a.exit_code = status.exit_code();
    }
}

/// Spokes with no decided attempt are judged from the configuration both sides report
/// (`analyze::quiet`): a registered, healthy pair is quiet, and "no attempt" alone is not a
/// verdict. Applies only when the traces left the verdict unknown; the reasons join the summary.
/// True when every spoke was judged this way and found registered: then the pair works with
/// whatever method is configured, and certificate findings would only predict what is not
/// happening.
pub fn judge_quiet(a: &mut Analysis, config: &[SideConfig]) -> bool {
    let Some(hub) = config.iter().find(|c| c.side == analyze::Side::Hub) else {
        return false;
    };
    let spokes: Vec<&SideConfig> = config.iter().filter(|c| c.side == analyze::Side::Spoke).collect();
    if spokes.is_empty() || a.status != analyze::Status::Unknown {
        return false;
    }
    let ids: Vec<BTreeSet<String>> = spokes.iter().map(|c| identities(&c.facts)).collect();
    let decided = decided_per_spoke(a, &ids);
    let quiet: Vec<analyze::quiet::QuietVerdict> = spokes
        .iter()
        .zip(&decided)
        .filter(|(_, n)| **n == 0)
        .map(|(s, _)| analyze::quiet::judge(&hub.facts, &s.facts))
        .collect();
    if quiet.is_empty() {
        return false;
    }
    // Spokes with decided attempts keep the status their pairs have.
    let by_attempts = a
        .pairs
        .iter()
        .filter(|p| {
            ids.iter()
                .zip(&decided)
                .any(|(i, n)| *n > 0 && p.spoke.as_ref().is_some_and(|s| i.contains(&s.to_ascii_lowercase())))
        })
        .map(|p| p.status)
        .max();
    let status = quiet.iter().map(|q| q.status).chain(by_attempts).max().unwrap_or(analyze::Status::Unknown);
    let reasons: Vec<&str> = quiet.iter().map(|q| q.reason.as_str()).collect();
    a.summary = format!("{}: {}", status.as_str().to_uppercase(), reasons.join("; "));
    if quiet.iter().any(|q| q.inferred) {
        a.warnings.push(
            "the quiet pair's verdict rests on the ILS synchronization status string, which has no public sample (inferred)"
                .into(),
        );
    }
    a.status = status;
    a.exit_code = status.exit_code();
    by_attempts.is_none() && quiet.iter().all(|q| q.status == analyze::Status::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::{Side, Status};
    use crate::collect::facts::Facts;

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
        let out = diagnose(&catalog, &[], &analyze::Options::default(), config.clone(), Vec::new(), String::new());
        assert_eq!(out.analysis.status, Status::Ok, "{}", out.analysis.summary);
        assert!(out.analysis.summary.contains("registered; no new registration observed"), "{}", out.analysis.summary);
        assert!(out.analysis.warnings.iter().any(|w| w.contains("inferred")), "{:?}", out.analysis.warnings);

        // The spoke does not list the hub: a warning with the reason, not a shrug.
        let mut lost = config.clone();
        lost[1].facts.remote_clusters.clear();
        lost[1].facts.remote_clusters.push(("OTHER".into(), String::new()));
        let out = diagnose(&catalog, &[], &analyze::Options::default(), lost, Vec::new(), String::new());
        assert_eq!(out.analysis.status, Status::Warning, "{}", out.analysis.summary);
        assert!(out.analysis.summary.contains("does not list the hub HUB-CL"), "{}", out.analysis.summary);

        // Without configuration nothing can tell: unknown stays.
        let out = diagnose(&catalog, &[], &analyze::Options::default(), Vec::new(), Vec::new(), String::new());
        assert_eq!(out.analysis.status, Status::Unknown);
    }
}
