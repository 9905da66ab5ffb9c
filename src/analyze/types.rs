//! The vocabulary of the analysis: sides, methods, outcomes, root causes, facts.
//!
//! Names follow Cisco technote 200694's four authentication methods (docs/cucm-notes.md#auth-methods)
//! and serialise in snake_case, which is also how the catalog and the JSON contract spell
//! them.

use serde::{Deserialize, Serialize};

/// Which cluster's traces a file holds, or which role a line shows in a connection: the hub is
/// the ILS server the spoke registers to; the spoke is the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Hub,
    Spoke,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Hub => "hub",
            Side::Spoke => "spoke",
        }
    }
}

/// Where a signature's line is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SideSpec {
    Hub,
    Spoke,
    Both,
}

pub use crate::values::Method;

impl Method {
    pub const ALL: [Method; 4] = [Method::Password, Method::Tls, Method::TlsWithPassword, Method::TlsAfterPassword];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Password => "password",
            Method::Tls => "tls",
            Method::TlsWithPassword => "tls_with_password",
            Method::TlsAfterPassword => "tls_after_password",
        }
    }

    /// How the technote and the GUI name it.
    pub fn title(self) -> &'static str {
        match self {
            Method::Password => "password (method 1)",
            Method::Tls => "TLS certificates (method 2)",
            Method::TlsWithPassword => "TLS with password (method 3)",
            Method::TlsAfterPassword => "TLS after a password join (method 4)",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl std::str::FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Method::ALL.into_iter().find(|m| m.as_str() == s).ok_or_else(|| {
            format!("unknown method '{s}' (expected password, tls, tls_with_password or tls_after_password)")
        })
    }
}

/// A set of methods, as a bit mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MethodSet(u8);

impl MethodSet {
    pub const ALL: MethodSet = MethodSet(0b1111);
    pub const TLS: MethodSet = MethodSet(0b1110);
    pub const NON_TLS: MethodSet = MethodSet(0b0001);

    pub fn of(methods: &[Method]) -> Self {
        MethodSet(methods.iter().fold(0, |acc, m| acc | m.bit()))
    }
    pub fn contains(self, m: Method) -> bool {
        self.0 & m.bit() != 0
    }
    pub fn intersect(self, other: MethodSet) -> MethodSet {
        MethodSet(self.0 & other.0)
    }
    pub fn without(self, m: Method) -> MethodSet {
        MethodSet(self.0 & !m.bit())
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn members(self) -> Vec<Method> {
        Method::ALL.into_iter().filter(|m| self.contains(*m)).collect()
    }
    /// The one method, if exactly one remains.
    pub fn single(self) -> Option<Method> {
        match self.members().as_slice() {
            [m] => Some(*m),
            _ => None,
        }
    }
}

/// A line's part in an attempt (the catalog's `role`, docs/signatures.md "Roles").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ConnRole {
    /// Starts an attempt (a connection request or a connection accepted).
    Opens,
    /// Ends an attempt with an outcome (established, a failure, an alarm, a close).
    Concludes,
    /// Adds detail to an attempt whose connection it names; alone it is link activity.
    #[default]
    Supports,
}

impl ConnRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnRole::Opens => "opens",
            ConnRole::Concludes => "concludes",
            ConnRole::Supports => "supports",
        }
    }
}

/// What a line says about its attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeClass {
    Success,
    Failure,
    Neutral,
}

/// What the analyzer takes from a line (the catalog's `fact`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    ConnectionAccepted,
    ConnectIndication,
    Established,
    ConnectRequest,
    ConnectTarget,
    NonTlsChosen,
    ConnectResult,
    TransportConnected,
    PasswordFailed,
    PasswordAlarm,
    PasswordOk,
    CertInStore,
    CertNotInStore,
    CertVerifyFailed,
    CertVerifySummary,
    TlsProtocolError,
    TlsAlarm,
    ConnectFailed,
    ConnectErrorSignal,
    PeerNotTrusted,
    ConnectionClosed,
    RootCaTrusted,
    FqdnInPeerInfo,
    SdlConnectResponse,
    UnreachableAlarm,
    /// A user-taught line with no built-in meaning: only its outcome and root cause count.
    Other,
}

