//! The binary as a user or a monitoring system runs it: exit codes, formats, errors.

mod support;

use assert_cmd::Command;
use support::fixture;

fn bin() -> Command {
    let mut c = Command::cargo_bin("ils-doctor").unwrap();
    c.env("NO_COLOR", "1").env_remove("ILS_DOCTOR_SIGNATURES");
    c
}

fn analyze_as(scenario: &str, format: &str) -> std::process::Output {
    let (hub, spoke) = fixture(scenario);
    bin().args(["analyze", "--format", format, "--hub"]).arg(hub).arg("--spoke").arg(spoke).output().unwrap()
}

fn analyze(scenario: &str) -> std::process::Output {
    analyze_as(scenario, "text")
}

#[test]
fn exit_codes_follow_the_monitoring_plugin_convention() {
    assert_eq!(analyze("m1_password_success").status.code(), Some(0));
    assert_eq!(analyze("password_mismatch").status.code(), Some(2));
    let out = bin().args(["analyze", "--hub", "/no/such/traces"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/no/such/traces") && err.contains("hub"), "{err}");
    let out = bin().args(["analyze"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "bad arguments are 'unknown' too");
}

#[test]
fn text_report_shows_verdict_evidence_and_fix_without_colour_when_asked() {
    let out = analyze("password_mismatch");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("CRITICAL"), "{text}");
    assert!(text.contains("the ILS passwords differ"), "the cause in words: {text}");
    assert!(!text.contains("password_mismatch"), "no snake_case code in a human format: {text}");
    assert!(text.contains("hub.txt:"), "evidence with file:line");
    assert!(text.contains("decryptData failed"));
    assert!(text.contains("same password"), "the fix");
    assert!(!text.contains('\u{1b}'), "NO_COLOR and a pipe: no escape codes");
}

#[test]
fn json_follows_the_contract() {
    let out = analyze_as("m2_spoke_cert_not_in_hub", "json");
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "ils-doctor/analysis/2");
    assert_eq!(v["status"], "critical");
    assert!(v["warnings"].is_array());
    let a = &v["attempts"][0];
    for key in ["hub", "spoke", "port", "tls", "method", "outcome", "root_cause", "at", "fix", "evidence"] {
        assert!(a.get(key).is_some(), "attempt.{key} missing");
    }
    assert_eq!(a["hub"], "10.106.104.220");
    assert_eq!(a["spoke"], "10.106.104.201");
    assert_eq!(a["method"], "tls");
    assert_eq!(a["outcome"], "failure");
    assert_eq!(a["root_cause"], "hub_rejects_spoke_certificate");
    assert_eq!(a["at"], "2016-09-20T17:06:30.877+05:30");
    let ev = &a["evidence"][1];
    assert_eq!(ev["side"], "hub");
    assert!(ev["file"].as_str().unwrap().ends_with("hub.txt"));
    assert!(ev["line_no"].as_u64().unwrap() > 1);
    assert!(ev["text"].as_str().unwrap().contains("is not in the peer info vector"));
}

#[test]
fn output_file_is_written_whole_and_plain() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.txt");
    let (hub, spoke) = fixture("m3_hub_self_signed");
    let st = bin()
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .args(["analyze", "--hub"])
        .arg(hub)
        .arg("--spoke")
        .arg(spoke)
        .arg("-o")
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(2));
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.starts_with("CRITICAL") && !text.contains('\u{1b}'));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
}

#[test]
fn a_bad_signature_file_names_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let sig = dir.path().join("bad.toml");
    std::fs::write(&sig, "[[signature]]\nid = \"MINE\"\nside = \"hub\"\nmethods = [\"tls\"]\noutcome = \"failure\"\nanchor = \"x\"\nregex = '(('\n").unwrap();
    let (hub, _) = fixture("m1_password_success");
    let out = bin().args(["analyze", "--hub"]).arg(hub).arg("--signatures").arg(&sig).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml") && err.contains("MINE") && err.contains("regex"), "{err}");
}

#[test]
fn help_has_examples_and_signatures_lists_the_catalog() {
    let out = bin().args(["analyze", "--help"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("Examples:") && help.contains("--spoke") && help.contains("Exit codes"));
    let out = bin().args(["signatures", "--format", "json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v.as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"P1") && ids.contains(&"P25") && ids.contains(&"I1"));
}

#[test]
fn check_reads_a_named_cluster_and_refuses_passwords_in_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, "[[cluster]]\nname = \"prod\"\nhub = \"hq:notaport\"\nspokes = [\"br1\"]\n").unwrap();
    let out = bin().args(["check", "--cluster", "prod", "--config"]).arg(&cfg).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("config.toml") && err.contains("field `hub`"), "{err}");
    std::fs::write(
        &cfg,
        "[[cluster]]\nname = \"prod\"\nhub = \"hq\"\nspokes = [\"br1\"]\nadmin_password = \"hunter2\"\n",
    )
    .unwrap();
    let out = bin().args(["check", "--cluster", "prod", "--config"]).arg(&cfg).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        err.contains("line 5") && err.contains("passwords never go in the config file") && !err.contains("hunter2"),
        "{err}"
    );
    let out = bin().args(["check", "--hub", "hq", "--cluster", "prod"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "--hub and --cluster conflict");
}

