//! Where passwords come from: an environment variable, the OS keyring, or a prompt without
//! echo; never the command line or a config file (other users see argv; files get copied).
//!
//! Lookup order for `kind` (admin = OS administrator for SSH, app = application user for AXL)
//! and host `h`: `ILS_DOCTOR_<KIND>_PASSWORD_<H>` (H in the one-to-one spelling of
//! [`host_env_word`]), the same with the older spelling (any non-alphanumeric as `_`, which two
//! hosts can share: used with a warning), `ILS_DOCTOR_<KIND>_PASSWORD`, the keyring entry
//! `ils-doctor` / `<kind>@<h>`, then a prompt when standard input is a terminal. On a headless box without a session keyring (cron, CI,
//! containers) the keyring is simply unavailable (docs/cucm-notes.md#keyring-headless): the environment or
//! `keyctl session` are the ways there.

use std::io::IsTerminal;

use crate::secret::Secret;

pub const KEYRING_SERVICE: &str = "ils-doctor";

pub use crate::values::Kind;

impl Kind {
    fn env_word(self) -> &'static str {
        match self {
            Kind::Admin => "ADMIN",
            Kind::App => "APP",
            Kind::Ils => "ILS",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Kind::Admin => "admin",
            Kind::App => "app",
            Kind::Ils => "ils",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("no {what} password for {host}: set {per_host} or {shared}, store it with `ils-doctor credentials set {host} --kind {kind}`, or run on a terminal to be asked")]
    Missing { what: &'static str, host: String, per_host: String, shared: String, kind: &'static str },
    #[error("no {what} password for {host}: the environment variable {var} (the credential reference the run that raised the level used) is not set; set it as that run had it")]
    ReferenceMissing { what: &'static str, host: String, var: String },
    #[error("keyring: {0}; on a headless Linux box run under `keyctl session` or use the environment variables")]
    Keyring(String),
    #[error("cannot read the password from the terminal: {0}")]
    Prompt(String),
    #[error("credentials set {host} --stdin: {reason}; pipe the password in as one line (`printf '%s\\n' \"$PW\" | ils-doctor credentials set {host} --kind KIND --stdin`)")]
    Stdin { host: String, reason: String },
}

/// A host name as the tail of an environment variable name, one to one (docs/security.md,
/// "Secrets"): the name is compared as DNS does (no case, no final dot); letters are upper-cased,
/// digits kept, a dot becomes `_`, and every other byte `x` and two lower-case hex digits
/// (`-` is `x2d`). Letters are always upper case, so a lower-case `x` always starts an escape and
/// two hosts never share a variable: `cucm-hq.example.com` is `CUCMx2dHQ_EXAMPLE_COM`,
/// `cucm.hq-example.com` is `CUCM_HQx2dEXAMPLE_COM`.
pub fn host_env_word(host: &str) -> String {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let mut out = String::with_capacity(host.len());
    for b in host.bytes() {
        match b {
            b'a'..=b'z' => out.push(char::from(b.to_ascii_uppercase())),
            b'0'..=b'9' => out.push(char::from(b)),
            b'.' => out.push('_'),
            other => out.push_str(&format!("x{other:02x}")),
        }
    }
    out
}

/// The spelling of earlier versions: any non-alphanumeric as `_` (not one to one).
fn legacy_env_name(kind: Kind, host: &str) -> String {
    format!(
        "ILS_DOCTOR_{}_PASSWORD_{}",
        kind.env_word(),
        host.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect::<String>()
    )
}

pub fn env_name(kind: Kind, host: Option<&str>) -> String {
    match host {
        None => format!("ILS_DOCTOR_{}_PASSWORD", kind.env_word()),
        Some(h) => format!("ILS_DOCTOR_{}_PASSWORD_{}", kind.env_word(), host_env_word(h)),
    }
}

fn env_value(name: &str) -> Option<Secret> {
    std::env::var(name).ok().filter(|v| !v.is_empty()).map(Secret::new)
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

/// What a kind of password is called in prompts and errors.
fn what(kind: Kind) -> &'static str {
    match kind {
        Kind::Admin => "OS administrator",
        Kind::App => "application user",
        Kind::Ils => "ILS",
    }
}

fn lookup(kind: Kind, host: &str, prompt: bool) -> Result<Secret, CredentialError> {
    let own = env_name(kind, Some(host));
    if let Some(v) = env_value(&own) {
        return Ok(v);
    }
    let legacy = legacy_env_name(kind, host);
    if legacy != own {
        if let Some(v) = env_value(&legacy) {
            crate::exit::say(&format!(
                "ils-doctor: warning: {host}: using {legacy}, a name other hosts can share (a hyphen and a dot both read as `_`); rename it {own}"
            ));
            return Ok(v);
        }
    }
    if let Some(v) = env_value(&env_name(kind, None)) {
        return Ok(v);
    }
    if let Ok(p) = entry(kind, host).and_then(|e| e.get_password().map_err(|e| CredentialError::Keyring(e.to_string())))
    {
        return Ok(Secret::new(p));
    }
    if prompt && std::io::stdin().is_terminal() {
        let via = match kind {
            Kind::Admin => " (SSH)",
            Kind::App => " (AXL)",
            Kind::Ils => "",
        };
        let p = rpassword::prompt_password(format!("{}{via} password for {host}: ", what(kind)))
            .map_err(|e| CredentialError::Prompt(e.to_string()))?;
        return Ok(Secret::new(p));
    }
    Err(CredentialError::Missing {
        what: what(kind),
        host: host.to_string(),
        per_host: env_name(kind, Some(host)),
        shared: env_name(kind, None),
        kind: kind.label(),
    })
}

/// The password a credential reference names, as the trace-level journal keeps it: `env:VAR`,
/// `keyring:ENTRY`, or `auto` (the lookup of [`password`]).
pub fn by_reference(reference: &str, kind: Kind, host: &str) -> Result<Secret, CredentialError> {
    if let Some(var) = reference.strip_prefix("env:") {
        return env_value(var).ok_or_else(|| CredentialError::ReferenceMissing {
            what: what(kind),
            host: host.to_string(),
            var: var.to_string(),
        });
    }
    if let Some(entry) = reference.strip_prefix("keyring:") {
        return from_keyring(entry);
    }
    password(kind, host)
}

/// The ILS password to set on the clusters of a join whose hub is `hub`, and where it came from
/// (a reference for the join journal, never the password): `ILS_DOCTOR_ILS_PASSWORD_<HUB>`,
/// `ILS_DOCTOR_ILS_PASSWORD`, the keyring entry `ils@<hub>`, or, on a terminal, a prompt asked
/// twice (as the GUI's Password and Confirm Password).
pub fn ils_password(hub: &str) -> Result<(Secret, String), CredentialError> {
    for name in [env_name(Kind::Ils, Some(hub)), env_name(Kind::Ils, None)] {
        if let Some(v) = env_value(&name) {
            return Ok((v, format!("env:{name}")));
        }
    }
    let entry_name = format!("{}@{hub}", Kind::Ils.label());
    if let Ok(p) = from_keyring(&entry_name) {
        return Ok((p, format!("keyring:{entry_name}")));
    }
    if std::io::stdin().is_terminal() {
        let ask = |q: &str| rpassword::prompt_password(q).map_err(|e| CredentialError::Prompt(e.to_string()));
        let first = ask("ILS password to set on both clusters: ")?;
        let again = ask("the same ILS password again: ")?;
        if first != again {
            return Err(CredentialError::Prompt("the two ILS passwords differ; nothing was changed".into()));
        }
        if first.is_empty() {
            return Err(CredentialError::Prompt("an empty ILS password; nothing was changed".into()));
        }
        return Ok((Secret::new(first), "prompt".into()));
    }
    Err(CredentialError::Missing {
        what: what(Kind::Ils),
        host: hub.to_string(),
        per_host: env_name(Kind::Ils, Some(hub)),
        shared: env_name(Kind::Ils, None),
        kind: Kind::Ils.label(),
    })
}

/// An ILS password in force before a join, for `undo` to put back: `ILS_DOCTOR_PREVIOUS_ILS_PASSWORD_<HOST>`
/// or `ILS_DOCTOR_PREVIOUS_ILS_PASSWORD` (it can be given only: a publisher never shows it).
pub fn previous_ils_password(host: &str) -> Option<Secret> {
    env_value(&format!("ILS_DOCTOR_PREVIOUS_ILS_PASSWORD_{}", host_env_word(host)))
        .or_else(|| env_value("ILS_DOCTOR_PREVIOUS_ILS_PASSWORD"))
}

/// Stores a password in the keyring: asked for without echo, or with `from_stdin` read from
/// standard input (a script's pipe; nothing is echoed or printed either way).
pub fn set(kind: Kind, host: &str, from_stdin: bool) -> Result<(), CredentialError> {
    let p = if from_stdin {
        read_secret(std::io::stdin().lock(), host)?
    } else {
        Secret::new(
            rpassword::prompt_password(format!("{} password for {host}: ", kind.label()))
                .map_err(|e| CredentialError::Prompt(e.to_string()))?,
        )
    };
    entry(kind, host)?.set_password(p.expose()).map_err(|e| CredentialError::Keyring(e.to_string()))
}

/// The password a script pipes in for `host`: the first line of `input`, without its line
/// ending (`\n` or `\r\n`); an empty one, or no line at all, is refused.
pub fn read_secret(mut input: impl std::io::BufRead, host: &str) -> Result<Secret, CredentialError> {
    let mut line = String::new();
    input.read_line(&mut line).map_err(|e| CredentialError::Stdin {
        host: host.to_string(),
        reason: format!("cannot read standard input ({e})"),
    })?;
    let secret = line.strip_suffix('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).unwrap_or(&line);
    if secret.is_empty() {
        return Err(CredentialError::Stdin {
            host: host.to_string(),
            reason: "standard input gave no password".into(),
        });
    }
    Ok(Secret::new(secret))
}

pub fn delete(kind: Kind, host: &str) -> Result<(), CredentialError> {
    entry(kind, host)?.delete_credential().map_err(|e| CredentialError::Keyring(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_piped_password_is_its_first_line_without_the_line_ending() {
        let read = |input: &str| read_secret(input.as_bytes(), "cucm-hub").map(|s| s.expose().to_string());
        assert_eq!(read("s3cret pass\n").unwrap(), "s3cret pass");
        assert_eq!(read("s3cret\r\nsecond line\n").unwrap(), "s3cret");
        assert_eq!(read("no newline").unwrap(), "no newline");
        for empty in ["", "\n", "\r\n"] {
            let e = read(empty).unwrap_err().to_string();
            assert!(e.contains("cucm-hub") && e.contains("--stdin") && e.contains("no password"), "{e}");
        }
    }

    #[test]
    fn env_names() {
        assert_eq!(env_name(Kind::Admin, None), "ILS_DOCTOR_ADMIN_PASSWORD");
        assert_eq!(env_name(Kind::App, Some("cucm-pub.example.com")), "ILS_DOCTOR_APP_PASSWORD_CUCMx2dPUB_EXAMPLE_COM");
        assert_eq!(env_name(Kind::App, Some("CUCM1.Example.com.")), "ILS_DOCTOR_APP_PASSWORD_CUCM1_EXAMPLE_COM");
        assert_eq!(host_env_word("[::1]"), "x5bx3ax3a1x5d");
    }

    /// Decodes [`host_env_word`] (the spec of the spelling): a second reading of the rule.
    fn decode(word: &str) -> String {
        let mut out = Vec::new();
        let mut b = word.bytes();
        while let Some(c) = b.next() {
            match c {
                b'A'..=b'Z' => out.push(c.to_ascii_lowercase()),
                b'0'..=b'9' => out.push(c),
                b'_' => out.push(b'.'),
                b'x' => {
                    let hex = [b.next().unwrap(), b.next().unwrap()];
                    out.push(u8::from_str_radix(std::str::from_utf8(&hex).unwrap(), 16).unwrap());
                }
                other => panic!("{other} is not in the spelling"),
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn two_hosts_never_share_a_variable() {
        // Two hosts that the older spelling merged, and names a one-way mapping would merge.
        let hosts = [
            "cucm.hq-example.com",
            "cucm-hq.example.com",
            "cucm_hq.example.com",
            "a.x2d",
            "a-",
            "a.2d",
            "10.0.0.1",
            "10-0-0-1",
            "xn--bcher-kva.example",
            "[::1]",
        ];
        let words: std::collections::BTreeSet<String> = hosts.iter().map(|h| host_env_word(h)).collect();
        assert_eq!(words.len(), hosts.len(), "{words:?}");
        for h in hosts {
            assert_eq!(decode(&host_env_word(h)), h, "{h}");
            assert!(host_env_word(h).bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'), "{h}");
        }
        assert_ne!(env_name(Kind::Admin, Some(hosts[0])), env_name(Kind::Admin, Some(hosts[1])));
        // The older spelling merges them: the reason it is only a warned fallback.
        assert_eq!(legacy_env_name(Kind::Admin, hosts[0]), legacy_env_name(Kind::Admin, hosts[1]));
    }
}
