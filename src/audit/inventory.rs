//! The audit inventory: ILS networks and their clusters, one publisher each.
//!
//! ```toml
//! [defaults]                       # optional; every key can be set per cluster too
//! admin_user = "admin"             # OS administrator (SSH)
//! app_user = "axladmin"            # application user (AXL, Serviceability)
//! ssh_port = 22
//! https_port = 8443
//! admin_credential = "env:CUCM_ADMIN_PW"   # env:VARIABLE, keyring:ENTRY, or "auto"
//! app_credential = "keyring:app@shared"
//!
//! [[network]]
//! name = "emea"
//!
//! [[network.cluster]]
//! name = "hq"
//! role = "hub"
//! host = "cucm-hq.example.com"
//!
//! [[network.cluster]]
//! name = "branch-1"
//! role = "spoke"
//! host = "10.1.2.3"
//! hub = "hq"                       # the hub this spoke registers to
//! hub_inferred = true              # optional: `hub` is a guess (discovery writes it), which
//!                                  # the spoke's own traces overrule
//! method = "tls_with_password"     # optional: the link's ILS authentication method
//! tls_pin = "AB:CD:..."            # optional SHA-256 pin of the Tomcat certificate
//!
//! [[network.cluster]]
//! name = "branch-2"
//! role = "spoke"
//! host = "cucm-br2.example.com"
//! hub = "hq"
//! skip = "seen from hq, not reachable: connection refused"   # not contacted; reported unknown
//! ```
//!
//! `skip` marks a cluster the audit does not contact (`audit --discover` writes it for a
//! cluster it saw in a `remotecluster` row but could not or would not reach): it stays in the
//! report and the map as `unknown`, with the reason as its error. Its `host` is kept as written.
//!
//! Credentials are references, never values: `env:NAME` reads the environment variable NAME,
//! `keyring:ENTRY` the OS keyring entry (service `ils-doctor`, user ENTRY), `auto` (the
//! default) the usual per-host order of `credentials` without a prompt (an audit runs from
//! cron). A key named like a password is refused, by line, without echoing its value.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::model::Role;
use crate::pipeline::live::{HostSpec, HOST_FORMS};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    admin_user: Option<String>,
    app_user: Option<String>,
    ssh_port: Option<u16>,
    https_port: Option<u16>,
    admin_credential: Option<Spanned<String>>,
    app_credential: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    defaults: Settings,
    #[serde(default)]
    network: Vec<NetworkIn>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NetworkIn {
    name: Spanned<String>,
    #[serde(default)]
    cluster: Vec<ClusterIn>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClusterIn {
    name: Spanned<String>,
    role: Spanned<String>,
    host: Spanned<String>,
    hub: Option<Spanned<String>>,
    hub_inferred: Option<bool>,
    method: Option<Spanned<String>>,
    tls_pin: Option<String>,
    skip: Option<String>,
    // The [`Settings`] keys, repeated: serde's flatten loses the spans that name the line.
    admin_user: Option<String>,
    app_user: Option<String>,
    ssh_port: Option<u16>,
    https_port: Option<u16>,
    admin_credential: Option<Spanned<String>>,
    app_credential: Option<Spanned<String>>,
}

/// Where a password comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialRef {
    Env(String),
    Keyring(String),
    /// `ILS_DOCTOR_<KIND>_PASSWORD[_HOST]`, then the keyring entry `<kind>@<host>`.
    Auto,
}

impl CredentialRef {
    /// `env:VARIABLE`, `keyring:ENTRY` or `auto`; None for anything else.
    pub fn parse(text: &str) -> Option<CredentialRef> {
        let value = text.trim();
        match value.split_once(':') {
            Some(("env", name)) if !name.is_empty() => Some(CredentialRef::Env(name.to_string())),
            Some(("keyring", entry)) if !entry.is_empty() => Some(CredentialRef::Keyring(entry.to_string())),
            _ if value == "auto" => Some(CredentialRef::Auto),
            _ => None,
        }
    }

    /// The reference as an inventory writes it (never a password: there is none to write).
    pub fn reference(&self) -> String {
        match self {
            CredentialRef::Env(name) => format!("env:{name}"),
            CredentialRef::Keyring(entry) => format!("keyring:{entry}"),
            CredentialRef::Auto => "auto".to_string(),
        }
    }
}

