//! `check` against every bundled mock scenario, compared with the mock's own ground truth: the
//! decision its simulator made for the latest attempt of each spoke (`mock-server`'s decision
//! table, written without ils-doctor's code), plus the configuration findings of the health
//! checks.

use std::time::Duration;

use ils_doctor::analyze::{Outcome, RootCause, Status};
use ils_doctor::pipeline::mock_pair::{access_for, roles};
use ils_doctor::pipeline::session::{self as check, Request};
use mock_server::decision::Outcome as Truth;

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

/// The finding each health-check scenario must raise.
fn expected_finding(scenario: &str) -> Option<&'static str> {
    match scenario {
        "hc-standalone-cluster-id" => Some("cluster_id_default"),
        "hc-duplicate-cluster-id" => Some("duplicate_cluster_id"),
        "hc-ils-stopped" => Some("ils_service_not_running"),
        "hc-spoke-to-spoke" => Some("ils_role_mismatch"),
        "hc-expired-tomcat" => Some("tomcat_certificate_expired"),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_matches_the_mocks_ground_truth() {
    let mut checked = 0;
    let mut compared = Vec::new();
    for name in mock_server::bundled::names() {
        // A hub mesh has no spoke to check (hub-to-hub links are not diagnosed, docs/cucm-notes.md#limits).
        // (The six-spoke mesh is the discovery test's: tests/discover.rs.)
        if name.starts_with("mesh-two-hubs") {
            continue;
        }
        let scenario = mock_server::bundled::load(name).unwrap().unwrap();
        let (hub_name, spoke_names) = roles(&scenario);
        let trust_expect = trust_truth(&scenario, &hub_name, &spoke_names);
        let dir = tempfile::tempdir().unwrap();
        let mock = mock_server::start_with(
            scenario,
            mock_server::Options { state_dir: Some(dir.path().join("state")), ..Default::default() },
        )
        .unwrap();
        let kh = dir.path().join("known_hosts");
        let hub = access_for(mock.publisher(&hub_name).unwrap(), &kh).unwrap();
        let spokes = spoke_names.iter().map(|s| access_for(mock.publisher(s).unwrap(), &kh).unwrap()).collect();
        let req = Request {
            hub,
            spokes,
            capture: Duration::from_secs(15),
            since: Duration::from_secs(7200),
            keep_trace_level: false,
            detailed_value: None,
            force_registration: true,
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

        if let Some(code) = expected_finding(name) {
            assert!(out.findings.iter().any(|f| f.code == code), "{name}: expected finding {code}: {:?}", out.findings);
            assert_eq!(a.status, Status::Critical, "{name}: {}", a.summary);
        }
        // The certificate check before the capture never contradicts what the capture shows.
        assert!(
            !out.findings.iter().any(|f| f.code == "preflight_contradicted"),
            "{name}: the certificate check contradicts the capture: {:?}",
            out.findings
        );
        // Certificate trust predicted from the trust lists, against the scenario's own trust.
        // (Left out, and said, when the traces show a password-only registration without TLS.)
        let moot = a.warnings.iter().any(|w| w.starts_with("certificate trust findings left out"));
        if moot {
            assert!(a.attempts.iter().all(|x| x.tls != Some(true)), "{name}: left out although TLS was tried");
        }
        for (verifier_role, peer_role, trusted, imported) in trust_expect.iter().filter(|_| !moot) {
            let about = |f: &&check::Finding| f.message.contains(&format!("the {peer_role} "));
            let flagged = out
                .findings
                .iter()
                .filter(about)
                .any(|f| f.code.starts_with("peer_certificate_") && f.code != "peer_certificate_not_imported");
            assert_eq!(
                flagged, !trusted,
                "{name}: does the {verifier_role} trust the {peer_role}'s certificate? findings: {:?}",
                out.findings
            );
            // Trusted through its CA only: method 2's own check would refuse it (the mock's rule).
            let not_imported = out.findings.iter().filter(about).any(|f| f.code == "peer_certificate_not_imported");
            // (Dropped when a TLS registration shows the pair is not using method 2.)
            let tls_registered = a.attempts.iter().any(|x| x.tls == Some(true) && x.outcome == Outcome::Success);
            if !tls_registered {
                assert_eq!(
                    not_imported,
                    *trusted && !imported,
                    "{name}: is the {peer_role}'s certificate itself in the {verifier_role}'s tomcat-trust? findings: {:?}",
                    out.findings
                );
            } else {
                assert!(
                    !not_imported,
                    "{name}: a TLS registration succeeded, so method 2's finding is dropped: {:?}",
                    out.findings
                );
            }
        }
        // The mock's latest written attempt per spoke, against ils-doctor's latest decided one.
        let truth: Vec<(String, Truth)> = mock.with_world(|w| {
            let mut latest: Vec<(String, Truth)> = Vec::new();
            for t in w.engine.attempts().iter().filter(|t| t.written_hub || t.written_spoke) {
                latest.retain(|(s, _)| s != &t.spoke);
                latest.push((t.spoke.clone(), t.outcome));
            }
            latest
        });
        for (spoke, outcome) in &truth {
            let Some(want) = expected_cause(outcome) else { continue };
            // With several spokes, the latest attempt of this spoke (the hub's traces name it by
            // its address).
            let ip = mock.with_world(|w| w.scenario.cluster(spoke).map(|c| c.ip.clone()));
            let decided: Vec<_> = a
                .attempts
                .iter()
                .filter(|x| x.outcome != Outcome::Incomplete)
                .filter(|x| truth.len() == 1 || x.spoke.is_none() || x.spoke == ip)
                .collect();
            compared.push(format!("{name}:{spoke}"));
            let got = decided.last().unwrap_or_else(|| {
                panic!("{name}: no decided attempt for {spoke}; mock says {outcome:?}; {}", a.summary)
            });
            assert_eq!(
                got.root_cause, want,
                "{name}: spoke {spoke}: mock decided {outcome:?}; ils-doctor: {}",
                got.summary
            );
            if want.is_none() {
                assert_eq!(got.outcome, Outcome::Success, "{name}");
            }
            if let Truth::HubCertRejected(_, code) | Truth::SpokeCertRejected(_, code) = outcome {
                if *code != 0 {
                    assert_eq!(got.verify_error.as_ref().map(|v| v.code), Some(*code), "{name}: OpenSSL code");
                }
            }
        }
        checked += 1;
        drop(mock);
    }
    assert!(checked >= 17, "checked {checked} scenarios");
    assert!(compared.len() >= 14, "only {} spokes had a mock decision to compare: {compared:?}", compared.len());
}

/// For each direction of the (single-spoke) scenarios: (verifier, peer, whether the verifier's
/// tomcat-trust holds the peer's certificate or its CA), from the scenario file itself.
/// (verifier, peer, the handshake accepts the peer's certificate, the certificate itself is imported).
type TrustTruth = (&'static str, &'static str, bool, bool);

fn trust_truth(s: &mock_server::Scenario, hub: &str, spokes: &[String]) -> Vec<TrustTruth> {
    if spokes.len() != 1 {
        return Vec::new();
    }
    let (Some(h), Some(sp)) = (s.cluster(hub), s.cluster(&spokes[0])) else { return Vec::new() };
    // As the mock's handshake decides (mock-server/src/decision.rs): an expired certificate is
    // refused whatever the trust store holds.
    let trusts = |v: &mock_server::scenario::Cluster, p: &mock_server::scenario::Cluster| {
        !p.tomcat.expired
            && (v.trust.tomcat_certs.contains(&p.name)
                || (p.tomcat.kind == mock_server::scenario::CertKind::CaSigned
                    && v.trust.ca_roots.contains(&p.tomcat.ca)))
    };
    let imported =
        |v: &mock_server::scenario::Cluster, p: &mock_server::scenario::Cluster| v.trust.tomcat_certs.contains(&p.name);
    vec![("spoke", "hub", trusts(sp, h), imported(sp, h)), ("hub", "spoke", trusts(h, sp), imported(h, sp))]
}
