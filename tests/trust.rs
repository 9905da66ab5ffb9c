//! Trust and secrets (docs/security.md): host keys of another type, `@revoked`, hashed names;
//! one failed login per wrong password; no password to an unknown prompt; HTTPS deadlines and
//! no redirects; config errors that do not echo the line; bundle modes.

use std::path::Path;
use std::time::{Duration, Instant};

use ils_doctor::connect::ssh::{SshError, SshSession, SshTarget, Timeouts};
use ils_doctor::secret::Secret;
use mock_server::scenario::Faults;
use mock_server::{PublisherInfo, Scenario};

const RSA_3072: &str = include_str!("fixtures/keys/rsa_3072.b64");

fn scenario(name: &str) -> Scenario {
    mock_server::bundled::load(name).unwrap().unwrap()
}

fn target(p: &PublisherInfo, known_hosts: &Path, accept_new: bool) -> SshTarget {
    SshTarget {
        host: p.ssh.ip().to_string(),
        port: p.ssh.port(),
        user: p.admin_user.clone(),
        password: Secret::new(p.password.clone()),
        known_hosts: known_hosts.to_path_buf(),
        accept_new_host_key: accept_new,
        legacy_ssh: false,
        timeouts: Timeouts::default(),
    }
}

/// A man in the middle presents an Ed25519 key to a host pinned with RSA: a changed key, refused
/// even with --accept-new-host-key, both fingerprints shown, nothing learnt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_of_another_type_is_a_changed_key() {
    let mock = mock_server::start(scenario("m1-password-success")).unwrap();
    let hub = mock.publisher("hub").unwrap().clone();
    assert!(hub.host_key.starts_with("ssh-ed25519 "));
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    let pinned = format!("[{}]:{} ssh-rsa {}\n", hub.ssh.ip(), hub.ssh.port(), RSA_3072.trim());
    std::fs::write(&kh, &pinned).unwrap();
    let e = SshSession::open(&target(&hub, &kh, true)).await.err().expect("refused");
    match &e {
        SshError::HostKeyChanged { recorded, fingerprint, line, .. } => {
            assert_eq!(*line, 1);
            assert!(recorded.contains("ssh-rsa SHA256:") && fingerprint.starts_with("SHA256:"), "{e}");
        }
        other => panic!("expected a changed key: {other}"),
    }
    assert!(e.to_string().contains("THE HOST KEY CHANGED"), "{e}");
    assert_eq!(std::fs::read_to_string(&kh).unwrap(), pinned, "nothing learnt");
}

/// `@revoked` is refused even when the key is also listed as known; a hashed name is found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_keys_are_refused_and_hashed_names_are_known() {
    let mock = mock_server::start(scenario("m1-password-success")).unwrap();
    let hub = mock.publisher("hub").unwrap().clone();
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    let name = format!("[{}]:{}", hub.ssh.ip(), hub.ssh.port());
    std::fs::write(&kh, format!("{name} {}\n@revoked {name} {}\n", hub.host_key.trim(), hub.host_key.trim())).unwrap();
    let e = SshSession::open(&target(&hub, &kh, true)).await.err().expect("refused");
    assert!(matches!(e, SshError::Revoked { line: 2, .. }), "{e}");

    // The same entry with the name hashed as `ssh-keygen -H` writes it.
    use base64::Engine;
    use hmac::{Hmac, KeyInit, Mac};
    let salt = [7u8; 20];
    let mac = Hmac::<sha1::Sha1>::new_from_slice(&salt).unwrap().chain_update(name.as_bytes()).finalize();
    let b64 = base64::engine::general_purpose::STANDARD;
    let hashed = format!("|1|{}|{}", b64.encode(salt), b64.encode(mac.into_bytes()));
    std::fs::write(&kh, format!("{hashed} {}\n", hub.host_key.trim())).unwrap();
    let s = SshSession::open(&target(&hub, &kh, false)).await.expect("known by its hashed name");
    s.close().await;
}

/// A wrong password costs one failed attempt on the publisher, not two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_costs_one_attempt() {
    let mock = mock_server::start(scenario("m1-password-success")).unwrap();
    let hub = mock.publisher("hub").unwrap().clone();
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    std::fs::write(&kh, format!("[{}]:{} {}\n", hub.ssh.ip(), hub.ssh.port(), hub.host_key.trim())).unwrap();
    mock.set_faults(Faults { wrong_password: true, ..Faults::default() });
    let e = SshSession::open(&target(&hub, &kh, false)).await.err().expect("refused");
    assert!(matches!(e, SshError::AuthFailed { .. }), "{e}");
    let failed = mock.with_world(|w| w.connections.get("hub").map(|c| c.failed_logins));
    assert_eq!(failed, Some(1), "one failed attempt");
}

