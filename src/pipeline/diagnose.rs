//! Diagnosis: the analysis of scanned trace files with the configuration facts of both sides
//! folded in, judged on the spokes that were asked for. Pure: what a live session concludes,
//! and what a bundle's offline analysis concludes again from the same inputs.

use std::collections::BTreeSet;

use serde::Serialize;

pub use crate::analyze::findings::{
    drop_moot_trust_findings, findings, fold_findings, Finding, LevelChange, SideConfig,
};
use crate::analyze::model::Analysis;
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
}

/// The analysis of scanned traces with the configuration findings folded in: what `check`
/// concludes, and what a bundle's offline analysis concludes again from the same inputs.
pub fn diagnose(
    catalog: &Catalog,
    scanned: &[crate::analyze::ScannedFile],
    options: &analyze::Options,
    config: Vec<SideConfig>,
    levels: Vec<LevelChange>,
    download_dir: String,
) -> Outcome {
    let mut analysis = analyze::analyze(catalog, scanned, options);
    let mut findings = findings(&config, &levels);
    drop_moot_trust_findings(&mut findings, &mut analysis);
    fold_findings(&mut analysis, &findings);
    Outcome { analysis, config, findings, trace_levels: levels, download_dir }
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
