//! How a run ends: the monitoring-plugin exit codes (0 ok, 1 warning, 2 critical, 3 unknown or
//! an error that prevents a verdict) and the one way errors and notes reach standard error.

use std::io::{self, Write};
use std::process::ExitCode;

/// Exit code for errors that prevent a verdict.
pub const UNKNOWN: u8 = 3;

/// Writes one line to standard error, ignoring a closed pipe: `eprintln!` panics there, and
/// nothing about the output may stop a run before its restore. Publisher text (fault strings,
/// error bodies, file names) reaches it escaped.
pub fn say(line: &str) {
    let _ = writeln!(io::stderr(), "{}", crate::report::terminal::clean(line));
}

/// The exit of a command: its verdict's code, or the error printed with its context and 3.
pub fn finish(result: anyhow::Result<u8>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            say(&format!("ils-doctor: error: {e:#}"));
            ExitCode::from(UNKNOWN)
        }
    }
}

/// The exit of a command line clap rejected (3), or of `--help` and `--version` (0).
pub fn parse_failed(e: &clap::Error) -> ExitCode {
    let code = if e.use_stderr() { UNKNOWN } else { 0 };
    let _ = e.print();
    ExitCode::from(code)
}
