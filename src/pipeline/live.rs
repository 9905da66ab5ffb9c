//! From the command line's connection options to per-publisher [`Access`]: host specs, ports,
//! users, passwords (see `credentials`), TLS trust (CA file, pins, `ils-doctor trust`'s pins
//! file, insecure) and the known_hosts file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::collect::publisher::Access;
use crate::connect::tls::{normalize_fingerprint, TlsMode};
use crate::credentials::{self, CredentialError, Kind};

/// A publisher as every command and file names it: `HOST`, `HOST:SSH_PORT`,
/// `HOST:SSH_PORT:HTTPS_PORT` or `HOST::HTTPS_PORT` (an IPv6 address in brackets). An empty
/// port keeps its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSpec {
    pub host: String,
    pub ssh_port: Option<u16>,
    pub https_port: Option<u16>,
}

/// The forms a host may take, for error messages.
pub const HOST_FORMS: &str = "HOST, HOST:SSH_PORT, HOST:SSH_PORT:HTTPS_PORT or HOST::HTTPS_PORT ([IPv6] in brackets)";

impl std::str::FromStr for HostSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = |why: String| format!("{s:?}: {why}; give {HOST_FORMS}");
        let (host, rest) = if let Some(r) = s.strip_prefix('[') {
            let (h, rest) = r.split_once(']').ok_or_else(|| bad("an IPv6 address needs its closing ]".into()))?;
            let rest = match rest.strip_prefix(':') {
                Some(r) => Some(r),
                None if rest.is_empty() => None,
                None => return Err(bad(format!("{rest:?} after the address"))),
            };
            (h.to_string(), rest)
        } else {
            match s.split_once(':') {
                Some((h, rest)) => (h.to_string(), Some(rest)),
                None => (s.to_string(), None),
            }
        };
        if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c == '/' || c == '@') {
            return Err(bad("not a host name or address".into()));
        }
        let ports: Vec<&str> = rest.map(|r| r.split(':').collect()).unwrap_or_default();
        if ports.len() > 2 {
            return Err(bad("more than two ports".into()));
        }
        let port = |p: Option<&&str>| -> Result<Option<u16>, String> {
            match p.map(|p| p.trim()) {
                None | Some("") => Ok(None),
                Some(p) => match p.parse::<u16>() {
                    Ok(0) | Err(_) => Err(bad(format!("{p:?} is not a port"))),
                    Ok(n) => Ok(Some(n)),
                },
            }
        };
        Ok(HostSpec { host, ssh_port: port(ports.first())?, https_port: port(ports.get(1))? })
    }
}

/// `5m`, `90s`, `2h`, `1h30m`, or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = 0u64;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().map_err(|_| format!("{s:?}: expected a duration like 90s, 5m, 2h"))?;
        num.clear();
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(format!("{s:?}: unknown unit {c:?} (use s, m, h, d)")),
        };
        total = n
            .checked_mul(unit)
            .and_then(|secs| total.checked_add(secs))
            .ok_or_else(|| format!("{s:?}: too long a duration"))?;
    }
    if !num.is_empty() {
        return Err(format!("{s:?}: a number needs a unit (s, m, h, d)"));
    }
    Ok(Duration::from_secs(total))
}

/// Shared connection options.
#[derive(Debug, Clone)]
pub struct ConnOptions {
    pub ssh_port: u16,
    pub https_port: u16,
    pub admin_user: String,
    pub app_user: String,
    pub ca_file: Option<PathBuf>,
    /// `host=SHA256` pins from the command line.
    pub pins: Vec<String>,
    pub pins_file: PathBuf,
    pub insecure: bool,
    pub known_hosts: PathBuf,
    pub accept_new_host_key: bool,
    /// `--legacy-ssh`: also offer weak SSH algorithms (docs/security.md).
    pub legacy_ssh: bool,
    pub command_timeout: Duration,
    /// `--record DIR`: every publisher's exchanges (docs/transcript.md).
    pub record: Option<crate::connect::record::Recording>,
}

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(transparent)]
    Credentials(#[from] CredentialError),
    #[error("--ca-file {path}: {reason}")]
    CaFile { path: String, reason: String },
    #[error("--pin {0:?}: expected HOST=SHA256-FINGERPRINT")]
    BadPin(String),
}

pub fn default_config_dir() -> PathBuf {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(std::env::temp_dir)
        .join("ils-doctor")
}

pub fn default_known_hosts() -> PathBuf {
    std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".ssh/known_hosts"))
        .unwrap_or_else(|| default_config_dir().join("known_hosts"))
}

/// The pin recorded for `host:port` by `ils-doctor trust`, if any.
pub fn pinned(pins_file: &Path, host: &str, port: u16) -> Option<String> {
    let text = std::fs::read_to_string(pins_file).ok()?;
    let key = format!("{host}:{port}");
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(char::is_whitespace)?;
        (k == key).then(|| v.trim().to_string())
    })
}

