//! The cluster config file: named ILS networks so that `check --cluster NAME` needs no long
//! command line. `$XDG_CONFIG_HOME/ils-doctor/config.toml` by default, `--config FILE` else.
//!
//! ```toml
//! [[cluster]]
//! name = "prod"
//! hub = "cucm-hq.example.com"                 # HOST, HOST:SSH_PORT or HOST:SSH_PORT:HTTPS_PORT
//! spokes = ["cucm-br1.example.com", "cucm-br2.example.com:22:8443"]
//!
//! [[cluster]]
//! name = "mesh"
//! hubs = ["cucm-hq.example.com", "cucm-dr.example.com"]   # meshed hubs: their link is checked too
//! spokes = ["cucm-br1.example.com"]                      # may be empty with two hubs or more
//! admin_user = "admin"                        # optional
//! app_user = "axladmin"                       # optional
//! method = "tls_with_password"                # optional: the ILS authentication method,
//!                                             # password, tls, tls_with_password or tls_after_password
//! ```
//!
//! Passwords never go here (files get copied and backed up): a `password` key is refused by name.

use std::path::Path;

use serde::Deserialize;

use super::live::HostSpec;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    cluster: Vec<Cluster>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    pub name: String,
    /// One hub (`hub`), or several meshed hubs (`hubs`).
    #[serde(default)]
    pub hub: Option<String>,
    #[serde(default)]
    pub hubs: Vec<String>,
    #[serde(default)]
    pub spokes: Vec<String>,
    pub admin_user: Option<String>,
    pub app_user: Option<String>,
    /// The authentication method the network's pairs use, when the user knows it (AXL cannot
    /// read it back, docs/cucm-notes.md#ils-auth-settings); `--method` overrides it.
    #[serde(default)]
    pub method: Option<crate::analyze::Method>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("config file {path}: {reason}")]
    Invalid { path: String, reason: String },
    #[error("config file {path}: no cluster named {name:?} (it has: {known})")]
    Unknown { path: String, name: String, known: String },
}

/// The named cluster, validated (host specs parse; at least one spoke, or two hubs).
pub fn cluster(path: &Path, name: &str) -> Result<(Cluster, Vec<HostSpec>, Vec<HostSpec>), ConfigError> {
    let shown = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|e| ConfigError::Read { path: shown.clone(), reason: e.to_string() })?;
    parse(&text, &shown, name)
}

