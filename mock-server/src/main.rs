//! `mock-server --scenario FILE`: starts every publisher of a scenario and prints how to reach it.
//! `mock-server --scenario FILE --simulate DIR`: writes the simulated SDL files of the scenario's
//! default window (all clusters at trace level Detailed) to `DIR/<cluster>/` and exits.
//! `--fault KEY=VALUE` (repeatable) sets a `[faults]` entry for this run, in TOML syntax, e.g.
//! `--fault throttle_every_nth=3 --fault 'hang_command="utils dbreplication"'`.
//! `--ssh-profile NAME` sets every publisher's SSH algorithm offer (docs/cucm-notes.md#ssh-algorithms).
//! `mock-server --replay DIR [--timing]`: serves ils-doctor's recorded transcripts (`--record DIR`,
//! docs/transcript.md) instead of a scenario, one publisher per transcript.

use std::path::PathBuf;
use std::process::ExitCode;

use mock_server::scenario::{SshProfile, TraceLevel};
use mock_server::{simulate, start_with, Options, Scenario, Window};

const USAGE: &str = "usage: mock-server --scenario FILE [--state-dir DIR] [--fault KEY=VALUE]... [--ssh-profile modern|legacy|restricted|legacy-weak] [--simulate OUT_DIR]\n       mock-server --replay DIR [--timing] [--state-dir DIR]";

fn main() -> ExitCode {
    let mut scenario = None;
    let mut state_dir = None;
    let mut simulate_dir = None;
    let mut faults = Vec::new();
    let mut ssh_profile = None;
    let mut replay = None;
    let mut timing = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--scenario" => scenario = args.next().map(PathBuf::from),
            "--state-dir" => state_dir = args.next().map(PathBuf::from),
            "--simulate" => simulate_dir = args.next().map(PathBuf::from),
            "--replay" => replay = args.next().map(PathBuf::from),
            "--timing" => timing = true,
            "--fault" => faults.extend(args.next()),
            "--ssh-profile" => match args.next().as_deref().and_then(SshProfile::parse) {
                Some(p) => ssh_profile = Some(p),
                None => {
                    eprintln!("mock-server: --ssh-profile takes modern, legacy, restricted or legacy-weak\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("mock-server: unknown argument {other:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(dir) = replay {
        return serve_replay(&dir, timing, state_dir);
    }
    let Some(path) = scenario else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let mut s = match Scenario::load(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mock-server: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(p) = ssh_profile {
        for c in &mut s.clusters {
            c.access.ssh_profile = p;
        }
    }
    if !faults.is_empty() {
        // Merge the scenario's faults with the command line's, the latter winning.
        let mut table: toml::Table =
            toml::to_string(&s.faults).ok().and_then(|t| toml::from_str(&t).ok()).unwrap_or_default();
        for f in &faults {
            match toml::from_str::<toml::Table>(f) {
                Ok(t) => table.extend(t),
                Err(e) => {
                    eprintln!("mock-server: --fault {f:?}: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        match toml::Value::Table(table).try_into() {
            Ok(f) => s.faults = f,
            Err(e) => {
                eprintln!("mock-server: --fault: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(out) = simulate_dir {
        let s = s.with_trace_level(TraceLevel::Detailed);
        let sim = simulate(&s, Window::of(&s));
        match sim.write_flat(&out) {
            Ok(paths) => println!("{} files under {}", paths.len(), out.display()),
            Err(e) => {
                eprintln!("mock-server: {}: {e}", out.display());
                return ExitCode::FAILURE;
            }
        }
        for a in &sim.attempts {
            println!("{} {} -> {}: {:?}", a.time.format("%H:%M:%S"), a.spoke, a.hub, a.outcome);
        }
        return ExitCode::SUCCESS;
    }
    let running = match start_with(s.clone(), Options { state_dir, ..Options::default() }) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mock-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("scenario {}: {}", s.name, s.description);
    for p in running.publishers() {
        let pw = match &p.password_env {
            Some(v) => format!("${v} (default from the scenario: {})", p.password),
            None => p.password.clone(),
        };
        println!(
            "{name}: {fqdn}\n  ssh   {ssh}  (ssh -p {port} {admin}@127.0.0.1)\n  https https://{https}/axl/  user {app}\n  password {pw}",
            name = p.name,
            fqdn = p.fqdn,
            ssh = p.ssh,
            port = p.ssh.port(),
            admin = p.admin_user,
            https = p.https,
            app = p.app_user,
        );
    }
    println!("Ctrl-C stops the mock.");
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mock-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    let _ = rt.block_on(tokio::signal::ctrl_c());
    drop(running);
    ExitCode::SUCCESS
}

/// `--replay DIR`: serves the record until Ctrl-C, then lists the requests it had no record of.
fn serve_replay(dir: &std::path::Path, timing: bool, state_dir: Option<PathBuf>) -> ExitCode {
    let opts = mock_server::replay::ReplayOptions { timing, state_dir };
    let running = match mock_server::replay::start_replay(dir, opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mock-server: {e}");
            return ExitCode::from(2);
        }
    };
    for p in running.publishers() {
        println!(
            "{name} (recorded as {rec}, {role}):\n  ssh   {ssh}  (any user and password)\n  https https://{https}/  (self-signed; pin it with `ils-doctor trust 127.0.0.1 --https-port {port}`)\n  host key {key}",
            name = p.info.name,
            rec = p.recorded_as,
            role = p.role.as_deref().unwrap_or("role unknown"),
            ssh = p.info.ssh,
            https = p.info.https,
            port = p.info.https.port(),
            key = p.info.host_key,
        );
    }
    println!("Ctrl-C stops the replay.");
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        return ExitCode::FAILURE;
    };
    let _ = rt.block_on(tokio::signal::ctrl_c());
    let missed = running.unmatched();
    drop(running);
    for m in &missed {
        eprintln!("unmatched: {m}");
    }
    if missed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
