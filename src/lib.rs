//! ils-doctor: diagnoses CUCM Intercluster Lookup Service (ILS) registration between hub and
//! spoke clusters.
//!
//! The modules follow the data flow, each using only those before it:
//! `collect` (find and decompress trace files) → `parse` (SDL lines, pure) → `analyze`
//! (signatures → attempts → diagnoses, pure) → `report` (terminal, JSON). `commands` wires them
//! into the CLI's subcommands.

pub mod analyze;
pub mod audit;
pub mod bundle;
pub mod cli;
pub mod collect;
pub mod commands;
pub mod connect;
pub mod credentials;
pub mod parse;
pub mod report;
pub mod secret;
