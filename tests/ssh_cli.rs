//! The SSH `admin:` client against the mock publisher over real SSH: login, pager off, commands,
//! `run sql` tables, host key verification, wrong password.

use std::path::Path;

use ils_doctor::connect::sql_table;
use ils_doctor::connect::ssh::{SshError, SshSession, SshTarget, Timeouts};
use ils_doctor::secret::Secret;
use mock_server::{PublisherInfo, Scenario};

fn scenario(name: &str) -> Scenario {
    Scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("mock-server/scenarios").join(format!("{name}.toml")))
        .unwrap()
}

fn target(p: &PublisherInfo, known_hosts: &Path, accept_new: bool, password: &str) -> SshTarget {
    SshTarget {
        host: p.ssh.ip().to_string(),
        port: p.ssh.port(),
        user: p.admin_user.clone(),
        password: Secret::new(password),
        known_hosts: known_hosts.to_path_buf(),
        accept_new_host_key: accept_new,
        legacy_ssh: false,
        timeouts: Timeouts::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_commands_and_host_keys() {
    let mock = mock_server::start(scenario("m1-password-success")).unwrap();
    let hub = mock.publisher("hub").unwrap().clone();
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");

    // Unknown host: refused without --accept-new-host-key, with the fingerprint to verify.
    let e = SshSession::open(&target(&hub, &kh, false, &hub.password)).await.err().unwrap();
    assert!(matches!(e, SshError::UnknownHostKey { ref fingerprint, .. } if fingerprint.starts_with("SHA256:")), "{e}");

    // Learnt on request, then known.
    let mut s = SshSession::open(&target(&hub, &kh, true, &hub.password)).await.unwrap();
    let version = s.run("show version active").await.unwrap();
    assert!(version.contains("Active Master Version: 14.0.1.11900-132"), "{version}");
    let table = sql_table::parse(&s.run("run sql select * from remotecluster").await.unwrap()).unwrap();
    assert!(table.columns.iter().any(|c| c == "clusterid"), "{table:?}");
    let services = s.run("utils service list").await.unwrap();
    assert!(services.contains("Cisco Intercluster Lookup Service[STARTED]"), "{services}");
    s.close().await;
    let s = SshSession::open(&target(&hub, &kh, false, &hub.password)).await.unwrap();
    s.close().await;

    // A changed key is refused even with --accept-new-host-key, naming both fingerprints. The
    // planted key is another Ed25519 key, the mock's own type.
    assert!(hub.host_key.starts_with("ssh-ed25519 "));
    let learnt = std::fs::read_to_string(&kh).unwrap();
    let other = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    let line = learnt.lines().find(|l| !l.trim().is_empty()).unwrap();
    let mut parts: Vec<&str> = line.split_whitespace().collect();
    parts[1] = "ssh-ed25519";
    parts[2] = other;
    std::fs::write(&kh, parts.join(" ") + "\n").unwrap();
    let e = SshSession::open(&target(&hub, &kh, true, &hub.password)).await.err().unwrap();
    match e {
        SshError::HostKeyChanged { line, ref recorded, ref fingerprint, .. } => {
            assert!(line >= 1);
            assert_ne!(recorded, fingerprint);
        }
        other => panic!("expected a changed host key (the mock's key is Ed25519 too): {other}"),
    }
    std::fs::write(&kh, learnt).unwrap();

    // A wrong password: one clear error, no retries.
    let e = SshSession::open(&target(&hub, &kh, false, "wrong-password")).await.err().unwrap();
    assert!(matches!(e, SshError::AuthFailed { .. }), "{e}");
    assert!(e.to_string().contains("not retried"));
}
