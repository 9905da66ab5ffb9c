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
    /// Where it comes from, in words: the attempt and its lines, the certificates, the
    /// configuration.
    pub basis: String,
    /// When undecided: the line that would decide.
    pub decider: Option<String>,
    /// When the sources disagree (the traces against the certificate check or the configured
    /// method): what disagrees with what. The traces win.
    pub conflict: Option<String>,
}

fn titles(ms: &[Method]) -> String {
    match ms {
        [] => "no method".into(),
        [one] => one.title().to_string(),
        _ => {
            let (last, rest) = ms.split_last().map_or((None, &[][..]), |(l, r)| (Some(l), r));
            format!(
                "{} or {}",
                rest.iter().map(|m| m.title()).collect::<Vec<_>>().join(", "),
                last.map_or("", |m| m.title())
            )
        }
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

/// The traces' part of a pair's method: its latest decided attempt (else its latest), as the
/// diagnosis of that attempt's lines left it.
fn from_traces(a: &Attempt) -> (MethodSet, String) {
    let candidates = MethodSet::of(&a.method_candidates);
    let basis = if a.method_basis.is_empty() {
        format!("attempt #{}: its lines do not show the transport", a.id)
    } else {
        format!("attempt #{}: {}", a.id, a.method_basis.join("; "))
    };
    (candidates, basis)
}

/// Which methods a certificate check leaves for an attempt's outcome: a TLS registration that
/// succeeded cannot have used a method whose handshake or own check the certificates make
/// fail; a certificate refusal cannot have happened under a method they make succeed.
fn from_certificates(a: &Attempt, pre: &super::preflight::PairPreflight) -> Option<(MethodSet, String)> {
    use super::preflight::Prediction;
    use super::types::RootCause;
    let refused =
        matches!(a.root_cause, Some(RootCause::SpokeRejectsHubCertificate | RootCause::HubRejectsSpokeCertificate));
    let tls_success = a.outcome == Outcome::Success && a.tls == Some(true);
    if !tls_success && !refused {
        return None;
    }
    let mut keep = Vec::new();
    let mut out = Vec::new();
    for mp in &pre.methods {
        let consistent =
            !matches!((tls_success, mp.prediction), (true, Prediction::Fails) | (false, Prediction::Succeeds));
        if consistent {
            keep.push(mp.method);
        } else {
            out.push(format!(
                "{} would {}: {}",
                mp.method.title(),
                if tls_success { "fail" } else { "succeed" },
                mp.why
            ));
        }
    }
    if out.is_empty() {
        return None;
    }
    Some((MethodSet::of(&keep), format!("the certificate check says {}", out.join("; "))))
}

/// Establishes a pair's method from its attempts (oldest first), the certificate check of the
/// pair when there is one, and the configured method; says what it rests on, and where the
/// sources disagree.
pub fn decide(
    list: &[&Attempt],
    pre: Option<&super::preflight::PairPreflight>,
    configured: Option<Method>,
) -> PairMethod {
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
            conflict: None,
        };
    };
    let (traces, mut basis) = from_traces(a);
    let mut candidates = traces;
    let mut source = if traces.single().is_some() { MethodSource::Traces } else { MethodSource::Unknown };
    let mut conflict = None;
    if let Some((certs, why)) = pre.and_then(|p| from_certificates(a, p)) {
        let both = candidates.intersect(certs);
        if both.is_empty() {
            conflict =
                Some(format!("the traces of attempt #{} fit {}, but {why}", a.id, titles(&candidates.members())));
        } else if both != candidates {
            candidates = both;
            basis.push_str(&format!("; {why}"));
            if source == MethodSource::Unknown && candidates.single().is_some() {
                source = MethodSource::Certificates;
            }
        } else {
            basis.push_str(&format!("; {why}"));
        }
    }
    if let Some(c) = configured {
        if candidates.contains(c) {
            if candidates.single().is_none() {
                candidates = MethodSet::of(&[c]);
                source = MethodSource::Configuration;
                basis.push_str(&format!("; {} as configured", c.title()));
            } else {
                basis.push_str("; as configured");
            }
        } else {
            let found = titles(&candidates.members());
            conflict.get_or_insert(format!("{} was given as configured, but the traces show {found}", c.title()));
        }
    }
    let method = candidates.single();
    PairMethod {
        method,
        candidates: candidates.members(),
        source: if method.is_some() { source } else { MethodSource::Unknown },
        basis,
        decider: if method.is_none() { decider(candidates) } else { None },
        conflict,
    }
}

/// A pair's method from its attempts alone (the analysis of traces without the configuration
/// of either side: `analyze`).
pub fn establish(list: &[&Attempt], configured: Option<Method>) -> PairMethod {
    decide(list, None, configured)
}

/// Several methods by number: `method 2, 3 or 4`.
pub fn numbers(ms: &[Method]) -> String {
    let n: Vec<&str> = ms
        .iter()
        .map(|m| match m {
            Method::Password => "1",
            Method::Tls => "2",
            Method::TlsWithPassword => "3",
            Method::TlsAfterPassword => "4",
        })
        .collect();
    match n.split_last() {
        None => "no method".into(),
        Some((only, [])) => format!("method {only}"),
        Some((last, rest)) => format!("method {} or {last}", rest.join(", ")),
    }
}

/// The method in a sentence: `TLS with password (method 3), from attempt #1: ...`, or what is
/// still open.
pub fn sentence(pm: &PairMethod) -> String {
    match pm.method {
        Some(m) => format!("{}, from {}", m.title(), pm.basis),
        None if pm.candidates.is_empty() => format!("not determined: {}", pm.basis),
        None => format!("not decided between {}: {}", numbers(&pm.candidates), pm.basis),
    }
}
