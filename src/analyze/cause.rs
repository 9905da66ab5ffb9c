//! One cause per pair, from everything read: the pair's latest attempt (its lines), both
//! sides' facts (the ILS service state, the roles) and what the run itself did. The traces say
//! what happened; the facts often say why: a spoke whose connection to the hub fails while the
//! hub's `utils service list` reads STOPPED has a stopped hub service, not an unreachable hub.

use super::model::{Attempt, PairCause};
use super::network::LinkKind;
use super::types::{Confidence, Outcome, RootCause, Side};
use crate::parse::facts::Facts;

/// How the run notes name a publisher: `host:https_port` (an address alone does not tell
/// publishers apart behind one address).
pub fn publisher_key(host: &str, https_port: u16) -> String {
    format!("{host}:{https_port}")
}

/// What the run itself did on the publishers, so that advice never asks for it again.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RunNotes {
    /// This run raised the ILS trace level to Detailed (on at least one side).
    pub levels_raised: bool,
    /// Publishers (`publisher_key`) whose ILS service this run restarted to force a registration.
    pub restarted: Vec<String>,
    /// Publishers whose ILS service was stopped and that this run left stopped.
    pub left_stopped: Vec<String>,
    /// Publishers whose stopped ILS service this run started (`--start-stopped`).
    pub started: Vec<String>,
    /// How long the capture waited for attempts, seconds (0 when it did not wait).
    pub capture_s: u64,
}

/// How the two ends of a link are known to the cause.
pub struct Ends<'a> {
    pub kind: LinkKind,
    pub client: &'a Facts,
    pub client_role: Side,
    pub server: Option<&'a Facts>,
}

/// The text the GUI and the CLI use for the ILS service.
pub const ILS: &str = "Cisco Intercluster Lookup Service";

fn stopped(f: &Facts) -> Option<&str> {
    f.ils_service.as_deref().filter(|s| !s.trim().to_ascii_uppercase().starts_with("STARTED"))
}

fn start_fix(on: &str, state: &str) -> String {
    let activate = if state.to_ascii_lowercase().contains("not activated") {
        format!(
            " It is not activated: first Cisco Unified Serviceability > Tools > Service Activation, check {ILS}, Save."
        )
    } else {
        String::new()
    };
    format!(
        "On {on}: `utils service start {ILS}` (or Cisco Unified Serviceability > Tools > Control Center - Feature \
         Services > {ILS} > Start).{activate} The registering side retries on its own."
    )
}

/// The cause of a pair's state. `latest` is its latest decided attempt (if any); `quiet` the
/// reason a pair without attempts was judged as it was.
pub fn of(ends: &Ends<'_>, latest: Option<&Attempt>, quiet_failure: Option<&str>, run: &RunNotes) -> Option<PairCause> {
    let client = ends.client.label();
    let client_role = ends.client_role.as_str();
    let server = ends.server.map(Facts::label);
    let server_words = server.clone().unwrap_or_else(|| "the cluster it registers to".into());
    if ends.kind == LinkKind::SpokeToSpoke {
        return Some(PairCause {
            code: "registered_to_spoke".into(),
            text: format!(
                "spoke {client} registers to {server_words}, whose ILS role is Spoke Cluster: a spoke registers to a hub, never to another spoke"
            ),
            basis: vec![
                latest.map_or_else(String::new, |a| format!("attempt #{} connects to {server_words}", a.id)),
                format!("{server_words} reports the ILS role Spoke Cluster"),
            ],
            fix: format!(
                "On {client}: Cisco Unified CM Administration > Advanced Features > ILS Configuration, Registration Server: the publisher of the hub this spoke belongs to; or, if {server_words} is meant to be a hub, set its Role to Hub Cluster."
            ),
            confidence: Confidence::Confirmed,
        });
    }
    let latest_ok = latest.is_some_and(|a| a.outcome == Outcome::Success);
    if let (Some(state), false) = (stopped(ends.client), latest_ok) {
        let me = publisher_key(&ends.client.host, ends.client.https_port);
        let left = if run.left_stopped.iter().any(|h| h == &me) {
            " (ils-doctor left it stopped: --start-stopped would start it)"
        } else {
            ""
        };
        return Some(PairCause {
            code: "client_service_stopped".into(),
            text: format!("the {ILS} on the {client_role} {client} is {state}: it does not register{left}"),
            basis: vec![format!("utils service list on {client} reads {state}")],
            fix: start_fix(&client, state),
            confidence: Confidence::Confirmed,
        });
    }
    if let Some(a) = latest.filter(|a| a.outcome == Outcome::Failure) {
        let cause = a.root_cause.unwrap_or(RootCause::Unknown);
        let unanswered = matches!(cause, RootCause::HubUnreachable | RootCause::Unknown);
        if let (true, Some(f), Some(state)) = (unanswered, ends.server, ends.server.and_then(stopped)) {
            let on = f.label();
            return Some(PairCause {
                code: "ils_service_stopped".into(),
                text: format!(
                    "the {ILS} on {on} is {state}: nothing answers the {client_role}'s registration on 7501/7502"
                ),
                basis: vec![
                    format!("attempt #{}: the {client_role} {client}'s connection failed", a.id),
                    format!("utils service list on {on} reads {state}"),
                ],
                fix: start_fix(&on, state),
                confidence: Confidence::Confirmed,
            });
        }
        let mut c = super::verdict::trace_cause(a);
        if ends.kind == LinkKind::HubToHub {
            c.text = hub_link_words(&c.text);
            c.fix = hub_link_words(&c.fix);
        }
        return Some(c);
    }
    if latest.is_none() {
        if let Some(reason) = quiet_failure {
            // The side registered to is stopped: that is why nothing happens.
            if let Some((f, state)) = ends.server.and_then(|f| stopped(f).map(|s| (f, s))) {
                let on = f.label();
                return Some(PairCause {
                    code: "ils_service_stopped".into(),
                    text: format!("the {ILS} on {on} is {state}: the {client_role} {client} cannot register to it"),
                    basis: vec![format!("utils service list on {on} reads {state}"), reason.to_string()],
                    fix: start_fix(&on, state),
                    confidence: Confidence::Confirmed,
                });
            }
            return Some(PairCause {
                code: "not_registered".into(),
                text: reason.to_string(),
                basis: vec!["no registration attempt in the capture".into()],
                fix: not_registered_fix(&client, &server_words, run),
                confidence: Confidence::Inferred,
            });
        }
    }
    None
}

