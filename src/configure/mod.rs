//! Joining clusters for ILS: the configuration half of technote 200694, which `check` diagnoses.
//!
//! - [`plan`]: the pure planner (facts of both sides, the method, what a check found → steps);
//! - [`model`]: the plan, the contract `ils-doctor/join-plan/1`;
//! - [`journal`]: every change recorded before it is made, with what undoes it;
//! - [`text`]: the plan in words.
//!
//! The executor (journal → step → verify) and undo are in `pipeline::join` and `pipeline::undo`.

pub mod journal;
pub mod model;
pub mod plan;
pub mod text;

pub use model::{Plan, PlanStatus, Step};
pub use plan::{plan, Found, Input};
