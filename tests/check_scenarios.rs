//! `check` against every bundled mock scenario, compared with two truths that share no code with
//! ils-doctor's analysis:
//! - the golden verdict of the scenario (`tests/golden/verdicts.toml`), written from the
//!   technote and the scenario's configuration: status, exit code, every pair with its status,
//!   cause and method, and the exact set of findings;
//! - the mock's own ground truth: the decision its simulator made for the latest attempt of each
//!   registering cluster (`mock-server`'s decision table).
//!
//! A scenario without a golden row fails: a new scenario cannot land without one.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use ils_doctor::analyze::{Outcome, RootCause};
use ils_doctor::pipeline::mock_pair::{access_for, roles};
use ils_doctor::pipeline::session::{self as check, Request};
use mock_server::decision::Outcome as Truth;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Golden {
    scenario: Vec<Row>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    name: String,
    #[allow(dead_code)] // documentation for the reader of the table
    why: String,
    status: String,
    exit: u8,
    findings: Vec<String>,
    counted: Vec<String>,
    pair: Vec<PairRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct PairRow {
    from: String,
    to: String,
    status: String,
    cause: String,
    method: String,
    #[serde(default)]
    why: Option<String>,
}

fn golden() -> Vec<Row> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/verdicts.toml")).unwrap();
    toml::from_str::<Golden>(&text).unwrap().scenario
}

fn expected_cause(t: &Truth) -> Option<Option<RootCause>> {
    Some(match t {
        Truth::Registered(_) => None,
        Truth::PasswordMismatch(_) => Some(RootCause::PasswordMismatch),
        Truth::HubCertRejected(..) => Some(RootCause::SpokeRejectsHubCertificate),
        Truth::SpokeCertRejected(..) => Some(RootCause::HubRejectsSpokeCertificate),
        Truth::HubUnreachable => Some(RootCause::HubUnreachable),
        // No documented lines: nothing to compare.
        Truth::ConfigMismatch => return None,
    })
}