pub fn parse(text: &str, shown: &str, name: &str) -> Result<(Cluster, Vec<HostSpec>, Vec<HostSpec>), ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid { path: shown.to_string(), reason };
    // Refused before parsing, by line number only: a parse error would quote the secret.
    if let Some(n) =
        text.lines().position(|l| l.split_once('=').is_some_and(|(k, _)| k.to_ascii_lowercase().contains("password")))
    {
        return Err(invalid(format!(
            "line {}: a password key is not allowed: passwords never go in the config file; use the environment, `ils-doctor credentials set`, or the prompt",
            n.saturating_add(1)
        )));
    }
    // A TOML or type error quotes the offending line or value, which can hold a password pasted
    // in the wrong place: only its position and key are shown (docs/security.md, "Secrets").
    let file: File = toml::from_str(text).map_err(|e| invalid(where_not_what(text, &e)))?;
    let known = file.cluster.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ");
    let c = file.cluster.iter().find(|c| c.name == name).cloned().ok_or_else(|| ConfigError::Unknown {
        path: shown.to_string(),
        name: name.to_string(),
        known,
    })?;
    let not_host = "not HOST, HOST:SSH_PORT or HOST:SSH_PORT:HTTPS_PORT (the value is not repeated here)";
    let mut hubs = Vec::new();
    if let Some(h) = &c.hub {
        hubs.push(h.parse::<HostSpec>().map_err(|_| invalid(format!("cluster {name}: field `hub`: {not_host}")))?);
    }
    for (i, h) in c.hubs.iter().enumerate() {
        hubs.push(
            h.parse::<HostSpec>().map_err(|_| invalid(format!("cluster {name}: field `hubs[{i}]`: {not_host}")))?,
        );
    }
    if hubs.is_empty() {
        return Err(invalid(format!("cluster {name}: no hub: give `hub` or `hubs`")));
    }
    if c.spokes.is_empty() && hubs.len() < 2 {
        return Err(invalid(format!(
            "cluster {name}: field `spokes` is empty (it may be empty only with two hubs or more in `hubs`)"
        )));
    }
    let spokes = c
        .spokes
        .iter()
        .enumerate()
        .map(|(i, s)| {
            s.parse::<HostSpec>().map_err(|_| invalid(format!("cluster {name}: field `spokes[{i}]`: {not_host}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((c, hubs, spokes))
}

/// The position (line, column, key) of a TOML error, never its text (the inventory and the
/// discovery credentials use it too: a password pasted into any of them stays unprinted).
pub fn where_not_what(text: &str, e: &toml::de::Error) -> String {
    let Some(span) = e.span() else {
        return "not a valid configuration (the text is not repeated here: it may hold a secret)".into();
    };
    let before = text.get(..span.start).unwrap_or("");
    let line = before.matches('\n').count().saturating_add(1);
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()).saturating_add(1);
    let key = text
        .lines()
        .nth(line.saturating_sub(1))
        .and_then(|l| l.split_once('='))
        .map(|(k, _)| k.trim())
        .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        .map(|k| format!(" (key `{k}`)"))
        .unwrap_or_default();
    format!(
        "line {line}, column {column}{key}: not valid TOML or not a valid value for the field (the text is not repeated here: it may hold a secret)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "[[cluster]]\nname = \"prod\"\nhub = \"hq:22:8443\"\nspokes = [\"br1\", \"br2:2222\"]\napp_user = \"axladmin\"\n";

    #[test]
    fn a_named_cluster() {
        let (c, hubs, spokes) = parse(GOOD, "c.toml", "prod").unwrap();
        assert_eq!(hubs[0].host, "hq");
        assert_eq!(spokes[1].ssh_port, Some(2222));
        assert_eq!(c.app_user.as_deref(), Some("axladmin"));
    }

    #[test]
    fn meshed_hubs_with_or_without_spokes() {
        let mesh = "[[cluster]]\nname = \"mesh\"\nhubs = [\"hq\", \"dr:2222\"]\n";
        let (_, hubs, spokes) = parse(mesh, "c.toml", "mesh").unwrap();
        assert_eq!((hubs.len(), spokes.len(), hubs[1].ssh_port), (2, 0, Some(2222)));
        let one = "[[cluster]]\nname = \"one\"\nhubs = [\"hq\"]\n";
        let e = parse(one, "c.toml", "one").unwrap_err().to_string();
        assert!(e.contains("`spokes` is empty"), "{e}");
        let none = "[[cluster]]\nname = \"none\"\nspokes = [\"br\"]\n";
        let e = parse(none, "c.toml", "none").unwrap_err().to_string();
        assert!(e.contains("no hub"), "{e}");
    }

    #[test]
    fn the_method_is_optional_and_checked() {
        let (c, _, _) = parse(GOOD, "c.toml", "prod").unwrap();
        assert_eq!(c.method, None);
        let with = format!("{GOOD}method = \"tls_with_password\"\n");
        let (c, _, _) = parse(&with, "c.toml", "prod").unwrap();
        assert_eq!(c.method, Some(crate::analyze::Method::TlsWithPassword));
        let e = parse(&format!("{GOOD}method = \"tls-ish\"\n"), "c.toml", "prod").unwrap_err().to_string();
        assert!(e.contains("c.toml") && e.contains("line 6"), "{e}");
    }

    #[test]
    fn errors_name_the_file_the_cluster_and_the_field() {
        let e = parse(GOOD, "c.toml", "lab").unwrap_err().to_string();
        assert!(e.contains("c.toml") && e.contains("\"lab\"") && e.contains("prod"), "{e}");
        let e = parse(&GOOD.replace("hq:22:8443", "hq:x"), "c.toml", "prod").unwrap_err().to_string();
        assert!(e.contains("field `hub`"), "{e}");
        let e = parse(&format!("{GOOD}password = \"secret\"\n"), "c.toml", "prod").unwrap_err().to_string();
        assert!(e.contains("passwords never go in the config file") && e.contains("line 6"), "{e}");
        assert!(!e.contains("secret"), "the refused value is never echoed: {e}");
    }

    #[test]
    fn a_bad_line_is_located_never_quoted() {
        for bad in [
            format!("{GOOD}app_user = \"axl\" Pa55-w0rd!\n"),
            GOOD.replace("[\"br1\", \"br2:2222\"]", "\"Pa55-w0rd!\""),
            GOOD.replace("axladmin", "axl\nPa55-w0rd!"),
            GOOD.replace("hq:22:8443", "Pa55-w0rd!:x"),
            GOOD.replace("\"br1\"", "\"Pa55 w0rd!\""),
        ] {
            let e = parse(&bad, "c.toml", "prod").unwrap_err().to_string();
            assert!(!e.contains("Pa55"), "the line is never echoed: {e}");
            assert!(e.contains("c.toml") && (e.contains("line ") || e.contains("field `")), "{e}");
        }
    }
}
