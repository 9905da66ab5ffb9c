//! SSH algorithm negotiation against each of the mock's SSH profiles: what ils-doctor's client
//! negotiates, that weak algorithms need `--legacy-ssh`, and the error when nothing matches.

use std::path::Path;

use ils_doctor::connect::ssh::{preferred, SshError, SshSession, SshTarget, Timeouts};
use ils_doctor::secret::Secret;
use mock_server::scenario::{SshProfile, SshRestricted};
use mock_server::{start_with, Options, PublisherInfo, Running, Scenario};

fn start(profile: SshProfile, restricted: Option<SshRestricted>, dir: &Path) -> (Running, PublisherInfo) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("mock-server/scenarios/m1-password-success.toml");
    let mut s = Scenario::load(&p).unwrap();
    for c in &mut s.clusters {
        c.access.ssh_profile = profile;
        if let Some(r) = &restricted {
            c.access.ssh_restricted = r.clone();
        }
    }
    let run = start_with(s, Options { state_dir: Some(dir.to_path_buf()), ..Options::default() }).unwrap();
    let p = run.publisher("hub").unwrap().clone();
    (run, p)
}

fn target(p: &PublisherInfo, dir: &Path, legacy_ssh: bool) -> SshTarget {
    SshTarget {
        host: p.ssh.ip().to_string(),
        port: p.ssh.port(),
        user: p.admin_user.clone(),
        password: Secret::new(p.password.clone()),
        known_hosts: dir.join("known_hosts"),
        accept_new_host_key: true,
        legacy_ssh,
        timeouts: Timeouts::default(),
    }
}

