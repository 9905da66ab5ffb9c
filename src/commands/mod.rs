//! The subcommands, each a short file: its arguments into one pipeline call, the result
//! rendered. No command calls another; what they share is in [`shared`] and below, in
//! `crate::pipeline`.

pub mod analyze;
pub mod audit;
pub mod check;
pub mod collect;
pub mod credentials;
pub mod demo;
pub mod error_doc;
pub mod failure;
pub mod history;
pub mod join;
pub mod restore;
pub mod shared;
pub mod signatures;
pub mod transcript;
pub mod trust;
pub mod undo;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use clap::ValueEnum;

use crate::cli::{Cli, Command, TranscriptAction};
use crate::exit::say;
use error_doc::Sink;
use failure::Failure;

/// Runs the subcommand the command line names; the result is its exit code. A run that ends in
/// an error, a panic included, still writes a document in a machine-readable format (status
/// unknown, the error's host and operation; `error_doc`): the restores happen inside the
/// command, before it returns, so the document never comes before them.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    let started = chrono::Utc::now();
    let (name, sink) = describe(&cli.command);
    let result = match catch_unwind(AssertUnwindSafe(|| dispatch(cli))) {
        Ok(r) => r.map_err(|e| (Failure::of(name, &e), e)),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let e = anyhow::anyhow!("internal error (a bug in ils-doctor, please report it): {what}");
            Err((Failure::new(name, &format!("{e:#}"), failure::INTERNAL), e))
        }
    };
    result.map_err(|(f, e)| {
        if let Some(sink) = sink {
            if let Err(w) = sink.write(&f, started) {
                say(&format!("ils-doctor: error: the error document: {w}"));
            }
        }
        e
    })
}

fn dispatch(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Analyze(args) => analyze::run(args),
        Command::Check(args) => check::run(*args),
        Command::Collect(args) => collect::run(*args),
        Command::Demo(args) => demo::run(args),
        Command::Audit(args) => audit::run(*args),
        Command::History(args) => history::run(args),
        Command::Join(args) => join::run(*args),
        Command::Undo(args) => undo::run(args),
        Command::Restore(args) => restore::run(args),
        Command::Trust(args) => trust::run(args),
        Command::Credentials(args) => credentials::run(args),
        Command::Signatures(args) => signatures::run(args),
        Command::Transcript(args) => transcript::run(args),
        Command::Completions(args) => crate::generate::print_completions(args.shell),
        Command::Man(args) => crate::generate::write_man_pages(&args.dir),
    }
}

/// The subcommand's name and, for a machine-readable format, where its error document goes.
fn describe(c: &Command) -> (&'static str, Option<Sink>) {
    fn name<T: ValueEnum>(v: &T) -> String {
        v.to_possible_value().map(|p| p.get_name().to_string()).unwrap_or_default()
    }
    let (command, format, output): (&'static str, String, Option<PathBuf>) = match c {
        Command::Analyze(a) => ("analyze", name(&a.out.format), a.out.output.clone()),
        Command::Check(a) => ("check", name(&a.out.format), a.out.output.clone()),
        Command::Demo(a) => ("demo", name(&a.out.format), a.out.output.clone()),
        Command::Collect(a) => ("collect", name(&a.format), None),
        Command::Audit(a) => ("audit", name(&a.format), a.output.clone()),
        Command::History(a) => ("history", name(&a.format), a.output.clone()),
        Command::Join(a) => ("join", name(&a.format), a.output.clone()),
        Command::Signatures(a) => ("signatures", name(&a.format), None),
        Command::Transcript(a) => match &a.action {
            TranscriptAction::Summarize(s) => ("transcript summarize", name(&s.format), None),
        },
        Command::Undo(_) => ("undo", String::new(), None),
        Command::Restore(_) => ("restore", String::new(), None),
        Command::Trust(_) => ("trust", String::new(), None),
        Command::Credentials(_) => ("credentials", String::new(), None),
        Command::Completions(_) => ("completions", String::new(), None),
        Command::Man(_) => ("man", String::new(), None),
    };
    (command, Sink::of(command, &format, output))
}

/// A command line clap refused (not `--help` or `--version`): when what it could read of it
/// asks for a machine-readable format, that format still gets its error document (a cron line
/// broken by an upgrade must not leave the last verdict in place). `args` is the whole command
/// line, program name first.
pub fn usage_error(e: &clap::Error, args: impl IntoIterator<Item = std::ffi::OsString>) {
    use clap::CommandFactory;
    if !e.use_stderr() {
        return;
    }
    let started = chrono::Utc::now();
    let Ok(matches) = Cli::command().ignore_errors(true).try_get_matches_from(args) else {
        return;
    };
    let (name, sub) = match matches.subcommand() {
        Some(("transcript", t)) => match t.subcommand() {
            Some(("summarize", s)) => ("transcript summarize", s),
            _ => return,
        },
        Some(found) => found,
        None => return,
    };
    let raw = |id: &str| {
        sub.try_get_raw(id).ok().flatten().and_then(|mut v| v.next()).map(|v| v.to_string_lossy().into_owned())
    };
    let Some(sink) = Sink::of(name, &raw("format").unwrap_or_default(), raw("output").map(PathBuf::from)) else {
        return;
    };
    // clap's paragraphs before the usage: the error and its tip (the option meant).
    let text = e.render().to_string();
    let message = text
        .split("\n\n")
        .take_while(|p| !p.starts_with("Usage:") && !p.starts_with("For more information"))
        .map(|p| p.trim().replace('\n', " "))
        .collect::<Vec<_>>()
        .join("; ");
    let message = message.trim_start_matches("error: ");
    let f = Failure::new(name, message, failure::READ_ARGUMENTS);
    if let Err(w) = sink.write(&f, started) {
        say(&format!("ils-doctor: error: the error document: {w}"));
    }
}
