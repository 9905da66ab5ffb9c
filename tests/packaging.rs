//! What the Debian package installs, checked from the source tree: the systemd units run
//! commands this binary accepts, the examples parse, the textfile publisher is atomic and keeps
//! the audit's time, the completions the binary prints work in bash, and a build leaves every
//! file the package lists (build.rs). `.ci/package.sh` builds and installs the package itself.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use clap::Parser;
use ils_doctor::cli::{AuditFormat, Cli, Command as Sub};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ils-doctor"))
}

/// The values of `key=` lines of a unit file, in order.
fn unit_values(unit: &str, key: &str) -> Vec<String> {
    let prefix = format!("{key}=");
    unit.lines().filter_map(|l| l.strip_prefix(&prefix)).map(str::to_string).collect()
}

/// The audit a unit's ExecStart runs, parsed by the real command line, with systemd's
/// specifiers for the state and cache roots expanded.
fn unit_audit(unit: &str) -> ils_doctor::cli::AuditArgs {
    let exec = unit_values(unit, "ExecStart");
    assert_eq!(exec.len(), 1, "{exec:?}");
    let line = exec[0].replace("%S", "/var/lib").replace("%C", "/var/cache");
    let mut words = line.split_whitespace();
    assert_eq!(words.next(), Some("/usr/bin/ils-doctor"));
    let cli = Cli::try_parse_from(std::iter::once("ils-doctor").chain(words)).unwrap_or_else(|e| panic!("{e}\n{line}"));
    let Sub::Audit(args) = cli.command else { panic!("not an audit: {line}") };
    *args
}

#[test]
fn the_units_run_audits_this_binary_accepts() {
    let light = read("packaging/systemd/ils-doctor-audit.service");
    let deep = read("packaging/systemd/ils-doctor-audit-deep.service");
    for (unit, is_deep) in [(&light, false), (&deep, true)] {
        let a = unit_audit(unit);
        assert_eq!(a.deep, is_deep);
        assert_eq!(a.inventory.as_deref(), Some(Path::new("/etc/ils-doctor/inventory.toml")));
        assert_eq!(a.format, AuditFormat::Prometheus);
        let out = a.output.expect("-o");
        assert!(out.starts_with("/var/lib/ils-doctor"), "{}", out.display());
        // The file the audit writes is the one ExecStopPost publishes.
        let publish = unit_values(unit, "ExecStopPost");
        assert_eq!(publish.len(), 1);
        let publish = publish[0].replace("%S", "/var/lib");
        assert_eq!(publish, format!("+/usr/lib/ils-doctor/publish-textfile {}", out.display()));
        if is_deep {
            assert_eq!(a.max_raised, 2);
        }
    }
}

#[test]
fn the_units_are_hardened_and_hold_no_secret() {
    for name in ["ils-doctor-audit.service", "ils-doctor-audit-deep.service"] {
        let unit = read(&format!("packaging/systemd/{name}"));
        for setting in [
            "Type=oneshot",
            "DynamicUser=yes",
            "StateDirectory=ils-doctor",
            "ProtectSystem=strict",
            "ProtectHome=yes",
            "PrivateTmp=yes",
            "NoNewPrivileges=yes",
            "CapabilityBoundingSet=",
            "EnvironmentFile=-/etc/ils-doctor/credentials.env",
            "SuccessExitStatus=1 2",
        ] {
            assert!(unit.lines().any(|l| l == setting), "{name}: no `{setting}`");
        }
        assert!(!unit.to_lowercase().contains("password="), "{name} holds a password");
        assert!(!unit.contains("--insecure"), "{name}");
    }
    for (timer, calendar) in [("ils-doctor-audit.timer", "hourly"), ("ils-doctor-audit-deep.timer", "*-*-* 02:30:00")] {
        let unit = read(&format!("packaging/systemd/{timer}"));
        assert_eq!(unit_values(&unit, "OnCalendar"), [calendar], "{timer}");
        assert_eq!(unit_values(&unit, "WantedBy"), ["timers.target"], "{timer}");
    }
}

