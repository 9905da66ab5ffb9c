//! The same rules live and offline: `check`, `collect` and `audit` take `--signatures` like
//! `analyze`, and `check` diagnoses with the catalog it is given.

mod support;

use std::sync::Arc;

use assert_cmd::Command;
use ils_doctor::analyze::{Catalog, RootCause, Status};
use ils_doctor::pipeline::session as check;
use support::live;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_diagnoses_with_the_users_catalog() {
    let net = live::start("m1-password-mismatch");
    let out = check::run(&net.request(30), std::future::pending()).await.unwrap();
    let a = &out.analysis;
    assert_eq!(a.status, Status::Critical, "{}", a.summary);
    assert!(a.attempts.iter().any(|x| x.root_cause == Some(RootCause::PasswordMismatch)), "{}", a.summary);

    // A catalog without the two password-failure lines cannot see the mismatch.
    let mut catalog = Catalog::builtin();
    catalog
        .apply(
            "[[signature]]\nid = \"P10\"\ndisabled = true\n[[signature]]\nid = \"P11\"\ndisabled = true\n",
            "test.toml",
        )
        .unwrap();
    let mut req = net.request(30);
    req.catalog = Arc::new(catalog);
    req.download_dir = net.dir.path().join("traces-2");
    let out = check::run(&req, std::future::pending()).await.unwrap();
    let a = &out.analysis;
    assert!(
        a.attempts.iter().all(|x| x.root_cause != Some(RootCause::PasswordMismatch)),
        "the user's catalog was used: {}",
        a.summary
    );
}

fn bad_catalog(dir: &std::path::Path) -> std::path::PathBuf {
    let p = dir.join("bad-signatures.toml");
    std::fs::write(&p, "[[signature]]\nid = \"X1\"\nside = \"hub\"\n").unwrap();
    p
}

/// A bad signature file stops `check` and `collect` before they connect anywhere (the hosts
/// given are closed loopback ports), naming the file.
#[test]
fn check_and_collect_load_the_signature_file_first() {
    let dir = tempfile::tempdir().unwrap();
    let bad = bad_catalog(dir.path());
    for cmd in ["check", "collect"] {
        let mut c = Command::cargo_bin("ils-doctor").unwrap();
        // Loopback ports nothing listens on: a connection attempt would fail at once, never leave.
        c.args([cmd, "--hub", "127.0.0.1:1:1", "--spoke", "127.0.0.1:1:1", "--signatures"]).arg(&bad);
        if cmd == "collect" {
            c.args(["-o"]).arg(dir.path().join("b.tar.gz"));
        }
        let out = c
            .env("ILS_DOCTOR_ADMIN_PASSWORD", "x")
            .env("ILS_DOCTOR_APP_PASSWORD", "x")
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{cmd}: {}", String::from_utf8_lossy(&out.stderr));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("bad-signatures.toml") && err.contains("X1"), "{cmd}: {err}");
    }
}

#[test]
fn audit_takes_a_signature_file() {
    let out = Command::cargo_bin("ils-doctor").unwrap().args(["audit", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("--signatures"));
}
