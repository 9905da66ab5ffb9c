//! A failing check points at its plan: where a pair's cause is configuration that `join` writes
//! (the ILS passwords, a certificate not trusted, a spoke registered to a spoke, a stopped ILS
//! service), its fix ends with the `join` command that plans the change (docs/join.md). The
//! plan, not the apply: `join` changes nothing without `--apply`.

use super::diagnose::Outcome;
use crate::analyze::{Method, Side};
use crate::collect::publisher::Access;

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

/// How the command line names a publisher: its address, with its ports when not the defaults.
fn spec(a: &Access) -> String {
    match (a.ssh_port, a.https_port) {
        (22, 8443) => a.host.clone(),
        (22, h) => format!("{}::{h}", a.host),
        (s, 8443) => format!("{}:{s}", a.host),
        (s, h) => format!("{}:{s}:{h}", a.host),
    }
}

/// Appends the `join` command to the fix of each judged pair whose cause is configuration.
/// `given` are the publishers of the check, each with its side.
pub fn point_at_join(out: &mut Outcome, given: &[(Side, &Access)], configured: Option<Method>) {
    let access_of = |label: &Option<String>| -> Option<(Side, &Access)> {
        let first = label.as_deref()?.split_whitespace().next()?.to_ascii_lowercase();
        let facts = out.config.iter().find(|c| super::diagnose::identities(&c.facts).contains(&first))?;
        given
            .iter()
            .find(|(_, a)| a.host == facts.facts.host && a.https_port == facts.facts.https_port)
            .map(|(side, a)| (*side, *a))
    };
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
        let Some((client_side, client)) = access_of(&p.spoke_name) else { continue };
        // A spoke registered to a spoke joins the hub of the check.
        let server = match (code, hubs.as_slice()) {
            ("registered_to_spoke", [hub]) => *hub,
            ("registered_to_spoke", _) => continue,
            _ => match access_of(&p.hub_name) {
                Some((_, a)) => a,
                None => continue,
            },
        };
        let method = p.method.method.or(configured).or(match p.method.candidates.as_slice() {
            [only] => Some(*only),
            _ => None,
        });
        let method_words = method.map_or_else(
            || " --method METHOD (tls for a self-signed Tomcat certificate; tls_with_password or tls_after_password need CA-signed ones)".to_string(),
            |m| format!(" --method {}", m.as_str()),
        );
        let other = if client_side == Side::Hub { "--hub" } else { "--spoke" };
        hints.push((
            i,
            format!(
                " To plan these changes: `ils-doctor join --hub {} {other} {}{method_words}` (it changes nothing; --apply makes them, `ils-doctor undo` takes them back).",
                spec(server),
                spec(client)
            ),
        ));
    }
    for (i, hint) in hints {
        if let Some(c) = out.analysis.pairs.get_mut(i).and_then(|p| p.cause.as_mut()) {
            c.fix.push_str(&hint);
        }
    }
}
