//! ils-doctor: diagnoses CUCM Intercluster Lookup Service (ILS) registration between hub and
//! spoke clusters.
//!
//! The modules follow the data flow, each using only those below it (`tests/layering.rs`
//! checks every `crate::` path):
//! - `connect` (SSH admin: CLI, HTTPS SOAP) and, beside it, `untrusted` (text from outside made
//!   safe to show), `secret`, and `values` (the command line's value types and defaults: the
//!   methods, formats, password kinds; build.rs compiles it with `cli` and `generate`);
//! - `parse` (pure: SDL lines, CLI outputs, certificates, trace level names → plain values);
//! - `collect` (facts, trace levels, trace files: fetches with `connect`, builds `parse`'s values);
//! - `analyze` (pure: signatures → attempts → diagnoses; takes `parse`'s values, never `collect`);
//! - `report` (terminal, JSON, Markdown, HTML, from the analysis) and, beside it, `configure`
//!   (a join's plan from both sides' facts and the certificate check, and its journal);
//! - `bundle` (support bundles), `pipeline` (wires them once), `audit` (the pipeline over an
//!   inventory), `cli`, and `commands`, the thin subcommands on top; `exit` maps their results
//!   to exit codes.

// Everything here may meet outside input (traces, bundles, CLI output, SOAP responses, config
// and inventory files): no unwrap, no indexing, no unchecked arithmetic (docs/security.md,
// "Lints on code that reads outside input"). Unit tests may unwrap.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)
)]

pub mod analyze;
pub mod audit;
pub mod bundle;
pub mod cli;
pub mod collect;
pub mod commands;
pub mod configure;
pub mod connect;
pub mod credentials;
pub mod exit;
pub mod generate;
pub mod parse;
pub mod pipeline;
pub mod report;
pub mod secret;
pub mod untrusted;
pub mod values;

/// The demo's scenarios (name, TOML text), sorted by name, as the command line lists them
/// ([`values::scenario_hints`]); build.rs reads the same files from their folder.
pub const SCENARIOS: &[(&str, &str)] = mock_server::bundled::ALL;

/// What `ils-doctor --version` prints after the name: the package version, then the git
/// revision and the date of the build (`build.rs`).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("ILS_DOCTOR_GIT_REVISION"),
    ", built ",
    env!("ILS_DOCTOR_BUILD_DATE"),
    ")"
);
