//! The subcommands: each wires collect → parse → analyze → report for one job.

pub mod analyze;
pub mod audit;
pub mod check;
pub mod collect;
pub mod config;
pub mod demo;
pub mod live;
pub mod render;
pub mod scan;
pub mod signals;
pub mod signatures;
pub mod time;

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
