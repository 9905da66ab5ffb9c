//! Field tests from records: each folder of `tests/field/` holds a transcript (ils-doctor's
//! `--record DIR`, docs/transcript.md) and `expected.json` (the verdict of the check that made it:
//! status, each attempt's outcome and root cause, the finding codes). Each is replayed by the mock
//! and checked again; the verdict must be the stored one. A record a user sends (README,
//! "Contributing a field record") becomes a folder here.
//!
//! The first records are synthetic (`"synthetic": true` in the header): made against the mock in
//! its `legacy` SSH profile and `field` latency profile, by
//! `cargo test --test field -- --ignored regenerate` (minutes: the field latencies are real).

mod support;

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

/// What must be the same between the recorded check and the check of its replay.
fn verdict(json: &[u8]) -> Value {
    let v: Value = serde_json::from_slice(json).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(json)));
    let causes: Vec<String> = v["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| format!("{}/{}", a["outcome"].as_str().unwrap_or("?"), a["root_cause"].as_str().unwrap_or("none")))
        .collect();
    // The findings that count toward the verdict: not a pair's cause (said with the pair), not
    // one that matters only under another method.
    let mut codes: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["condition"].is_null() && f["part_of_cause"].as_bool() != Some(true))
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    codes.sort();
    json!({ "status": v["status"], "attempts": causes, "findings": codes })
}

fn records() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/field");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn every_field_record_replays_to_its_verdict() {
    let dirs = records();
    assert!(!dirs.is_empty(), "tests/field/ holds records");
    for rec in dirs {
        let expected: Value = serde_json::from_slice(&std::fs::read(rec.join("expected.json")).unwrap()).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let capture = expected["capture"].as_str().unwrap_or("10s");
        let (out, replay) =
            support::live::check_replay(&rec.join("record"), tmp.path(), &["--capture", capture, "--poll", "1s"]);
        let unmatched = replay.unmatched();
        let got = verdict(&out.stdout);
        assert_eq!(
            got,
            expected["verdict"],
            "{}: {}\nunmatched: {unmatched:#?}",
            rec.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(unmatched.is_empty(), "{}: {unmatched:#?}", rec.display());
        for t in
            support::all_files_under(&rec.join("record")).iter().filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        {
            let head: Value =
                serde_json::from_str(std::fs::read_to_string(t).unwrap().lines().next().unwrap()).unwrap();
            assert_eq!(head["format"], "ils-doctor/transcript/1", "{}", t.display());
            assert!(head["field_sample"]["synthetic"].is_boolean(), "{}: field_sample.synthetic", t.display());
        }
    }
}

/// Makes the synthetic records again (the mock in its `legacy` SSH profile, `field` latencies).
#[test]
#[ignore = "regenerates tests/field/ (minutes)"]
fn regenerate() {
    for scenario in ["m2-hub-cert-not-on-spoke", "m1-password-success"] {
        let mut s = mock_server::bundled::load(scenario).unwrap().unwrap();
        for c in &mut s.clusters {
            c.access.ssh_profile = mock_server::scenario::SshProfile::Legacy;
        }
        s.latency.profile = mock_server::scenario::LatencyProfile::Field;
        let net = support::live::start_scenario(s);
        let out_dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/field")
            .join(format!("synthetic-legacy-field-{scenario}"));
        let _ = std::fs::remove_dir_all(&out_dir);
        std::fs::create_dir_all(&out_dir).unwrap();
        let capture = "20s";
        let mut c = net.check_command(capture);
        c.arg("--record").arg(out_dir.join("record")).args(["--record-synthetic", "--poll", "2s"]);
        let out = c.output().unwrap();
        let v = verdict(&out.stdout);
        let expected = json!({
            "scenario": scenario,
            "synthetic": true,
            "made_with": "ils-doctor check --capture 20s --poll 2s --record DIR, against mock-server (ssh profile legacy, latency field); not redacted: the mock's names are not secret, and a redacted record changes the certificate findings (docs/transcript.md, limits)",
            "capture": capture,
            "verdict": v,
        });
        std::fs::write(out_dir.join("expected.json"), serde_json::to_vec_pretty(&expected).unwrap()).unwrap();
        eprintln!("{scenario}: {expected}");
    }
}

/// `transcript summarize` on every field record: it reads each publisher's transcript (role,
/// version, SSH algorithms, command times, trace level names) and the ILS lines of its traces,
/// and says that a synthetic record settles nothing about real publishers.
#[test]
fn every_field_record_summarizes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/field");
    let mut seen = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let rec = entry.unwrap().path().join("record");
        if !rec.is_dir() {
            continue;
        }
        seen += 1;
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ils-doctor"))
            .args(["transcript", "summarize", "--format", "json"])
            .arg(&rec)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let ts = v["transcripts"].as_array().unwrap();
        assert_eq!(ts.len(), 2, "{}: hub and spoke", rec.display());
        let roles: Vec<&str> = ts.iter().filter_map(|t| t[1]["role"].as_str()).collect();
        assert!(roles.contains(&"hub") && roles.contains(&"spoke"), "{roles:?}");
        for t in ts {
            let t = &t[1];
            assert!(t["ssh"][0]["server_id"].as_str().is_some_and(|s| s.starts_with("SSH-2.0-")), "{t}");
            assert!(t["cli_start_ms"][0].as_u64().is_some_and(|ms| ms >= 1000), "field latency: {t}");
            let commands: Vec<&str> =
                t["commands"].as_array().unwrap().iter().filter_map(|c| c["what"].as_str()).collect();
            assert!(
                commands.contains(&"show version active") && commands.contains(&"show cert list trust"),
                "{commands:?}"
            );
            assert!(
                t["level_names"].as_array().unwrap().iter().any(|p| p[0] == "Detailed" && p[1] == "127"),
                "{}",
                t["level_names"]
            );
        }
        assert!(v["ils_lines"].as_u64().unwrap() > 0, "the traces were read: {v}");
        assert!(v["settles"][0].as_str().unwrap().contains("synthetic"), "{}", v["settles"]);
    }
    assert!(seen >= 2, "field records found: {seen}");
    // Not a record: a clear error, exit 3.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ils-doctor"))
        .args(["transcript", "summarize"])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("holds no transcript"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
