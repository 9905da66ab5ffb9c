//! The ils-doctor binary: parse the command line, run, print, and exit with the
//! monitoring-plugin code (0 ok, 1 warning, 2 critical, 3 unknown or error).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Parser;
use ils_doctor::cli::{
    AnalyzeArgs, AuditArgs, CheckArgs, Cli, CollectArgs, Command, ConnArgs, CredentialsAction, DemoArgs, HistoryArgs,
    OutputArgs, RestoreArgs, SignaturesArgs, TrustArgs,
};
use ils_doctor::collect::trace_level::{self, Journal};
use ils_doctor::commands::live::{self, ConnOptions, HostSpec};
use ils_doctor::commands::{self, analyze::Request, check, demo, render, signals};
use ils_doctor::connect::soap::{HttpsTarget, SoapClient};
use ils_doctor::connect::tls::{fingerprint, TlsMode};
use ils_doctor::credentials;
use ils_doctor::report::Format;

/// Exit code for errors that prevent a verdict.
const UNKNOWN: u8 = 3;

fn main() -> ExitCode {
    // Diagnostics of the libraries (SSH, HTTP, TLS) on stderr with RUST_LOG=debug|trace; off
    // otherwise. Secrets never reach them: passwords are `Secret`s, whose Debug and Display say
    // "<redacted>" (tests/secrets.rs searches these logs for the password).
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("off")).init();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { UNKNOWN } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            say(&format!("ils-doctor: error: {e:#}"));
            ExitCode::from(UNKNOWN)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Analyze(args) => analyze(args),
        Command::Check(args) => check(*args),
        Command::Collect(args) => collect(*args),
        Command::Demo(args) => demo(args),
        Command::Audit(args) => audit(*args),
        Command::History(args) => history(args),
        Command::Restore(args) => restore(args),
        Command::Trust(args) => trust(args),
        Command::Credentials(args) => {
            match args.action {
                CredentialsAction::Set { host, kind } => credentials::set(kind, &host)?,
                CredentialsAction::Delete { host, kind } => credentials::delete(kind, &host)?,
            }
            Ok(0)
        }
        Command::Signatures(args) => signatures(args),
    }
}

fn now() -> String {
    chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

fn analyze(args: AnalyzeArgs) -> anyhow::Result<u8> {
    let request = Request {
        hub: args.hub,
        spoke: args.spoke,
        from: args.from,
        to: args.to,
        signatures: args.signatures,
        method: args.method,
        jobs: args.jobs.map(usize::from),
        inputs: args.inputs,
    };
    let offline = commands::analyze::run_offline(&request).context("analyze: no verdict")?;
    for note in &offline.notes {
        say(&format!("ils-doctor: {note}"));
    }
    if let Some(outcome) = &offline.bundle {
        return output(&args.out, outcome);
    }
    let analysis = offline.analysis;
    let bytes = render::render(
        args.out.format,
        &analysis,
        Vec::new(),
        Vec::new(),
        &analysis,
        args.out.template.as_deref(),
        now(),
    )
    .context("analyze: report")?;
    emit(args.out.output.as_deref(), |out| out.write_all(&bytes))?;
    Ok(analysis.exit_code)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Writes one line to standard error, ignoring a closed pipe: `eprintln!` panics there, and
/// nothing about the output may stop a run before its restore.
/// Publisher text (fault strings, error bodies, file names) reaches it escaped.
fn say(line: &str) {
    let _ = writeln!(io::stderr(), "{}", ils_doctor::report::terminal::clean(line));
}

fn audit(args: AuditArgs) -> anyhow::Result<u8> {
    let conn = conn_options(&args.conn)?;
    let req = commands::audit::request(&args, conn)?;
    let rt = runtime()?;
    let report = rt.block_on(async {
        let rx = signals::arm().context("cannot arm the SIGINT and SIGTERM handlers")?;
        anyhow::Ok(commands::audit::execute(&req, rx).await?)
    })?;
    let mut report = report;
    if !args.no_history {
        let path = args.history.clone().unwrap_or_else(commands::audit::default_history);
        // The verdict stands without the history: say so, do not fail the audit.
        if let Err(e) = commands::audit::remember(&path, &mut report) {
            say(&format!("ils-doctor: warning: history {}: {e:#}", path.display()));
        }
    }
    let bytes = commands::audit::render(args.format, &report)?;
    emit(args.output.as_deref(), |out| out.write_all(&bytes))?;
    if args.summary {
        say(&report.summary);
    }
    Ok(report.exit_code)
}

fn history(args: HistoryArgs) -> anyhow::Result<u8> {
    let path = args.history.clone().unwrap_or_else(commands::audit::default_history);
    let rows = commands::audit::trend(&path, args.cluster.as_deref(), args.since.as_deref())?;
    match args.format {
        Format::Json => emit(None, |out| {
            serde_json::to_writer_pretty(&mut *out, &rows).map_err(io::Error::other)?;
            writeln!(out)
        })?,
        _ => emit(None, |out| commands::audit::write_trend(out, &rows))?,
    }
    Ok(0)
}

fn conn_options(c: &ConnArgs) -> anyhow::Result<ConnOptions> {
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
        command_timeout: live::parse_duration(&c.command_timeout)
            .map_err(anyhow::Error::msg)
            .context("--command-timeout")?,
    })
}

