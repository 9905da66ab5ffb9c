//! Rendering an [`Analysis`](crate::analyze::Analysis): for a person at a terminal, or as the
//! JSON contract `ils-doctor/analysis/1` (docs/json-contract.md).

pub mod json;
pub mod terminal;

/// The output formats of a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For a person: verdict, one block per attempt, evidence and fix.
    Text,
    /// The documented JSON contract, for programs and audits.
    Json,
}
