//! The subcommands, each a short file: its arguments into one pipeline call, the result
//! rendered. No command calls another; what they share is in [`shared`] and below, in
//! `crate::pipeline`.

pub mod analyze;
pub mod audit;
pub mod check;
pub mod collect;
pub mod credentials;
pub mod demo;
pub mod history;
pub mod join;
pub mod restore;
pub mod shared;
pub mod signatures;
pub mod transcript;
pub mod trust;
pub mod undo;

use crate::cli::{Cli, Command};

/// Runs the subcommand the command line names; the result is its exit code.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
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