fn spec(s: &str, flag: &str) -> anyhow::Result<HostSpec> {
    s.parse().map_err(anyhow::Error::msg).with_context(|| format!("{flag} {s}"))
}

type Accesses = (ils_doctor::collect::publisher::Access, Vec<ils_doctor::collect::publisher::Access>);

/// The hub's and spokes' access, from --hub/--spoke or --cluster.
fn accesses(
    conn: &ConnArgs,
    cluster: &Option<String>,
    config: &Option<PathBuf>,
    hub: &Option<String>,
    spoke: &[String],
) -> anyhow::Result<Accesses> {
    let mut opts = conn_options(conn)?;
    let (hub_spec, spoke_specs) = match (cluster, hub) {
        (Some(name), _) => {
            let path = config.clone().unwrap_or_else(|| live::default_config_dir().join("config.toml"));
            let (c, hub, spokes) = commands::config::cluster(&path, name)?;
            opts.admin_user = c.admin_user.unwrap_or(opts.admin_user);
            opts.app_user = c.app_user.unwrap_or(opts.app_user);
            (hub, spokes)
        }
        (None, Some(hub)) => {
            (spec(hub, "--hub")?, spoke.iter().map(|s| spec(s, "--spoke")).collect::<anyhow::Result<Vec<_>>>()?)
        }
        (None, None) => bail!("give --hub and --spoke, or --cluster NAME"),
    };
    let hub = opts.access(&hub_spec)?;
    let spokes =
        spoke_specs.iter().map(|s| opts.access(s).map_err(anyhow::Error::from)).collect::<anyhow::Result<Vec<_>>>()?;
    Ok((hub, spokes))
}

fn collect(args: CollectArgs) -> anyhow::Result<u8> {
    let (hub, spokes) = accesses(&args.conn, &args.cluster, &args.config, &args.hub, &args.spoke)?;
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S").to_string();
    let check = check::Request {
        hub,
        spokes,
        capture: live::parse_duration(&args.capture).map_err(anyhow::Error::msg).context("--capture")?,
        since: live::parse_duration(&args.since).map_err(anyhow::Error::msg).context("--since")?,
        keep_trace_level: false,
        detailed_value: args.detailed_value.map(|v| v.to_string()),
        force_registration: args.force_registration,
        method: args.method,
        download_dir: args.download_dir.unwrap_or_else(|| PathBuf::from(format!("ils-doctor-{stamp}"))),
        journal: args.journal.unwrap_or_else(trace_level::default_journal_path),
        progress: true,
        poll: std::time::Duration::from_secs(10),
        catalog: std::sync::Arc::new(commands::analyze::load_catalog(args.signatures.as_ref())?),
    };
    let req = commands::collect::Request {
        check,
        format: args.archive.unwrap_or_else(|| ils_doctor::bundle::ArchiveFormat::for_path(&args.output)),
        output: args.output,
        redact: args.redact,
        command_line: std::env::args().collect(),
    };
    let started = std::time::Instant::now();
    let done = runtime()?
        .block_on(async {
            let sig = signals::arm().context("cannot arm the SIGINT and SIGTERM handlers")?;
            anyhow::Ok(commands::collect::run(&req, signals::wait(sig)).await?)
        })
        .context("collect: no bundle")?;
    let out = OutputArgs { format: args.format, output: None, template: None };
    let code = output(&out, &done.live)?;
    say(&format!(
        "ils-doctor: bundle {} written: {} files, {} bytes, in {:.1} s; the receiver runs `ils-doctor analyze {}`",
        done.bundle.display(),
        done.files,
        done.bytes,
        started.elapsed().as_secs_f64(),
        done.bundle.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    ));
    if let Some(m) = &done.mapping {
        say(&format!("ils-doctor: the pseudonym mapping is in {} (0600): keep it, do not send it", m.display()));
    }
    Ok(code)
}

