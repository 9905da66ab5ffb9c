//! The OpenSSH known_hosts check, as `ssh` does it (OpenSSH manual page sshd(8), section
//! "SSH_KNOWN_HOSTS FILE FORMAT"), rather than russh's, which reports a changed key only when
//! the recorded key has the presented key's algorithm: a man in the middle presenting an
//! Ed25519 key to a host pinned with RSA would pass as a new host. Here any recorded key for the
//! host that is not the presented one makes a changed key.
//!
//! Handled: comma-separated patterns with `*` and `?` wildcards and `!` negation, `[host]:port`
//! for ports other than 22, hashed names (`|1|salt|HMAC-SHA1`), `@revoked` (a revoked key is
//! refused even when listed elsewhere), `@cert-authority` lines (ignored: ils-doctor does not
//! accept host certificates), comments and lines it cannot read (skipped, never fatal).

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use russh::keys::PublicKey;

/// What the file says about the presented key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Recorded for this host.
    Known,
    /// Marked `@revoked` (line number, 1-based).
    Revoked { line: usize },
    /// The host has recorded keys and the presented one is none of them: (line, key) of each.
    Changed { recorded: Vec<(usize, PublicKey)> },
    /// No key is recorded for the host.
    Unknown,
}

/// The name a host is recorded under: `host`, or `[host]:port` when the port is not 22.
pub fn host_key_name(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

/// Checks `presented` for `host:port` against the text of a known_hosts file.
pub fn check(text: &str, host: &str, port: u16, presented: &PublicKey) -> Verdict {
    let name = host_key_name(host, port);
    let mut recorded = Vec::new();
    let mut known = false;
    for (i, raw) in text.lines().enumerate() {
        let line = i.saturating_add(1);
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let mut fields = l.split_whitespace();
        let (marker, hosts) = match fields.next() {
            Some(m) if m.starts_with('@') => (Some(m), fields.next()),
            h => (None, h),
        };
        let (Some(hosts), Some(_algorithm), Some(b64)) = (hosts, fields.next(), fields.next()) else { continue };
        if !matches(&name, hosts) {
            continue;
        }
        let Ok(key) = russh::keys::parse_public_key_base64(b64) else { continue };
        let same = key.key_data() == presented.key_data();
        match marker {
            Some("@revoked") if same => return Verdict::Revoked { line },
            Some(_) => {}
            None if same => known = true,
            None => recorded.push((line, key)),
        }
    }
    if known {
        Verdict::Known
    } else if recorded.is_empty() {
        Verdict::Unknown
    } else {
        Verdict::Changed { recorded }
    }
}

/// Whether `name` matches a comma-separated pattern list: any positive match and no negated
/// one.
fn matches(name: &str, patterns: &str) -> bool {
    let mut hit = false;
    for p in patterns.split(',') {
        if let Some(hashed) = p.strip_prefix("|1|") {
            hit |= hashed_matches(name, hashed);
        } else if let Some(neg) = p.strip_prefix('!') {
            if glob(&neg.to_ascii_lowercase(), &name.to_ascii_lowercase()) {
                return false;
            }
        } else if glob(&p.to_ascii_lowercase(), &name.to_ascii_lowercase()) {
            hit = true;
        }
    }
    hit
}

/// `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`.
fn hashed_matches(name: &str, rest: &str) -> bool {
    let b64 = base64::engine::general_purpose::STANDARD;
    let Some((salt, hash)) = rest.split_once('|') else { return false };
    let (Ok(salt), Ok(hash)) = (b64.decode(salt), b64.decode(hash)) else { return false };
    let Ok(mac) = Hmac::<sha1::Sha1>::new_from_slice(&salt) else { return false };
    mac.chain_update(name.as_bytes()).verify_slice(&hash).is_ok()
}

/// `*` any run of characters, `?` one character; iterative, so a hostile pattern cannot recurse.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi = pi.saturating_add(1);
            }
            Some(&c) if c == '?' || Some(&c) == t.get(ti) => {
                pi = pi.saturating_add(1);
                ti = ti.saturating_add(1);
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp.saturating_add(1);
                    ti = st.saturating_add(1);
                    star = Some((sp, ti));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    const ED2: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";
    const RSA: &str = "AAAAB3NzaC1yc2EAAAADAQABAAABgQCmjkeMm8k3JkNrf16eb5pG4bc77B6Mt3VN4saltsRV8vASpyWa/PlBgdaeldOaNJ5NK0gqU3KyiUNzHbdcc8572e7IUBDJS/rlaWARiSL4aos2VbNX0k56Z5zYp9m/bq5m9/mlb+PQkNBjIhimgpYNiq2TwBiYeA6tLb79cPtHA0cX5BLk/a5oUpLsiR4kI/f+Q98vVDKasKXXVh5YLkLobrruDB6er2A9fOcIUF0O4JCRLh/Dc161gE3fQrYTMQenbppZzfxrZfQ8YwLPvKjnqm+XRX+pbTtaJuj0EgTSzUK+EZxoSw8CNwiZpxrjwecTMVQ8w/srQmh4ABGuTqk0wP8HcI7hg+fpBv7kiejh5X/Oehxt+Puu85u9GVXb1a0av/vhJvUCBcuISvCA/z1wVJ0xdLhb1/ZiTDdTzyNbZQ0OQijzK+e1SlkNhp+3eGVZu3pNZvnTppwIXv3wg6kV1HodkWGgh1ayY7Buc52Z8okDYqvJat5CzOj5OaQNr/k=";

    fn key(b64: &str) -> PublicKey {
        russh::keys::parse_public_key_base64(b64).unwrap()
    }

    #[test]
    fn a_key_of_another_type_for_a_known_host_is_a_changed_key() {
        let text = format!("[10.0.0.1]:2222 ssh-rsa {RSA}\n");
        match check(&text, "10.0.0.1", 2222, &key(ED)) {
            Verdict::Changed { recorded } => assert_eq!(recorded[0].0, 1),
            v => panic!("{v:?}"),
        }
        // russh alone calls it unknown: the reason for this module.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("kh");
        std::fs::write(&p, &text).unwrap();
        assert!(matches!(russh::keys::check_known_hosts_path("10.0.0.1", 2222, &key(ED), &p), Ok(false)));
    }

    #[test]
    fn known_unknown_port_and_patterns() {
        let text = format!("# comment\ngarbage\ncucm-*.example.com,!cucm-bad.example.com ssh-ed25519 {ED}\n[h]:2222 ssh-ed25519 {ED2}\n");
        assert_eq!(check(&text, "cucm-hub.example.com", 22, &key(ED)), Verdict::Known);
        assert_eq!(check(&text, "cucm-bad.example.com", 22, &key(ED)), Verdict::Unknown);
        assert_eq!(check(&text, "h", 2222, &key(ED2)), Verdict::Known);
        assert_eq!(check(&text, "h", 22, &key(ED2)), Verdict::Unknown, "port 22 is the plain name");
        assert!(matches!(check(&text, "h", 2222, &key(ED)), Verdict::Changed { .. }));
    }

    #[test]
    fn hashed_hosts_and_revoked_keys() {
        // From russh's own test: the hashed name of `example.com`.
        let text = format!(
            "|1|O33ESRMWPVkMYIwJ1Uw+n877jTo=|nuuC5vEqXlEZ/8BXQR7m619W6Ak= ssh-ed25519 {ED}\n@revoked * ssh-ed25519 {ED2}\n"
        );
        assert_eq!(check(&text, "example.com", 22, &key(ED)), Verdict::Known);
        assert!(matches!(check(&text, "example.com", 22, &key(ED2)), Verdict::Revoked { line: 2 }));
        let both = format!("h ssh-ed25519 {ED2}\n@revoked h ssh-ed25519 {ED2}\n");
        assert!(matches!(check(&both, "h", 22, &key(ED2)), Verdict::Revoked { .. }), "revoked wins");
    }

    #[test]
    fn globs() {
        assert!(glob("*", "x"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(glob("*.example.com", "a.b.example.com"));
        assert!(!glob("*.example.com", "example.org"));
    }
}
