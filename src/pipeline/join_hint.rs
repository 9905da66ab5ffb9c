//! A failing check points at its plan: where a pair's cause is configuration that `join` writes
//! (the ILS passwords, a certificate not trusted, a spoke registered to a spoke, a stopped ILS
//! service), its fix ends with the `join` command that plans the change (docs/join.md). The
//! plan, not the apply: `join` changes nothing without `--apply`.

use super::diagnose::Outcome;
use crate::analyze::{Method, Side};
use crate::collect::publisher::Access;
use crate::parse::facts::Facts;

/// Causes a join's settings, certificates or service start fix (an expired certificate, a
/// duplicate Cluster ID or an unreachable hub are not among them).
const CONFIGURATION: &[&str] = &[
    "password_mismatch",
    "spoke_rejects_hub_certificate",
    "hub_rejects_spoke_certificate",
    "registered_to_spoke",
    "ils_service_stopped",
    "client_service_stopped",
];

/// How the command names a publisher: as the cluster knows it (its FQDN), like every report;
/// never the address ils-doctor connected to, which means nothing behind a tunnel or NAT.
fn name(f: &Facts) -> String {
    crate::configure::plan::registration_address(f)
}

/// Whether a publisher was reached on ports other than the defaults (22, 8443).
fn other_ports(a: &Access) -> bool {
    (a.ssh_port, a.https_port) != (22, 8443)
}

/// Appends the `join` command to the fix of each judged pair whose cause is configuration.
/// `given` are the publishers of the check, each with its side.
pub fn point_at_join(out: &mut Outcome, given: &[(Side, &Access)], configured: Option<Method>) {
    let access_of = |label: &Option<String>| -> Option<(Side, &Access, &Facts)> {
        let first = label.as_deref()?.split_whitespace().next()?.to_ascii_lowercase();
        let facts = &out.config.iter().find(|c| super::diagnose::identities(&c.facts).contains(&first))?.facts;
        given
            .iter()
            .find(|(_, a)| a.host == facts.host && a.https_port == facts.https_port)
            .map(|(side, a)| (*side, *a, facts))
    };
    let facts_of =
        |a: &Access| out.config.iter().map(|c| &c.facts).find(|f| f.host == a.host && f.https_port == a.https_port);
    let hubs: Vec<&Access> = given.iter().filter(|(s, _)| *s == Side::Hub).map(|(_, a)| *a).collect();
    let mut hints = Vec::new();
    for (i, p) in out.analysis.pairs.iter().enumerate() {
        let Some(code) = p.cause.as_ref().map(|c| c.code.as_str()) else { continue };
        if !p.judged || !CONFIGURATION.contains(&code) {
            continue;
        }
        let expired = p
            .latest_attempt
            .and_then(|id| out.analysis.attempts.iter().find(|a| a.id == id))
            .and_then(|a| a.verify_error.as_ref())
            .is_some_and(|v| v.code == 10);
        if expired {
            continue;
        }
        let Some((client_side, client, client_facts)) = access_of(&p.spoke_name) else { continue };
        // A spoke registered to a spoke joins the hub of the check.
        let server = match (code, hubs.as_slice()) {
            ("registered_to_spoke", [hub]) => facts_of(hub).map(|f| (*hub, f)),
            ("registered_to_spoke", _) => None,
            _ => access_of(&p.hub_name).map(|(_, a, f)| (a, f)),
        };
        let Some((server, server_facts)) = server else { continue };
        let method = p.method.method.or(configured).or(match p.method.candidates.as_slice() {
            [only] => Some(*only),
            _ => None,
        });
        let method_words = method.map_or_else(
            || " --method METHOD (tls for a self-signed Tomcat certificate; tls_with_password or tls_after_password need CA-signed ones)".to_string(),
            |m| format!(" --method {}", m.as_str()),
        );
        let other = if client_side == Side::Hub { "--hub" } else { "--spoke" };
        let ports = if other_ports(server) || other_ports(client) {
            " (with the ports you gave the check: HOST:SSH_PORT:HTTPS_PORT)"
        } else {
            ""
        };
        hints.push((
            i,
            format!(
                " To plan these changes: `ils-doctor join --hub {} {other} {}{method_words}`{ports} (it changes nothing; --apply makes them, `ils-doctor undo` takes them back).",
                name(server_facts),
                name(client_facts)
            ),
        ));
    }
    for (i, hint) in hints {
        if let Some(c) = out.analysis.pairs.get_mut(i).and_then(|p| p.cause.as_mut()) {
            c.fix.push_str(&hint);
        }
    }
}
