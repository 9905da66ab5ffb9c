//! Users, ports, pins and credential references for discovered publishers: the
//! `--discover-credentials FILE` (a `[defaults]` table and `[host."NAME"]` overrides, NAME a
//! reported host name or a cluster ID), over the command line's `--admin-user`/`--app-user`.
//! References only, never passwords, as in the inventory (docs/audit-outputs.md#discovery).
//!
//! ```toml
//! [defaults]
//! admin_user = "admin"
//! app_user = "axladmin"
//! admin_credential = "env:CUCM_ADMIN_PW"
//! app_credential = "keyring:app@shared"
//!
//! [host."cucm-br2.example.com"]
//! admin_credential = "env:BR2_ADMIN_PW"
//! tls_pin = "AB:CD:..."
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::audit::inventory::{password_line, CredentialRef};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsIn {
    admin_user: Option<String>,
    app_user: Option<String>,
    ssh_port: Option<u16>,
    https_port: Option<u16>,
    admin_credential: Option<String>,
    app_credential: Option<String>,
    tls_pin: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIn {
    #[serde(default)]
    defaults: SettingsIn,
    #[serde(default)]
    host: BTreeMap<String, SettingsIn>,
}

/// One set of settings; a field left out falls back to the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub admin_user: Option<String>,
    pub app_user: Option<String>,
    pub ssh_port: Option<u16>,
    pub https_port: Option<u16>,
    pub admin_credential: Option<CredentialRef>,
    pub app_credential: Option<CredentialRef>,
    pub tls_pin: Option<String>,
}

impl Settings {
    /// `self`, with the fields it leaves out taken from `base`.
    pub fn over(&self, base: &Settings) -> Settings {
        Settings {
            admin_user: self.admin_user.clone().or_else(|| base.admin_user.clone()),
            app_user: self.app_user.clone().or_else(|| base.app_user.clone()),
            ssh_port: self.ssh_port.or(base.ssh_port),
            https_port: self.https_port.or(base.https_port),
            admin_credential: self.admin_credential.clone().or_else(|| base.admin_credential.clone()),
            app_credential: self.app_credential.clone().or_else(|| base.app_credential.clone()),
            tls_pin: self.tls_pin.clone().or_else(|| base.tls_pin.clone()),
        }
    }
}

/// Defaults and per-host overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub defaults: Settings,
    /// By lower-case name.
    pub hosts: BTreeMap<String, Settings>,
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("cannot read the discovery credentials {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("discovery credentials {path}: {reason}")]
    Invalid { path: String, reason: String },
}

impl Credentials {
    /// The command line's users as the defaults (a file's `[defaults]` win over them).
    pub fn with_users(mut self, admin_user: &str, app_user: &str) -> Credentials {
        let cli = Settings {
            admin_user: Some(admin_user.to_string()),
            app_user: Some(app_user.to_string()),
            ..Settings::default()
        };
        self.defaults = self.defaults.over(&cli);
        self
    }

    /// The settings for a cluster known by any of `names` (reported name, cluster ID): the
    /// first override found, over the defaults.
    pub fn for_names(&self, names: &[&str]) -> Settings {
        names
            .iter()
            .find_map(|n| self.hosts.get(&n.trim().trim_end_matches('.').to_ascii_lowercase()))
            .map(|o| o.over(&self.defaults))
            .unwrap_or_else(|| self.defaults.clone())
    }

    /// The settings for a name a publisher reported and the user did not map
    /// (`--discover-follow-names`): users, ports and pin may come from the defaults, but both
    /// credentials only from the name's own `[host."NAME"]` entry, never the shared ones. None
    /// when the entry does not list both: the name is not contacted.
    pub fn for_followed(&self, names: &[&str]) -> Option<Settings> {
        let own = names.iter().find_map(|n| self.hosts.get(&n.trim().trim_end_matches('.').to_ascii_lowercase()))?;
        let (admin, app) = (own.admin_credential.clone()?, own.app_credential.clone()?);
        let mut s = own.over(&self.defaults);
        s.admin_credential = Some(admin);
        s.app_credential = Some(app);
        Some(s)
    }