/// Keyboard-interactive only (some CUCM releases): the password goes to a password prompt, and
/// to nothing else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_interactive_answers_only_a_password_prompt() {
    let mut s = scenario("m1-password-success");
    for c in &mut s.clusters {
        c.access.keyboard_interactive_only = true;
    }
    let mock = mock_server::start(s).unwrap();
    let hub = mock.publisher("hub").unwrap().clone();
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    std::fs::write(&kh, format!("[{}]:{} {}\n", hub.ssh.ip(), hub.ssh.port(), hub.host_key.trim())).unwrap();
    let ok = SshSession::open(&target(&hub, &kh, false)).await.expect("a password prompt is answered");
    ok.close().await;

    mock.set_faults(Faults { ki_prompt: Some("Verification code: ".into()), ..Faults::default() });
    let e = SshSession::open(&target(&hub, &kh, false)).await.err().expect("refused");
    assert!(matches!(e, SshError::UnexpectedPrompt { .. }), "{e}");
    assert!(e.to_string().contains("Verification code"), "{e}");
    let leaked = mock.with_world(|w| w.connections.get("hub").is_some_and(|c| c.password_sent_to_other_prompt));
    assert!(!leaked, "the password was never sent to the other prompt");

    // A wrong password: the server asks "Password:" again (sshd with PAM does, up to three
    // times); the password is answered once, so the account sees one failed login.
    mock.set_faults(Faults { wrong_password: true, ..Faults::default() });
    let before = mock.with_world(|w| w.connections.get("hub").map_or(0, |c| c.failed_logins));
    let e = SshSession::open(&target(&hub, &kh, false)).await.err().expect("refused");
    assert!(matches!(e, SshError::AuthFailed { .. }), "{e}");
    let after = mock.with_world(|w| w.connections.get("hub").map_or(0, |c| c.failed_logins));
    assert_eq!(after - before, 1, "one answer, one failed login");
}

fn soap_client(p: &PublisherInfo, request_timeout: Duration) -> ils_doctor::connect::soap::SoapClient {
    let der = rustls_pemfile::certs(&mut p.tomcat_pem.as_bytes()).next().unwrap().unwrap();
    ils_doctor::connect::soap::SoapClient::new(&ils_doctor::connect::soap::HttpsTarget {
        host: p.https.ip().to_string(),
        port: p.https.port(),
        user: p.app_user.clone(),
        password: Secret::new(p.password.clone()),
        tls: ils_doctor::connect::tls::TlsMode::Pin(ils_doctor::connect::tls::fingerprint(&der)),
        connect_timeout: Duration::from_secs(5),
        request_timeout,
    })
    .unwrap()
}

/// A redirect is never followed: the credentials never reach the other address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_not_followed() {
    let mock = mock_server::start(scenario("m1-password-success")).unwrap();
    let hub = mock.publisher("hub").unwrap().clone();
    let elsewhere = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    elsewhere.set_nonblocking(true).unwrap();
    let port = elsewhere.local_addr().unwrap().port();
    for to in [format!("https://127.0.0.1:{port}/axl/"), format!("http://127.0.0.1:{port}/axl/")] {
        mock.set_faults(Faults { redirect_to: Some(to.clone()), ..Faults::default() });
        let e = soap_client(&hub, Duration::from_secs(10)).ccm_version().await.expect_err("refused");
        assert!(e.to_string().contains("302"), "{to}: {e}");
    }
    std::thread::sleep(Duration::from_millis(200));
    assert!(elsewhere.accept().is_err(), "nothing connected to the redirect target");
}

/// A publisher that trickles a download (each read inside the idle timeout) is cut at the
/// download's overall deadline: request timeout plus the listed size at 16 KiB/s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_download_stops_at_its_deadline() {
    let mock = mock_server::start(scenario("m1-password-success")).unwrap();
    let hub = mock.publisher("hub").unwrap().clone();
    let size = 40_000;
    mock.set_faults(Faults { bench_file_bytes: Some(size), download_bytes_per_sec: Some(2_000), ..Faults::default() });
    let c = soap_client(&hub, Duration::from_secs(2));
    assert_eq!(c.download_deadline(Some(size as u64)), Duration::from_secs(4));
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let e = c
        .get_one_file_sized(mock_server::scenario::BENCH_FILE, &dir.path().join("f"), Some(size as u64), |_| {})
        .await
        .expect_err("cut at the deadline (the whole file takes 20 s)");
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    assert!(e.to_string().contains("timed out"), "{e}");
}

/// A publisher that answers every page full cannot keep a paged query going: it stops after
/// MAX_PAGES requests with an error naming the host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_is_bounded() {
    let mock = mock_server::start(scenario("m1-password-success")).unwrap();
    let hub = mock.publisher("hub").unwrap().clone();
    mock.set_faults(Faults { query_too_large_rows: Some(0), endless_pages: true, ..Faults::default() });
    let c = soap_client(&hub, Duration::from_secs(10));
    let e = c.sql_query("select name from processnode").await.expect_err("bounded");
    assert!(e.to_string().contains("still full pages"), "{e}");
    let sent = c.requests.load(std::sync::atomic::Ordering::Relaxed);
    let max = ils_doctor::connect::soap::MAX_PAGES;
    assert!(sent <= max + 3, "{sent} requests");
}