#[test]
fn the_package_installs_what_the_units_use() {
    let manifest = read("Cargo.toml");
    for asset in [
        r#"["packaging/publish-textfile", "usr/lib/ils-doctor/", "755"]"#,
        r#"["packaging/examples/*", "usr/share/doc/ils-doctor/examples/", "644"]"#,
        r#"["packaging/prometheus/ils-doctor.rules.yml", "usr/share/ils-doctor/prometheus/", "644"]"#,
        r#"["docs/packaging.md", "usr/share/doc/ils-doctor/", "644"]"#,
    ] {
        assert!(manifest.contains(asset), "Cargo.toml [package.metadata.deb] lacks {asset}");
    }
    for unit in ["ils-doctor-audit", "ils-doctor-audit-deep"] {
        assert!(manifest.contains(&format!("unit-name = \"{unit}\"")), "{unit}");
        for kind in ["service", "timer"] {
            assert!(root().join(format!("packaging/systemd/{unit}.{kind}")).is_file(), "{unit}.{kind}");
        }
    }
}

/// The folder of the profile the tests were built with (`target/debug`): where this build's
/// binary and build.rs's `generated/` are, and what cargo-deb reads for `target/release/`.
fn profile_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_ils-doctor")).parent().unwrap().to_path_buf()
}

/// The files an asset source names: itself, or what its `*` matches in its folder.
fn asset_files(source: &str) -> Vec<PathBuf> {
    let path = match source.strip_prefix("target/release/") {
        Some(rest) => profile_dir().join(rest),
        None => root().join(source),
    };
    let name = path.file_name().unwrap().to_str().unwrap().to_string();
    let Some((before, after)) = name.split_once('*') else {
        return if path.is_file() { vec![path] } else { Vec::new() };
    };
    let mut found: Vec<PathBuf> = std::fs::read_dir(path.parent().unwrap())
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(before) && n.ends_with(after)))
        .collect();
    found.sort();
    found
}

/// Plain `cargo deb` packages what a build leaves: every asset `[package.metadata.deb]` lists
/// exists after `cargo build` (this test's build) with no other step, the man pages and
/// completions written by build.rs.
#[test]
fn every_deb_asset_exists_after_a_build() {
    let manifest: toml::Value = toml::from_str(&read("Cargo.toml")).unwrap();
    let assets = manifest["package"]["metadata"]["deb"]["assets"].as_array().unwrap();
    assert!(assets.len() >= 10, "{assets:?}");
    let mut missing = Vec::new();
    for asset in assets {
        let source = asset[0].as_str().unwrap();
        if asset_files(source).is_empty() {
            missing.push(source.to_string());
        }
    }
    assert!(missing.is_empty(), "assets a build does not leave: {missing:?}");
    let pages = asset_files("target/release/generated/man-gz/*.1.gz");
    assert_eq!(pages.len(), ils_doctor::generate::man_pages().unwrap().len(), "{pages:?}");
}

/// What build.rs wrote is what the binary prints: the same man pages (no stale page of a
/// removed subcommand) and the same completion scripts, byte for byte.
#[test]
fn the_build_writes_the_pages_and_completions_the_binary_prints() {
    let generated = profile_dir().join("generated");
    let tmp = tempfile::tempdir().unwrap();
    let out = bin().arg("man").arg(tmp.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let names = |dir: &Path| {
        let mut n: Vec<String> =
            std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        n.sort();
        n
    };
    assert_eq!(names(&generated.join("man")), names(tmp.path()));
    for page in names(tmp.path()) {
        let printed = std::fs::read(tmp.path().join(&page)).unwrap();
        let built = std::fs::read(generated.join("man").join(&page)).unwrap();
        assert!(built == printed, "{page} differs from `ils-doctor man`");
        // The copy the package installs, gzipped as Debian policy asks.
        let gz = std::fs::read(generated.join("man-gz").join(format!("{page}.gz"))).unwrap();
        let mut unzipped = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut unzipped).unwrap();
        assert!(unzipped == printed, "{page}.gz differs from `ils-doctor man`");
    }
    for (shell, file) in [("bash", "ils-doctor.bash"), ("zsh", "_ils-doctor"), ("fish", "ils-doctor.fish")] {
        let printed = bin().args(["completions", shell]).output().unwrap().stdout;
        let built = std::fs::read(generated.join("completions").join(file)).unwrap();
        assert!(built == printed, "{file} differs from `ils-doctor completions {shell}`");
    }
}

