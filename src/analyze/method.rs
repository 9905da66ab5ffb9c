//! A pair's authentication method, established from its attempts and said with its evidence:
//! AXL cannot read the ILS authentication settings back (docs/cucm-notes.md#axl-ils), so the
//! method is what the traces show, what the user said it is (`--method`, or `method` in the
//! config and inventory files) when the traces allow it, or the candidates that remain with the
//! one kind of line that would decide between them.

use serde::Serialize;

use super::diagnose::MethodSource;
use super::model::Attempt;
use super::types::{Method, MethodSet, Outcome};

/// The method of a pair and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PairMethod {
    pub method: Option<Method>,
    /// The methods still possible (one when `method` is known).
    pub candidates: Vec<Method>,
    pub source: MethodSource,
    /// Where it comes from, in words: the attempt and its lines, or the configuration.
    pub basis: String,
    /// When undecided: the line that would decide.
    pub decider: Option<String>,
}

fn transport(a: &Attempt) -> String {
    match (a.tls, a.port) {
        (Some(true), Some(p)) => format!("TLS on {p}"),
        (Some(true), None) => "TLS".into(),
        (Some(false), Some(p)) => format!("no TLS, on {p}"),
        (Some(false), None) => "no TLS".into(),
        (None, Some(p)) => format!("port {p}"),
        (None, None) => "a connection whose port the lines do not name".into(),
    }
}

/// What would tell the remaining candidates apart.
pub fn decider(candidates: MethodSet) -> Option<String> {
    let tls = candidates.intersect(MethodSet::TLS);
    if candidates.single().is_some() || candidates.is_empty() {
        return None;
    }
    if candidates.contains(Method::Password) && !tls.is_empty() {
        return Some(
            "the port of a registration: 7502 is password only (method 1), 7501 is TLS (methods 2 to 4)".into(),
        );
    }
    let mut parts = Vec::new();
    if tls.contains(Method::TlsWithPassword) && tls.contains(Method::Tls) {
        parts.push(
            "a password decryption line on the hub during the TLS connection means method 3, its absence method 2",
        );
    }
    if tls.contains(Method::TlsAfterPassword) {
        parts.push("a password join on 7502 before the TLS connection means method 4");
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Establishes a pair's method from its attempts (oldest first) and the configured method.
pub fn establish(list: &[&Attempt], configured: Option<Method>) -> PairMethod {
    let latest = list.iter().rev().find(|a| a.outcome != Outcome::Incomplete).or(list.last());
    let Some(a) = latest else {
        let candidates = configured.map_or(MethodSet::ALL, |m| MethodSet::of(&[m]));
        return PairMethod {
            method: configured,
            candidates: candidates.members(),
            source: if configured.is_some() { MethodSource::Configuration } else { MethodSource::Unknown },
            basis: match configured {
                Some(m) => format!("{} as configured; no attempt in the traces to confirm it", m.title()),
                None => "no attempt in the traces shows it".into(),
            },
            decider: decider(candidates),
        };
    };
    let candidates = MethodSet::of(&a.method_candidates);
    let basis = match (a.method, a.method_source) {
        (Some(m), MethodSource::Traces) => {
            format!("from the traces: attempt #{} ({}) fits only {}", a.id, transport(a), m.title())
        }
        (Some(m), _) => format!(
            "{} as configured; the traces of attempt #{} ({}) allow it{}",
            m.title(),
            a.id,
            transport(a),
            if a.method_candidates.len() > 1 { " among others" } else { "" }
        ),
        (None, _) => format!(
            "undecided: attempt #{} ({}) fits {}",
            a.id,
            transport(a),
            a.method_candidates.iter().map(|m| m.title()).collect::<Vec<_>>().join(" or ")
        ),
    };
    PairMethod {
        method: a.method,
        candidates: a.method_candidates.clone(),
        source: a.method_source,
        basis,
        decider: if a.method.is_none() { decider(candidates) } else { None },
    }
}

/// Narrows an undecided method with the certificate check (`preflight`), for a pair whose
/// latest attempt registered over TLS: a method the certificates rule out (its prediction
/// `fails`) cannot be the one that just succeeded. Nothing changes when the certificates rule
/// out none, or all (that contradiction is reported on its own).
pub fn narrow_by_certificates(pm: &mut PairMethod, pre: &super::preflight::PairPreflight) {
    if pm.method.is_some() {
        return;
    }
    let ruled_out: Vec<(Method, String)> = pm
        .candidates
        .iter()
        .filter_map(|m| {
            pre.method(*m).filter(|p| p.prediction == super::preflight::Prediction::Fails).map(|p| (*m, p.why.clone()))
        })
        .collect();
    if ruled_out.is_empty() || ruled_out.len() == pm.candidates.len() {
        return;
    }
    pm.candidates.retain(|m| !ruled_out.iter().any(|(r, _)| r == m));
    let why = ruled_out.iter().map(|(m, why)| format!("{} ({why})", m.title())).collect::<Vec<_>>().join("; ");
    match pm.candidates.as_slice() {
        [only] => {
            pm.method = Some(*only);
            pm.source = MethodSource::Certificates;
            pm.basis = format!(
                "from the traces and the certificates: {}; and the certificates rule out {why}",
                pm.basis.trim_start_matches("undecided: ")
            );
            pm.decider = None;
        }
        _ => {
            pm.basis = format!("{}; the certificates rule out {why}", pm.basis);
            pm.decider = decider(MethodSet::of(&pm.candidates));
        }
    }
}
