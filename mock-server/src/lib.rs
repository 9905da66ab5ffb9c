//! mock-server: a CUCM publisher double for ils-doctor's tests and demo.
//!
//! - [`Scenario`] (`scenario.rs`): the TOML model of an ILS network; the source of truth.
//! - [`decision::decide`] (`decision.rs`): the documented decision table, configuration → lines.
//! - [`simulate`] (`sim.rs`, `sdl_writer.rs`, `lines.rs`): SDL trace files without any server.
//! - [`start`] (`server.rs`, `https/`, `ssh/`): every publisher of a scenario on loopback.
//!
//! This crate never depends on ils-doctor: it writes literal CUCM text (technote 200694's
//! lines and the formats of docs/cucm-notes.md), so a parser bug cannot hide itself.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod bundled;
pub mod combos;
pub mod db;
pub mod decision;
pub mod https;
pub mod lines;
pub mod replay;
pub mod scenario;
pub mod sdl_writer;
pub mod server;
pub mod sim;
pub mod sql;
pub mod ssh;
pub mod tls;

use chrono::{DateTime, Duration, Utc};

pub use combos::scenario_for_link;
pub use scenario::{Scenario, ScenarioError};
pub use sdl_writer::TraceFile;
pub use server::{start, start_with, Options, PublisherInfo, Running, StartError};
pub use sim::{Attempt, AttemptLine, Simulation};

/// A time window of true (UTC) time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start (inclusive).
    pub start: DateTime<Utc>,
    /// End (inclusive).
    pub end: DateTime<Utc>,
}

impl Window {
    /// The scenario's default window (`[simulation] start`, `duration_s`).
    pub fn of(scenario: &Scenario) -> Window {
        let start =
            DateTime::parse_from_rfc3339(&scenario.simulation.start).map(|d| d.with_timezone(&Utc)).unwrap_or_default();
        Window { start, end: start + Duration::seconds(scenario.simulation.duration_s as i64) }
    }
}

/// Simulates `scenario` over `window` without starting servers: the SDL files each publisher
/// (by cluster `name`) would hold, and the attempts with their decided outcomes.
///
/// Trace levels are the scenario's; set `cluster.ils.trace_level = Detailed` (or use
/// [`Scenario::with_trace_level`]) to get ILS lines.
pub fn simulate(scenario: &Scenario, window: Window) -> Simulation {
    sim::simulate_window(scenario, window.start, window.end)
}
