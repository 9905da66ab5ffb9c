//! The values a signature captures from a line, typed.
//!
//! Regex captures are bytes from an untrusted trace: every conversion is checked and a value
//! that does not parse is simply absent, never a panic.

use std::borrow::Cow;

use regex::bytes::Captures;

/// The capture names a catalog regex may use (any other name in a catalog is an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capture {
    PeerIp,
    PeerPort,
    LocalIp,
    LocalPort,
    Tls,
    Pid,
    PeerId,
    Fqdn,
    VerifyCode,
    VerifyText,
    ConnReason,
}

impl Capture {
    pub const ALL: [Capture; 11] = [
        Capture::PeerIp,
        Capture::PeerPort,
        Capture::LocalIp,
        Capture::LocalPort,
        Capture::Tls,
        Capture::Pid,
        Capture::PeerId,
        Capture::Fqdn,
        Capture::VerifyCode,
        Capture::VerifyText,
        Capture::ConnReason,
    ];

    /// The name a regex gives the capture.
    pub fn name(self) -> &'static str {
        match self {
            Capture::PeerIp => "peer_ip",
            Capture::PeerPort => "peer_port",
            Capture::LocalIp => "local_ip",
            Capture::LocalPort => "local_port",
            Capture::Tls => "tls",
            Capture::Pid => "pid",
            Capture::PeerId => "peer_id",
            Capture::Fqdn => "fqdn",
            Capture::VerifyCode => "verify_code",
            Capture::VerifyText => "verify_text",
            Capture::ConnReason => "conn_reason",
        }
    }
}

/// The named captures of a matched line (see the catalog header for their meaning).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Fields {
    pub peer_ip: Option<String>,
    pub peer_port: Option<u16>,
    pub local_ip: Option<String>,
    pub local_port: Option<u16>,
    pub tls: Option<bool>,
    /// The SDL process id of the connection handler, `[1, 600, 17, 5]` or `[1.600.17.5]`.
    pub pid: Option<[u32; 4]>,
    pub peer_id: Option<String>,
    pub fqdn: Option<String>,
    pub verify_code: Option<u32>,
    pub verify_text: Option<String>,
    pub conn_reason: Option<u32>,
}

/// Longest captured text kept (an IP, an FQDN, an OpenSSL message).
const MAX_FIELD: usize = 256;

impl Clone for Fields {
    fn clone(&self) -> Self {
        let mut f = Fields::default();
        f.clone_from(self);
        f
    }

    /// Field by field, so that the strings of a reused value keep their buffers (the scan
    /// recycles its hits: `filter.rs`).
    fn clone_from(&mut self, s: &Self) {
        self.peer_ip.clone_from(&s.peer_ip);
        self.peer_port = s.peer_port;
        self.local_ip.clone_from(&s.local_ip);
        self.local_port = s.local_port;
        self.tls = s.tls;
        self.pid = s.pid;
        self.peer_id.clone_from(&s.peer_id);
        self.fqdn.clone_from(&s.fqdn);
        self.verify_code = s.verify_code;
        self.verify_text.clone_from(&s.verify_text);
        self.conn_reason = s.conn_reason;
    }
}

impl Fields {
    pub fn from_captures(caps: &Captures<'_>) -> Fields {
        Fields::from_named(|c| caps.name(c.name()).map(|m| m.as_bytes()))
    }

    /// The fields from the bytes each capture took (a regex's captures, or a hand-written
    /// reader's spans: `analyze/readers.rs`), converted the same way for both.
    pub fn from_named<'a>(capture: impl Fn(Capture) -> Option<&'a [u8]>) -> Fields {
        // Cut, decoded, trimmed; borrowed where the bytes are UTF-8 already, so numbers are
        // parsed without a copy.
        let text = |c: Capture| -> Option<Cow<'a, str>> {
            let bytes = capture(c)?;
            let bytes = bytes.get(..MAX_FIELD).unwrap_or(bytes);
            let s = match String::from_utf8_lossy(bytes) {
                Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
                Cow::Owned(s) => Cow::Owned(s.trim().to_string()),
            };
            (!s.is_empty()).then_some(s)
        };
        let owned = |c: Capture| text(c).map(Cow::into_owned);
        Fields {
            peer_ip: owned(Capture::PeerIp),
            peer_port: text(Capture::PeerPort).and_then(|s| s.parse().ok()),
            local_ip: owned(Capture::LocalIp),
            local_port: text(Capture::LocalPort).and_then(|s| s.parse().ok()),
            tls: text(Capture::Tls).and_then(|s| parse_tls(&s)),
            pid: text(Capture::Pid).and_then(|s| parse_pid(&s)),
            peer_id: owned(Capture::PeerId),
            fqdn: owned(Capture::Fqdn),
            verify_code: text(Capture::VerifyCode).and_then(|s| s.parse().ok()),
            verify_text: owned(Capture::VerifyText),
            conn_reason: text(Capture::ConnReason).and_then(|s| s.parse().ok()),
        }
    }

    /// Whether the TCP handler's process type says TLS. In the technote non-TLS handlers are
    /// type 13 and TLS handlers type 17 (`[1, 600, 13, 5]` vs `SdlSSLTCPConnection(1,600,17,1)`);
    /// this is inferred from those samples [I], so it only fills in when nothing else tells.
    pub fn tls_from_pid(&self) -> Option<bool> {
        match self.pid? {
            [_, 600, 13, _] => Some(false),
            [_, 600, 17, _] => Some(true),
            _ => None,
        }
    }
}

fn parse_tls(s: &str) -> Option<bool> {
    match s {
        "t" | "true" => Some(true),
        "f" | "false" => Some(false),
        _ => None,
    }
}

/// `1.600.13.5`, `1, 600, 13, 5`, `1,600,17,1`.
fn parse_pid(s: &str) -> Option<[u32; 4]> {
    let mut out = [0u32; 4];
    let mut parts = s.split([',', '.', ' ']).filter(|p| !p.is_empty());
    for slot in &mut out {
        *slot = parts.next()?.parse().ok()?;
    }
    parts.next().is_none().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_in_both_notations() {
        assert_eq!(parse_pid("1.600.13.5"), Some([1, 600, 13, 5]));
        assert_eq!(parse_pid("1, 600, 17, 5"), Some([1, 600, 17, 5]));
        assert_eq!(parse_pid("1,600,17,1"), Some([1, 600, 17, 1]));
        assert_eq!(parse_pid("1.600.13"), None);
        assert_eq!(parse_pid("1.600.13.5.6"), None);
        assert_eq!(parse_pid("99999999999.1.1.1"), None);
    }

    #[test]
    fn pid_types_tell_tls() {
        let f = |pid| Fields { pid: Some(pid), ..Fields::default() };
        assert_eq!(f([1, 600, 13, 7]).tls_from_pid(), Some(false));
        assert_eq!(f([1, 600, 17, 16]).tls_from_pid(), Some(true));
        assert_eq!(f([1, 100, 17, 16]).tls_from_pid(), None);
    }
}