#[test]
fn the_examples_parse_and_name_the_credentials_they_use() {
    let text = read("packaging/examples/inventory.toml");
    let inv = ils_doctor::audit::inventory::parse(&text, "inventory.toml").unwrap();
    assert_eq!(inv.cluster_count(), 2);
    let env = read("packaging/examples/credentials.env");
    let defined: Vec<&str> =
        env.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.split_once('=')).map(|(k, _)| k).collect();
    let referenced: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_once("\"env:"))
        .filter_map(|(_, r)| r.split_once('"'))
        .map(|(v, _)| v)
        .collect();
    assert!(!referenced.is_empty());
    for var in referenced {
        assert!(defined.contains(&var), "credentials.env does not define {var}");
    }
    let (cluster, _, spokes) =
        ils_doctor::pipeline::config::cluster(&root().join("packaging/examples/config.toml"), "prod").unwrap();
    assert_eq!(cluster.name, "prod");
    assert_eq!(spokes.len(), 2);
}

fn publish(src: &Path, dir: &Path) -> std::process::Output {
    Command::new("sh")
        .arg(root().join("packaging/publish-textfile"))
        .arg(src)
        .env("ILS_DOCTOR_TEXTFILE_DIR", dir)
        .output()
        .unwrap()
}

/// publish-textfile runs as root over a folder the audit's user writes: a symbolic link planted
/// as the metrics file (to a root-only file, say) is refused and nothing is copied.
#[test]
fn publish_textfile_refuses_a_planted_link() {
    let tmp = tempfile::tempdir().unwrap();
    let secret = tmp.path().join("shadow");
    std::fs::write(&secret, "root:$6$secret-hash\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let state = tmp.path().join("state");
    std::fs::create_dir(&state).unwrap();
    let src = state.join("ils-doctor.prom");
    std::os::unix::fs::symlink(&secret, &src).unwrap();
    let dir = tmp.path().join("textfile");
    std::fs::create_dir(&dir).unwrap();
    let out = publish(&src, &dir);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("symbolic link: refused"));
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "nothing published");
}

#[test]
fn publish_textfile_renames_into_place_keeping_the_audit_time() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("ils-doctor.prom");
    std::fs::write(&src, "ils_doctor_audit_status 0\n").unwrap();
    std::fs::set_permissions(&src, std::fs::Permissions::from_mode(0o600)).unwrap();
    let written = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_261_600);
    std::fs::File::options().write(true).open(&src).unwrap().set_modified(written).unwrap();
    let dir = tmp.path().join("textfile");
    std::fs::create_dir(&dir).unwrap();

    let out = publish(&src, &dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let published = dir.join("ils-doctor.prom");
    assert_eq!(std::fs::read_to_string(&published).unwrap(), "ils_doctor_audit_status 0\n");
    let meta = std::fs::metadata(&published).unwrap();
    // node_textfile_mtime_seconds must say when the audit wrote it, not when it was copied.
    assert_eq!(meta.modified().unwrap(), written);
    // node_exporter runs as another user.
    assert_eq!(meta.permissions().mode() & 0o777, 0o644);
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["ils-doctor.prom"], "a temporary file was left behind");

    // A second run replaces the file.
    std::fs::write(&src, "ils_doctor_audit_status 2\n").unwrap();
    assert!(publish(&src, &dir).status.success());
    assert_eq!(std::fs::read_to_string(&published).unwrap(), "ils_doctor_audit_status 2\n");
}

#[test]
fn publish_textfile_without_node_exporter_or_metrics_says_so_and_succeeds() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("ils-doctor.prom");
    let out = publish(&src, tmp.path());
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no metrics yet"));
    std::fs::write(&src, "x 1\n").unwrap();
    let missing = tmp.path().join("no-node-exporter");
    let out = publish(&src, &missing);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not exist") && err.contains("prometheus-node-exporter"), "{err}");
    assert!(!missing.exists());
}

