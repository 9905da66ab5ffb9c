//! Where a run that ended in an error failed: the publisher (when one was involved) and the
//! operation, read from the library's error types so that a machine-readable error document
//! (docs/json-contract.md, "Error document") can say it without parsing the message.

use std::error::Error as StdError;

use crate::audit::inventory::InventoryError;
use crate::audit::run::AuditError;
use crate::collect::publisher::PublisherError;
use crate::collect::trace_level::{JournalError, RaiseError};
use crate::connect::soap::SoapError;
use crate::connect::ssh::SshError;
use crate::credentials::CredentialError;
use crate::pipeline::config::ConfigError;
use crate::pipeline::join::JoinError;
use crate::pipeline::live::LiveError;
use crate::pipeline::mock_pair::DemoError;
use crate::pipeline::output::OutputError;
use crate::pipeline::session::CheckError;
use crate::pipeline::support_bundle::CollectError;
use crate::pipeline::undo::UndoError;

/// The operation of an error raised while reading the command line's values (a duration, a
/// host spec): the values clap cannot check by itself.
pub const READ_ARGUMENTS: &str = "read the command line";
/// The operation of an error in a signature catalog (`--signatures`, or the built-in one).
pub const READ_CATALOG: &str = "read the signature catalog";
/// The operation of a panic caught at the top.
pub const INTERNAL: &str = "internal error";

/// A run's error as a monitoring system needs it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Failure {
    /// The subcommand that failed (`check`, `audit`, ...).
    pub command: String,
    /// The whole error with its context, as standard error shows it (escaped and cut).
    pub message: String,
    /// The publisher involved, as given or as the run reached it; null when none was.
    pub host: Option<String>,
    /// What was being done: the SOAP operation or SSH step, or a step of the run.
    pub operation: String,
}

impl Failure {
    /// The failure of `command` from its error: the first error in the chain whose type says
    /// where it happened decides; otherwise no host, and the command as the operation.
    pub fn of(command: &str, e: &anyhow::Error) -> Failure {
        let (host, operation) = e.chain().find_map(place).unwrap_or((None, command.to_string()));
        Failure {
            command: command.to_string(),
            message: crate::exit::shown(&crate::exit::chain_text(e)),
            host,
            operation,
        }
    }

    /// A failure that is no error value: a panic, a command line clap refused.
    pub fn new(command: &str, message: &str, operation: &str) -> Failure {
        Failure {
            command: command.to_string(),
            message: crate::exit::shown(message),
            host: None,
            operation: operation.to_string(),
        }
    }
}

type Place = (Option<String>, String);

fn at(host: &str, operation: impl Into<String>) -> Option<Place> {
    Some((Some(host.to_string()), operation.into()))
}

fn step(operation: impl Into<String>) -> Option<Place> {
    Some((None, operation.into()))
}

