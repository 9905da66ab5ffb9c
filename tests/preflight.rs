//! `check --preflight` against mock publishers: both sides' Tomcat certificates checked against
//! the other side's tomcat-trust (the certificate itself from `show cert own tomcat`, the trust
//! entries from `show cert trust`, which prints no PEM), a prediction per method, a verdict and
//! exit code of its own, and nothing changed on any publisher.

mod support;

use ils_doctor::analyze::preflight::{Handshake, Prediction};
use ils_doctor::analyze::{Method, Status};
use ils_doctor::pipeline::session;

/// Runs the preflight in process; asserts that no publisher's trace settings were touched.
async fn preflight(scenario: &str, method: Option<Method>) -> session::Outcome {
    let net = support::live::start(scenario);
    let before = net.levels();
    let mut req = net.request(5);
    req.preflight_only = true;
    req.method = method;
    let out = session::run(&req, std::future::pending()).await.unwrap();
    assert_eq!(net.levels(), before, "{scenario}: trace levels untouched");
    assert!(net.mock.with_world(|w| w.trace_file_settings.is_empty()), "{scenario}: no trace setting written");
    assert!(!net.journal().exists(), "{scenario}: no journal entry");
    assert!(out.analysis.attempts.is_empty() && out.trace_levels.is_empty());
    out
}

