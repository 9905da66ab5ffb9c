//! docs/example-join-plans.md holds the plan `join` makes for every bundled scenario: each link
//! the scenario configures (a cluster and its Registration Server), with the authentication
//! method the scenario configures (from its Use TLS / Use Password settings and PeerInfoVector),
//! against the mock. This test fails when a scenario has no plan there; with
//! `ILS_DOCTOR_WRITE_DOCS=1` it writes the file again from the mock.

mod support;

use std::fmt::Write;
use std::path::Path;

use ils_doctor::analyze::Method;
use ils_doctor::configure::text;
use ils_doctor::pipeline::join;
use mock_server::scenario::{Role, Scenario};
use support::join::lab_of;

const DOC: &str = "docs/example-join-plans.md";
/// Links shown per scenario at most (the six-spoke mesh has seven, alike).
const MAX_LINKS: usize = 3;

/// The method a cluster's ILS Authentication settings configure (technote 200694).
fn method_of(s: &Scenario, cluster: &str) -> Method {
    let c = s.cluster(cluster).unwrap();
    match (c.ils.use_tls, c.ils.use_password, c.ils.peer_info_vector.is_empty()) {
        (true, true, _) => Method::TlsWithPassword,
        (true, false, false) => Method::TlsAfterPassword,
        (true, false, true) => Method::Tls,
        _ => Method::Password,
    }
}

/// Each link a scenario configures: (registered to, registering, hub to hub). A spoke whose
/// Registration Server names another spoke is joined to the scenario's hub: that is its fix.
fn links(s: &Scenario) -> Vec<(String, String, bool)> {
    let first_hub = s.clusters.iter().find(|c| c.role == Role::Hub).map(|c| c.name.clone());
    s.clusters
        .iter()
        .filter_map(|c| {
            let mut to = c.ils.registration_server.clone()?;
            if c.role == Role::Spoke && s.cluster(&to).is_some_and(|t| t.role == Role::Spoke) {
                to = first_hub.clone()?;
            }
            let hub_to_hub = c.role == Role::Hub && s.cluster(&to).is_some_and(|t| t.role == Role::Hub);
            Some((to, c.name.clone(), hub_to_hub))
        })
        .take(MAX_LINKS)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_has_its_plan_in_the_docs() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(DOC);
    let write = std::env::var("ILS_DOCTOR_WRITE_DOCS").is_ok_and(|v| v == "1");
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    let mut doc = String::from(
        "# Example join plans\n\nWhat `ils-doctor join` plans for every scenario the mock bundles (`mock-server/scenarios/`): each link\nthe scenario configures, with the authentication method the scenario configures. Nothing was\nchanged to make them. Written by `ILS_DOCTOR_WRITE_DOCS=1 cargo test --test join_docs`; the\ncommands name the publishers by host name where the test reached them on loopback. See\n[join.md](join.md) for what each part means.\n",
    );
    for name in mock_server::bundled::names() {
        let s = mock_server::bundled::load(name).unwrap().unwrap();
        let _ = write!(doc, "\n## {name}\n\n{}\n", s.description);
        if !write {
            assert!(
                existing.contains(&format!("\n## {name}\n")),
                "{DOC} has no plan for {name}: run ILS_DOCTOR_WRITE_DOCS=1 cargo test --test join_docs"
            );
            continue;
        }
        let lab = lab_of(s.clone());
        for (to, from, hub_to_hub) in links(&s) {
            let method = method_of(&s, &from);
            let req = lab.request(&to, &from, hub_to_hub, method);
            let plan = join::plan(&req, std::future::pending()).await.unwrap().plan;
            let fqdn = |c: &str| s.cluster(c).unwrap().fqdn.clone();
            let other = if hub_to_hub { "--hub" } else { "--spoke" };
            let cmd =
                format!("ils-doctor join --hub {} {other} {} --method {}", fqdn(&to), fqdn(&from), method.as_str());
            let _ = write!(doc, "\n```console\n$ {cmd}\n{}```\n", text::render(&plan, Some(&format!("{cmd} --apply"))));
        }
    }
    if write {
        std::fs::write(&path, doc).unwrap();
    }
}
