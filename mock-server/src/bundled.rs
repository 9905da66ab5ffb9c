//! The scenario files of `mock-server/scenarios/`, compiled in, so that `ils-doctor demo` and tests
//! can start a scenario by name without knowing where the crate lives.

use crate::scenario::{Scenario, ScenarioError};

/// (name, TOML text) of every bundled scenario, sorted by name.
pub const ALL: &[(&str, &str)] = &[
    ("hc-duplicate-cluster-id", include_str!("../scenarios/hc-duplicate-cluster-id.toml")),
    ("hc-expired-tomcat", include_str!("../scenarios/hc-expired-tomcat.toml")),
    ("hc-hub-unreachable", include_str!("../scenarios/hc-hub-unreachable.toml")),
    ("hc-ils-stopped", include_str!("../scenarios/hc-ils-stopped.toml")),
    ("hc-spoke-to-spoke", include_str!("../scenarios/hc-spoke-to-spoke.toml")),
    ("hc-standalone-cluster-id", include_str!("../scenarios/hc-standalone-cluster-id.toml")),
    ("m1-password-mismatch", include_str!("../scenarios/m1-password-mismatch.toml")),
    ("m1-password-success", include_str!("../scenarios/m1-password-success.toml")),
    ("m2-hub-cert-not-on-spoke", include_str!("../scenarios/m2-hub-cert-not-on-spoke.toml")),
    ("m2-spoke-cert-not-on-hub", include_str!("../scenarios/m2-spoke-cert-not-on-hub.toml")),
    ("m2-tls-success", include_str!("../scenarios/m2-tls-success.toml")),
    ("m3-both-self-signed", include_str!("../scenarios/m3-both-self-signed.toml")),
    ("m3-hub-self-signed", include_str!("../scenarios/m3-hub-self-signed.toml")),
    ("m3-spoke-self-signed", include_str!("../scenarios/m3-spoke-self-signed.toml")),
    ("m3-tls-password-success", include_str!("../scenarios/m3-tls-password-success.toml")),
    ("m4-hub-self-signed", include_str!("../scenarios/m4-hub-self-signed.toml")),
    ("m4-spoke-self-signed", include_str!("../scenarios/m4-spoke-self-signed.toml")),
    ("m4-switch-to-tls-success", include_str!("../scenarios/m4-switch-to-tls-success.toml")),
    ("mesh-hub-cert-expired", include_str!("../scenarios/mesh-hub-cert-expired.toml")),
    ("mesh-hub-password-mismatch", include_str!("../scenarios/mesh-hub-password-mismatch.toml")),
    ("mesh-spoke-moved", include_str!("../scenarios/mesh-spoke-moved.toml")),
    ("mesh-two-hubs", include_str!("../scenarios/mesh-two-hubs.toml")),
    ("mesh-two-hubs-six-spokes", include_str!("../scenarios/mesh-two-hubs-six-spokes.toml")),
    ("multi-three-spokes", include_str!("../scenarios/multi-three-spokes.toml")),
    ("multi-two-spokes", include_str!("../scenarios/multi-two-spokes.toml")),
];

/// The bundled scenario `name` (file stem, e.g. `m1-password-mismatch`), parsed.
pub fn load(name: &str) -> Option<Result<Scenario, ScenarioError>> {
    ALL.iter().find(|(n, _)| *n == name).map(|(n, text)| Scenario::from_toml(text, &format!("{n}.toml")))
}

/// Names of all bundled scenarios.
pub fn names() -> impl Iterator<Item = &'static str> {
    ALL.iter().map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_bundled_scenario_parses_and_matches_the_directory() {
        for n in super::names() {
            let s = super::load(n).unwrap().unwrap();
            assert_eq!(s.name, n);
        }
        let on_disk = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios")).unwrap().count();
        assert_eq!(super::ALL.len(), on_disk, "add new scenario files to bundled.rs");
        assert!(super::load("nope").is_none());
    }
}