fn prediction(out: &session::Outcome, m: Method) -> Prediction {
    out.preflight[0].method(m).unwrap().prediction
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_signed_hub_missing_from_the_spokes_trust_fails_every_tls_method() {
    let out = preflight("m2-hub-cert-not-on-spoke", Some(Method::Tls)).await;
    let p = &out.preflight[0];
    assert!(matches!(p.spoke_checks_hub.handshake, Handshake::Refused { code: 18, .. }), "{p:?}");
    assert!(p.hub_checks_spoke.handshake.accepted(), "{p:?}");
    for m in [Method::Tls, Method::TlsWithPassword, Method::TlsAfterPassword] {
        assert_eq!(prediction(&out, m), Prediction::Fails, "{m:?}");
    }
    assert_eq!(prediction(&out, Method::Password), Prediction::NotUsed);
    assert_eq!(out.analysis.status, Status::Critical, "{}", out.analysis.summary);
    assert!(out.analysis.summary.contains("OpenSSL error 18"), "{}", out.analysis.summary);
    assert!(out.findings.iter().any(|f| f.code == "peer_certificate_not_trusted"), "{:?}", out.findings);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_signed_certificates_with_the_root_imported_allow_method_3_not_method_2() {
    let out = preflight("m3-tls-password-success", Some(Method::TlsWithPassword)).await;
    let p = &out.preflight[0];
    for d in [&p.spoke_checks_hub, &p.hub_checks_spoke] {
        match &d.handshake {
            Handshake::Accepted { anchor, .. } => assert!(anchor.contains("Example_Enterprise_Root_CA"), "{anchor}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(d.imported, Some(false), "only the CA is imported");
    }
    assert_eq!(prediction(&out, Method::TlsWithPassword), Prediction::Succeeds);
    assert_eq!(prediction(&out, Method::Tls), Prediction::Fails);
    assert_eq!(prediction(&out, Method::TlsAfterPassword), Prediction::Depends);
    assert_eq!(out.analysis.status, Status::Ok, "{}", out.analysis.summary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_imported_self_signed_certificates_allow_every_method() {
    let out = preflight("m2-tls-success", None).await;
    for m in [Method::Tls, Method::TlsWithPassword, Method::TlsAfterPassword] {
        assert_eq!(prediction(&out, m), Prediction::Succeeds, "{m:?}");
    }
    assert_eq!(out.analysis.status, Status::Ok, "{}", out.analysis.summary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_certificate_is_refused_with_error_10() {
    let out = preflight("hc-expired-tomcat", None).await;
    let refused: Vec<&Handshake> = [&out.preflight[0].spoke_checks_hub, &out.preflight[0].hub_checks_spoke]
        .into_iter()
        .map(|d| &d.handshake)
        .filter(|h| matches!(h, Handshake::Refused { code: 10, .. }))
        .collect();
    assert_eq!(refused.len(), 1, "{:?}", out.preflight);
    assert!(out.findings.iter().any(|f| f.code == "peer_certificate_expired"), "{:?}", out.findings);
}

fn preflight_command(net: &support::live::Net) -> std::process::Command {
    let mut c = net.binary("check");
    c.args(["--hub", &format!("{}:{}:{}", net.hub.host, net.hub.ssh_port, net.hub.https_port)]);
    for s in &net.spokes {
        c.args(["--spoke", &format!("{}:{}:{}", s.host, s.ssh_port, s.https_port)]);
    }
    c.arg("--preflight");
    c
}

/// The binary: a verdict and an exit code of its own, in every format; nothing changed.
#[test]
fn the_binary_reports_the_preflight_in_every_format() {
    let net = support::live::start("m2-hub-cert-not-on-spoke");
    let before = net.levels();
    let run = |format: &str, method: Option<&str>| {
        let mut c = preflight_command(&net);
        c.args(["--format", format]);
        if let Some(m) = method {
            c.args(["--method", m]);
        }
        let out = c.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, json, err) = run("json", Some("tls"));
    assert_eq!(code, Some(2), "critical with method 2: {err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["status"], "critical");
    assert_eq!(v["preflight"][0]["spoke_checks_hub"]["handshake"]["result"], "refused");
    assert_eq!(v["preflight"][0]["spoke_checks_hub"]["handshake"]["code"], 18);
    assert_eq!(v["preflight"][0]["methods"].as_array().unwrap().len(), 4);
    assert!(v["preflight"][0]["hub"].as_str().unwrap().starts_with("cucm-hub.example.com"), "{}", v["preflight"][0]);

    let (code, text, _) = run("text", None);
    assert_eq!(code, Some(1), "without a method: a warning (the pair may use the password alone)");
    assert!(text.contains("Certificates spoke cucm-spoke.example.com"), "{text}");
    assert!(text.contains("REFUSED") && text.contains("OpenSSL error 18"), "{text}");
    // Methods with the same prediction for the same reason share a line.
    assert!(
        text.contains("TLS certificates (method 2), TLS with") && text.contains("fails: the spoke refuses"),
        "{text}"
    );

    let (_, md, _) = run("markdown", None);
    assert!(md.contains("## Certificates, checked before the capture"), "{md}");
    assert!(md.contains("| TLS certificates (method 2), TLS with password (method 3), TLS after a password join (method 4) | fails |"), "{md}");

    let (_, html, _) = run("html", Some("password"));
    assert!(html.contains("<h2>Certificates, checked before the capture</h2>"));
    assert!(html.contains(r#"class="cert-refused""#));

    let (code, _, _) = run("json", Some("password"));
    assert_eq!(code, Some(0), "method 1 needs no certificate");
    assert_eq!(net.levels(), before, "nothing changed on the publishers");
    assert!(!net.journal().exists());

    // --preflight changes nothing: it refuses the options that would.
    let out = preflight_command(&net).arg("--force-registration").output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A level an earlier run left raised (`--keep-trace-level`, journalled for `restore`) stays
/// raised through a preflight: it changes nothing, not even to tidy up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preflight_leaves_an_earlier_runs_raised_level_alone() {
    let net = support::live::start("m2-tls-success");
    let before = net.levels();
    let mut keep = net.request(2);
    keep.keep_trace_level = true;
    keep.force_registration = false;
    session::run(&keep, std::future::pending()).await.unwrap();
    let raised = net.levels();
    assert_ne!(raised, before, "the earlier run left the levels raised");
    assert!(net.journal().exists(), "journalled for restore");
    let journal = std::fs::read(net.journal()).unwrap();

    let mut req = net.request(2);
    req.preflight_only = true;
    session::run(&req, std::future::pending()).await.unwrap();
    assert_eq!(net.levels(), raised, "the preflight restored nothing");
    assert_eq!(std::fs::read(net.journal()).unwrap(), journal, "the journal is untouched");
}