impl Fact {
    /// Lines that only exist on a TLS connection.
    pub fn implies_tls(self) -> bool {
        matches!(
            self,
            Fact::CertInStore
                | Fact::CertNotInStore
                | Fact::CertVerifyFailed
                | Fact::CertVerifySummary
                | Fact::TlsProtocolError
                | Fact::TlsAlarm
                | Fact::PeerNotTrusted
                | Fact::RootCaTrusted
                | Fact::FqdnInPeerInfo
                | Fact::SdlConnectResponse
        )
    }
}

/// Why an attempt failed (the JSON contract's `root_cause`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RootCause {
    PasswordMismatch,
    SpokeRejectsHubCertificate,
    HubRejectsSpokeCertificate,
    HubUnreachable,
    Unknown,
}

impl RootCause {
    /// The cause in an engineer's words.
    pub fn words(self) -> &'static str {
        match self {
            RootCause::PasswordMismatch => "the ILS passwords differ",
            RootCause::SpokeRejectsHubCertificate => "the spoke refuses the hub's Tomcat certificate",
            RootCause::HubRejectsSpokeCertificate => "the hub refuses the spoke's Tomcat certificate",
            RootCause::HubUnreachable => "the hub's ILS service does not answer",
            RootCause::Unknown => "the lines do not say why",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RootCause::PasswordMismatch => "password_mismatch",
            RootCause::SpokeRejectsHubCertificate => "spoke_rejects_hub_certificate",
            RootCause::HubRejectsSpokeCertificate => "hub_rejects_spoke_certificate",
            RootCause::HubUnreachable => "hub_unreachable",
            RootCause::Unknown => "unknown",
        }
    }
}

/// A catalog entry's root cause: one of [`RootCause`], or a certificate rejection whose
/// direction follows from the side that wrote the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CauseSpec {
    PasswordMismatch,
    SpokeRejectsHubCertificate,
    HubRejectsSpokeCertificate,
    HubUnreachable,
    Unknown,
    PeerCertificateRejected,
}

impl CauseSpec {
    pub fn resolve(self, writer: Side) -> RootCause {
        match self {
            CauseSpec::PasswordMismatch => RootCause::PasswordMismatch,
            CauseSpec::SpokeRejectsHubCertificate => RootCause::SpokeRejectsHubCertificate,
            CauseSpec::HubRejectsSpokeCertificate => RootCause::HubRejectsSpokeCertificate,
            CauseSpec::HubUnreachable => RootCause::HubUnreachable,
            CauseSpec::Unknown => RootCause::Unknown,
            CauseSpec::PeerCertificateRejected => match writer {
                Side::Hub => RootCause::HubRejectsSpokeCertificate,
                Side::Spoke => RootCause::SpokeRejectsHubCertificate,
            },
        }
    }
}

/// How well a signature is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// The line is in Cisco technote 200694.
    Confirmed,
    /// Stated by third-party material only.
    ThirdParty,
    /// Reasoned from the sources; not seen in a CUCM trace.
    Inferred,
}

/// The result of one registration attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    Incomplete,
}

/// The monitoring-plugin verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Warning,
    Unknown,
    Critical,
}

impl Status {
    /// The exit code of the monitoring-plugin convention.
    pub fn exit_code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Warning => 1,
            Status::Critical => 2,
            Status::Unknown => 3,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Critical => "critical",
            Status::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_sets() {
        let s = MethodSet::TLS.intersect(MethodSet::of(&[Method::Password, Method::TlsWithPassword]));
        assert_eq!(s.single(), Some(Method::TlsWithPassword));
        assert!(MethodSet::NON_TLS.intersect(MethodSet::TLS).is_empty());
        assert_eq!(MethodSet::ALL.members().len(), 4);
        assert_eq!(
            MethodSet::TLS.without(Method::Tls).members(),
            vec![Method::TlsWithPassword, Method::TlsAfterPassword]
        );
    }

    #[test]
    fn worst_status_is_the_max() {
        let worst = [Status::Warning, Status::Unknown, Status::Ok].into_iter().max();
        assert_eq!(worst, Some(Status::Unknown));
        assert!(Status::Critical > Status::Unknown);
    }

    #[test]
    fn peer_rejection_follows_the_writer() {
        assert_eq!(CauseSpec::PeerCertificateRejected.resolve(Side::Spoke), RootCause::SpokeRejectsHubCertificate);
        assert_eq!(CauseSpec::PeerCertificateRejected.resolve(Side::Hub), RootCause::HubRejectsSpokeCertificate);
    }
}