/// The line (1-based) of the first `key = value` whose key names a password, if any: such a
/// file is refused by line, without echoing the value.
pub fn password_line(text: &str) -> Option<usize> {
    text.lines()
        .position(|l| l.split_once('=').is_some_and(|(k, _)| k.to_ascii_lowercase().contains("password")))
        .map(|n| n.saturating_add(1))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub name: String,
    pub role: Role,
    pub host: String,
    pub ssh_port: u16,
    pub https_port: u16,
    pub admin_user: String,
    pub app_user: String,
    pub admin_credential: CredentialRef,
    pub app_credential: CredentialRef,
    /// The hub a spoke registers to (a cluster name of the same network).
    pub hub: Option<String>,
    /// `hub` is a guess (discovery took it from `remotecluster` rows, which cannot say which
    /// hub a spoke belongs to, docs/cucm-notes.md#membership): the audit says so, and the
    /// spoke's own traces overrule it.
    pub hub_inferred: bool,
    /// The authentication method of a spoke's link to its hub, when the user knows it.
    pub method: Option<crate::analyze::Method>,
    pub tls_pin: Option<String>,
    /// Not contacted by the audit, for this reason (a discovered cluster that was not reached).
    pub skip: Option<String>,
    /// Found by discovery rather than named by the user: `--accept-new-host-key` and
    /// `--insecure` do not apply to it (docs/security.md, "Discovery"). Never read from a file.
    pub discovered: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    pub name: String,
    pub clusters: Vec<Cluster>,
}

