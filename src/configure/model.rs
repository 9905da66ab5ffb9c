//! A join plan: the changes that make one ILS link work with one authentication method, in the
//! order they are made, each with its publisher, its request or command, why, and what undoes
//! it; what the plan cannot know; and what stops it. Serialized as the documented contract
//! `ils-doctor/join-plan/1` (docs/json-contract.md, "Join plan").

use serde::{Deserialize, Serialize};

use crate::analyze::Method;
use crate::connect::envelope::IlsSettings;

/// The `schema` of the JSON document.
pub const SCHEMA: &str = "ils-doctor/join-plan/1";

/// What the plan concludes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Nothing to change: the link works as far as can be read.
    NothingToDo,
    /// The steps make the link work.
    Changes,
    /// No plan can make the link work as asked (see `refusals`).
    Refused,
}

impl PlanStatus {
    /// The exit code of `join` without `--apply`: 0 nothing to change, 2 changes needed, 3 no
    /// plan (docs/json-contract.md, "Join plan").
    pub fn exit_code(self) -> u8 {
        match self {
            PlanStatus::NothingToDo => 0,
            PlanStatus::Changes => 2,
            PlanStatus::Refused => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::NothingToDo => "nothing_to_do",
            PlanStatus::Changes => "changes",
            PlanStatus::Refused => "refused",
        }
    }
}

/// One publisher of the link, as the engineer knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publisher {
    /// `spoke`, `hub`, or `registering hub` / `hub` on a hub-to-hub link.
    pub role: String,
    /// `cucm-hub.example.com (10.106.104.220)`.
    pub name: String,
    /// The address ils-doctor connects to, and its HTTPS port: the key of journal entries.
    pub host: String,
    pub https_port: u16,
}

/// The link the plan joins: `registering` registers to `registered_to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// `spoke_to_hub` or `hub_to_hub`.
    pub kind: String,
    pub registering: Publisher,
    pub registered_to: Publisher,
}

/// What the settings were before, where something could tell (`None`: not readable).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Before {
    /// From `getIlsConfig` (confirmed readable).
    pub role: Option<String>,
    /// Only from the traces a check read (the cluster this side dialed) [I].
    pub registration_server: Option<String>,
    /// Only from the authentication method the traces show [I].
    pub use_tls: Option<bool>,
    pub use_password: Option<bool>,
    /// Where a known value comes from, in words.
    #[serde(default)]
    pub basis: Vec<String>,
}

/// A certificate to import, identified as `show cert list trust` names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertRef {
    pub subject: String,
    pub issuer: String,
    /// Upper-case hex, when known.
    pub serial: Option<String>,
    /// Its subject CN as it appears in trust file names (spaces as `_`).
    pub file_cn: String,
    /// Whose certificate it is: a publisher's name, or "the CA".
    pub of: String,
    /// A CA (root or intermediate) rather than a publisher's own Tomcat certificate.
    pub ca: bool,
    /// The certificate itself (public); not part of the JSON document.
    #[serde(skip)]
    pub pem: String,
}

/// What one step does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Operation {
    /// AXL `updateIlsConfig` with these settings; `password` says whether the ILS password is
    /// sent (never its value).
    SetIlsConfig { settings: IlsSettings, password: bool, before: Before },
    /// `set cert import trust tomcat`, the certificate pasted.
    ImportTrust { certificate: CertRef },
    /// `utils service start Cisco Intercluster Lookup Service`.
    StartIls { state_before: String },
    /// `utils service restart Cisco Intercluster Lookup Service`.
    RestartIls,
    /// The check with a forced registration: the link must be OK with `method` (method 4's
    /// first half, and the end of every plan). Changes nothing but the ILS service's restart.
    Verify { method: Method },
}

impl Operation {
    pub fn changes(&self) -> bool {
        !matches!(self, Operation::Verify { .. })
    }
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// 1, 2, ...
    pub n: usize,
    /// 1, or 2 for the TLS half of method 4.
    pub phase: u8,
    /// The publisher it runs on (its name), and its key.
    pub publisher: String,
    pub host: String,
    pub https_port: u16,
    pub operation: Operation,
    /// The request or command, as an engineer would type or read it (never a password).
    pub how: String,
    /// The same change in the GUI.
    pub gui: String,
    pub why: String,
    /// What undoes it, and what undo cannot put back.
    pub undo: String,
}

/// Why no plan can make the link work as asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// `self_signed_tomcat`, `tomcat_expired`, `duplicate_cluster_id`, `cluster_id_default`,
    /// `ils_not_activated`, `ca_certificate_needed`, `certificate_unreadable`, `same_cluster`.
    pub code: String,
    /// The publisher it concerns, when one.
    pub publisher: Option<String>,
    pub reason: String,
    pub fix: String,
}

/// The plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub schema: String,
    pub status: PlanStatus,
    /// The exit code `join` ends with for this plan (without `--apply`).
    pub exit_code: u8,
    /// One line: the status in capitals, then what and why.
    pub summary: String,
    pub method: Method,
    pub link: Link,
    pub steps: Vec<Step>,
    /// What the plan cannot know, and what it does about it.
    pub unknowns: Vec<String>,
    pub refusals: Vec<Refusal>,
    /// Other things worth knowing (the other clusters that need the same password, ...).
    pub notes: Vec<String>,
}

impl Plan {
    /// The steps that change a publisher.
    pub fn changes(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| s.operation.changes())
    }
}