/// Records a pin (replacing one for the same host and port).
pub fn record_pin(pins_file: &Path, host: &str, port: u16, fingerprint: &str) -> std::io::Result<()> {
    if let Some(dir) = pins_file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let key = format!("{host}:{port}");
    let mut lines: Vec<String> = std::fs::read_to_string(pins_file)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.split_whitespace().next() != Some(key.as_str()))
        .map(String::from)
        .collect();
    lines.push(format!("{key} {fingerprint}"));
    std::fs::write(pins_file, lines.join("\n") + "\n")
}

impl ConnOptions {
    pub fn tls_for(&self, host: &str, port: u16) -> Result<TlsMode, LiveError> {
        if self.insecure {
            return Ok(TlsMode::Insecure);
        }
        for p in &self.pins {
            let (h, fp) = p.split_once('=').ok_or_else(|| LiveError::BadPin(p.clone()))?;
            if normalize_fingerprint(fp).len() != 64 {
                return Err(LiveError::BadPin(p.clone()));
            }
            if h == host || h == format!("{host}:{port}") {
                return Ok(TlsMode::Pin(fp.to_string()));
            }
        }
        if let Some(fp) = pinned(&self.pins_file, host, port) {
            return Ok(TlsMode::Pin(fp));
        }
        let extra = match &self.ca_file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| LiveError::CaFile { path: path.display().to_string(), reason: e.to_string() })?,
            ),
            None => None,
        };
        Ok(TlsMode::Verify { extra_roots_pem: extra })
    }

    /// What restoring a trace level needs and nothing more: the application user (AXL), its
    /// password and the HTTPS trust. Never the OS administrator's password (`ils-doctor restore`
    /// runs where only the AXL user is configured).
    pub fn app_access(
        &self,
        host: &str,
        https_port: u16,
    ) -> Result<(String, crate::secret::Secret, TlsMode), LiveError> {
        Ok((self.app_user.clone(), credentials::password(Kind::App, host)?, self.tls_for(host, https_port)?))
    }

    /// The access to one publisher, with its passwords.
    pub fn access(&self, spec: &HostSpec) -> Result<Access, LiveError> {
        let https_port = spec.https_port.unwrap_or(self.https_port);
        Ok(Access {
            host: spec.host.clone(),
            ssh_port: spec.ssh_port.unwrap_or(self.ssh_port),
            https_port,
            admin_user: self.admin_user.clone(),
            admin_password: credentials::password(Kind::Admin, &spec.host)?,
            app_user: self.app_user.clone(),
            app_password: credentials::password(Kind::App, &spec.host)?,
            app_credential: "auto".into(),
            tls: self.tls_for(&spec.host, https_port)?,
            known_hosts: self.known_hosts.clone(),
            accept_new_host_key: self.accept_new_host_key,
            legacy_ssh: self.legacy_ssh,
            command_timeout: self.command_timeout,
            record: self.record.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_specs() {
        assert_eq!(
            "cucm-pub".parse::<HostSpec>().unwrap(),
            HostSpec { host: "cucm-pub".into(), ssh_port: None, https_port: None }
        );
        assert_eq!("10.0.0.1:2222:9443".parse::<HostSpec>().unwrap().https_port, Some(9443));
        assert_eq!("[::1]:22".parse::<HostSpec>().unwrap().host, "::1");
        assert!("a:b".parse::<HostSpec>().is_err());
        // One syntax everywhere: an empty SSH port keeps its default, extra ports are an error.
        let h = "cucm-pub::9443".parse::<HostSpec>().unwrap();
        assert_eq!((h.ssh_port, h.https_port), (None, Some(9443)));
        let e = "cucm-pub:22:8443:1".parse::<HostSpec>().unwrap_err();
        assert!(e.contains("more than two ports") && e.contains("HOST:SSH_PORT:HTTPS_PORT"), "{e}");
        assert!("cucm-pub:0".parse::<HostSpec>().is_err());
        assert!("[::1]x".parse::<HostSpec>().is_err());
        assert!("admin@cucm-pub".parse::<HostSpec>().is_err());
        assert!("".parse::<HostSpec>().is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("45").unwrap(), Duration::from_secs(45));
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("5m3").is_err());
    }

    #[test]
    fn pins_file_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pins");
        record_pin(&f, "h", 8443, "AA").unwrap();
        record_pin(&f, "g", 8443, "BB").unwrap();
        record_pin(&f, "h", 8443, "CC").unwrap();
        assert_eq!(pinned(&f, "h", 8443).as_deref(), Some("CC"));
        assert_eq!(pinned(&f, "g", 8443).as_deref(), Some("BB"));
        assert_eq!(pinned(&f, "h", 9443), None);
    }
}