#[test]
fn version_names_the_version_the_git_revision_and_the_build_date() {
    let out = bin().arg("--version").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let rest = text
        .trim_end()
        .strip_prefix(&format!("ils-doctor {} (", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{text}"));
    let (revision, date) =
        rest.strip_suffix(')').and_then(|r| r.split_once(", built ")).unwrap_or_else(|| panic!("{text}"));
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap_or_else(|e| panic!("{date}: {e}"));
    let head = Command::new("git").args(["rev-parse", "--short=12", "HEAD"]).current_dir(root()).output();
    match head {
        Ok(h) if h.status.success() => assert_eq!(revision, String::from_utf8(h.stdout).unwrap().trim(), "{text}"),
        _ => assert_eq!(revision, "unknown", "{text}"),
    }
}

/// Sources the script `ils-doctor completions bash` prints and asks it to complete `line`.
fn bash_complete(script: &Path, line: &str) -> Vec<String> {
    let program = r#"
source "$1"
fn=$(complete -p ils-doctor | sed -n 's/.*-F \([^ ]*\).*/\1/p')
read -r -a COMP_WORDS <<<"$2"
[[ "$2" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE=$2
COMP_POINT=${#COMP_LINE}
"$fn" ils-doctor "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"#;
    let out = Command::new("bash").args(["-c", program, "bash"]).arg(script).arg(line).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect()
}

#[test]
fn bash_completes_subcommands_and_options_from_the_printed_script() {
    let out = bin().args(["completions", "bash"]).output().unwrap();
    assert!(out.status.success());
    let tmp = tempfile::tempdir().unwrap();
    let script = tmp.path().join("ils-doctor.bash");
    std::fs::write(&script, &out.stdout).unwrap();

    assert_eq!(bash_complete(&script, "ils-doctor au"), ["audit"]);
    assert_eq!(bash_complete(&script, "ils-doctor audit --inv"), ["--inventory"]);
    assert_eq!(bash_complete(&script, "ils-doctor credentials set hq --ki"), ["--kind"]);
    let shells = bash_complete(&script, "ils-doctor completions ");
    for shell in ["bash", "zsh", "fish"] {
        assert!(shells.iter().any(|s| s == shell), "{shells:?}");
    }
    // The fixed sets of values: methods, formats, scenarios (option and positional), kinds.
    assert_eq!(
        bash_complete(&script, "ils-doctor check --method "),
        ["password", "tls", "tls_with_password", "tls_after_password"]
    );
    assert_eq!(bash_complete(&script, "ils-doctor join --method tls_w"), ["tls_with_password"]);
    assert_eq!(bash_complete(&script, "ils-doctor audit --format pro"), ["prometheus"]);
    assert_eq!(bash_complete(&script, "ils-doctor demo --scenario m1-password-m"), ["m1-password-mismatch"]);
    assert!(bash_complete(&script, "ils-doctor demo m1-password-m").contains(&"m1-password-mismatch".to_string()));
    assert_eq!(bash_complete(&script, "ils-doctor credentials set hq --kind i"), ["ils"]);
}

/// zsh and fish get the same fixed sets, each value with its description where the shell shows
/// one.
#[test]
fn zsh_and_fish_scripts_complete_the_fixed_sets() {
    for shell in ["zsh", "fish"] {
        let script = String::from_utf8(bin().args(["completions", shell]).output().unwrap().stdout).unwrap();
        for value in ["tls_with_password", "tls_after_password", "m1-password-mismatch", "prometheus", "junit"] {
            assert!(script.contains(value), "{shell}: {value} missing");
        }
        // The help of a scenario, from its file: what the completion menu shows beside it.
        assert!(script.contains("ILS service stopped on the hub"), "{shell}");
    }
}

/// A shell parses its completion script. A shell this machine lacks makes its test ignored with
/// the reason (build.rs); under `CI=true` it runs and fails (`.ci/run` installs both).
fn shell_accepts_its_script(shell: &str, check: &[&str]) {
    assert!(
        Command::new(shell).arg("--version").output().is_ok(),
        "{shell} is missing (.ci/run installs it; `touch build.rs` after installing it here)"
    );
    let out = bin().args(["completions", shell]).output().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let script = tmp.path().join("script");
    std::fs::write(&script, &out.stdout).unwrap();
    let checked = Command::new(shell).args(check).arg(&script).output().unwrap();
    assert!(checked.status.success(), "{shell}: {}", String::from_utf8_lossy(&checked.stderr));
}

#[test]
#[cfg_attr(missing_zsh, ignore = "zsh is not installed on this machine (CI installs it)")]
fn zsh_accepts_its_script() {
    shell_accepts_its_script("zsh", &["-n"]);
}

#[test]
#[cfg_attr(missing_fish, ignore = "fish is not installed on this machine (CI installs it)")]
fn fish_accepts_its_script() {
    shell_accepts_its_script("fish", &["--no-execute"]);
}

#[test]
fn man_writes_a_page_per_subcommand_into_the_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("man1");
    let out = bin().arg("man").arg(&dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect();
    for page in ["ils-doctor.1", "ils-doctor-audit.1", "ils-doctor-completions.1", "ils-doctor-credentials-set.1"] {
        let path = dir.join(page);
        assert!(listed.contains(&path.display().to_string()), "{page} not listed: {listed:?}");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(".TH "), "{page}");
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), listed.len());
}

/// Each man page as a reader sees it (`man -l`, 80 columns, a UTF-8 locale) shows every example
/// command line of its command as `--help` prints it: in an EXAMPLES section, not reflowed, not
/// hyphenated, each hyphen and quote the character typed (so that it pastes into a shell). A
/// machine without man has this test ignored with the reason (build.rs); under `CI=true` it runs
/// and fails.
#[test]
#[cfg_attr(missing_man, ignore = "man is not installed on this machine (CI installs it)")]
fn man_pages_show_every_example_line_intact() {
    assert!(
        Command::new("man").arg("--version").output().is_ok(),
        "man is missing (.ci/run installs it; `touch build.rs` after installing it here)"
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = bin().arg("man").arg(tmp.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut checked = 0;
    for (page, lines) in ils_doctor::generate::man_examples() {
        let rendered = Command::new("man")
            .arg("-l")
            .arg(tmp.path().join(&page))
            .env("MANWIDTH", "80")
            .env("LC_ALL", "C.UTF-8")
            .env_remove("MAN_KEEP_FORMATTING")
            .env_remove("MANPAGER")
            .env("PAGER", "cat")
            .output()
            .unwrap();
        assert!(rendered.status.success(), "{page}: {}", String::from_utf8_lossy(&rendered.stderr));
        // Bold and underline as overstrike (`c\bc`, `_\bc`), should man keep them: the character.
        let raw = String::from_utf8(rendered.stdout).unwrap();
        let mut text = String::with_capacity(raw.len());
        for c in raw.chars() {
            if c == '\u{8}' {
                text.pop();
            } else {
                text.push(c);
            }
        }
        let shown: Vec<&str> = text.lines().map(str::trim).collect();
        assert_eq!(shown.contains(&"EXAMPLES"), !lines.is_empty(), "{page}:\n{text}");
        assert!(!shown.contains(&"EXTRA"), "{page}: examples under EXTRA:\n{text}");
        for line in &lines {
            assert!(shown.contains(&line.trim()), "{page}: `{line}` is not shown intact:\n{text}");
            checked += 1;
        }
    }
    // Every subcommand has examples; the check saw them all.
    assert!(checked >= 40, "only {checked} example lines");
}

/// The deep unit gives a SIGTERM'd audit time for what a stop needs: a trace-level write under
/// way ends (within the restore limit), then every publisher is restored at once, each within
/// the restore limit, read-back included (`pipeline::session`).
#[test]
fn the_deep_unit_waits_long_enough_for_the_restore() {
    let unit = std::fs::read_to_string(root().join("packaging/systemd/ils-doctor-audit-deep.service")).unwrap();
    let value = unit.lines().find_map(|l| l.strip_prefix("TimeoutStopSec=")).unwrap();
    let minutes: u64 = value.strip_suffix("min").unwrap().parse().unwrap();
    let needed = 2 * ils_doctor::pipeline::session::RESTORE_LIMIT.as_secs() + 30;
    assert!(minutes * 60 >= needed, "TimeoutStopSec={value}, {needed} s needed");
}
