//! The report model: one serde structure that every renderer reads (terminal, Markdown, HTML).
//!
//! It holds the analysis as is, plus what the live `check` adds (each side's configuration and
//! the configuration findings, empty for offline analysis), the timeline's geometry and one
//! ladder per attempt. Secrets never enter it: nothing here has a field for a password, and the
//! types that carry one (`Secret` and what holds it) do not implement `Serialize`.

use serde::Serialize;

use super::timeline::{self, Timeline};
use crate::analyze::model::{Analysis, Evidence};
use crate::analyze::Side;

#[derive(Debug, Clone, Serialize)]
pub struct Report<'a> {
    pub title: String,
    /// The analysis summary without its leading `STATUS: ` (the status is shown on its own).
    pub headline: String,
    /// When the report was made (RFC 3339).
    pub generated_at: String,
    pub analysis: &'a Analysis,
    /// Each publisher's facts, when ils-doctor read them itself (`check`); empty offline.
    pub sides: Vec<SideFacts>,
    /// Configuration findings (`check`); empty offline.
    pub findings: Vec<Finding>,
    /// The certificate check made before the capture, per pair (`check`); empty offline.
    pub certificates: Vec<CertificateCheck>,
    pub timeline: Timeline,
    /// One ladder per attempt, in attempt order.
    pub ladders: Vec<Ladder>,
    /// What a reader needs first: the verdict, each pair's cause, evidence and fix, the
    /// findings that matter (`view`).
    pub view: super::view::View,
}

/// What `check` learns of one publisher. Every field is optional: a side may not be reachable.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SideFacts {
    pub side: Option<Side>,
    pub host: String,
    pub version: Option<String>,
    pub ils_role: Option<String>,
    pub cluster_id: Option<String>,
    /// The ILS Configuration's "Use TLS Certificates" and "Use Password": no API reads them back
    /// (docs/cucm-notes.md#ils-auth-settings), so always null; kept for templates written
    /// against earlier versions. The method is established per pair instead.
    pub use_tls: Option<bool>,
    pub use_password: Option<bool>,
    pub trace_level_before: Option<String>,
    pub trace_level_after: Option<String>,
    /// The Cisco Intercluster Lookup Service's state from `utils service list`.
    pub ils_service: Option<String>,
    /// The Tomcat certificate (subject, issuer, serial, end of validity) and the size of the
    /// tomcat-trust list, one line each.
    pub certificates: Vec<String>,
}

/// A configuration finding (`check`).
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub severity: String,
    pub code: String,
    pub message: String,
    pub fix: Option<String>,
    /// When the finding matters only under some authentication methods: which (it is then
    /// shown after the diagnosis, not above it).
    pub condition: Option<String>,
    /// The pair it concerns, as the report names it.
    pub pair: Option<String>,
    /// It is a pair's cause, said with the pair: not repeated.
    pub part_of_cause: bool,
}

/// What `check` adds to an analysis: each side's facts, the configuration findings, the
/// certificate check.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckParts {
    pub sides: Vec<SideFacts>,
    pub findings: Vec<Finding>,
    pub certificates: Vec<CertificateCheck>,
}

/// The certificate check of one pair, ready to print.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateCheck {
    /// `spoke <name> -> hub <name>`.
    pub pair: String,
    pub checks: Vec<CertificateLine>,
    pub methods: Vec<MethodLine>,
}

/// One side checking the other's certificate.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateLine {
    /// `spoke <name> checks the hub's certificate`.
    pub who: String,
    /// `accepted`, `refused`, `uncertain` or `unknown`.
    pub result: String,
    pub detail: String,
}

/// What the certificates mean for one authentication method.
#[derive(Debug, Clone, Serialize)]
pub struct MethodLine {
    pub method: String,
    /// `succeeds`, `fails`, `depends`, `no certificate check` (method 1) or `unknown`.
    pub prediction: String,
    pub why: String,
}

/// One attempt as a whiteboard ladder: each evidence line in order, in the spoke's or the hub's
/// column.
#[derive(Debug, Clone, Serialize)]
pub struct Ladder {
    pub attempt: usize,
    pub rows: Vec<Rung>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rung {
    /// `spoke` or `hub`: the column.
    pub side: Side,
    pub at: Option<String>,
    pub signature: String,
    pub meaning: String,
    /// Where to find the line.
    pub location: String,
}

impl<'a> Report<'a> {
    pub fn new(analysis: &'a Analysis, generated_at: String) -> Report<'a> {
        let ladders = analysis
            .attempts
            .iter()
            .map(|a| Ladder { attempt: a.id, rows: a.evidence.iter().map(rung).collect() })
            .collect();
        let summary = &analysis.summary;
        let headline = summary.split_once(": ").map_or(summary.as_str(), |(_, rest)| rest).to_string();
        Report {
            title: "ILS registration report".into(),
            headline,
            generated_at,
            analysis,
            sides: Vec::new(),
            findings: Vec::new(),
            certificates: Vec::new(),
            timeline: timeline::layout(analysis),
            ladders,
            view: super::view::View::build(analysis, &CheckParts::default()),
        }
    }
}

fn rung(e: &Evidence) -> Rung {
    Rung {
        side: e.side,
        at: e.at.as_ref().map(|t| short_time(t)),
        signature: e.signature.clone(),
        meaning: e.meaning.clone(),
        location: format!("{}:{}", e.file, e.line_no),
    }
}

/// `2026-11-24T09:00:00.012+01:00` → `09:00:00.012`; a bare time of day stays as it is.
fn short_time(t: &str) -> String {
    match t.split_once('T') {
        Some((_, rest)) => rest.get(..12).unwrap_or(rest).to_string(),
        None => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_times() {
        assert_eq!(short_time("2026-11-24T09:00:00.012+01:00"), "09:00:00.012");
        assert_eq!(short_time("16:58:42.888"), "16:58:42.888");
    }
}
