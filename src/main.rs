//! The ils-doctor binary: parse the command line, run the subcommand, exit with the
//! monitoring-plugin code (0 ok, 1 warning, 2 critical, 3 unknown or error).

// Everything here may meet outside input (traces, bundles, CLI output, SOAP responses, config
// and inventory files): no unwrap, no indexing, no unchecked arithmetic (docs/security.md,
// "Lints on code that reads outside input"). Unit tests may unwrap.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)
)]

use std::process::ExitCode;

use clap::Parser;
use ils_doctor::cli::Cli;
use ils_doctor::{commands, exit};

fn main() -> ExitCode {
    // Diagnostics of the libraries (SSH, HTTP, TLS) on stderr with RUST_LOG=debug|trace; off
    // otherwise. Secrets never reach them: passwords are `Secret`s, whose Debug and Display say
    // "<redacted>" (tests/secrets.rs searches these logs for the password).
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("off")).init();
    match Cli::try_parse() {
        Ok(cli) => exit::finish(commands::run(cli)),
        Err(e) => {
            let code = exit::parse_failed(&e);
            commands::usage_error(&e, std::env::args_os());
            code
        }
    }
}
