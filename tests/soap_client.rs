//! The HTTPS SOAP client against the mock publisher: TLS modes, AXL (version, SQL, trace level),
//! log collection and a streamed DIME download.

use std::path::Path;
use std::time::Duration;

use ils_doctor::connect::soap::{HttpsTarget, SoapClient, SoapError};
use ils_doctor::connect::tls::{fingerprint, TlsMode};
use ils_doctor::secret::Secret;
use mock_server::{PublisherInfo, Scenario};

const ILS: &str = "Cisco Intercluster Lookup Service";

fn scenario(name: &str) -> Scenario {
    Scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("mock-server/scenarios").join(format!("{name}.toml")))
        .unwrap()
}

fn pin_of(p: &PublisherInfo) -> String {
    let der = rustls_pemfile::certs(&mut p.tomcat_pem.as_bytes()).next().unwrap().unwrap();
    fingerprint(&der)
}

fn client(p: &PublisherInfo, tls: TlsMode, password: &str) -> SoapClient {
    SoapClient::new(&HttpsTarget {
        host: p.https.ip().to_string(),
        port: p.https.port(),
        user: p.app_user.clone(),
        password: Secret::new(password),
        tls,
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(20),
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_is_verified_by_default_and_pins_work() {
    let mock = mock_server::start(scenario("m1-password-success")).unwrap();
    let hub = mock.publisher("hub").unwrap().clone();
    let e = client(&hub, TlsMode::Verify { extra_roots_pem: None }, &hub.password).ccm_version().await.unwrap_err();
    assert!(matches!(e, SoapError::Tls { .. }), "{e}");
    assert!(e.to_string().contains("ils-doctor trust"), "{e}");
    let wrong = "00".repeat(32);
    let e = client(&hub, TlsMode::Pin(wrong), &hub.password).ccm_version().await.unwrap_err();
    assert!(matches!(e, SoapError::Tls { .. }), "{e}");
    let c = client(&hub, TlsMode::Pin(pin_of(&hub)), &hub.password);
    assert_eq!(c.ccm_version().await.unwrap(), "14.0.1.11900(132)");
    let e = client(&hub, TlsMode::Pin(pin_of(&hub)), "wrong").ccm_version().await.unwrap_err();
    assert!(matches!(e, SoapError::Auth { status: 401, .. }), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axl_trace_level_and_log_download() {
    let mock = mock_server::start(scenario("m1-password-mismatch")).unwrap();
    let hub = mock.publisher("hub").unwrap().clone();
    let c = client(&hub, TlsMode::Pin(pin_of(&hub)), &hub.password);

    let rows = c.sql_query("select * from remotecluster").await.unwrap();
    assert!(rows.iter().all(|r| r.iter().any(|(k, _)| k == "clusterid")), "{rows:?}");
    assert!(c.axl_version().is_some());

    let before = c.trace_settings(&hub.fqdn, ILS).await.unwrap();
    let mut detailed = before.clone();
    detailed.trace_level = "127".into();
    c.set_trace_settings(&hub.fqdn, ILS, &detailed).await.unwrap();
    assert_eq!(c.trace_settings(&hub.fqdn, ILS).await.unwrap().trace_level, "127");
    assert_eq!(c.trace_settings(&hub.fqdn, ILS).await.unwrap().num_files, before.num_files, "file count untouched");

    // The spoke retries every few seconds and fails on the password: wait for hub lines.
    assert!(mock.wait_for(Duration::from_secs(30), |w| !w.engine.attempts().is_empty()));
    let logs = c.service_logs().await.unwrap();
    assert!(logs.iter().any(|l| l == ILS), "{logs:?}");
    let now = chrono::Utc::now();
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%m/%d/%y %I:%M %p").to_string();
    let files = c
        .select_log_files(
            ILS,
            &fmt(now - chrono::Duration::hours(1)),
            &fmt(now + chrono::Duration::minutes(5)),
            "Client: (GMT+0:0)Greenwich Mean Time-Etc/UTC",
        )
        .await
        .unwrap();
    assert!(!files.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let mut total = 0;
    for f in &files {
        let dest = dir.path().join(&f.name);
        let mut last = 0;
        let n = c.get_one_file(&f.absolute_path, &dest, |b| last = b).await.unwrap();
        assert_eq!(n, last);
        assert_eq!(std::fs::metadata(&dest).unwrap().len(), n);
        if !f.name.ends_with(".gzo") {
            assert_eq!(Some(n), f.size, "{}", f.name);
        }
        total += n;
    }
    assert!(total > 0);
    c.set_trace_settings(&hub.fqdn, ILS, &before).await.unwrap();
    assert_eq!(c.trace_settings(&hub.fqdn, ILS).await.unwrap(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_too_large_is_fetched_in_pages() {
    let mock = mock_server::start(scenario("m1-password-success")).unwrap();
    let hub = mock.publisher("hub").unwrap().clone();
    let c = client(&hub, TlsMode::Pin(pin_of(&hub)), &hub.password);
    let all = c.sql_query("select name from typeservice").await.unwrap();
    assert!(all.len() > 3, "{all:?}");
    mock.set_faults(mock_server::scenario::Faults { query_too_large_rows: Some(2), ..Default::default() });
    let paged = c.sql_query("select name from typeservice").await.unwrap();
    assert_eq!(paged, all, "the same rows, fetched two at a time");
}