fn check(args: CheckArgs) -> anyhow::Result<u8> {
    let (hub, spokes) = accesses(&args.conn, &args.cluster, &args.config, &args.hub, &args.spoke)?;
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S").to_string();
    let req = check::Request {
        hub,
        spokes,
        capture: live::parse_duration(&args.capture).map_err(anyhow::Error::msg).context("--capture")?,
        since: live::parse_duration(&args.since).map_err(anyhow::Error::msg).context("--since")?,
        keep_trace_level: args.keep_trace_level,
        detailed_value: args.detailed_value.map(|v| v.to_string()),
        force_registration: args.force_registration,
        method: args.method,
        download_dir: args.download_dir.unwrap_or_else(|| PathBuf::from(format!("ils-doctor-{stamp}"))),
        journal: args.journal.unwrap_or_else(trace_level::default_journal_path),
        progress: true,
        poll: live::parse_duration(&args.poll).map_err(anyhow::Error::msg).context("--poll")?,
        catalog: std::sync::Arc::new(commands::analyze::load_catalog(args.signatures.as_ref())?),
    };
    let outcome = runtime()?
        .block_on(async {
            let sig = signals::arm().context("cannot arm the SIGINT and SIGTERM handlers")?;
            anyhow::Ok(check::run(&req, signals::wait(sig)).await?)
        })
        .context("check: no verdict")?;
    output(&args.out, &outcome)
}

fn output(out: &OutputArgs, outcome: &check::Outcome) -> anyhow::Result<u8> {
    let (sides, findings) = render::check_parts(outcome);
    let bytes = render::render(out.format, &outcome.analysis, sides, findings, outcome, out.template.as_deref(), now())
        .context("report")?;
    emit(out.output.as_deref(), |w| w.write_all(&bytes))?;
    Ok(outcome.analysis.exit_code)
}

fn demo(args: DemoArgs) -> anyhow::Result<u8> {
    if args.list {
        for (name, description) in demo::scenarios() {
            println!("{name:<28} {description}");
        }
        return Ok(0);
    }
    let work =
        tempfile::Builder::new().prefix("ils-doctor-demo-").tempdir().context("demo: cannot create a work folder")?;
    eprintln!(
        "ils-doctor demo: scenario {} on mock publishers (loopback); work folder {}",
        args.scenario,
        work.path().display()
    );
    let outcome = runtime()?
        .block_on(async {
            let sig = signals::arm().context("cannot arm the SIGINT and SIGTERM handlers")?;
            anyhow::Ok(demo::run(&args.scenario, work.path(), true, signals::wait(sig)).await?)
        })
        .context("demo")?;
    let code = output(&args.out, &outcome)?;
    if args.out.format == Format::Text {
        eprintln!("\n(exit code {code}: 0 ok, 1 warning, 2 critical, 3 unknown; `ils-doctor demo --list` shows other scenarios)");
    }
    Ok(code)
}

/// Puts back every level no live run holds, from the journal. Needs only what restoring uses:
/// the application user (AXL) and the HTTPS trust, never the SSH password. A signal lets the
/// entry being written finish, then stops (the rest stays in the journal).
fn restore(args: RestoreArgs) -> anyhow::Result<u8> {
    let opts = conn_options(&args.conn)?;
    let path = args.journal.unwrap_or_else(trace_level::default_journal_path);
    let journal = Journal::load(&path)?;
    if journal.entries.is_empty() {
        let _ = writeln!(io::stdout(), "nothing to restore: the journal {} is empty", path.display());
        return Ok(0);
    }
    let rt = runtime()?;
    rt.block_on(async {
        let sig = signals::arm().context("cannot arm the SIGINT and SIGTERM handlers")?;
        let mut failed = 0;
        for (key, entry) in journal.entries {
            if *sig.borrow() {
                // Between two entries: the one being written was finished.
                let left = Journal::load(&path).map(|j| j.entries.len()).unwrap_or_default();
                say(&format!(
                    "ils-doctor: interrupted: {left} entr(ies) left in {} for the next `ils-doctor restore`",
                    path.display()
                ));
                failed += 1;
                break;
            }
            if entry.held_by_live_run() {
                say(&format!(
                    "ils-doctor: {key}: held by a running ils-doctor (pid {}), which restores it itself; not touched",
                    entry.owner.as_ref().map_or(0, |o| o.pid)
                ));
                continue;
            }
            let (user, password, tls) = opts.app_access(&entry.host, entry.https_port)?;
            let client = SoapClient::new(&HttpsTarget {
                host: entry.host.clone(),
                port: entry.https_port,
                user,
                password,
                tls,
                connect_timeout: std::time::Duration::from_secs(10),
                request_timeout: opts.command_timeout,
            })?;
            let put_back = trace_level::restore_with(
                &client,
                &entry.host,
                entry.https_port,
                &path,
                trace_level::Whose::Leftover,
            );
            match tokio::time::timeout(check::RESTORE_LIMIT, put_back).await {
                Ok(Ok(Some(orig))) => {
                    let _ = writeln!(io::stdout(), "{key}: ILS trace level restored to {}", orig.trace_level);
                }
                Ok(Ok(None)) => {}
                Ok(Err(e)) => {
                    failed += 1;
                    say(&format!("ils-doctor: error: {key}: {e}"));
                }
                Err(_) => {
                    failed += 1;
                    say(&format!(
                        "ils-doctor: error: {key}: no answer within {} s; the journal keeps the entry, run `ils-doctor restore` again",
                        check::RESTORE_LIMIT.as_secs()
                    ));
                }
            }
        }
        anyhow::Ok(if failed == 0 { 0 } else { UNKNOWN })
    })
}