/// `-o` to a device or a pipe writes into it: the report never replaces it with a regular file
/// (before, `-o /dev/null` as root renamed a temporary file over `/dev/null`).
#[test]
fn output_to_a_pipe_writes_into_it_and_keeps_it() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("report.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let hub = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sdl/m1_password_success/hub.txt");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ils-doctor"))
        .args(["analyze", "--format", "json", "--hub"])
        .arg(&hub)
        .arg("-o")
        .arg(&fifo)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.code().is_some_and(|c| c <= 3), "{}", String::from_utf8_lossy(&out.stderr));
    // Checked before waiting for the reader: had the pipe been replaced, the reader would wait on
    // it forever.
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo(), "the pipe is still a pipe");
    let text = reader.join().unwrap();
    assert!(text.contains("\"schema\""), "the report went into the pipe");
    assert!(!dir.path().join("report.ils-doctor-tmp").exists());
}

/// What each subcommand's `--help` must say it does (a word of its job, in its first line).
/// A subcommand missing here fails the test, so a new one gets its help checked too.
const JOBS: &[(&str, &str)] = &[
    ("check", "live publishers"),
    ("demo", "mock"),
    ("analyze", "traces"),
    ("collect", "support bundle"),
    ("audit", "inventory"),
    ("history", "audit runs"),
    ("join", "ILS join"),
    ("undo", "join --apply"),
    ("restore", "trace levels"),
    ("trust", "certificate"),
    ("credentials", "keyring"),
    ("signatures", "catalog"),
    ("transcript", "record"),
    ("completions", "completion script"),
    ("man", "man pages"),
];

