//! Rendering an [`Analysis`](crate::analyze::Analysis): for a person at a terminal, as the JSON
//! contract `ils-doctor/analysis/2` (docs/json-contract.md), or as Markdown and HTML from the
//! templates in `templates/`. All read the same [`model::Report`].

pub mod model;
pub mod template;
pub mod terminal;
pub mod timeline;
pub mod view;

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