/// Words for a hub-to-hub link: the traces' diagnosis names the registering side "the spoke"
/// (a hub joins another hub exactly as a spoke joins a hub, docs/cucm-notes.md#preconditions).
pub fn hub_link_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len().saturating_add(32));
    let mut rest = text;
    while let Some(i) = rest.find("spoke") {
        let (before, tail) = rest.split_at(i);
        let starts_word = before.chars().last().is_none_or(|c| !c.is_alphanumeric());
        let after = tail.get(5..).unwrap_or("");
        let ends_word = after.chars().next().is_none_or(|c| !c.is_alphanumeric() || c == '\'');
        out.push_str(before);
        out.push_str(if starts_word && ends_word { "registering hub" } else { "spoke" });
        rest = after;
    }
    out.push_str(rest);
    out.replace("Spoke ", "Registering hub ")
}

/// What to do about a pair that showed no attempt and does not look registered.
fn not_registered_fix(client: &str, server: &str, run: &RunNotes) -> String {
    let page = "Cisco Unified CM Administration > Advanced Features > ILS Configuration";
    if !run.restarted.is_empty() {
        format!(
            "ils-doctor restarted the {ILS} to force a registration and saw no attempt within {} s: on {client} check {page} (Role, Registration Server: {server}) and that the service runs; then run the check again with a longer --capture.",
            run.capture_s
        )
    } else {
        format!(
            "On {client} check {page} (Role, Registration Server: {server}). A registered pair is quiet until it reconnects: `--force-registration` restarts the {ILS} on the registering side to test a fresh join."
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(host: &str, service: &str) -> Facts {
        Facts { host: host.into(), ils_service: Some(service.into()), ..Facts::default() }
    }

    fn failed(cause: RootCause) -> Attempt {
        let mut a = Attempt::bare(3, Some("10.0.0.2".into()), Some("10.0.0.1".into()), Outcome::Failure);
        a.root_cause = Some(cause);
        a.summary =
            "Spoke 10.0.0.2 failed to register to hub 10.0.0.1: the spoke could not reach the hub's ILS service."
                .into();
        a.fix = Some("Check the port.".into());
        a
    }

    #[test]
    fn a_stopped_hub_service_is_the_cause_of_an_unanswered_connection() {
        let hub = facts("10.0.0.1", "STOPPED  Commanded Out of Service");
        let spoke = facts("10.0.0.2", "STARTED");
        let ends = Ends { kind: LinkKind::SpokeToHub, client: &spoke, client_role: Side::Spoke, server: Some(&hub) };
        let c = of(&ends, Some(&failed(RootCause::HubUnreachable)), None, &RunNotes::default()).unwrap();
        assert_eq!(c.code, "ils_service_stopped");
        assert!(c.fix.contains("utils service start Cisco Intercluster Lookup Service"), "{}", c.fix);
        assert!(c.basis.iter().any(|b| b.contains("STOPPED")), "{:?}", c.basis);
        // A running hub: the traces' cause stands.
        let hub = facts("10.0.0.1", "STARTED");
        let ends = Ends { kind: LinkKind::SpokeToHub, client: &spoke, client_role: Side::Spoke, server: Some(&hub) };
        let c = of(&ends, Some(&failed(RootCause::HubUnreachable)), None, &RunNotes::default()).unwrap();
        assert_eq!((c.code.as_str(), c.fix.as_str()), ("hub_unreachable", "Check the port."));
        // A password mismatch is never explained by a stopped hub: the hub answered.
        let hub = facts("10.0.0.1", "STOPPED");
        let ends = Ends { kind: LinkKind::SpokeToHub, client: &spoke, client_role: Side::Spoke, server: Some(&hub) };
        let c = of(&ends, Some(&failed(RootCause::PasswordMismatch)), None, &RunNotes::default()).unwrap();
        assert_eq!(c.code, "password_mismatch");
    }

    #[test]
    fn a_stopped_spoke_does_not_register_and_says_who_left_it_so() {
        let hub = facts("10.0.0.1", "STARTED");
        let spoke = facts("10.0.0.2", "STOPPED");
        let ends = Ends { kind: LinkKind::SpokeToHub, client: &spoke, client_role: Side::Spoke, server: Some(&hub) };
        let run = RunNotes { left_stopped: vec![publisher_key("10.0.0.2", 0)], ..RunNotes::default() };
        let c = of(&ends, None, Some("no attempt"), &run).unwrap();
        assert_eq!(c.code, "client_service_stopped");
        assert!(c.text.contains("--start-stopped"), "{}", c.text);
        // Registered in this capture after all (started by hand meanwhile): no cause.
        let mut ok = failed(RootCause::HubUnreachable);
        ok.outcome = Outcome::Success;
        ok.root_cause = None;
        assert_eq!(of(&ends, Some(&ok), None, &run), None);
    }

    #[test]
    fn advice_never_asks_for_what_the_run_did() {
        let hub = facts("10.0.0.1", "STARTED");
        let spoke = facts("10.0.0.2", "STARTED");
        let ends = Ends { kind: LinkKind::SpokeToHub, client: &spoke, client_role: Side::Spoke, server: Some(&hub) };
        let forced =
            RunNotes { levels_raised: true, restarted: vec!["10.0.0.2".into()], capture_s: 45, ..RunNotes::default() };
        let c = of(&ends, None, Some("not listed"), &forced).unwrap();
        assert!(!c.fix.contains("--force-registration"), "{}", c.fix);
        assert!(c.fix.contains("restarted") && c.fix.contains("45 s"), "{}", c.fix);
        let c = of(&ends, None, Some("not listed"), &RunNotes::default()).unwrap();
        assert!(c.fix.contains("--force-registration"), "{}", c.fix);
    }

    /// The fixes this module writes itself (a service to start, a spoke that is not registered)
    /// speak the ILS Configuration window's language, as the traces' fixes do (fix.rs).
    #[test]
    fn every_fix_of_a_link_uses_the_window_s_words() {
        let forced = RunNotes { restarted: vec!["10.0.0.2".into()], capture_s: 45, ..RunNotes::default() };
        // A spoke registered to another spoke: the Registration Server fix.
        let (t, spoke) = (facts("10.0.0.3", "STARTED"), facts("10.0.0.2", "STARTED"));
        let ends = Ends { kind: LinkKind::SpokeToSpoke, client: &spoke, client_role: Side::Spoke, server: Some(&t) };
        let mut ok = failed(RootCause::HubUnreachable);
        ok.outcome = Outcome::Success;
        let to_spoke = of(&ends, Some(&ok), None, &RunNotes::default()).unwrap();
        assert_eq!(to_spoke.code, "registered_to_spoke");
        let texts = [
            start_fix("10.0.0.1", "STOPPED"),
            start_fix("10.0.0.1", "Not Activated"),
            not_registered_fix("10.0.0.2", "10.0.0.1", &forced),
            not_registered_fix("10.0.0.2", "10.0.0.1", &RunNotes::default()),
            to_spoke.fix,
        ];
        for text in texts {
            let slips = crate::analyze::vocabulary::slips(&text);
            assert!(slips.is_empty(), "{slips:?}\n{text}");
        }
    }

    #[test]
    fn a_hub_link_names_the_registering_hub() {
        assert_eq!(
            hub_link_words("The spoke (10.0.0.2) refuses; import the spoke's certificate; spokes stay"),
            "The registering hub (10.0.0.2) refuses; import the registering hub's certificate; spokes stay"
        );
    }

    #[test]
    fn a_spoke_registered_to_a_spoke() {
        let t = facts("10.0.0.3", "STARTED");
        let spoke = facts("10.0.0.2", "STARTED");
        let ends = Ends { kind: LinkKind::SpokeToSpoke, client: &spoke, client_role: Side::Spoke, server: Some(&t) };
        let mut ok = failed(RootCause::HubUnreachable);
        ok.outcome = Outcome::Success;
        let c = of(&ends, Some(&ok), None, &RunNotes::default()).unwrap();
        assert_eq!(c.code, "registered_to_spoke");
        assert!(c.fix.contains("Registration Server"), "{}", c.fix);
    }
}
