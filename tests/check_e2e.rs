//! `check` end to end against mock publishers: connect, read, raise, capture, download,
//! diagnose, restore; the trace levels on the mock must read as before afterwards.

mod support;

use std::time::Duration;

use ils_doctor::analyze::{Outcome, RootCause, Status};
use ils_doctor::collect::publisher::Access;
use ils_doctor::pipeline::mock_pair::access_for;
use ils_doctor::pipeline::session::{self as check, Request};

fn request(hub: Access, spokes: Vec<Access>, dir: &std::path::Path) -> Request {
    Request {
        hubs: vec![hub],
        spokes,
        capture: Duration::from_secs(40),
        since: Duration::from_secs(7200),
        keep_trace_level: false,
        detailed_value: None,
        force_registration: true,
        start_stopped: false,
        method: None,
        download_dir: dir.join("traces"),
        journal: dir.join("journal.json"),
        progress: false,
        poll: Duration::from_secs(2),
        catalog: Default::default(),
        preflight_only: false,
    }
}

async fn level(a: &Access, node: &str) -> String {
    support::ils_trace_level(a, node).await
}

async fn run(scenario: &str) -> (check::Outcome, Vec<(String, String)>, Vec<(String, String)>) {
    let s = mock_server::bundled::load(scenario).unwrap().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mock = mock_server::start_with(
        s,
        mock_server::Options { state_dir: Some(dir.path().join("state")), ..Default::default() },
    )
    .unwrap();
    let kh = dir.path().join("known_hosts");
    let hub = access_for(mock.publisher("hub").unwrap(), &kh).unwrap();
    let spoke = access_for(mock.publisher("spoke").unwrap(), &kh).unwrap();
    let nodes = [mock.publisher("hub").unwrap().fqdn.clone(), mock.publisher("spoke").unwrap().fqdn.clone()];
    let before =
        vec![(nodes[0].clone(), level(&hub, &nodes[0]).await), (nodes[1].clone(), level(&spoke, &nodes[1]).await)];
    let out = check::run(&request(hub.clone(), vec![spoke.clone()], dir.path()), std::future::pending()).await.unwrap();
    let after =
        vec![(nodes[0].clone(), level(&hub, &nodes[0]).await), (nodes[1].clone(), level(&spoke, &nodes[1]).await)];
    assert!(!dir.path().join("journal.json").exists(), "the journal is emptied after the restore");
    (out, before, after)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spoke_rejects_the_hubs_certificate_and_levels_are_restored() {
    let (out, before, after) = run("m2-hub-cert-not-on-spoke").await;
    assert_eq!(before, after, "trace levels restored");
    assert!(out.trace_levels.iter().all(|l| l.during == "127" && l.restored == Some(true)), "{:?}", out.trace_levels);
    let a = &out.analysis;
    assert_eq!(a.status, Status::Critical, "{}\n{:?}", a.summary, a.warnings);
    let failed = a.attempts.iter().find(|x| x.outcome == Outcome::Failure).expect("a failed attempt");
    assert_eq!(failed.root_cause, Some(RootCause::SpokeRejectsHubCertificate));
    assert!(failed.evidence.iter().any(|e| e.signature == "P13"));
    assert_eq!(out.config.len(), 2);
    assert!(out.config.iter().all(|c| c.facts.version.is_some() && c.facts.cluster_id.is_some()), "{:?}", out.config);

    // The check's report carries both sides' facts; JSON extends the analysis contract.
    let parts = ils_doctor::pipeline::render::check_parts(&out);
    let sides = parts.sides.clone();
    let html = ils_doctor::pipeline::render::render(
        ils_doctor::report::Format::Html,
        &out.analysis,
        parts.clone(),
        &out,
        None,
        "t".into(),
        false,
    )
    .unwrap();
    let html = String::from_utf8(html).unwrap();
    assert!(
        html.contains("<h2>Clusters</h2>") && html.contains("HUB-CL") && html.contains("SPOKE-CL"),
        "sides in the HTML"
    );
    // Levels by the publisher's own names (typetracelevelgrouping), with the number.
    assert!(
        html.contains("Significant (15) → Detailed (127), restored to Significant (15)"),
        "trace level before, during and after by name"
    );
    // Both mock publishers are 127.0.0.1: each side is named as its cluster knows it, and its
    // level is its own (matched by host and port).
    assert_eq!(sides.len(), 2);
    for (s, c) in sides.iter().zip(&out.config) {
        assert_eq!(s.host, c.facts.label());
        assert!(!s.host.contains("127.0.0.1") && s.host.contains(".example.com ("), "{s:?}");
        let l = out.trace_levels.iter().find(|l| l.host == c.facts.host && l.https_port == c.facts.https_port);
        assert_eq!(s.trace_level_before, l.map(|l| l.describe(&l.before)), "{s:?}");
    }
    assert!(out.config.iter().map(|c| c.facts.https_port).collect::<std::collections::BTreeSet<_>>().len() == 2);
    // The certificate check ran first and agrees with the capture (no contradiction).
    assert!(html.contains("Certificates, checked before the capture"), "certificate section in the HTML");
    assert!(!out.findings.iter().any(|f| f.code == "preflight_contradicted"), "{:?}", out.findings);
    let p = &out.preflight[0];
    assert!(
        matches!(p.spoke_checks_hub.handshake, ils_doctor::analyze::preflight::Handshake::Refused { code: 18, .. }),
        "{p:?}"
    );
    // Publishers by their own names in every format: pair rows, attempts, the summary; the
    // connection address (127.0.0.1 for both mock publishers) nowhere in the diagnosis.
    let hub_name = "cucm-hub.example.com (10.106.104.220)";
    let spoke_name = "cucm-spoke.example.com (10.106.104.201)";
    assert!(a.summary.contains(&format!("spoke {spoke_name} -> hub {hub_name}")), "{}", a.summary);
    assert_eq!(failed.spoke_name.as_deref(), Some(spoke_name));
    assert!(
        failed.summary.starts_with(&format!("Spoke {spoke_name} failed to register to hub {hub_name}")),
        "{}",
        failed.summary
    );
    for format in [ils_doctor::report::Format::Text, ils_doctor::report::Format::Markdown] {
        let bytes =
            ils_doctor::pipeline::render::render(format, &out.analysis, parts.clone(), &out, None, "t".into(), false)
                .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            text.contains(&format!("spoke {spoke_name} → hub {hub_name}")),
            "{format:?}: pair row by name:\n{text}"
        );
        assert!(
            !text.contains("127.0.0.1 ") && !text.contains("127.0.0.1:"),
            "{format:?}: no connection address:\n{text}"
        );
    }
    let json = ils_doctor::pipeline::render::render(
        ils_doctor::report::Format::Json,
        &out.analysis,
        parts,
        &out,
        None,
        "t".into(),
        false,
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(v["schema"], "ils-doctor/analysis/2");
    assert_eq!(v["config"].as_array().unwrap().len(), 2);
    assert!(v["findings"].is_array() && v["trace_levels"][0]["restored"] == true);
    assert_eq!(v["pairs"][0]["spoke_name"], "cucm-spoke.example.com (10.106.104.201)");
    assert!(
        v["trace_levels"][0]["names"].as_array().is_some_and(|n| n.iter().any(|x| x["name"] == "Detailed")),
        "the level names the publisher gave: {}",
        v["trace_levels"][0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_success_is_ok() {
    let (out, before, after) = run("m1-password-success").await;
    assert_eq!(before, after);
    let a = &out.analysis;
    assert_eq!(a.status, Status::Ok, "{}\n{:?}\n{:?}", a.summary, a.warnings, out.findings);
    assert!(a.attempts.iter().any(|x| x.outcome == Outcome::Success && x.seen_on.len() == 2));
}

/// A pair registered long before the check is quiet, as in the field: no new attempt in the
/// capture, and the verdict comes from what the configuration and the routine traffic show
/// (not "unknown").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_registered_quiet_pair_is_ok_without_forcing_a_registration() {
    let s = mock_server::bundled::load("m1-password-success").unwrap().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mock = mock_server::start_with(
        s,
        mock_server::Options {
            state_dir: Some(dir.path().join("state")),
            started_ago: Duration::from_secs(3600),
            ..Default::default()
        },
    )
    .unwrap();
    let kh = dir.path().join("known_hosts");
    let hub = access_for(mock.publisher("hub").unwrap(), &kh).unwrap();
    let spoke = access_for(mock.publisher("spoke").unwrap(), &kh).unwrap();
    let mut req = request(hub, vec![spoke], dir.path());
    req.force_registration = false;
    req.capture = Duration::from_secs(8);
    let out = check::run(&req, std::future::pending()).await.unwrap();
    let a = &out.analysis;
    assert!(
        a.attempts.is_empty(),
        "no registration in the capture: {:?}",
        a.attempts.iter().map(|x| &x.summary).collect::<Vec<_>>()
    );
    assert_eq!(a.status, Status::Ok, "{}\n{:?}", a.summary, a.warnings);
    eprintln!("quiet pair: {}", a.summary);
    assert!(a.summary.contains("registered"), "{}", a.summary);
    assert_eq!(a.exit_code, 0);
    assert!(out.trace_levels.iter().all(|l| l.restored == Some(true)), "{:?}", out.trace_levels);
}
