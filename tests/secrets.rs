//! Secrets hygiene: every command runs with a known password, from the environment and
//! from the OS keyring, with `RUST_LOG=trace`; every byte it produced is searched for the
//! password (and for the HTTP Basic credentials that carry it): stdout, stderr (the trace logs),
//! reports, history database, downloaded traces, journal, pins, known_hosts; and the process's
//! command line as any user sees it. None may contain it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use ils_doctor::connect::tls::TlsMode;
use ils_doctor::pipeline::mock_pair::access_for;

/// Distinctive, so a hit is never a coincidence.
const PASSWORD: &str = "Zq7-SECRET-pw-4d1f";

struct Artifacts {
    outputs: Vec<(String, Vec<u8>)>,
    searched_files: usize,
}

fn needles(user: &str) -> Vec<Vec<u8>> {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{PASSWORD}"));
    vec![PASSWORD.as_bytes().to_vec(), basic.into_bytes()]
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Runs the binary; while it runs, reads its command line from /proc as another user could.
fn run(cmd: &mut Command, label: &str, arts: &mut Artifacts) -> Output {
    cmd.env("RUST_LOG", "trace").env("NO_COLOR", "1").stdin(Stdio::null());
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    #[cfg(target_os = "linux")]
    {
        if let Ok(argv) = std::fs::read(format!("/proc/{pid}/cmdline")) {
            arts.outputs.push((format!("{label}: /proc/{pid}/cmdline"), argv));
        }
        // The environment carries the password when it is the source; only the process's own
        // user (and root) can read it.
        if let Ok(meta) = std::fs::metadata(format!("/proc/{pid}/environ")) {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(meta.permissions().mode() & 0o077, 0, "{label}: /proc/PID/environ is private");
        }
    }
    let out = child.wait_with_output().unwrap();
    arts.outputs.push((format!("{label}: stdout"), out.stdout.clone()));
    arts.outputs.push((format!("{label}: stderr (RUST_LOG=trace)"), out.stderr.clone()));
    out
}

#[test]
fn no_command_leaks_the_password() {
    std::env::set_var("MOCK_HUB_PASSWORD", PASSWORD);
    std::env::set_var("MOCK_SPOKE_PASSWORD", PASSWORD);
    let dir = tempfile::tempdir().unwrap();
    let scenario = mock_server::bundled::load("m2-hub-cert-not-on-spoke").unwrap().unwrap();
    let mock = mock_server::start(scenario).unwrap();
    let kh = dir.path().join("known_hosts");
    let hub = access_for(mock.publisher("hub").unwrap(), &kh).unwrap();
    let spoke = access_for(mock.publisher("spoke").unwrap(), &kh).unwrap();
    assert_eq!(hub.admin_password.expose(), PASSWORD, "the mock uses the test's password");
    let pin = |a: &ils_doctor::collect::publisher::Access| match &a.tls {
        TlsMode::Pin(p) => format!("{}:{}={p}", a.host, a.https_port),
        _ => unreachable!(),
    };
    let spec = |a: &ils_doctor::collect::publisher::Access| format!("{}:{}:{}", a.host, a.ssh_port, a.https_port);
    let bin = env!("CARGO_BIN_EXE_ils-doctor");
    let mut arts = Artifacts { outputs: Vec::new(), searched_files: 0 };
    let check = |format: &str, out: &str| {
        let mut c = Command::new(bin);
        c.args(["check", "--hub", &spec(&hub), "--spoke", &spec(&spoke), "--capture", "30s", "--force-registration"])
            .args(["--admin-user", &hub.admin_user, "--app-user", &hub.app_user])
            .args(["--pin", &pin(&hub), "--pin", &pin(&spoke), "--format", format, "-o"])
            .arg(dir.path().join(out))
            .arg("--known-hosts")
            .arg(&kh)
            .arg("--journal")
            .arg(dir.path().join("journal.json"))
            .arg("--download-dir")
            .arg(dir.path().join("traces"))
            .env("XDG_CONFIG_HOME", dir.path().join("config"));
        c
    };

    // check, from the environment, every report format.
    for (format, out) in
        [("json", "check.json"), ("html", "check.html"), ("markdown", "check.md"), ("text", "check.txt")]
    {
        let o = run(
            check(format, out).env("ILS_DOCTOR_ADMIN_PASSWORD", PASSWORD).env("ILS_DOCTOR_APP_PASSWORD", PASSWORD),
            &format!("check --format {format}"),
            &mut arts,
        );
        assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    }

    // check with a wrong password in the environment: the error must not echo either password.
    let o = run(
        check("json", "wrong.json")
            .env("ILS_DOCTOR_ADMIN_PASSWORD", format!("{PASSWORD}-wrong"))
            .env("ILS_DOCTOR_APP_PASSWORD", format!("{PASSWORD}-wrong")),
        "check with a wrong password",
        &mut arts,
    );
    assert_eq!(o.status.code(), Some(3));

    // check from the OS keyring, where the machine has one (the kernel keyring on Linux).
    let entries = [format!("admin@{}", hub.host), format!("app@{}", hub.host)];
    let stored: Result<Vec<()>, keyring::Error> =
        entries.iter().map(|e| keyring::Entry::new("ils-doctor", e).and_then(|k| k.set_password(PASSWORD))).collect();
    let keyring_ok = match stored {
        Ok(_) => true,
        Err(e) => {
            eprintln!("no usable OS keyring here ({e}): the keyring source is not exercised");
            false
        }
    };
    if keyring_ok {
        let o = run(&mut check("json", "keyring.json"), "check with the keyring", &mut arts);
        assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
        for e in &entries {
            let _ = keyring::Entry::new("ils-doctor", e).and_then(|k| k.delete_credential());
        }
    }

    // audit (light) with history, every machine format; credentials by reference.
    let inv = dir.path().join("net.toml");
    let cluster = |name: &str, role: &str, a: &ils_doctor::collect::publisher::Access, hub_line: &str| {
        let TlsMode::Pin(p) = &a.tls else { unreachable!() };
        format!(
            "[[network.cluster]]\nname = \"{name}\"\nrole = \"{role}\"\nhost = \"{}\"\nssh_port = {}\nhttps_port = {}\nadmin_user = \"{}\"\napp_user = \"{}\"\nadmin_credential = \"env:SECRET_TEST_PW\"\napp_credential = \"env:SECRET_TEST_PW\"\ntls_pin = \"{p}\"\n{hub_line}\n",
            a.host, a.ssh_port, a.https_port, a.admin_user, a.app_user
        )
    };
    std::fs::write(
        &inv,
        format!(
            "[[network]]\nname = \"n\"\n\n{}{}",
            cluster("hub", "hub", &hub, ""),
            cluster("spoke", "spoke", &spoke, "hub = \"hub\"")
        ),
    )
    .unwrap();
    for format in ["json", "prometheus", "junit", "text"] {
        let mut c = Command::new(bin);
        c.args(["audit", "--inventory"])
            .arg(&inv)
            .args(["--format", format, "-o"])
            .arg(dir.path().join(format!("audit.{format}")))
            .arg("--history")
            .arg(dir.path().join("history.sqlite"))
            .arg("--cache-dir")
            .arg(dir.path().join("cache"))
            .arg("--known-hosts")
            .arg(&kh)
            .env("SECRET_TEST_PW", PASSWORD);
        let o = run(&mut c, &format!("audit --format {format}"), &mut arts);
        assert!(matches!(o.status.code(), Some(0..=3)), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let mut c = Command::new(bin);
    c.args(["history", "--history"]).arg(dir.path().join("history.sqlite"));
    run(&mut c, "history", &mut arts);

    // restore (nothing left to restore) and demo.
    let mut c = Command::new(bin);
    c.args(["restore", "--journal"])
        .arg(dir.path().join("journal.json"))
        .env("ILS_DOCTOR_ADMIN_PASSWORD", PASSWORD)
        .env("ILS_DOCTOR_APP_PASSWORD", PASSWORD);
    run(&mut c, "restore", &mut arts);

    // analyze of what check downloaded.
    let mut c = Command::new(bin);
    c.args(["analyze", "--hub"]).arg(dir.path().join("traces")).args(["--format", "json"]);
    run(&mut c, "analyze", &mut arts);

    // Every file every command wrote.
    let mut files = Vec::new();
    files_under(dir.path(), &mut files);
    for f in &files {
        arts.outputs.push((f.display().to_string(), std::fs::read(f).unwrap_or_default()));
        arts.searched_files += 1;
    }
    let needles = needles(&hub.app_user);
    let hits: Vec<&str> = arts
        .outputs
        .iter()
        .filter(|(_, bytes)| needles.iter().any(|n| contains(bytes, n)))
        .map(|(label, _)| label.as_str())
        .collect();
    let bytes: usize = arts.outputs.iter().map(|(_, b)| b.len()).sum();
    eprintln!(
        "secrets: searched {} artifacts ({} files, {bytes} bytes) for the password and its Basic credentials: {} hit(s)",
        arts.outputs.len(),
        arts.searched_files,
        hits.len()
    );
    assert!(hits.is_empty(), "the password leaked into: {hits:?}");
    assert!(arts.searched_files >= 10, "the commands wrote what they should: {files:?}");
    drop(mock);
}
