//! Rendering an [`Analysis`](crate::analyze::Analysis): for a person at a terminal, as the JSON
//! contract `ils-doctor/analysis/2` (docs/json-contract.md), or as Markdown and HTML from the
//! templates in `templates/`. All read the same [`model::Report`].

pub mod model;
pub mod template;
pub mod terminal;
pub mod timeline;
pub mod view;

pub use crate::values::Format;
