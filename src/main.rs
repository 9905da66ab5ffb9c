//! The ils-doctor binary: parse the command line, run, print, and exit with the
//! monitoring-plugin code (0 ok, 1 warning, 2 critical, 3 unknown or error).

use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use ils_doctor::cli::{AnalyzeArgs, Cli, Command, SignaturesArgs};
use ils_doctor::commands::{self, analyze::Request};
use ils_doctor::report::model::Report;
use ils_doctor::report::template::{self, Kind};
use ils_doctor::report::{self, Format};

/// Exit code for errors that prevent a verdict.
const UNKNOWN: u8 = 3;

fn main() -> ExitCode {
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
            eprintln!("ils-doctor: error: {e:#}");
            ExitCode::from(UNKNOWN)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Analyze(args) => analyze(args),
        Command::Signatures(args) => signatures(args),
    }
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
    };
    let analysis = commands::analyze::run(&request).context("analyze: no verdict")?;
    let rendered = match args.format {
        Format::Markdown | Format::Html => {
            let kind = if args.format == Format::Html { Kind::Html } else { Kind::Markdown };
            let report =
                Report::new(&analysis, chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false));
            Some(template::render(kind, &report, args.template.as_deref()).context("analyze: report")?)
        }
        _ => None,
    };
    emit(args.output.as_deref(), |out| match (&rendered, args.format) {
        (Some(text), _) => out.write_all(text.as_bytes()),
        (None, Format::Json) => report::json::write(out, &analysis),
        (None, _) => report::terminal::write(out, &analysis),
    })?;
    Ok(analysis.exit_code)
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
