//! The analysis result: what every report renders and what `--format json` prints.
//!
//! This is the documented contract `ils-doctor/analysis/2` (docs/json-contract.md): fields may be
//! added, none renamed or removed without a new schema version. Version 2 changed the meaning of
//! a verdict: routine traffic is activity, never an attempt, and a pair with activity but no
//! attempt is `ok`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::diagnose::MethodSource;
use super::pairing::LinkKind;
use super::types::{Confidence, Method, Outcome, RootCause, Side, Status};

pub const SCHEMA: &str = "ils-doctor/analysis/2";

#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub schema: &'static str,
    pub status: Status,
    pub exit_code: u8,
    /// One sentence for a person or a monitoring system.
    pub summary: String,
    pub tool: Tool,
    pub window: Window,
    pub pairs: Vec<Pair>,
    pub attempts: Vec<Attempt>,
    pub clock_skew: Vec<ClockSkew>,
    pub traces: Vec<Trace>,
    pub files: Vec<FileSummary>,
    pub warnings: Vec<String>,
}

impl Analysis {
    /// An analysis of no traces with the given verdict (what a check that reads no traces,
    /// `check --preflight`, reports).
    pub fn empty(status: Status, summary: String) -> Analysis {
        Analysis {
            schema: SCHEMA,
            status,
            exit_code: status.exit_code(),
            summary,
            tool: Tool::this(),
            window: Window::default(),
            pairs: Vec::new(),
            attempts: Vec::new(),
            clock_skew: Vec::new(),
            traces: Vec::new(),
            files: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
    /// The git revision the binary was built from (`unknown` outside a checkout).
    pub revision: &'static str,
    /// The build date (UTC, `YYYY-MM-DD`; `SOURCE_DATE_EPOCH` when set).
    pub built: &'static str,
}

impl Tool {
    /// This binary.
    pub fn this() -> Tool {
        Tool {
            name: "ils-doctor",
            version: env!("CARGO_PKG_VERSION"),
            revision: env!("ILS_DOCTOR_GIT_REVISION"),
            built: env!("ILS_DOCTOR_BUILD_DATE"),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Window {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// One spoke/hub pair and its verdict (the latest decisive attempt decides).
#[derive(Debug, Clone, Serialize)]
pub struct Pair {
    pub hub: Option<String>,
    pub spoke: Option<String>,
    /// How the engineer knows the hub and the spoke (`cucm-hub.example.com (10.1.1.1)`), when
    /// the publishers' own configuration names the addresses the traces give (`check`).
    pub hub_name: Option<String>,
    pub spoke_name: Option<String>,
    pub status: Status,
    pub attempts: usize,
    pub successes: usize,
    pub failures: usize,
    /// Id of the attempt that decided the status.
    pub latest_attempt: Option<usize>,
    pub latest_outcome: Option<Outcome>,
    pub latest_root_cause: Option<RootCause>,
    /// Routine traffic between the two (null when none was counted).
    pub activity: Option<Activity>,
    /// Why the status is what it is, in one sentence.
    pub reason: String,
    /// The authentication method the pair uses, and what that rests on.
    pub method: super::method::PairMethod,
    /// Whether the verdict judges this pair: a link between clusters the check was given
    /// (`check`), or every pair (`analyze`). Other pairs the traces show (a hub's other spokes)
    /// are context.
    pub judged: bool,
    /// What the pair joins (`spoke_to_hub`, `hub_to_hub`, `spoke_to_spoke`); null offline.
    pub link: Option<super::network::LinkKind>,
    /// How its two ends are known (`traces`, `given`, `rows`, `unknown`); null offline.
    pub membership: Option<super::network::Membership>,
    /// The one cause of the pair's state, from everything read (traces, configuration,
    /// certificates); null when the pair is healthy.
    pub cause: Option<PairCause>,
    /// Runs of consecutive attempts with the same outcome, cause and method, oldest first: a
    /// failing join retries on its interval, and the runs tell that story once.
    pub runs: Vec<AttemptRun>,
}

/// The cause of a pair's state, with its fix: said once per pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PairCause {
    /// A root cause of the attempts (`password_mismatch`, ...), or one the configuration
    /// explains: `ils_service_stopped` (the side registered to does not run ILS),
    /// `client_service_stopped`, `not_registered`, `registered_to_spoke`.
    pub code: String,
    /// The cause in a sentence.
    pub text: String,
    /// What it rests on, in words (the attempt's lines, the facts read).
    pub basis: Vec<String>,
    /// What to do.
    pub fix: String,
    pub confidence: Confidence,
}

/// Consecutive attempts of one pair with the same outcome, cause and method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttemptRun {
    pub count: usize,
    pub outcome: Outcome,
    pub root_cause: Option<RootCause>,
    pub method: Option<Method>,
    /// Ids of the first and the last attempt.
    pub first: usize,
    pub last: usize,
    /// RFC 3339 (or time of day) of the first and the last attempt.
    pub first_at: Option<String>,
    pub last_at: Option<String>,
    /// Median time between two attempts of the run, seconds (null for one attempt or no times).
    pub interval_s: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    /// 1-based, in time order.
    pub id: usize,
    pub hub: Option<String>,
    pub spoke: Option<String>,
    pub spoke_fqdn: Option<String>,
    /// As for [`Pair`]: the hub and the spoke by name, when known.
    pub hub_name: Option<String>,
    pub spoke_name: Option<String>,
    pub port: Option<u16>,
    pub tls: Option<bool>,
    pub method: Option<Method>,
    /// The methods the traces leave possible (one when `method` is set from the traces).
    pub method_candidates: Vec<Method>,
    pub method_source: MethodSource,
    /// What narrowed the method, in words: the transport, and each line that fits only some
    /// methods.
    pub method_basis: Vec<String>,
    pub outcome: Outcome,
    pub root_cause: Option<RootCause>,
    pub verify_error: Option<VerifyError>,
    /// RFC 3339 with the writer's UTC offset, when the traces' FileHead gives the date.
    pub at: Option<String>,
    /// The local time of day of the first line (always known).
    pub time_of_day: Option<String>,
    /// Which sides logged the attempt.
    pub seen_on: Vec<Side>,
    /// How the hub's and the spoke's lines were joined.
    pub linked_by: LinkKind,
    pub confidence: Confidence,
    pub summary: String,
    /// What to do; null for a success.
    pub fix: Option<String>,
    pub notes: Vec<String>,
    /// No opening line (connection request or accepted) is among the attempt's lines: it
    /// started before the window or the files read, and begins at its first concluding line.
    pub opened_before_window: bool,
    pub evidence: Vec<Evidence>,
}

impl Attempt {
    /// An attempt with nothing but its ends and outcome (for tests of what reads attempts).
    pub fn bare(id: usize, spoke: Option<String>, hub: Option<String>, outcome: Outcome) -> Attempt {
        Attempt {
            id,
            hub,
            spoke,
            spoke_fqdn: None,
            hub_name: None,
            spoke_name: None,
            port: None,
            tls: None,
            method: None,
            method_candidates: Vec::new(),
            method_source: MethodSource::Unknown,
            method_basis: Vec::new(),
            outcome,
            root_cause: None,
            verify_error: None,
            at: None,
            time_of_day: None,
            seen_on: Vec::new(),
            linked_by: LinkKind::OneSide,
            confidence: Confidence::Confirmed,
            summary: String::new(),
            fix: None,
            notes: Vec::new(),
            opened_before_window: false,
            evidence: Vec::new(),
        }
    }
}

/// Routine ILS traffic: lines that belong to no attempt (decrypted messages, certificate checks
/// on a live connection), counted. On a pair it proves the link is used; on a trace it is the
/// traffic whose lines name no peer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Activity {
    pub count: u64,
    /// The first and the last counted line (RFC 3339 when the date is known, else time of day).
    pub first: Option<String>,
    pub last: Option<String>,
    /// Counts per catalog entry id (`attempt_overflow` for lines of an attempt's connection
    /// beyond the ones it lists).
    pub by_signature: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyError {
    pub code: u32,
    pub text: Option<String>,
    pub meaning: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// The side whose trace holds the line (as given on the command line).
    pub side: Side,
    pub file: String,
    /// 1-based physical line in the (decompressed) file.
    pub line_no: u64,
    pub text: String,
    pub signature: String,
    pub meaning: String,
    pub at: Option<String>,
    /// A line that decides the attempt: it concludes it (established, a failure, an alarm) or
    /// narrows its method. The short report shows these.
    pub key: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClockSkew {
    pub hub: Option<String>,
    pub spoke: Option<String>,
    /// Hub clock minus spoke clock, from attempts both sides logged with the same connection.
    pub hub_minus_spoke_ms: i64,
    pub samples: usize,
}

/// One host's trace (the files of one side from one publisher).
#[derive(Debug, Clone, Serialize)]
pub struct Trace {
    pub side: Side,
    pub host_name: Option<String>,
    pub host_ip: Option<String>,
    pub utc_offset: Option<String>,
    pub files: usize,
    pub first: Option<String>,
    pub last: Option<String>,
    /// Routine traffic in this trace whose lines name no peer (null when none).
    pub activity: Option<Activity>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileSummary {
    pub side: Side,
    pub path: String,
    pub bytes: u64,
    pub lines: u64,
    /// Lines matched by a signature (attempt lines and routine lines).
    pub matched: usize,
    /// Of those, routine lines (counted as activity).
    pub routine: u64,
}
