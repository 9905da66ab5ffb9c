//! Builds a two-cluster scenario from a [`Link`], so that tests can generate traces for every
//! combination of [`crate::decision::all_links`] (the decision table, docs/cucm-notes.md#catalog-lines).
//!
//! The hub is `cucm-hub.example.com` (10.10.0.1), the spoke `cucm-spoke.example.com` (10.20.0.1),
//! both at trace level Detailed, the spoke retrying every 30 s.

use crate::decision::{Cert, Link, SideConfig};
use crate::scenario::{
    Access, CertKind, Clock, Cluster, Faults, Ils, Role, Scenario, ServiceState, SimulationSettings, Tomcat,
    TraceLevel, Trust,
};

const HUB_CA: &str = "Hub Enterprise CA";
const SPOKE_CA: &str = "Spoke Enterprise CA";

#[allow(clippy::too_many_arguments)]
fn cluster(
    name: &str,
    fqdn: &str,
    ip: &str,
    role: Role,
    me: &SideConfig,
    my_ca: &str,
    peer: (&str, &str, &str),
    password: &str,
) -> Cluster {
    let (peer_name, peer_fqdn, peer_ca) = peer;
    Cluster {
        name: name.into(),
        cluster_id: format!("{}-CL", name.to_ascii_uppercase()),
        fqdn: fqdn.into(),
        ip: ip.into(),
        version: "14.0.1.11900-132".into(),
        role,
        node_id: 1,
        peer_id: None,
        ils: Ils {
            use_tls: me.use_tls,
            use_password: me.use_password,
            password: password.into(),
            service: ServiceState::Started,
            trace_level: TraceLevel::Detailed,
            retry_interval_s: 30,
            listening: true,
            registration_server: None,
            peer_info_vector: if me.peer_fqdn_in_piv { vec![peer_fqdn.into()] } else { vec![] },
        },
        tomcat: Tomcat {
            kind: if me.cert == Cert::CaSigned { CertKind::CaSigned } else { CertKind::SelfSigned },
            ca: my_ca.into(),
            expired: me.cert == Cert::Expired,
        },
        trust: Trust {
            tomcat_certs: if me.trusts_peer_cert { vec![peer_name.into()] } else { vec![] },
            ca_roots: if me.trusts_peer_ca { vec![peer_ca.into()] } else { vec![] },
        },
        clock: Clock::default(),
        access: Access::default(),
        showpeerinfo: None,
        tables: Default::default(),
    }
}

/// A hub + spoke scenario whose first attempt [`crate::decision::decide`]s exactly like `link`.
pub fn scenario_for_link(link: &Link) -> Scenario {
    let mut hub = cluster(
        "hub",
        "cucm-hub.example.com",
        "10.10.0.1",
        Role::Hub,
        &link.hub,
        HUB_CA,
        ("spoke", "cucm-spoke.example.com", SPOKE_CA),
        "ils-secret",
    );
    hub.ils.listening = link.hub_reachable;
    let mut spoke = cluster(
        "spoke",
        "cucm-spoke.example.com",
        "10.20.0.1",
        Role::Spoke,
        &link.spoke,
        SPOKE_CA,
        ("hub", "cucm-hub.example.com", HUB_CA),
        if link.passwords_equal { "ils-secret" } else { "other-secret" },
    );
    spoke.ils.registration_server = Some("hub".into());
    Scenario {
        name: "combination".into(),
        description: format!("{link:?}"),
        simulation: SimulationSettings::default(),
        faults: Faults::default(),
        latency: Default::default(),
        clusters: vec![hub, spoke],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{all_links, decide};

    #[test]
    fn first_attempt_matches_the_table_for_a_sample_of_links() {
        let start = chrono::DateTime::parse_from_rfc3339("2026-11-25T08:00:00Z")
            .map(|d| d.with_timezone(&chrono::Utc))
            .unwrap_or_default();
        // Every 37th combination keeps the test fast while covering all fields.
        for link in all_links().step_by(37) {
            let s = scenario_for_link(&link);
            let sim = crate::sim::simulate_window(&s, start, start + chrono::Duration::seconds(10));
            let a = sim.attempts.first().expect("one attempt");
            assert_eq!(a.outcome, decide(&link).outcome, "{link:?}");
        }
    }
}