/// Where one error of a chain happened, when its type says.
fn place(e: &(dyn StdError + 'static)) -> Option<Place> {
    if let Some(e) = e.downcast_ref::<SoapError>() {
        return soap(e);
    }
    if let Some(e) = e.downcast_ref::<SshError>() {
        return ssh(e);
    }
    if let Some(e) = e.downcast_ref::<PublisherError>() {
        return publisher(e);
    }
    if let Some(e) = e.downcast_ref::<CheckError>() {
        return check(e);
    }
    if let Some(e) = e.downcast_ref::<RaiseError>() {
        return raise(e);
    }
    if let Some(e) = e.downcast_ref::<CredentialError>() {
        return credential(e);
    }
    if let Some(e) = e.downcast_ref::<LiveError>() {
        return match e {
            LiveError::Credentials(c) => credential(c),
            LiveError::CaFile { .. } | LiveError::BadPin(_) => step(READ_ARGUMENTS),
        };
    }
    if let Some(e) = e.downcast_ref::<JoinError>() {
        return match e {
            JoinError::Check(c) => check(c),
            JoinError::Publisher(p) => publisher(p),
            JoinError::Journal(_) => step("write the join journal"),
            JoinError::Read(_) => step("read the publishers for the plan"),
            JoinError::NoPassword => step("read the ILS password"),
        };
    }
    if let Some(e) = e.downcast_ref::<UndoError>() {
        return match e {
            UndoError::Journal(_) | UndoError::Running { .. } => step("read the join journal"),
            UndoError::Reach(_) => step("reach the publishers"),
        };
    }
    if let Some(e) = e.downcast_ref::<CollectError>() {
        return match e {
            CollectError::Check(c) => check(c),
            CollectError::Io { .. } | CollectError::Write(_) => step("write the bundle"),
            CollectError::Report(_) => step("write the report"),
            CollectError::Record(_) => step("write the record"),
        };
    }
    if let Some(e) = e.downcast_ref::<DemoError>() {
        return match e {
            DemoError::Check(c) => check(c),
            _ => step("start the mock publishers"),
        };
    }
    if let Some(e) = e.downcast_ref::<AuditError>() {
        return match e {
            AuditError::Interrupted | AuditError::InterruptedDeep(_) => step("interrupted by a signal"),
        };
    }
    if let Some(e) = e.downcast_ref::<crate::audit::history::HistoryError>() {
        use crate::audit::history::HistoryError as H;
        return match e {
            H::CreateDir { .. } | H::Permissions { .. } => step("create the history database"),
            H::Open { .. } | H::TooNew { .. } | H::Migrate { .. } | H::Sql { .. } => step("read the history database"),
        };
    }
    if e.is::<crate::pipeline::transcript::TranscriptError>() {
        return step("read the record folder");
    }
    if e.is::<InventoryError>() {
        return step("read the inventory");
    }
    if e.is::<ConfigError>() {
        return step("read the config file");
    }
    if e.is::<JournalError>() {
        return step("write the trace-level journal");
    }
    if e.is::<OutputError>() {
        return step("write the report");
    }
    if let Some(e) = e.downcast_ref::<crate::pipeline::Error>() {
        use crate::pipeline::Error as P;
        return match e {
            P::SignatureFile { .. } | P::Catalog(_) => step(READ_CATALOG),
            P::BadTime { .. } | P::NoTraces | P::BundleAlone => step(READ_ARGUMENTS),
            P::TracePath { .. } | P::Input(_) => step("read the traces"),
        };
    }
    if e.is::<super::shared::ArgError>() {
        return step(READ_ARGUMENTS);
    }
    None
}

fn soap(e: &SoapError) -> Option<Place> {
    match e {
        SoapError::Connect { host, op, .. }
        | SoapError::Tls { host, op, .. }
        | SoapError::Auth { host, op, .. }
        | SoapError::Fault { host, op, .. }
        | SoapError::Http { host, op, .. }
        | SoapError::Throttled { host, op, .. }
        | SoapError::Timeout { host, op, .. }
        | SoapError::Response { host, op, .. }
        | SoapError::Write { host, op, .. } => at(host, format!("https {op}")),
        SoapError::TlsSetup(host, _) => at(host, "https TLS setup"),
    }
}

fn ssh(e: &SshError) -> Option<Place> {
    match e {
        SshError::Timeout { host, op, .. } | SshError::Protocol { host, op, .. } => at(host, format!("ssh {op}")),
        SshError::Connect { host, .. } => at(host, "ssh connect"),
        SshError::UnknownHostKey { host, .. }
        | SshError::HostKeyChanged { host, .. }
        | SshError::Revoked { host, .. }
        | SshError::KnownHosts { host, .. } => at(host, "ssh host key check"),
        SshError::AuthFailed { host, .. } | SshError::UnexpectedPrompt { host, .. } => at(host, "ssh login"),
        SshError::Negotiation { host, .. } => at(host, "ssh algorithm negotiation"),
        SshError::Confirmation { host, command, .. } => at(host, format!("ssh `{command}`")),
    }
}

fn publisher(e: &PublisherError) -> Option<Place> {
    match e {
        PublisherError::Ssh(s) => ssh(s),
        PublisherError::Soap(s) => soap(s),
    }
}

fn raise(e: &RaiseError) -> Option<Place> {
    match e {
        RaiseError::Soap(s) => soap(s),
        RaiseError::Journal(_) => step("write the trace-level journal"),
        RaiseError::NotRestored { host, .. } => at(host, "restore the ILS trace level"),
        RaiseError::HeldByOther { host, .. } => at(host, "raise the ILS trace level"),
    }
}

fn check(e: &CheckError) -> Option<Place> {
    match e {
        CheckError::Publisher(p) => publisher(p),
        CheckError::TraceLevel(r) => raise(r),
        CheckError::Interrupted | CheckError::InterruptedRestoreFailed(_) => step("interrupted by a signal"),
        CheckError::Panicked(_) => step(INTERNAL),
        CheckError::StillRaised { .. } => step("restore the ILS trace level"),
    }
}

fn credential(e: &CredentialError) -> Option<Place> {
    match e {
        CredentialError::Missing { host, .. } | CredentialError::ReferenceMissing { host, .. } => {
            at(host, "read the password")
        }
        CredentialError::Stdin { host, .. } => at(host, "read the password"),
        CredentialError::Keyring(_) => step("read the OS keyring"),
        CredentialError::Prompt(_) => step("read the password"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn a_publisher_error_under_context_gives_its_host_and_operation() {
        let soap = SoapError::Auth { host: "cucm-hub".into(), op: "TLS probe".into(), user: "axl".into(), status: 401 };
        let e = anyhow::Error::from(CheckError::Publisher(PublisherError::Soap(soap))).context("check: no verdict");
        let f = Failure::of("check", &e);
        assert_eq!(f.host.as_deref(), Some("cucm-hub"));
        assert_eq!(f.operation, "https TLS probe");
        assert!(f.message.starts_with("check: no verdict: https cucm-hub"), "{}", f.message);
    }

    #[test]
    fn a_host_key_and_a_login_are_told_apart() {
        let changed = SshError::HostKeyChanged {
            host: "h".into(),
            known_hosts: "kh".into(),
            line: 1,
            recorded: "a".into(),
            fingerprint: "b".into(),
        };
        assert_eq!(Failure::of("check", &changed.into()).operation, "ssh host key check");
        let refused = SshError::AuthFailed { host: "h".into(), user: "admin".into() };
        assert_eq!(Failure::of("check", &refused.into()).operation, "ssh login");
    }

    #[test]
    fn an_error_of_no_known_type_names_the_command() {
        let e = anyhow::anyhow!("something").context("outer");
        let f = Failure::of("history", &e);
        assert_eq!((f.host, f.operation.as_str()), (None, "history"));
        let arg: anyhow::Result<()> =
            Err(super::super::shared::ArgError { flag: "--capture".into(), reason: "not a duration".into() })
                .context("check");
        assert_eq!(Failure::of("check", &arg.unwrap_err()).operation, READ_ARGUMENTS);
    }
}
