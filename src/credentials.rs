//! Where passwords come from: an environment variable, the OS keyring, or a prompt without
//! echo; never the command line or a config file (other users see argv; files get copied).
//!
//! Lookup order for `kind` (admin = OS administrator for SSH, app = application user for AXL)
//! and host `h`: `ILS_DOCTOR_<KIND>_PASSWORD_<H>` (H upper-cased, non-alphanumerics as `_`),
//! `ILS_DOCTOR_<KIND>_PASSWORD`, the keyring entry `ils-doctor` / `<kind>@<h>`, then a prompt
//! when standard input is a terminal. On a headless box without a session keyring (cron, CI,
//! containers) the keyring is simply unavailable (docs/cucm-notes.md#keyring-headless): the environment or
//! `keyctl session` are the ways there.

use std::io::IsTerminal;

use crate::secret::Secret;

pub const KEYRING_SERVICE: &str = "ils-doctor";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// The OS administrator (SSH `admin:` CLI).
    Admin,
    /// The application user (AXL and Serviceability APIs).
    App,
}

impl Kind {
    fn env_word(self) -> &'static str {
        match self {
            Kind::Admin => "ADMIN",
            Kind::App => "APP",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Kind::Admin => "admin",
            Kind::App => "app",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("no {what} password for {host}: set {per_host} or {shared}, store it with `ils-doctor credentials set {host} --kind {kind}`, or run on a terminal to be asked")]
    Missing { what: &'static str, host: String, per_host: String, shared: String, kind: &'static str },
    #[error("keyring: {0}; on a headless Linux box run under `keyctl session` or use the environment variables")]
    Keyring(String),
    #[error("cannot read the password from the terminal: {0}")]
    Prompt(String),
}

pub fn env_name(kind: Kind, host: Option<&str>) -> String {
    match host {
        None => format!("ILS_DOCTOR_{}_PASSWORD", kind.env_word()),
        Some(h) => format!(
            "ILS_DOCTOR_{}_PASSWORD_{}",
            kind.env_word(),
            h.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect::<String>()
        ),
    }
}

fn entry(kind: Kind, host: &str) -> Result<keyring::Entry, CredentialError> {
    keyring::Entry::new(KEYRING_SERVICE, &format!("{}@{host}", kind.label()))
        .map_err(|e| CredentialError::Keyring(e.to_string()))
}

/// The password of `kind` for `host`, from the first source that has it.
pub fn password(kind: Kind, host: &str) -> Result<Secret, CredentialError> {
    lookup(kind, host, true)
}

/// As [`password`], never asking (audits run from cron, over many hosts).
pub fn password_without_prompt(kind: Kind, host: &str) -> Result<Secret, CredentialError> {
    lookup(kind, host, false)
}

/// The keyring entry `ils-doctor` / `user` (an inventory's `keyring:ENTRY`).
pub fn from_keyring(user: &str) -> Result<Secret, CredentialError> {
    keyring::Entry::new(KEYRING_SERVICE, user)
        .and_then(|e| e.get_password())
        .map(Secret::new)
        .map_err(|e| CredentialError::Keyring(format!("entry {KEYRING_SERVICE}/{user}: {e}")))
}

fn lookup(kind: Kind, host: &str, prompt: bool) -> Result<Secret, CredentialError> {
    for name in [env_name(kind, Some(host)), env_name(kind, None)] {
        if let Ok(v) = std::env::var(&name) {
            if !v.is_empty() {
                return Ok(Secret::new(v));
            }
        }
    }
    if let Ok(p) = entry(kind, host).and_then(|e| e.get_password().map_err(|e| CredentialError::Keyring(e.to_string())))
    {
        return Ok(Secret::new(p));
    }
    if prompt && std::io::stdin().is_terminal() {
        let what = if kind == Kind::Admin { "OS administrator (SSH)" } else { "application user (AXL)" };
        let p = rpassword::prompt_password(format!("{what} password for {host}: "))
            .map_err(|e| CredentialError::Prompt(e.to_string()))?;
        return Ok(Secret::new(p));
    }
    Err(CredentialError::Missing {
        what: if kind == Kind::Admin { "OS administrator" } else { "application user" },
        host: host.to_string(),
        per_host: env_name(kind, Some(host)),
        shared: env_name(kind, None),
        kind: kind.label(),
    })
}

/// Stores a password in the keyring (asked for without echo).
pub fn set(kind: Kind, host: &str) -> Result<(), CredentialError> {
    let p = rpassword::prompt_password(format!("{} password for {host}: ", kind.label()))
        .map_err(|e| CredentialError::Prompt(e.to_string()))?;
    entry(kind, host)?.set_password(&p).map_err(|e| CredentialError::Keyring(e.to_string()))
}

pub fn delete(kind: Kind, host: &str) -> Result<(), CredentialError> {
    entry(kind, host)?.delete_credential().map_err(|e| CredentialError::Keyring(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names() {
        assert_eq!(env_name(Kind::Admin, None), "ILS_DOCTOR_ADMIN_PASSWORD");
        assert_eq!(env_name(Kind::App, Some("cucm-pub.example.com")), "ILS_DOCTOR_APP_PASSWORD_CUCM_PUB_EXAMPLE_COM");
    }
}
