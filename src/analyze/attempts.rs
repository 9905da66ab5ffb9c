//! Building the attempts: episodes per trace and role, joined across sides, diagnosed.

use std::collections::BTreeMap;

use super::diagnose::{self, verify_meaning, Clue, Diagnosis};
use super::episode::is_ils_port;
use super::fix::{fix, FixInput};
use super::model::{self, Evidence, VerifyError};
use super::pairing::{self, EpisodeKey, Link};
use super::tracker::{Line, Out, Tracker};
use super::types::{Method, Outcome, RootCause, Side};
use super::{Catalog, Event, ScannedFile, TraceInfo};

/// Below this, an estimated skew is taken as network latency, not as a clock difference.
pub const SKEW_CORRECTION_MIN_MS: i64 = 1_000;

pub(crate) struct Built {
    /// In time order, ids not yet assigned.
    pub attempts: Vec<model::Attempt>,
    pub skews: Vec<model::ClockSkew>,
    /// Lines that belong to no attempt (event index, peer address when known).
    pub routine: Vec<(usize, Option<String>)>,
}

struct Episode {
    role: Side,
    trace: usize,
    events: Vec<usize>,
    opened: bool,
    more: u64,
}

pub(crate) fn build(
    catalog: &Catalog,
    files: &[ScannedFile],
    traces: &[TraceInfo],
    events: &[Event<'_>],
    configured: Option<Method>,
) -> Built {
    // Events are in file order within each trace; split by trace and role, keeping that order.
    let mut streams: BTreeMap<(usize, Side), Vec<usize>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        streams.entry((e.trace, e.role)).or_default().push(i);
    }
    let mut episodes = Vec::new();
    let mut routine = Vec::new();
    for ((trace, role), idx) in streams {
        let mut tracker = Tracker::new(role);
        let mut out = |o: Out<usize>| match o {
            Out::Episode(ep) => {
                let mut evs = ep.hits;
                evs.sort_unstable();
                episodes.push(Episode { role, trace, events: evs, opened: ep.opened, more: ep.more });
            }
            Out::Activity { hit, peer } => routine.push((hit, peer)),
            Out::Unclaimed(hit) => routine.push((hit, events.get(hit).and_then(|e| e.hit.fields.peer_ip.clone()))),
        };
        for &i in &idx {
            let Some(e) = events.get(i) else { continue };
            let Some(sig) = catalog.get(e.hit.sig) else { continue };
            let line = Line {
                role: sig.role,
                fact: sig.fact,
                seq: e.hit.seq,
                t_ms: e.when.map(|w| w.order_key()),
                fields: &e.hit.fields,
            };
            tracker.push(line, i, &mut out);
        }
        tracker.finish(&mut out);
    }
    let keys: Vec<EpisodeKey> = episodes.iter().map(|ep| key_of(ep, events, traces)).collect();
    let (links, skews) = pairing::pair(&keys);

    let skew_between = |hub_trace: usize, spoke_trace: usize| {
        skews.iter().find(|s| s.hub_trace == hub_trace && s.spoke_trace == spoke_trace).map(|s| s.hub_minus_spoke_ms)
    };
    // Any estimate for a spoke trace, to place its lone attempts on the hub's clock.
    let skew_of_spoke =
        |spoke_trace: usize| skews.iter().find(|s| s.spoke_trace == spoke_trace).map_or(0, |s| s.hub_minus_spoke_ms);

    let mut attempts: Vec<(i64, model::Attempt)> = links
        .iter()
        .map(|link| {
            let skew = match (link.hub, link.spoke) {
                (Some(h), Some(s)) => match (episodes.get(h), episodes.get(s)) {
                    (Some(h), Some(s)) => skew_between(h.trace, s.trace).unwrap_or(0),
                    _ => 0,
                },
                (None, Some(s)) => episodes.get(s).map_or(0, |s| skew_of_spoke(s.trace)),
                _ => 0,
            };
            attempt(catalog, files, events, &episodes, &keys, link, skew, configured)
        })
        .collect();
    attempts.sort_by_key(|(t, _)| *t);

    let label = |t: usize| traces.get(t).and_then(|t| t.host_ip.clone().or_else(|| t.host_name.clone()));
    Built {
        routine,
        attempts: attempts.into_iter().map(|(_, a)| a).collect(),
        skews: skews
            .iter()
            .map(|s| model::ClockSkew {
                hub: label(s.hub_trace),
                spoke: label(s.spoke_trace),
                hub_minus_spoke_ms: s.hub_minus_spoke_ms,
                samples: s.samples,
            })
            .collect(),
    }
}

