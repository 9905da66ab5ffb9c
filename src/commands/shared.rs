//! What the commands share: the connection options from the command line, the async runtime,
//! and printing a session's report.

use std::path::PathBuf;

use anyhow::{bail, Context};

use crate::cli::{ConnArgs, OutputArgs};
use crate::collect::publisher::Access;
use crate::connect::record::Recording;
use crate::exit::say;
use crate::pipeline::live::{self, ConnOptions, HostSpec};
use crate::pipeline::{config, output, render, session};

/// The time a report says it was made.
pub fn now() -> String {
    chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// The async runtime of a command that talks to publishers: two workers are plenty, the work
/// waits on the network. The blocking pool (file writes of downloads, name lookups, scans) is
/// capped well below tokio's 512: an audit of a thousand clusters writing at once otherwise
/// starts hundreds of threads, each with its own stack and allocator cache, for work that takes
/// microseconds (docs/benchmarks.md, "A thousand clusters").
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(8)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// How to reach and trust publishers, from the shared connection arguments.
pub fn conn_options(c: &ConnArgs, redact: bool) -> anyhow::Result<ConnOptions> {
    if c.insecure {
        say("ils-doctor: warning: --insecure: HTTPS certificates are not verified; anyone on the path can read the passwords");
    }
    Ok(ConnOptions {
        ssh_port: c.ssh_port,
        https_port: c.https_port,
        admin_user: c.admin_user.clone(),
        app_user: c.app_user.clone(),
        ca_file: c.ca_file.clone(),
        pins: c.pin.clone(),
        pins_file: live::default_config_dir().join("pins"),
        insecure: c.insecure,
        known_hosts: c.known_hosts.clone().unwrap_or_else(live::default_known_hosts),
        accept_new_host_key: c.accept_new_host_key,
        legacy_ssh: c.legacy_ssh,
        command_timeout: duration(&c.command_timeout, "--command-timeout")?,
        record: match &c.record {
            Some(d) => {
                crate::connect::record::check_target(d)?;
                Some(Recording::new(d, redact, c.record_synthetic))
            }
            None => None,
        },
    })
}

/// A value of the command line that clap accepted as text but that does not mean anything: a
/// duration, a host spec. Its flag is named, with what is wrong (the value is in the reason).
#[derive(Debug, thiserror::Error)]
#[error("{flag}: {reason}")]
pub struct ArgError {
    pub flag: String,
    pub reason: String,
}

/// A duration option (`90s`, `5m`, `2h`), its flag named when it is wrong.
pub fn duration(value: &str, flag: &str) -> Result<std::time::Duration, ArgError> {
    live::parse_duration(value).map_err(|reason| ArgError { flag: flag.to_string(), reason })
}

/// A publisher given on the command line (`HOST[:SSH_PORT[:HTTPS_PORT]]`), its flag named when
/// it is wrong.
pub fn spec(s: &str, flag: &str) -> Result<HostSpec, ArgError> {
    s.parse().map_err(|reason| ArgError { flag: flag.to_string(), reason })
}

/// The publishers of a run, and the authentication method its configuration names.
pub struct Targets {
    /// One hub, or several meshed hubs.
    pub hubs: Vec<Access>,
    pub spokes: Vec<Access>,
    /// `method` of the config file's cluster, when it has one.
    pub method: Option<crate::analyze::Method>,
    /// `--record DIR`.
    pub record: Option<Recording>,
}

/// The hubs' and spokes' access, from --hub/--spoke or --cluster: at least one spoke, or two
/// hubs (a hub-to-hub link).
pub fn accesses(
    conn: &ConnArgs,
    redact: bool,
    cluster: &Option<String>,
    config_file: &Option<PathBuf>,
    hub: &[String],
    spoke: &[String],
) -> anyhow::Result<Targets> {
    let mut opts = conn_options(conn, redact)?;
    let (hub_specs, spoke_specs, method) = match (cluster, hub) {
        (Some(name), _) => {
            let path = config_file.clone().unwrap_or_else(|| live::default_config_dir().join("config.toml"));
            let (c, hubs, spokes) = config::cluster(&path, name)?;
            opts.admin_user = c.admin_user.unwrap_or(opts.admin_user);
            opts.app_user = c.app_user.unwrap_or(opts.app_user);
            (hubs, spokes, c.method)
        }
        (None, []) => bail!("give --hub and --spoke (or --hub twice for meshed hubs), or --cluster NAME"),
        (None, hubs) => (
            hubs.iter().map(|h| spec(h, "--hub")).collect::<Result<Vec<_>, _>>()?,
            spoke.iter().map(|s| spec(s, "--spoke")).collect::<Result<Vec<_>, _>>()?,
            None,
        ),
    };
    if spoke_specs.is_empty() && hub_specs.len() < 2 {
        bail!("nothing to check: give at least one --spoke, or --hub twice to check the link between two meshed hubs");
    }
    let access = |s: &HostSpec| opts.access(s).map_err(anyhow::Error::from);
    let hubs = hub_specs.iter().map(access).collect::<anyhow::Result<Vec<_>>>()?;
    let spokes = spoke_specs.iter().map(access).collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Targets { hubs, spokes, method, record: opts.record.clone() })
}

/// The download folder of a run: `./ils-doctor-<time>` unless given.
pub fn download_dir(given: Option<PathBuf>) -> PathBuf {
    given.unwrap_or_else(|| PathBuf::from(format!("ils-doctor-{}", chrono::Local::now().format("%Y%m%d-%H%M%S"))))
}

/// Prints a session's report in the chosen format; the result is the verdict's exit code.
pub fn report(out: &OutputArgs, outcome: &session::Outcome) -> anyhow::Result<u8> {
    let bytes = render::render(
        out.format,
        &outcome.analysis,
        render::check_parts(outcome),
        outcome,
        out.template.as_deref(),
        now(),
        out.verbose,
    )
    .context("report")?;
    output::emit(out.output.as_deref(), |w| w.write_all(&bytes))?;
    Ok(outcome.analysis.exit_code)
}

/// Asks `question` on the terminal before a change; Ok only when the answer is `yes`. Without a
/// terminal nothing is asked: `what` names the command, whose `--yes` skips the question.
pub fn confirm(question: &str, what: &str) -> anyhow::Result<()> {
    use std::io::{IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        bail!("{what} asks before changing anything, and standard input is not a terminal: give --yes to go on without asking");
    }
    let mut err = std::io::stderr();
    let _ = write!(err, "{question} Type yes to go on: ");
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).context("reading the answer")?;
    if answer.trim() != "yes" {
        bail!("{what}: the answer was not yes; nothing was changed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};

    #[test]
    fn legacy_ssh_is_off_unless_asked_and_reaches_the_connection_options() {
        let parse = |extra: &[&str]| {
            let args = [&["ils-doctor", "check", "--hub", "h", "--spoke", "s"][..], extra].concat();
            let Command::Check(c) = Cli::try_parse_from(args).unwrap().command else { panic!("not check") };
            super::conn_options(&c.conn, false).unwrap().legacy_ssh
        };
        assert!(!parse(&[]));
        assert!(parse(&["--legacy-ssh"]));
    }
}
