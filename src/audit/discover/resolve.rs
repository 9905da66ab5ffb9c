//! Where a name is contacted: the `--resolve NAME=HOST[:SSH_PORT[:HTTPS_PORT]]` mappings (like
//! curl's `--resolve`), and, with `--discover-mapped-only`, the rule that a name a publisher
//! reports is contacted only when it is mapped or a loopback address (127.0.0.0/8, ::1).

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::pipeline::live::{HostSpec, HOST_FORMS};

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error(
        "--resolve {given:?}: {reason}; give NAME=TARGET where TARGET is {HOST_FORMS}, e.g. --resolve cucm-hub.example.com=127.0.0.1:2222:8443"
    )]
    Bad { given: String, reason: String },
}

/// The user's mappings and whether unmapped names may be contacted.
#[derive(Debug, Clone, Default)]
pub struct Resolver {
    map: BTreeMap<String, HostSpec>,
    pub mapped_only: bool,
}

/// What to do with a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Contact(HostSpec),
    /// Not contacted, and why.
    Refused(String),
}

/// Names compare without case and without a final dot (DNS spelling).
fn key(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// A loopback address literal (a name is not resolved to find out).
pub fn is_loopback(host: &str) -> bool {
    host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl Resolver {
    pub fn new(entries: &[String], mapped_only: bool) -> Result<Resolver, ResolveError> {
        let mut map = BTreeMap::new();
        for e in entries {
            let bad = |reason: &str| ResolveError::Bad { given: e.clone(), reason: reason.to_string() };
            let (name, target) = e.split_once('=').ok_or_else(|| bad("no `=`"))?;
            if key(name).is_empty() {
                return Err(bad("the name is empty"));
            }
            let spec: HostSpec = target.trim().parse().map_err(|why: String| bad(&why))?;
            if map.insert(key(name), spec).is_some() {
                return Err(bad("this name is mapped twice"));
            }
        }
        Ok(Resolver { map, mapped_only })
    }

    /// Where `name` (a start host the user gave, or a `remotecluster` name) is contacted.
    /// `reported`: the name comes from a publisher, so `--discover-mapped-only` applies.
    pub fn route(&self, name: &str, reported: bool) -> Route {
        if let Some(spec) = self.map.get(&key(name)) {
            return Route::Contact(spec.clone());
        }
        let spec = match name.trim().parse::<HostSpec>() {
            Ok(s) => s,
            Err(_) => return Route::Refused("not a host name or address".into()),
        };
        if reported && self.mapped_only && !is_loopback(&spec.host) {
            return Route::Refused("not mapped (--discover-mapped-only; add --resolve NAME=HOST to reach it)".into());
        }
        Route::Contact(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_names_go_to_their_target_and_unmapped_ones_only_to_loopback() {
        let r = Resolver::new(&["CUCM-Hub.example.com.=127.0.0.1:2222:8443".into()], true).unwrap();
        let Route::Contact(s) = r.route("cucm-hub.example.com", true) else { panic!() };
        assert_eq!((s.host.as_str(), s.ssh_port, s.https_port), ("127.0.0.1", Some(2222), Some(8443)));
        assert!(matches!(r.route("cucm-spoke.example.com", true), Route::Refused(w) if w.contains("not mapped")));
        assert!(matches!(r.route("127.0.0.9", true), Route::Contact(_)));
        assert!(matches!(r.route("[::1]:22:8443", true), Route::Contact(_)));
        assert!(matches!(r.route("10.0.0.1", true), Route::Refused(_)));
        // The user's own start hosts, and everything without the flag, are contacted.
        assert!(matches!(r.route("cucm-spoke.example.com", false), Route::Contact(_)));
        let open = Resolver::new(&[], false).unwrap();
        assert!(matches!(open.route("cucm-spoke.example.com", true), Route::Contact(_)));
        assert!(matches!(open.route("<script>/x", true), Route::Refused(_)));
    }

    #[test]
    fn bad_mappings_are_refused_with_the_form() {
        for bad in ["nothing", "=127.0.0.1", "a=", "a=h:1:2:3", "a=127.0.0.1:x"] {
            let e = Resolver::new(&[bad.into()], true).unwrap_err().to_string();
            assert!(e.contains("NAME=TARGET"), "{e}");
        }
        let e = Resolver::new(&["a=127.0.0.1".into(), "A=127.0.0.2".into()], true).unwrap_err().to_string();
        assert!(e.contains("twice"), "{e}");
    }
}