impl Network {
    /// (hub, spoke) cluster indices of every registration link.
    pub fn pairs(&self) -> Vec<(usize, usize)> {
        self.clusters
            .iter()
            .enumerate()
            .filter_map(|(s, c)| {
                let hub = c.hub.as_deref()?;
                let h = self.clusters.iter().position(|x| x.name == hub)?;
                Some((h, s))
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inventory {
    pub networks: Vec<Network>,
}

impl Inventory {
    pub fn cluster_count(&self) -> usize {
        self.networks.iter().map(|n| n.clusters.len()).sum()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("cannot read the inventory {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("inventory {path}: {reason}")]
    Invalid { path: String, reason: String },
}

pub fn load(path: &Path) -> Result<Inventory, InventoryError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| InventoryError::Read { path: shown.clone(), reason: e.to_string() })?;
    parse(&text, &shown)
}

/// Line (1-based) of a byte offset.
fn line_of(text: &str, at: usize) -> usize {
    let before = text.as_bytes().get(..at).unwrap_or(text.as_bytes());
    before.iter().filter(|&&b| b == b'\n').count().saturating_add(1)
}

pub fn parse(text: &str, shown: &str) -> Result<Inventory, InventoryError> {
    let invalid = |reason: String| InventoryError::Invalid { path: shown.to_string(), reason };
    // Refused before parsing, by line only: a parse error would quote the secret.
    if let Some(n) = password_line(text) {
        return Err(invalid(format!(
            "line {n}: a password key is not allowed: an inventory holds credential references (env:VARIABLE, keyring:ENTRY), never passwords"
        )));
    }
    // Located, never quoted: the value that failed may be a password in the wrong place.
    let file: File = toml::from_str(text).map_err(|e| invalid(crate::pipeline::config::where_not_what(text, &e)))?;
    let at = |span: std::ops::Range<usize>| format!("line {}", line_of(text, span.start));
    let credential = |v: &Option<Spanned<String>>, d: &Option<Spanned<String>>, field: &str| {
        let Some(s) = v.as_ref().or(d.as_ref()) else { return Ok(CredentialRef::Auto) };
        CredentialRef::parse(s.get_ref()).ok_or_else(|| {
            invalid(format!("{}: field `{field}`: expected env:VARIABLE, keyring:ENTRY or auto", at(s.span())))
        })
    };
    let d = &file.defaults;
    let mut networks = Vec::new();
    let mut network_names = BTreeSet::new();
    for n in &file.network {
        let name = n.name.get_ref().trim().to_string();
        if name.is_empty() || !network_names.insert(name.clone()) {
            return Err(invalid(format!(
                "{}: field `name`: network names must be unique and not empty",
                at(n.name.span())
            )));
        }
        let mut clusters = Vec::new();
        let mut names = BTreeSet::new();
        for c in &n.cluster {
            let cname = c.name.get_ref().trim().to_string();
            if cname.is_empty() || !names.insert(cname.clone()) {
                return Err(invalid(format!(
                    "{}: field `name`: cluster names must be unique in network {name} and not empty",
                    at(c.name.span())
                )));
            }
            let role = match c.role.get_ref().to_ascii_lowercase().as_str() {
                "hub" => Role::Hub,
                "spoke" => Role::Spoke,
                other => {
                    return Err(invalid(format!(
                        "{}: cluster {cname}: field `role`: {other:?} is not hub or spoke",
                        at(c.role.span())
                    )))
                }
            };
            // The same host form as the command line and the config file; a skipped cluster is
            // never contacted, so its host is kept as written (a name a publisher reported).
            let raw_host = c.host.get_ref().trim();
            let spec: HostSpec = match (&c.skip, raw_host.parse::<HostSpec>()) {
                (_, Ok(spec)) => spec,
                (Some(_), Err(_)) if !raw_host.is_empty() => {
                    HostSpec { host: raw_host.to_string(), ssh_port: None, https_port: None }
                }
                _ => {
                    return Err(invalid(format!(
                        "{}: cluster {cname}: field `host`: not {HOST_FORMS} (the value is not repeated here)",
                        at(c.host.span())
                    )))
                }
            };
            let twice = |from_host: Option<u16>, field: Option<u16>, name: &str| match (from_host, field) {
                (Some(a), Some(b)) if a != b => Err(invalid(format!(
                    "{}: cluster {cname}: the port is given twice and differs: {a} in `host`, {b} in `{name}`",
                    at(c.host.span())
                ))),
                _ => Ok(from_host.or(field)),
            };
            let ssh_port = twice(spec.ssh_port, c.ssh_port, "ssh_port")?;
            let https_port = twice(spec.https_port, c.https_port, "https_port")?;
            let method = match &c.method {
                None => None,
                Some(m) if role == Role::Hub => {
                    return Err(invalid(format!(
                        "{}: cluster {cname}: field `method`: the method belongs to a spoke's link to its hub, not to a hub ({:?})",
                        at(m.span()),
                        m.get_ref()
                    )))
                }
                Some(m) => Some(m.get_ref().trim().parse::<crate::analyze::Method>().map_err(|e| {
                    invalid(format!("{}: cluster {cname}: field `method`: {e}", at(m.span())))
                })?),
            };
            let s = c;
            clusters.push(Cluster {
                name: cname,
                role,
                host: spec.host,
                ssh_port: ssh_port.or(d.ssh_port).unwrap_or(22),
                https_port: https_port.or(d.https_port).unwrap_or(8443),
                admin_user: s.admin_user.clone().or_else(|| d.admin_user.clone()).unwrap_or_else(|| "admin".into()),
                app_user: s.app_user.clone().or_else(|| d.app_user.clone()).unwrap_or_else(|| "administrator".into()),
                admin_credential: credential(&s.admin_credential, &d.admin_credential, "admin_credential")?,
                app_credential: credential(&s.app_credential, &d.app_credential, "app_credential")?,
                hub: c.hub.as_ref().map(|h| h.get_ref().trim().to_string()),
                hub_inferred: c.hub_inferred.unwrap_or(false),
                method,
                tls_pin: c.tls_pin.clone(),
                skip: c.skip.as_ref().map(|r| r.trim().to_string()),
                discovered: false,
            });
        }
        // Links: a spoke names an existing hub of its network; a hub names none.
        for (c, raw) in clusters.iter().zip(&n.cluster) {
            match (c.role, &raw.hub) {
                (Role::Spoke, None) => {
                    return Err(invalid(format!(
                        "{}: cluster {}: field `hub`: a spoke needs the name of the hub it registers to",
                        at(raw.name.span()),
                        c.name
                    )))
                }
                (Role::Spoke, Some(h)) => {
                    let target = clusters.iter().find(|x| x.name == h.get_ref().trim());
                    if target.is_none_or(|t| t.role != Role::Hub) {
                        return Err(invalid(format!(
                            "{}: cluster {}: field `hub`: {:?} is not a hub of network {name}",
                            at(h.span()),
                            c.name,
                            h.get_ref()
                        )));
                    }
                }
                (Role::Hub, Some(h)) => {
                    return Err(invalid(format!(
                        "{}: cluster {}: field `hub`: only spokes name a hub (hubs mesh with each other)",
                        at(h.span()),
                        c.name
                    )))
                }
                (Role::Hub, None) => {}
            }
        }
        networks.push(Network { name, clusters });
    }
    if networks.iter().all(|n| n.clusters.is_empty()) {
        return Err(invalid("no cluster: add [[network]] tables with [[network.cluster]] entries".into()));
    }
    Ok(Inventory { networks })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"[defaults]
app_user = "axl"
admin_credential = "env:ADMIN_PW"

[[network]]
name = "emea"

[[network.cluster]]
name = "hq"
role = "hub"
host = "cucm-hq.example.com"

[[network.cluster]]
name = "br1"
role = "spoke"
host = "10.1.2.3"
hub = "hq"
https_port = 9443
app_credential = "keyring:app@br1"
"#;

    #[test]
    fn a_spoke_link_may_name_its_method_a_hub_may_not() {
        let inv = parse(&format!("{GOOD}method = \"tls\"\n"), "net.toml").unwrap();
        assert_eq!(inv.networks[0].clusters[1].method, Some(crate::analyze::Method::Tls));
        assert_eq!(inv.networks[0].clusters[0].method, None);
        let e = parse(&format!("{GOOD}method = \"certs\"\n"), "net.toml").unwrap_err().to_string();
        assert!(e.contains("field `method`") && e.contains("unknown method"), "{e}");
        let hub = GOOD.replace("role = \"hub\"", "role = \"hub\"\nmethod = \"tls\"");
        let e = parse(&hub, "net.toml").unwrap_err().to_string();
        assert!(e.contains("not to a hub"), "{e}");
    }

    #[test]
    fn a_network_with_defaults_and_overrides() {
        let inv = parse(GOOD, "net.toml").unwrap();
        let n = &inv.networks[0];
        assert_eq!(n.clusters.len(), 2);
        let br1 = &n.clusters[1];
        assert_eq!((br1.role, br1.https_port, br1.ssh_port), (Role::Spoke, 9443, 22));
        assert_eq!(br1.app_user, "axl");
        assert_eq!(br1.admin_credential, CredentialRef::Env("ADMIN_PW".into()));
        assert_eq!(br1.app_credential, CredentialRef::Keyring("app@br1".into()));
        assert_eq!(n.clusters[0].app_credential, CredentialRef::Auto);
        assert_eq!(n.pairs(), vec![(0, 1)]);
    }

    fn err(text: &str) -> String {
        parse(text, "net.toml").unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_line_and_the_field() {
        let e = err(&GOOD.replace("hub = \"hq\"", "hub = \"nowhere\""));
        assert!(e.contains("net.toml") && e.contains("line 17") && e.contains("field `hub`"), "{e}");
        let e = err(&GOOD.replace("role = \"spoke\"", "role = \"leaf\""));
        assert!(e.contains("line 15") && e.contains("field `role`"), "{e}");
        let e = err(&GOOD.replace("keyring:app@br1", "vault:x"));
        assert!(e.contains("line 19") && e.contains("app_credential"), "{e}");
        let e = err(&GOOD.replace("https_port = 9443", "https_port = \"x\""));
        assert!(e.contains("line 18"), "{e}");
        let e = err(&GOOD.replace("https_port = 9443", "colour = 1"));
        assert!(e.contains("colour"), "{e}");
        let e = err(&GOOD.replace("name = \"br1\"", "name = \"hq\""));
        assert!(e.contains("line 14") && e.contains("unique"), "{e}");
        let e = err(&GOOD.replace("hub = \"hq\"\n", ""));
        assert!(e.contains("a spoke needs"), "{e}");
        assert!(err("").contains("no cluster"));
    }

    #[test]
    fn the_host_takes_the_command_line_form() {
        let inv =
            parse(&GOOD.replace("host = \"cucm-hq.example.com\"", "host = \"cucm-hq.example.com:2222:9443\""), "n")
                .unwrap();
        let hq = &inv.networks[0].clusters[0];
        assert_eq!((hq.host.as_str(), hq.ssh_port, hq.https_port), ("cucm-hq.example.com", 2222, 9443));
        let e = err(&GOOD.replace("host = \"10.1.2.3\"", "host = \"10.1.2.3::8443\""));
        assert!(e.contains("given twice") && e.contains("8443") && e.contains("9443"), "{e}");
        let e = err(&GOOD.replace("host = \"10.1.2.3\"", "host = \"10.1.2.3:1:2:3\""));
        assert!(e.contains("line 16") && e.contains("HOST:SSH_PORT:HTTPS_PORT"), "{e}");
    }

    #[test]
    fn passwords_are_refused_without_echo() {
        let e = err(&format!("{GOOD}admin_password = \"Sup3rSecret\"\n"));
        assert!(e.contains("line 20") && e.contains("never passwords"), "{e}");
        assert!(!e.contains("Sup3rSecret"), "{e}");
        // A value that is not valid TOML, or of the wrong type, is located, never quoted.
        let e = err(&format!("{GOOD}tls_pin = Sup3rSecret-unquoted\n"));
        assert!(e.contains("line 20") && !e.contains("Sup3rSecret"), "{e}");
        let e = err("[defaults]\nssh_port = \"Sup3rSecret\"\n");
        assert!(e.contains("line 2") && !e.contains("Sup3rSecret"), "{e}");
    }
}
