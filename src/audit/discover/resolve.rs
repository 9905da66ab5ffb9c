//! Where a name is contacted: the `--resolve NAME=HOST[:SSH_PORT[:HTTPS_PORT]]` mappings (like
//! curl's `--resolve`), and the rule that a name a publisher reports is contacted only when the
//! user mapped it, or, with `--discover-follow-names`, as the plain host name it is (never with
//! ports a publisher wrote into it). Whether credentials go there is decided by the caller from
//! what the user listed for that name (docs/security.md, "Discovery").

use std::collections::BTreeMap;

use crate::pipeline::live::{HostSpec, HOST_FORMS};

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error(
        "--resolve {given:?}: {reason}; give NAME=TARGET where TARGET is {HOST_FORMS}, e.g. --resolve cucm-hub.example.com=127.0.0.1:2222:8443"
    )]
    Bad { given: String, reason: String },
}

/// The user's mappings and whether unmapped names a publisher reports may be followed.
#[derive(Debug, Clone, Default)]
pub struct Resolver {
    map: BTreeMap<String, HostSpec>,
    pub follow_names: bool,
}

/// What to do with a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Contact it there; `named`: the user named it (a start host or a `--resolve` mapping), so
    /// the default credentials may go there. A followed name gets only credentials listed for it.
    Contact { spec: HostSpec, named: bool },
    /// Not contacted, and why.
    Refused(String),
}

/// Names compare without case and without a final dot (DNS spelling).
fn key(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

impl Resolver {
    pub fn new(entries: &[String], follow_names: bool) -> Result<Resolver, ResolveError> {
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
        Ok(Resolver { map, follow_names })
    }

    /// Where `name` (a start host the user gave, or a `remotecluster` name) is contacted.
    /// `reported`: the name comes from a publisher: contacted only when mapped, or followed
    /// (`--discover-follow-names`) when it is a plain host name without ports.
    pub fn route(&self, name: &str, reported: bool) -> Route {
        if let Some(spec) = self.map.get(&key(name)) {
            return Route::Contact { spec: spec.clone(), named: true };
        }
        let spec = match name.trim().parse::<HostSpec>() {
            Ok(s) => s,
            Err(_) => return Route::Refused("not a host name or address".into()),
        };
        if !reported {
            return Route::Contact { spec, named: true };
        }
        if spec.ssh_port.is_some() || spec.https_port.is_some() {
            // A publisher must not choose the ports credentials go to.
            return Route::Refused(
                "the reported name carries ports, which only --resolve may give; map it (--resolve NAME=HOST:SSH_PORT:HTTPS_PORT) if it is yours".into(),
            );
        }
        if !self.follow_names {
            return Route::Refused(
                "not mapped (discovery contacts only the names you map with --resolve NAME=HOST; --discover-follow-names follows the others, with only the credentials listed for them)".into(),
            );
        }
        Route::Contact { spec, named: false }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_names_go_to_their_target_and_reported_names_are_followed_only_when_asked() {
        let r = Resolver::new(&["CUCM-Hub.example.com.=127.0.0.1:2222:8443".into()], false).unwrap();
        let Route::Contact { spec: s, named: true } = r.route("cucm-hub.example.com", true) else { panic!() };
        assert_eq!((s.host.as_str(), s.ssh_port, s.https_port), ("127.0.0.1", Some(2222), Some(8443)));
        assert!(matches!(r.route("cucm-spoke.example.com", true), Route::Refused(w) if w.contains("not mapped")));
        // Loopback is not an exception: a reported address is not one the user named.
        assert!(matches!(r.route("127.0.0.9", true), Route::Refused(_)));
        // The user's own start hosts are contacted as given, ports included.
        assert!(matches!(r.route("127.0.0.1:2222:8443", false), Route::Contact { named: true, .. }));
        let follow = Resolver::new(&[], true).unwrap();
        let Route::Contact { spec, named: false } = follow.route("cucm-spoke.example.com", true) else { panic!() };
        assert_eq!((spec.ssh_port, spec.https_port), (None, None));
        // Ports inside a reported name are never followed, whatever the flags.
        for hostile in ["127.0.0.1:2222:8443", "[::1]:22:8443", "cucm.example.com:2222"] {
            assert!(matches!(follow.route(hostile, true), Route::Refused(w) if w.contains("ports")), "{hostile}");
        }
        assert!(matches!(follow.route("<script>/x", true), Route::Refused(_)));
    }

    #[test]
    fn bad_mappings_are_refused_with_the_form() {
        for bad in ["nothing", "=127.0.0.1", "a=", "a=h:1:2:3", "a=127.0.0.1:x"] {
            let e = Resolver::new(&[bad.into()], false).unwrap_err().to_string();
            assert!(e.contains("NAME=TARGET"), "{e}");
        }
        let e = Resolver::new(&["a=127.0.0.1".into(), "A=127.0.0.2".into()], false).unwrap_err().to_string();
        assert!(e.contains("twice"), "{e}");
    }
}
