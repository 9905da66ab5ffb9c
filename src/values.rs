//! The fixed sets of values the command line takes, and the defaults it shows: every type and
//! constant `cli.rs` names that is not its own. They live here, with no other dependency than
//! clap, serde and the scenario files, so that build.rs compiles them with `cli.rs` and
//! `generate.rs` and writes the man pages and completions at build time (docs/packaging.md);
//! each is re-exported where the code that uses it lives, with its methods.

use serde::{Deserialize, Serialize};

/// The four ILS authentication methods of the technote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Method {
    /// Method 1: the Use Password checkbox only, non-TLS on 7502.
    Password,
    /// Method 2: the Use TLS Certificates checkbox, Tomcat certificates cross-imported into
    /// tomcat-trust.
    Tls,
    /// Method 3: TLS certificates and password (11.5 and later), CA-signed Tomcat certificates.
    TlsWithPassword,
    /// Method 4: TLS after the clusters joined with a password (FQDN in the PeerInfoVector).
    TlsAfterPassword,
}

/// The output formats of a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For a person: verdict, one block per attempt, evidence and fix.
    Text,
    /// The documented JSON contract, for programs and audits.
    Json,
    /// GitHub-flavoured Markdown that pastes into a ticket.
    Markdown,
    /// One self-contained HTML file with a timeline of the attempts.
    Html,
}

/// How a bundle is packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ArchiveFormat {
    /// gzip-compressed tar (`.tar.gz`).
    #[value(name = "tar.gz")]
    TarGz,
    /// zip with deflate (`.zip`).
    Zip,
}

/// Which password: of the SSH `admin:` CLI, of the AXL application user, or the ILS password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// The OS administrator (SSH `admin:` CLI).
    Admin,
    /// The application user (AXL and Serviceability APIs).
    App,
    /// The ILS password `join` sets on both clusters (ILS Configuration > ILS Authentication),
    /// stored under the hub's name.
    Ils,
}

/// With `audit --discover`: hops from a start host at most.
pub const DEFAULT_DEPTH: u8 = 3;
/// With `audit --discover`: clusters recorded at most.
pub const DEFAULT_MAX: u16 = 500;
/// A sensible default for `--jobs`: publishers answer slowly (the CLI takes seconds per
/// command), so many reads overlap well even on two cores.
pub const DEFAULT_JOBS: usize = 16;
/// The default "Synchronize Clusters Every" written (minutes) [I: unit and default not found].
pub const DEFAULT_SYNC_MINUTES: u32 = 10;
/// The demo's scenario shown by default: it fails, so the diagnosis shows.
pub const DEFAULT_SCENARIO: &str = "m2-hub-cert-not-on-spoke";

/// (name, description) of the bundled scenarios ([`crate::SCENARIOS`]) without parsing them:
/// the description is its file's `description = "..."` line. For the command line's value
/// hints, built on every run.
pub fn scenario_hints() -> impl Iterator<Item = (&'static str, &'static str)> {
    crate::SCENARIOS.iter().map(|(name, text)| {
        let description = text
            .lines()
            .find_map(|l| l.strip_prefix("description = \""))
            .and_then(|l| l.strip_suffix('"'))
            .unwrap_or_default();
        (*name, description)
    })
}