fn key_of(ep: &Episode, events: &[Event<'_>], traces: &[TraceInfo]) -> EpisodeKey {
    let fields = || ep.events.iter().filter_map(|&i| events.get(i)).map(|e| &e.hit.fields);
    let peer_ip = fields().find_map(|f| f.peer_ip.clone());
    let local_ip = fields().find_map(|f| f.local_ip.clone().filter(|s| !s.is_empty()));
    let own_ip = local_ip.or_else(|| traces.get(ep.trace).and_then(|t| t.host_ip.clone()));
    let start = ep.events.iter().find_map(|&i| events.get(i)?.when);
    match ep.role {
        Side::Hub => EpisodeKey {
            role: Side::Hub,
            trace: ep.trace,
            start,
            hub_ip: own_ip,
            spoke_ip: peer_ip,
            spoke_port: fields().find_map(|f| f.peer_port.filter(|p| !is_ils_port(*p))),
        },
        Side::Spoke => EpisodeKey {
            role: Side::Spoke,
            trace: ep.trace,
            start,
            hub_ip: peer_ip,
            spoke_ip: own_ip,
            spoke_port: fields().find_map(|f| f.local_port.filter(|p| !is_ils_port(*p))),
        },
    }
}

#[allow(clippy::too_many_arguments)]
fn attempt(
    catalog: &Catalog,
    files: &[ScannedFile],
    events: &[Event<'_>],
    episodes: &[Episode],
    keys: &[EpisodeKey],
    link: &Link,
    skew_ms: i64,
    configured: Option<Method>,
) -> (i64, model::Attempt) {
    let hub_events: &[usize] = link.hub.and_then(|h| episodes.get(h)).map_or(&[], |e| &e.events);
    let spoke_events: &[usize] = link.spoke.and_then(|s| episodes.get(s)).map_or(&[], |e| &e.events);
    let linked = || link.hub.iter().chain(link.spoke.iter()).filter_map(|&e| episodes.get(e));
    let opened_before_window = !linked().any(|e| e.opened);
    let more: u64 = linked().map(|e| e.more).sum();
    // Spoke first: on equal times the spoke, which opens the connection, wrote first.
    let all: Vec<usize> = spoke_events.iter().chain(hub_events).copied().collect();
    let clues: Vec<Clue<'_>> = all
        .iter()
        .filter_map(|&i| {
            let e = events.get(i)?;
            let s = catalog.get(e.hit.sig)?;
            Some(Clue {
                role: e.role,
                fact: s.fact,
                outcome: s.outcome,
                methods: s.methods,
                cause: s.root_cause,
                confidence: s.confidence,
                fields: &e.hit.fields,
                anchor: &s.anchor,
            })
        })
        .collect();
    let d = diagnose::diagnose(&clues, configured);

    let hub_key = link.hub.and_then(|h| keys.get(h));
    let spoke_key = link.spoke.and_then(|s| keys.get(s));
    let hub = hub_key.and_then(|k| k.hub_ip.clone()).or_else(|| spoke_key.and_then(|k| k.hub_ip.clone()));
    let spoke = hub_key.and_then(|k| k.spoke_ip.clone()).or_else(|| spoke_key.and_then(|k| k.spoke_ip.clone()));
    let spoke_fqdn = all.iter().find_map(|&i| events.get(i)?.hit.fields.fqdn.clone());

    // Evidence on the hub's clock: spoke lines shifted by the estimated skew, but only when it is
    // more than network latency could explain (the estimate is offset plus latency; shifting by
    // a few milliseconds of latency would put answers before their questions).
    let shift = if skew_ms.abs() > SKEW_CORRECTION_MIN_MS { skew_ms } else { 0 };
    let on_hub_clock = |i: usize| {
        let Some(e) = events.get(i) else { return 0 };
        let t = e.when.map_or(0, |w| w.order_key());
        if e.role == Side::Spoke {
            t.saturating_add(shift)
        } else {
            t
        }
    };
    let mut ordered = all.clone();
    ordered.sort_by_key(|&i| on_hub_clock(i));
    let first = ordered.first().copied();
    let sort_key = first.map_or(i64::MAX, on_hub_clock);
    let lead = hub_events.first().or(spoke_events.first()).and_then(|&i| events.get(i));
    let at = lead.and_then(|e| e.when).and_then(|w| w.rfc3339());
    let time_of_day = lead.and_then(|e| e.when).map(|w| w.time_of_day());

    let evidence = ordered
        .iter()
        .filter_map(|&i| {
            let e = events.get(i)?;
            let f = files.get(e.file)?;
            let sig = catalog.get(e.hit.sig);
            Some(Evidence {
                side: f.side,
                file: f.path.clone(),
                line_no: e.hit.line_no,
                text: e.hit.text.clone(),
                signature: sig.map_or_else(String::new, |s| s.id.clone()),
                meaning: sig.map_or_else(String::new, |s| s.meaning.clone()),
                at: e.when.map(|w| w.rfc3339().unwrap_or_else(|| w.time_of_day())),
                key: sig.is_some_and(|s| {
                    s.role == super::types::ConnRole::Concludes
                        || (s.methods != super::types::MethodSet::ALL && !s.methods.is_empty())
                }),
            })
        })
        .collect();
    let mut seen_on: Vec<Side> = all.iter().filter_map(|&i| Some(files.get(events.get(i)?.file)?.side)).collect();
    seen_on.sort();
    seen_on.dedup();

    let fix_text = d.root_cause.map(|cause| {
        fix(&FixInput {
            cause,
            method: d.method,
            candidates: d.candidates,
            verify_code: d.verify_code,
            hub: hub.as_deref(),
            spoke: spoke.as_deref(),
            spoke_fqdn: spoke_fqdn.as_deref(),
        })
    });
    let summary = summary(&d, hub.as_deref(), spoke.as_deref());
    let attempt = model::Attempt {
        id: 0,
        hub,
        spoke,
        spoke_fqdn,
        hub_name: None,
        spoke_name: None,
        port: d.port,
        tls: d.tls,
        method: d.method,
        method_candidates: d.candidates.members(),
        method_source: d.method_source,
        method_basis: d.method_basis.clone(),
        outcome: d.outcome,
        root_cause: d.root_cause,
        verify_error: d.verify_code.map(|code| VerifyError {
            code,
            text: d.verify_text.clone(),
            meaning: verify_meaning(code),
        }),
        at,
        time_of_day,
        seen_on,
        linked_by: link.kind,
        confidence: d.confidence,
        summary,
        fix: fix_text,
        notes: {
            let mut notes = d.notes.clone();
            if opened_before_window {
                notes.push(
                    "the line that opened this attempt is not in the traces (it was written before the window or the files read); the attempt starts at its first concluding line".into(),
                );
            }
            if more > 0 {
                notes.push(format!("{more} more line(s) of this connection are counted but not listed"));
            }
            notes
        },
        opened_before_window,
        evidence,
    };
    (sort_key, attempt)
}

fn summary(d: &Diagnosis, hub: Option<&str>, spoke: Option<&str>) -> String {
    let spoke = spoke.map_or("The spoke".to_string(), |s| format!("Spoke {s}"));
    let hub = hub.map_or("the hub".to_string(), |h| format!("hub {h}"));
    let method = match d.method {
        Some(m) => m.title().to_string(),
        None => "an authentication method the traces do not show".to_string(),
    };
    match (d.outcome, d.root_cause) {
        (Outcome::Success, _) => format!("{spoke} registered to {hub} with {method}."),
        (Outcome::Incomplete, _) => format!("{spoke} and {hub}: an attempt whose outcome is not in the traces."),
        (Outcome::Failure, cause) => {
            let why = match cause.unwrap_or(RootCause::Unknown) {
                RootCause::PasswordMismatch => {
                    "the ILS passwords differ (the hub could not decrypt the spoke's data)".to_string()
                }
                RootCause::SpokeRejectsHubCertificate => "the spoke rejected the hub's Tomcat certificate".to_string(),
                RootCause::HubRejectsSpokeCertificate => "the hub rejected the spoke's Tomcat certificate".to_string(),
                RootCause::HubUnreachable => "the spoke could not reach the hub's ILS service".to_string(),
                RootCause::Unknown => "the lines do not say why".to_string(),
            };
            let code = match (d.verify_code, &d.verify_text) {
                (Some(c), Some(t)) => format!(" (OpenSSL verify error {c}: {t})"),
                (Some(c), None) => format!(" (OpenSSL verify error {c})"),
                _ => String::new(),
            };
            format!("{spoke} failed to register to {hub}: {why}{code}.")
        }
    }
}
