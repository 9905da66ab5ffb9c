//! The pipeline every subcommand runs: connect → collect → parse → analyze → report, wired
//! once. Commands (`crate::commands`) turn their arguments into one call here and render what
//! comes back; nothing here calls a command, and `audit` uses these pieces too.
//!
//! - [`scan`]: the parallel scan of trace files (one worker per file, large files split);
//! - [`offline`]: traces on disk or a bundle, scanned and diagnosed (`analyze`);
//! - [`diagnose`]: scanned files plus both sides' configuration facts → the verdict;
//! - [`session`]: a live session with a hub and its spokes (connect, facts, journal and trace
//!   level, capture, download, restore) (`check`, `demo`, deep audits);
//! - [`support_bundle`]: a live session written as a support bundle (`collect`);
//! - [`render`], [`output`]: reports in every format, written to standard output or a file;
//! - [`live`], [`config`], [`time`], [`signals`], [`catalog`]: the options these take;
//! - [`mock_pair`]: the embedded mock publishers `demo` runs against;
//! - [`join`], [`undo`]: a join planned, applied step by step from its journal, and taken back;
//!   [`join_hint`]: the join command a failing check's fix ends with.

pub mod catalog;
pub mod config;
pub mod diagnose;
pub mod join;
pub mod join_hint;
pub mod live;
pub mod mock_pair;
pub mod offline;
pub mod output;
pub mod record;
pub mod render;
pub mod scan;
pub mod session;
pub mod signals;
pub mod support_bundle;
pub mod time;
pub mod transcript;
pub mod undo;

/// An error that prevents a verdict (exit code 3). Each names what failed and what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read the signature file {path}: {source}")]
    SignatureFile { path: String, source: std::io::Error },
    #[error(transparent)]
    Catalog(#[from] crate::analyze::catalog::CatalogError),
    #[error("{side} trace path: {source}")]
    TracePath { side: &'static str, source: crate::collect::local::FindError },
    #[error("--{flag} {value:?}: {reason}")]
    BadTime { flag: &'static str, value: String, reason: String },
    #[error("give at least one trace path with --hub or --spoke, or an INPUT (bundle, RTMT download, folder)")]
    NoTraces,
    #[error(transparent)]
    Input(#[from] crate::bundle::inputs::InputError),
    #[error("a bundle is analysed alone: give it without --hub, --spoke or other inputs")]
    BundleAlone,
}