/// Logs in, runs a command, returns the negotiated algorithms.
async fn login(p: &PublisherInfo, dir: &Path, legacy_ssh: bool) -> String {
    let mut s = SshSession::open(&target(p, dir, legacy_ssh)).await.unwrap();
    let v = s.run("show version active").await.unwrap();
    assert!(v.contains("Active Master Version"), "{v}");
    let a = s.algorithms.clone();
    s.close().await;
    a
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_negotiates_with_every_profile() {
    let cases: Vec<(&str, SshProfile, Option<SshRestricted>, &str)> = vec![
        (
            "modern",
            SshProfile::Modern,
            None,
            "kex mlkem768x25519-sha256 host-key ssh-ed25519 cipher chacha20-poly1305@openssh.com mac hmac-sha2-512-etm@openssh.com",
        ),
        (
            "legacy",
            SshProfile::Legacy,
            None,
            "kex diffie-hellman-group14-sha1 host-key ssh-rsa cipher aes256-ctr mac hmac-sha1",
        ),
        (
            "restricted (default)",
            SshProfile::Restricted,
            None,
            "kex ecdh-sha2-nistp256 host-key rsa-sha2-256 cipher aes256-ctr mac hmac-sha2-256",
        ),
        (
            "restricted (gex-sha1, aes128-gcm, ssh-rsa)",
            SshProfile::Restricted,
            Some(SshRestricted {
                kex: "diffie-hellman-group-exchange-sha1".into(),
                cipher: "aes128-gcm@openssh.com".into(),
                mac: "hmac-sha1".into(),
                host_key: "ssh-rsa".into(),
            }),
            "kex diffie-hellman-group-exchange-sha1 host-key ssh-rsa cipher aes128-gcm@openssh.com",
        ),
        (
            "restricted (nistp521, aes128-ctr, hmac-sha1-etm)",
            SshProfile::Restricted,
            Some(SshRestricted {
                kex: "ecdh-sha2-nistp521".into(),
                cipher: "aes128-ctr".into(),
                mac: "hmac-sha1-etm@openssh.com".into(),
                host_key: "rsa-sha2-512".into(),
            }),
            "kex ecdh-sha2-nistp521 host-key rsa-sha2-512 cipher aes128-ctr mac hmac-sha1-etm@openssh.com",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, profile, restricted, want) in cases {
        let sub = dir.path().join(name.replace([' ', '(', ')', ','], "_"));
        let (_r, p) = start(profile, restricted, &sub);
        let got = login(&p, &sub, false).await;
        println!("{name}: negotiated {got}");
        assert!(got.starts_with(want), "{name}: want {want:?}, got {got:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weak_algorithms_only_with_legacy_ssh() {
    let dir = tempfile::tempdir().unwrap();
    let (_r, p) = start(SshProfile::LegacyWeak, None, dir.path());
    let e = SshSession::open(&target(&p, dir.path(), false)).await.err().unwrap();
    let text = e.to_string();
    println!("legacy-weak without --legacy-ssh: {text}");
    assert!(matches!(e, SshError::Negotiation { category: "key exchange method", .. }), "{e:?}");
    assert!(text.starts_with("ssh 127.0.0.1: no matching key exchange method found."), "{text}");
    assert!(text.contains("Their offer: diffie-hellman-group1-sha1. "), "{text}");
    let ours = text.split("Our offer: ").nth(1).unwrap().split(". ").next().unwrap();
    assert!(ours.starts_with("mlkem768x25519-sha256,curve25519-sha256"), "{ours}");
    assert!(ours.contains("diffie-hellman-group14-sha1,diffie-hellman-group-exchange-sha1"), "{ours}");
    assert!(!ours.contains("group1-sha1,") && !ours.ends_with("group1-sha1") && !ours.contains("ext-info"), "{ours}");
    assert!(text.contains("--legacy-ssh") && text.contains("docs/security.md"), "{text}");
    let got = login(&p, dir.path(), true).await;
    println!("legacy-weak with --legacy-ssh: negotiated {got}");
    assert!(
        got.starts_with("kex diffie-hellman-group1-sha1 host-key ssh-rsa cipher aes128-cbc mac hmac-sha1"),
        "{got}"
    );

    // A CBC-only publisher: the cipher category fails, and --legacy-ssh is what helps.
    let dir = tempfile::tempdir().unwrap();
    let cbc = SshRestricted { cipher: "aes192-cbc".into(), ..SshRestricted::default() };
    let (_r, p) = start(SshProfile::Restricted, Some(cbc), dir.path());
    let e = SshSession::open(&target(&p, dir.path(), false)).await.err().unwrap();
    let text = e.to_string();
    println!("restricted aes192-cbc without --legacy-ssh: {text}");
    assert!(
        text.contains("no matching cipher found. Their offer: aes192-cbc. Our offer: chacha20-poly1305@openssh.com,"),
        "{text}"
    );
    assert!(text.contains("--legacy-ssh"), "{text}");
    let got = login(&p, dir.path(), true).await;
    assert!(got.contains("cipher aes192-cbc"), "{got}");
}

#[test]
fn the_offer_puts_modern_first_and_weak_only_with_the_flag() {
    let names = |p: &russh::Preferred| {
        (
            p.kex.iter().map(|k| k.as_ref().to_string()).collect::<Vec<_>>(),
            p.cipher.iter().map(|c| c.as_ref().to_string()).collect::<Vec<_>>(),
            p.mac.iter().map(|m| m.as_ref().to_string()).collect::<Vec<_>>(),
            p.key.iter().map(|k| k.as_str().to_string()).collect::<Vec<_>>(),
        )
    };
    let (kex, cipher, mac, key) = names(&preferred(false));
    println!("offer: kex {kex:?}\n ciphers {cipher:?}\n macs {mac:?}\n host keys {key:?}");
    let pos = |v: &[String], n: &str| v.iter().position(|x| x == n).unwrap_or_else(|| panic!("{n} not in {v:?}"));
    assert_eq!(kex[0], "mlkem768x25519-sha256");
    assert!(pos(&kex, "diffie-hellman-group14-sha256") < pos(&kex, "ecdh-sha2-nistp256"));
    assert!(pos(&kex, "ecdh-sha2-nistp521") < pos(&kex, "diffie-hellman-group14-sha1"));
    assert!(pos(&kex, "diffie-hellman-group14-sha1") < pos(&kex, "diffie-hellman-group-exchange-sha1"));
    assert!(!kex.iter().any(|k| k == "diffie-hellman-group1-sha1"));
    assert!(!cipher.iter().any(|c| c.ends_with("-cbc")));
    assert_eq!(mac.last().map(String::as_str), Some("hmac-sha1"));
    assert_eq!(key.last().map(String::as_str), Some("ssh-rsa"));
    let (kex, cipher, _, _) = names(&preferred(true));
    assert!(pos(&kex, "diffie-hellman-group-exchange-sha1") < pos(&kex, "diffie-hellman-group1-sha1"));
    assert!(pos(&kex, "diffie-hellman-group1-sha1") < pos(&kex, "ext-info-c"));
    assert!(cipher.ends_with(&["aes128-cbc".to_string(), "aes192-cbc".to_string(), "aes256-cbc".to_string()]));
}