fn trust(args: TrustArgs) -> anyhow::Result<u8> {
    let (host, port) = match args.host.rsplit_once(':') {
        Some((h, p)) if p.parse::<u16>().is_ok() && !h.contains(':') => {
            (h.to_string(), p.parse::<u16>().unwrap_or(8443))
        }
        _ => (args.host.clone(), 8443),
    };
    let client = SoapClient::new(&HttpsTarget {
        host: host.clone(),
        port,
        user: String::new(),
        password: ils_doctor::secret::Secret::new(""),
        tls: TlsMode::Insecure,
        connect_timeout: std::time::Duration::from_secs(10),
        request_timeout: std::time::Duration::from_secs(20),
    })?;
    let _ = runtime()?.block_on(client.probe());
    let Some(der) = client.presented_certificate.lock().ok().and_then(|c| c.clone()) else {
        bail!("trust {host}:{port}: no certificate received; check the address and port");
    };
    let fp = fingerprint(&der);
    println!("{host}:{port} presents a certificate with SHA-256 fingerprint\n  {fp}");
    println!("Compare it with Cisco Unified OS Administration > Security > Certificate Management > tomcat on that publisher.");
    if !args.yes {
        if !io::IsTerminal::is_terminal(&io::stdin()) {
            bail!("trust {host}: not pinned; run again with --yes once you have compared the fingerprint");
        }
        print!("Pin it? [y/N] ");
        io::stdout().flush()?;
        let mut answer = String::new();
        io::stdin().read_line(&mut answer)?;
        if !answer.trim().eq_ignore_ascii_case("y") {
            println!("not pinned");
            return Ok(UNKNOWN);
        }
    }
    let pins = live::default_config_dir().join("pins");
    live::record_pin(&pins, &host, port, &fp).with_context(|| format!("cannot write {}", pins.display()))?;
    println!("pinned in {}", pins.display());
    Ok(0)
}

fn signatures(args: SignaturesArgs) -> anyhow::Result<u8> {
    let catalog = commands::analyze::load_catalog(args.signatures.as_ref())?;
    emit(None, |out| commands::signatures::write(out, &catalog, args.format == Format::Json))?;
    Ok(0)
}

/// Writes a report to standard output (colour per terminal and NO_COLOR), or to a file through a
/// temporary name so that a failed run never leaves a half report under the final name.
fn emit(path: Option<&Path>, render: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> anyhow::Result<()> {
    let Some(path) = path else {
        let mut out = anstream::stdout().lock();
        return match render(&mut out).and_then(|()| out.flush()) {
            // A closed pipe (`| head`) is the reader's choice, not an error.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            r => r.context("cannot write to standard output"),
        };
    };
    // A device or a pipe (`-o /dev/null`, `-o /dev/stdout`, a FIFO) is written in place:
    // renaming a temporary file over it would replace the device with a regular file (as root,
    // `/dev/null` itself).
    if fs::metadata(path).is_ok_and(|m| !m.file_type().is_file() && !m.is_dir()) {
        let mut rendered = Vec::new();
        let written = render(&mut rendered).and_then(|()| {
            let plain = anstream::adapter::strip_bytes(&rendered).into_vec();
            let mut out = fs::OpenOptions::new().write(true).open(path)?;
            out.write_all(&plain)?;
            out.flush()
        });
        return match written {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            r => r.with_context(|| format!("cannot write the report to {}", path.display())),
        };
    }
    let tmp = path.with_extension("ils-doctor-tmp");
    let write = || -> io::Result<()> {
        let mut rendered = Vec::new();
        render(&mut rendered)?;
        // A file never gets terminal colours.
        let plain = anstream::adapter::strip_bytes(&rendered).into_vec();
        let mut file = fs::File::create(&tmp)?;
        file.write_all(&plain)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    };
    write()
        .inspect_err(|_| {
            let _ = fs::remove_file(&tmp);
        })
        .with_context(|| {
            format!("cannot write the report to {}: check the folder exists and is writable", path.display())
        })
}
