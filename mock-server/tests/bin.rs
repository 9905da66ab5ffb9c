//! The `mock-server` binary: a bad scenario is a clear error naming the field; `--simulate`
//! writes gzip SDL files per cluster.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_mock-server");

#[test]
fn malformed_scenario_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.toml");
    std::fs::write(&f, "name = \"x\"\n[[cluster]]\nname = \"hub\"\ncluster_id = \"H\"\nfqdn = \"h.example.com\"\nip = \"10.0.0.1\"\nrole = \"hub\"\n[cluster.ils]\nuse_tlss = true\n").unwrap();
    let out = Command::new(BIN).arg("--scenario").arg(&f).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("use_tlss") && err.contains("bad.toml"), "{err}");
}

#[test]
fn simulate_writes_gzip_files_per_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let scen = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/m2-hub-cert-not-on-spoke.toml");
    let out = Command::new(BIN).args(["--scenario", scen, "--simulate"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("spoke -> hub: HubCertRejected(Tls, 18)"), "{stdout}");
    let spoke: Vec<_> = std::fs::read_dir(dir.path().join("spoke")).unwrap().filter_map(|e| e.ok()).collect();
    assert!(!spoke.is_empty());
    assert!(spoke.iter().all(|e| e.file_name().to_string_lossy().starts_with("SDL001_600_")));
}

#[test]
fn a_bad_fault_flag_is_refused_with_its_name() {
    let scen = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/m1-password-success.toml");
    let out = Command::new(BIN).args(["--scenario", scen, "--fault", "no_such_fault=1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no_such_fault"));
    let out = Command::new(BIN).args(["--scenario", scen, "--fault", "throttle_every_nth=\"x\""]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn an_unknown_ssh_profile_is_refused_with_the_choices() {
    let scen = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/m1-password-success.toml");
    let out = Command::new(BIN).args(["--scenario", scen, "--ssh-profile", "ancient"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("modern, legacy, restricted or legacy-weak"));
}