#[test]
fn every_scenario_has_a_golden_row_and_every_row_a_scenario() {
    let rows: BTreeSet<String> = golden().into_iter().map(|r| r.name).collect();
    let scenarios: BTreeSet<String> = mock_server::bundled::names().map(str::to_string).collect();
    assert_eq!(rows, scenarios, "tests/golden/verdicts.toml and the bundled scenarios differ");
    for r in golden() {
        for p in &r.pair {
            assert_eq!(p.method == "undecidable", p.why.is_some(), "{}: an undecidable method says why", r.name);
        }
        let findings: BTreeSet<&String> = r.findings.iter().collect();
        assert!(r.counted.iter().all(|c| findings.contains(c)), "{}: counted findings are findings", r.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_matches_its_golden_verdict_and_the_mocks_ground_truth() {
    let rows = golden();
    let mut mismatches = Vec::new();
    let mut compared = 0usize;
    for row in &rows {
        let name = row.name.as_str();
        let scenario = mock_server::bundled::load(name).unwrap().unwrap();
        let by_fqdn: BTreeMap<String, String> =
            scenario.clusters.iter().map(|c| (c.fqdn.to_ascii_lowercase(), c.name.clone())).collect();
        let (hub_names, spoke_names) = roles(&scenario);
        let dir = tempfile::tempdir().unwrap();
        let mock = mock_server::start_with(
            scenario,
            mock_server::Options { state_dir: Some(dir.path().join("state")), ..Default::default() },
        )
        .unwrap();
        let kh = dir.path().join("known_hosts");
        let access = |n: &String| access_for(mock.publisher(n).unwrap(), &kh).unwrap();
        let req = Request {
            hubs: hub_names.iter().map(access).collect(),
            spokes: spoke_names.iter().map(access).collect(),
            capture: Duration::from_secs(20),
            since: Duration::from_secs(7200),
            keep_trace_level: false,
            detailed_value: None,
            force_registration: true,
            start_stopped: false,
            method: None,
            download_dir: dir.path().join("traces"),
            journal: dir.path().join("journal.json"),
            progress: false,
            poll: Duration::from_secs(1),
            catalog: Default::default(),
            preflight_only: false,
        };
        let out = check::run(&req, std::future::pending()).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        let a = &out.analysis;
        assert!(out.trace_levels.iter().all(|l| l.restored != Some(false)), "{name}: levels restored");
        assert!(!dir.path().join("journal.json").exists(), "{name}: journal emptied");

        // The golden verdict, whole.
        let cluster = |label: &Option<String>| {
            let fqdn = label.as_deref().unwrap_or("").split(' ').next().unwrap_or("").to_ascii_lowercase();
            by_fqdn.get(&fqdn).cloned().unwrap_or(fqdn)
        };
        let mut got: Vec<PairRow> = a
            .pairs
            .iter()
            .filter(|p| p.judged)
            .map(|p| PairRow {
                from: cluster(&p.spoke_name),
                to: cluster(&p.hub_name),
                status: p.status.as_str().to_string(),
                cause: p.cause.as_ref().map_or("none".to_string(), |c| c.code.clone()),
                method: p.method.method.map_or("undecidable".to_string(), |m| m.as_str().to_string()),
                why: None,
            })
            .collect();
        got.sort_by(|x, y| (&x.from, &x.to).cmp(&(&y.from, &y.to)));
        let mut want: Vec<PairRow> = row.pair.iter().map(|p| PairRow { why: None, ..p.clone() }).collect();
        want.sort_by(|x, y| (&x.from, &x.to).cmp(&(&y.from, &y.to)));
        let findings: BTreeSet<String> = out.findings.iter().map(|f| f.code.to_string()).collect();
        let counted: BTreeSet<String> =
            out.findings.iter().filter(|f| f.counts()).map(|f| f.code.to_string()).collect();
        let want_findings: BTreeSet<String> = row.findings.iter().cloned().collect();
        let want_counted: BTreeSet<String> = row.counted.iter().cloned().collect();
        let verdict = (a.status.as_str(), a.exit_code, &got, &findings, &counted);
        let expected = (row.status.as_str(), row.exit, &want, &want_findings, &want_counted);
        if verdict != expected {
            mismatches.push(format!(
                "{name}:\n  expected {expected:?}\n  got      {verdict:?}\n  summary: {}\n  findings: {:?}",
                a.summary,
                out.findings.iter().map(|f| (f.code, &f.condition, f.part_of_cause, &f.message)).collect::<Vec<_>>()
            ));
        }

        // The certificate check before the capture never contradicts what the capture shows.
        assert!(
            !out.findings.iter().any(|f| f.code == "preflight_contradicted"),
            "{name}: the certificate check contradicts the capture: {:?}",
            out.findings
        );

        // The mock's latest written attempt per registering cluster, against ils-doctor's
        // latest decided attempt of that cluster.
        let truth: Vec<(String, Truth, Option<u32>)> = mock.with_world(|w| {
            let mut latest: Vec<(String, Truth, Option<u32>)> = Vec::new();
            for t in w.engine.attempts().iter().filter(|t| t.written_hub || t.written_spoke) {
                latest.retain(|(s, _, _)| s != &t.spoke);
                let code = match t.outcome {
                    Truth::HubCertRejected(_, c) | Truth::SpokeCertRejected(_, c) if c != 0 => Some(c),
                    _ => None,
                };
                latest.push((t.spoke.clone(), t.outcome, code));
            }
            latest
        });
        for (client, outcome, code) in &truth {
            let Some(want) = expected_cause(outcome) else { continue };
            let ip = mock.with_world(|w| w.scenario.cluster(client).map(|c| c.ip.clone()));
            let decided: Vec<_> = a
                .attempts
                .iter()
                .filter(|x| x.outcome != Outcome::Incomplete)
                .filter(|x| x.spoke == ip || (x.spoke.is_none() && truth.len() == 1))
                .collect();
            let Some(got) = decided.last() else {
                mismatches.push(format!("{name}: no decided attempt for {client}; the mock says {outcome:?}"));
                continue;
            };
            compared += 1;
            if got.root_cause != want || (want.is_none() && got.outcome != Outcome::Success) {
                mismatches.push(format!("{name}: {client}: the mock decided {outcome:?}; ils-doctor: {}", got.summary));
            }
            if code.is_some() && got.verify_error.as_ref().map(|v| v.code) != *code {
                mismatches
                    .push(format!("{name}: {client}: OpenSSL code {code:?} expected; got {:?}", got.verify_error));
            }
        }
        drop(mock);
    }
    assert!(mismatches.is_empty(), "{} mismatch(es):\n{}", mismatches.len(), mismatches.join("\n"));
    assert!(compared >= 25, "only {compared} registering clusters had a mock decision to compare");
}
