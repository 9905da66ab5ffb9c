//! The command line, declared with clap. Only declaration here: validation happens in
//! `commands`, exit codes and messages in `main.rs`.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};

use crate::analyze::Method;
use crate::report::Format;

const EXAMPLES: &str = "\
Examples:
  Diagnose from traces downloaded from both publishers (activelog cm/trace/ils/sdl):
    ils-doctor analyze --hub ./hub-traces --spoke ./spoke-traces

  Only the last hour of a support case, as JSON for a ticket or a script:
    ils-doctor analyze --hub hub/ --spoke spoke/ --from '2026-11-25 09:00' --format json

  A report to attach to a case (one self-contained HTML file, or Markdown for the ticket):
    ils-doctor analyze --hub hub/ --spoke spoke/ --format html -o report.html

  Tell the analyzer the configured method when the traces leave it open:
    ils-doctor analyze --hub hub/ --spoke spoke/ --method tls_with_password

  Teach it a line from your CUCM version without a rebuild:
    ils-doctor analyze --hub hub/ --signatures my-lines.toml

Exit codes (monitoring-plugin convention): 0 ok, 1 warning (failures in the window but every
pair registered in the end), 2 critical (a pair's latest attempt failed), 3 unknown (no
attempt found, or an error prevented a verdict).";

/// Diagnoses Cisco CUCM Intercluster Lookup Service (ILS) registration between hub and spoke
/// clusters from their SDL traces.
#[derive(Debug, Parser)]
#[command(name = "ils-doctor", version, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diagnose ILS registration from hub and spoke SDL traces on disk.
    #[command(after_help = EXAMPLES)]
    Analyze(AnalyzeArgs),
    /// List the signature catalog (the trace lines ils-doctor recognises).
    Signatures(SignaturesArgs),
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// The hub's Cisco Intercluster Lookup Service traces: files (.txt, .txt.gz, .gzo) or folders.
    #[arg(long, value_name = "PATH", num_args = 1.., action = ArgAction::Append, required_unless_present = "spoke")]
    pub hub: Vec<PathBuf>,
    /// The spoke's traces; repeat for several spokes. May be absent when only the hub's are at hand.
    #[arg(long, value_name = "PATH", num_args = 1.., action = ArgAction::Append)]
    pub spoke: Vec<PathBuf>,
    /// Only lines from this time: RFC 3339, or a local time like '2026-11-25 09:00' (the traces' own time).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Only lines before this time (same forms as --from).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Take report.md / report.html from this folder instead of the built-in templates.
    #[arg(long, value_name = "DIR")]
    pub template: Option<PathBuf>,
    /// Extra signatures (TOML, same format as the built-in catalog): same id replaces, new id adds.
    #[arg(long, value_name = "FILE", env = "ILS_DOCTOR_SIGNATURES")]
    pub signatures: Option<PathBuf>,
    /// The ILS authentication method configured, when known; used where the traces leave it open.
    #[arg(long, value_name = "METHOD")]
    pub method: Option<Method>,
    /// Files scanned in parallel (default: the number of cores).
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
}

#[derive(Debug, Args)]
pub struct SignaturesArgs {
    /// Also load this signature file, to check it and see the merged catalog.
    #[arg(long, value_name = "FILE", env = "ILS_DOCTOR_SIGNATURES")]
    pub signatures: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn hub_and_spoke_take_several_values() {
        let cli = Cli::try_parse_from([
            "ils-doctor",
            "analyze",
            "--hub",
            "a",
            "b",
            "--spoke",
            "c",
            "--spoke",
            "d",
            "--method",
            "tls",
        ])
        .unwrap();
        let Command::Analyze(a) = cli.command else { panic!("not analyze") };
        assert_eq!(a.hub.len(), 2);
        assert_eq!(a.spoke.len(), 2);
        assert_eq!(a.method, Some(Method::Tls));
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(Cli::try_parse_from(["ils-doctor", "analyze"]).is_err());
        assert!(Cli::try_parse_from(["ils-doctor", "analyze", "--hub", "a", "--method", "magic"]).is_err());
        assert!(Cli::try_parse_from(["ils-doctor", "analyze", "--hub", "a", "-j", "0"]).is_err());
    }
}