#[test]
fn every_subcommand_help_says_what_it_does_and_shows_an_example() {
    use clap::CommandFactory;
    let cli = ils_doctor::cli::Cli::command();
    let mut abouts = std::collections::BTreeMap::new();
    for sub in cli.get_subcommands() {
        let name = sub.get_name().to_string();
        let job = JOBS.iter().find(|(n, _)| *n == name).map(|(_, j)| *j);
        let job = job.unwrap_or_else(|| panic!("{name}: add what its --help must say to JOBS"));
        let out = bin().args([name.as_str(), "--help"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{name} --help");
        let help = String::from_utf8(out.stdout).unwrap();
        let first = help.lines().next().unwrap_or_default();
        assert!(first.contains(job), "{name} --help begins {first:?}, expected it to name {job:?}");
        assert!(help.contains("Examples:"), "{name} --help has no examples");
        assert!(help.contains(&format!("ils-doctor {name}")), "{name} --help has no example of itself");
        assert!(abouts.insert(first.to_string(), name.clone()).is_none(), "{name} --help repeats another's text");
    }
    assert_eq!(abouts.len(), JOBS.len(), "a subcommand in JOBS no longer exists");
}

#[test]
fn trust_takes_the_same_host_form_as_check() {
    let mock = mock_server::start(mock_server::bundled::load("m1-password-success").unwrap().unwrap()).unwrap();
    let hub = mock.publisher("hub").unwrap().clone();
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    let access = ils_doctor::pipeline::mock_pair::access_for(&hub, &kh).unwrap();
    let ils_doctor::connect::tls::TlsMode::Pin(expected) = &access.tls else { panic!("a pinned mock") };
    // The check form HOST:SSH_PORT:HTTPS_PORT, as given to --hub, reaches the HTTPS port.
    let spec = format!("{}:{}:{}", access.host, access.ssh_port, access.https_port);
    let out = bin().args(["trust", &spec, "--yes"]).env("XDG_CONFIG_HOME", dir.path()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&out.stderr));
    let pins = std::fs::read_to_string(dir.path().join("ils-doctor/pins")).unwrap();
    let shown = text.lines().nth(1).unwrap_or_default().trim().to_string();
    let fp = ils_doctor::connect::tls::normalize_fingerprint;
    assert_eq!(fp(&shown), fp(expected), "{text}");
    assert!(pins.contains(&format!("{}:{}", access.host, access.https_port)), "{pins}");
    // A malformed host is refused with the forms it may take.
    let out = bin().args(["trust", "cucm-pub:22:8443:1", "--yes"]).env("XDG_CONFIG_HOME", dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("more than two ports") && err.contains("HOST:SSH_PORT:HTTPS_PORT"), "{err}");
}

#[test]
fn the_json_names_the_build_that_made_it_as_version_does() {
    let version = String::from_utf8(bin().arg("--version").output().unwrap().stdout).unwrap();
    let out = analyze_as("m1_password_success", "json");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (rev, built) = (v["tool"]["revision"].as_str().unwrap(), v["tool"]["built"].as_str().unwrap());
    assert!(!rev.is_empty() && built.len() == 10, "{}", v["tool"]);
    assert!(version.contains(rev) && version.contains(built), "--version {version:?} vs {}", v["tool"]);
}

/// The demo's report cites trace files that exist: under `--keep DIR` by their path in DIR;
/// without it, relative to a temporary folder the demo says it removed.
#[test]
fn the_demo_keeps_the_evidence_it_cites() {
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("run");
    let out = bin()
        .args(["demo", "--scenario", "m1-password-mismatch", "--format", "json", "--keep"])
        .arg(&kept)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files: Vec<&str> = v["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["evidence"].as_array().unwrap().iter().map(|e| e["file"].as_str().unwrap()))
        .collect();
    assert!(!files.is_empty());
    for f in &files {
        assert!(std::path::Path::new(f).is_file(), "{f} is cited and kept");
        assert!(f.starts_with(&kept.display().to_string()), "{f}");
    }
    // Without --keep: relative paths, and the note says where they were. The scenario given as
    // the positional SCENARIO, as `--scenario` above.
    let out = bin().args(["demo", "m1-password-mismatch"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("scenario m1-password-mismatch on mock publishers"), "{err}");
    assert!(!text.contains("/tmp/"), "no path into a removed folder:\n{text}");
    assert!(err.contains("removed now; --keep DIR keeps them"), "{err}");
    // A folder that holds something is refused, nothing written into it.
    let out = bin().args(["demo", "--keep"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
}

/// Every argument of every subcommand says what it is in `--help` (and so in the man pages), and
/// every option whose values are a fixed set lists them.
#[test]
fn every_option_has_help_and_every_fixed_set_lists_its_values() {
    use clap::CommandFactory;
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>, sets: &mut Vec<(String, String, Vec<String>)>) {
        for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            let name = arg.get_long().map_or_else(|| arg.get_id().to_string(), |l| format!("--{l}"));
            if arg.get_help().is_none_or(|h| h.to_string().trim().is_empty()) {
                missing.push(format!("{path} {name}"));
            }
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_string())
                .collect();
            if !values.is_empty() && arg.get_action().takes_values() {
                sets.push((path.to_string(), name, values));
            }
        }
        // clap's own `help` subcommand is not ours to describe.
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            walk(sub, &format!("{path} {}", sub.get_name()), missing, sets);
        }
    }
    let mut cli = ils_doctor::cli::Cli::command();
    cli.build();
    let (mut missing, mut sets) = (Vec::new(), Vec::new());
    walk(&cli, "ils-doctor", &mut missing, &mut sets);
    assert!(missing.is_empty(), "arguments without help text: {missing:?}");
    // The options the fixed sets are known for, each with the values they must show.
    let wanted: &[(&str, &str, &[&str])] = &[
        ("ils-doctor check", "--method", &["password", "tls", "tls_with_password", "tls_after_password"]),
        ("ils-doctor analyze", "--method", &["password", "tls", "tls_with_password", "tls_after_password"]),
        ("ils-doctor join", "--method", &["password", "tls", "tls_with_password", "tls_after_password"]),
        ("ils-doctor check", "--format", &["text", "json", "markdown", "html"]),
        ("ils-doctor audit", "--format", &["text", "json", "junit", "prometheus", "summary", "html", "markdown"]),
        ("ils-doctor demo", "name", &["m1-password-mismatch", "m2-hub-cert-not-on-spoke"]),
        ("ils-doctor demo", "--scenario", &["m1-password-mismatch", "m2-hub-cert-not-on-spoke"]),
        ("ils-doctor completions", "shell", &["bash", "zsh", "fish"]),
        ("ils-doctor credentials set", "--kind", &["admin", "app", "ils"]),
    ];
    for (path, name, values) in wanted {
        let found = sets.iter().find(|(p, n, _)| p == path && n == name);
        let (_, _, have) = found.unwrap_or_else(|| panic!("{path} {name}: no fixed set of values"));
        for v in *values {
            assert!(have.iter().any(|h| h == v), "{path} {name}: {v} missing from {have:?}");
        }
    }
    // --help shows each set (the man pages are rendered from the same definition).
    for (path, name, values) in &sets {
        let args: Vec<&str> = path.split(' ').skip(1).chain(["--help"]).collect();
        let out = bin().args(&args).output().unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        for v in values {
            assert!(help.contains(v.as_str()), "{path} --help does not show {v} for {name}:\n{help}");
        }
    }
}

/// A mistyped option is refused with the option the user probably meant.
#[test]
fn a_mistyped_option_names_the_one_meant() {
    let out = bin().args(["analyze", "--hub", "h/", "--formt", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--formt") && err.contains("similar argument exists: '--format'"), "{err}");
    // A value outside a fixed set is refused with the set.
    let out = bin().args(["analyze", "--hub", "h/", "--method", "tls-with-password"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("tls_with_password"), "{err}");
    // audit without clusters names both ways to give them.
    let out = bin().arg("audit").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("--inventory") && err.contains("--discover"), "{err}");
}

/// `credentials set --stdin` stores the password piped in (the entry then exists: `delete`
/// removes it, and a second `delete` finds none) and never shows it. The commands share this
/// test's session keyring (a process without one gets its own: the keyutils store of a headless
/// box, docs/security.md).
#[cfg(target_os = "linux")]
#[test]
fn credentials_set_reads_the_password_from_standard_input_without_showing_it() {
    use linux_keyutils::{KeyRing, KeyRingIdentifier};
    KeyRing::from_special_id(KeyRingIdentifier::Session, true).expect("a session keyring for this test");
    let host = format!("stdin-test-{}.invalid", std::process::id());
    let secret = "piped s3cret-value";
    let out = bin()
        .args(["credentials", "set", &host, "--kind", "app", "--stdin"])
        .write_stdin(format!("{secret}\n"))
        .output()
        .unwrap();
    let (said, err) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!said.contains(secret) && !err.contains(secret), "the password is shown: {said}{err}");
    let delete = || bin().args(["credentials", "delete", &host, "--kind", "app"]).output().unwrap();
    let first = delete();
    assert_eq!(first.status.code(), Some(0), "stored: {}", String::from_utf8_lossy(&first.stderr));
    assert_eq!(delete().status.code(), Some(3), "deleted");
    // Nothing piped in: refused, naming the host and what to do.
    let out = bin().args(["credentials", "set", &host, "--kind", "app", "--stdin"]).write_stdin("").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains(&host) && err.contains("no password") && err.contains("--stdin"), "{err}");
}

/// `history`, `signatures` and `transcript summarize` that fail with `--format json` print the
/// error document (docs/json-contract.md, "Error document") on standard output, exit 3, name the
/// operation that failed, and say each cause once; standard error says the same in one line.
#[test]
fn commands_without_a_verdict_fail_with_the_error_document() {
    let dir = tempfile::tempdir().unwrap();
    let not_sqlite = dir.path().join("history.db");
    std::fs::write(&not_sqlite, "not a database, ten times over ".repeat(10)).unwrap();
    let bad_catalog = dir.path().join("bad.toml");
    std::fs::write(&bad_catalog, "[[signature]]\nid = 3\n").unwrap();
    let no_record = dir.path().join("no-record");
    let cases: [(&[&str], &str, &str, &str); 3] = [
        (
            &["history", "--format", "json", "--history"],
            "history",
            "read the history database",
            "file is not a database",
        ),
        (
            &["signatures", "--format", "json", "--signatures"],
            "signatures",
            "read the signature catalog",
            "not valid TOML",
        ),
        (
            &["transcript", "summarize", "--format", "json"],
            "transcript summarize",
            "read the record folder",
            "No such file or directory",
        ),
    ];
    let paths = [&not_sqlite, &bad_catalog, &no_record];
    for ((args, command, operation, cause), path) in cases.into_iter().zip(paths) {
        let out = bin().args(args).arg(path).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{command}");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{command}: {e}"));
        assert_eq!(doc["schema"], "ils-doctor/error/1", "{command}: {doc}");
        assert_eq!((doc["status"].as_str(), doc["exit_code"].as_u64()), (Some("unknown"), Some(3)), "{doc}");
        assert_eq!(doc["error"]["command"], command, "{doc}");
        assert_eq!(doc["error"]["operation"], operation, "{doc}");
        assert!(doc["error"]["host"].is_null(), "no publisher was involved: {doc}");
        let message = doc["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(&path.display().to_string()), "names the file: {message}");
        assert_eq!(message.matches(cause).count(), 1, "the cause once: {message}");
        assert!(doc["summary"].as_str().unwrap_or_default().starts_with(&format!("UNKNOWN: {command} failed: ")));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert_eq!(err.matches(cause).count(), 1, "{err}");
    }
}