    pub fn load(path: &Path) -> Result<Credentials, CredentialsError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| CredentialsError::Read { path: shown.clone(), reason: e.to_string() })?;
        Credentials::parse(&text, &shown)
    }

    pub fn parse(text: &str, shown: &str) -> Result<Credentials, CredentialsError> {
        let invalid = |reason: String| CredentialsError::Invalid { path: shown.to_string(), reason };
        if let Some(n) = password_line(text) {
            return Err(invalid(format!(
                "line {n}: a password key is not allowed: give credential references (env:VARIABLE, keyring:ENTRY, auto), never passwords"
            )));
        }
        // Located, never quoted: a password typed in the wrong place must not reach the terminal.
        let file: FileIn =
            toml::from_str(text).map_err(|e| invalid(crate::pipeline::config::where_not_what(text, &e)))?;
        let settings = |s: &SettingsIn, at: &str| -> Result<Settings, CredentialsError> {
            let reference = |v: &Option<String>, field: &str| match v {
                None => Ok(None),
                Some(v) => CredentialRef::parse(v).map(Some).ok_or_else(|| {
                    invalid(format!("{at}: field `{field}`: expected env:VARIABLE, keyring:ENTRY or auto"))
                }),
            };
            Ok(Settings {
                admin_user: s.admin_user.clone(),
                app_user: s.app_user.clone(),
                ssh_port: s.ssh_port,
                https_port: s.https_port,
                admin_credential: reference(&s.admin_credential, "admin_credential")?,
                app_credential: reference(&s.app_credential, "app_credential")?,
                tls_pin: s.tls_pin.clone(),
            })
        };
        let mut hosts = BTreeMap::new();
        for (name, s) in &file.host {
            hosts.insert(
                name.trim().trim_end_matches('.').to_ascii_lowercase(),
                settings(s, &format!("[host.{name:?}]"))?,
            );
        }
        Ok(Credentials { defaults: settings(&file.defaults, "[defaults]")?, hosts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_by_name_over_defaults_over_the_command_line() {
        let c = Credentials::parse(
            "[defaults]\napp_user = \"axl\"\nadmin_credential = \"env:ADM\"\n\n[host.\"BR2.example.com\"]\nadmin_credential = \"keyring:br2\"\nhttps_port = 9443\n",
            "c.toml",
        )
        .unwrap()
        .with_users("admin", "administrator");
        let br2 = c.for_names(&["br2.example.com."]);
        assert_eq!(br2.admin_credential, Some(CredentialRef::Keyring("br2".into())));
        assert_eq!(
            (br2.app_user.as_deref(), br2.admin_user.as_deref(), br2.https_port),
            (Some("axl"), Some("admin"), Some(9443))
        );
        let other = c.for_names(&["hq", "cucm-hq"]);
        assert_eq!(other.admin_credential, Some(CredentialRef::Env("ADM".into())));
        assert_eq!(other.https_port, None);
    }

    #[test]
    fn passwords_and_bad_references_are_refused() {
        let e = Credentials::parse("[defaults]\nadmin_password = \"S3cret\"\n", "c.toml").unwrap_err().to_string();
        assert!(e.contains("line 2") && !e.contains("S3cret"), "{e}");
        let e = Credentials::parse("[defaults]\napp_credential = \"vault:x\"\n", "c.toml").unwrap_err().to_string();
        assert!(e.contains("app_credential") && e.contains("c.toml"), "{e}");
        // A value that does not parse is located, never echoed.
        let e = Credentials::parse("[defaults]\nadmin_user = Hunter2-S3cret\n", "c.toml").unwrap_err().to_string();
        assert!(e.contains("line 2") && !e.contains("Hunter2"), "{e}");
        let e = Credentials::parse("[defaults]\nssh_port = \"Hunter2-S3cret\"\n", "c.toml").unwrap_err().to_string();
        assert!(!e.contains("Hunter2"), "{e}");
    }

    #[test]
    fn a_followed_name_gets_only_its_own_credentials() {
        let c = Credentials::parse(
            "[defaults]\nadmin_credential = \"env:SHARED\"\napp_credential = \"env:SHARED\"\napp_user = \"axl\"\n\n[host.\"br2.example.com\"]\nadmin_credential = \"env:BR2_ADMIN\"\napp_credential = \"keyring:br2\"\n\n[host.\"br3.example.com\"]\nadmin_credential = \"env:BR3_ADMIN\"\n",
            "c.toml",
        )
        .unwrap();
        let br2 = c.for_followed(&["BR2.example.com."]).unwrap();
        assert_eq!(br2.admin_credential, Some(CredentialRef::Env("BR2_ADMIN".into())));
        assert_eq!(br2.app_credential, Some(CredentialRef::Keyring("br2".into())));
        assert_eq!(br2.app_user.as_deref(), Some("axl"));
        // Only one of the two listed, or none: not contacted (never the shared ones).
        assert_eq!(c.for_followed(&["br3.example.com"]), None);
        assert_eq!(c.for_followed(&["other.example.com"]), None);
    }
}
