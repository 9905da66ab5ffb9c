//! `ils-doctor audit`: many ILS networks from an inventory, with bounded concurrency, a history
//! database and outputs for monitoring systems (docs/audit-outputs.md).
//!
//! Its own domain (inventory, history, changes, outputs) on top of `pipeline`: a light audit
//! reads each cluster and scans its traces with the pipeline's scan, a deep one runs the
//! pipeline's live session per hub and its spokes. It renders its own machine outputs (JUnit,
//! Prometheus) because they describe a run of many clusters, not one analysis.

pub mod assess;
pub mod changes;
pub mod discover;
pub mod gather;
pub mod history;
pub mod inventory;
pub mod junit;
pub mod map;
pub mod model;
pub mod page;
pub mod paths;
pub mod prometheus;
pub mod run;
#[cfg(test)]
mod testdata;
pub mod text;
pub mod trends;
