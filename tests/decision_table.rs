//! The mock's decision table against the analyzer, on every combination: each link configuration
//! of `mock_server::decision::all_links` (36,864) is decided; combinations that write the same
//! trace (the same lines on the same transport, the same OpenSSL code) form one group, whose
//! traces are simulated once (no servers), written and analysed offline; ils-doctor's outcome,
//! cause and method are then compared with the mock's ground truth of every member of the group.
//!
//! Both sides were written by this project, so agreement proves the parts agree, not that they
//! are right: the rules they share without a public source are listed in docs/cucm-notes.md
//! ("Rules the mock and the analyzer share"), and diagnoses resting on them say `inferred`.
//!
//! The outcome and the cause must always agree. A method may differ only for a reason listed in
//! `KNOWN`, and every reason checks the outcome and the cause first: none can excuse a wrong
//! cause. Where one trace comes from several configurations with different methods, the traces
//! cannot decide, and the analyzer must say the method is undecided with each of them among its
//! candidates.

use std::collections::HashMap;

use ils_doctor::analyze::{self, Catalog, Method, Outcome, RootCause, Side};
use ils_doctor::collect::local;
use ils_doctor::pipeline::scan::{scan_all, Job};
use mock_server::decision::{self, all_links, Link};

fn method_of(m: decision::Method) -> Method {
    match m {
        decision::Method::Password => Method::Password,
        decision::Method::Tls => Method::Tls,
        decision::Method::TlsPassword => Method::TlsWithPassword,
        decision::Method::SwitchToTls => Method::TlsAfterPassword,
    }
}

/// What the traces of one attempt should make ils-doctor say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Expected {
    Registered(Method),
    Failed(RootCause, Option<Method>),
    /// The table writes no documented line for it (`ConfigMismatch`): not a success.
    NotRegistered,
}

fn expected(o: decision::Outcome) -> Expected {
    use decision::Outcome as O;
    match o {
        O::Registered(m) => Expected::Registered(method_of(m)),
        O::PasswordMismatch(m) => Expected::Failed(RootCause::PasswordMismatch, Some(method_of(m))),
        O::HubCertRejected(m, _) => Expected::Failed(RootCause::SpokeRejectsHubCertificate, Some(method_of(m))),
        O::SpokeCertRejected(m, _) => Expected::Failed(RootCause::HubRejectsSpokeCertificate, Some(method_of(m))),
        O::HubUnreachable => Expected::Failed(RootCause::HubUnreachable, None),
        O::ConfigMismatch => Expected::NotRegistered,
    }
}

/// What ils-doctor said of a group's trace.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Got {
    /// `None`: no decided attempt.
    outcome: Option<Outcome>,
    cause: Option<RootCause>,
    method: Option<Method>,
    candidates: Vec<Method>,
}

impl Got {
    fn describe(&self) -> String {
        match self.outcome {
            Some(o) => format!("{o:?} {:?} method {:?} of {:?}", self.cause, self.method, self.candidates),
            None => "no decided attempt".into(),
        }
    }
}

/// The outcome and the cause agree: every reason below checks this first.
fn outcome_and_cause_agree(want: Expected, got: &Got) -> bool {
    match want {
        Expected::Registered(_) => got.outcome == Some(Outcome::Success),
        Expected::Failed(cause, _) => got.outcome == Some(Outcome::Failure) && got.cause == Some(cause),
        Expected::NotRegistered => got.outcome != Some(Outcome::Success),
    }
}

fn truth_method(want: Expected) -> Option<Method> {
    match want {
        Expected::Registered(m) => Some(m),
        Expected::Failed(_, m) => m,
        Expected::NotRegistered => None,
    }
}

/// The method the analyzer gives is the truth's, or (undecided) has it among its candidates.
fn method_fits(want: Expected, got: &Got) -> bool {
    match (truth_method(want), got.method) {
        (None, _) => true,
        (Some(m), Some(x)) => x == m,
        (Some(m), None) => got.candidates.contains(&m),
    }
}

/// A known disagreement about the method only: its reason, and when it applies. `applies` is
/// only asked once the outcome and the cause agree (`known_reason`).
struct Known {
    reason: &'static str,
    applies: fn(Expected, &Got) -> bool,
}

const KNOWN: &[Known] = &[
    Known {
        reason: "the mock names method 4 from the configuration (the PeerInfoVector holds the peer's FQDN) while the traces show method 2's certificate check (P12: the certificate was imported; or P19: the FQDN is not in the PeerInfoVector); the catalog ties those lines to the method the technote shows them in, so the analyzer says method 2, or finds the lines contradictory and leaves the method open",
        applies: |want, got| {
            truth_method(want) == Some(Method::TlsAfterPassword)
                && (got.method == Some(Method::Tls) || (got.method.is_none() && got.candidates.is_empty()))
        },
    },
    Known {
        reason: "the mock writes the PeerInfoVector line (P24, which the technote shows in method 4) in a method-3 attempt whose hub already knows the spoke's FQDN; the catalog ties P24 to method 4, so the analyzer reads method 4, or finds the lines contradictory (P24 against method 3's lines) and leaves the method open",
        applies: |want, got| {
            truth_method(want) == Some(Method::TlsWithPassword)
                && (got.method == Some(Method::TlsAfterPassword) || got.method.is_none())
        },
    },
];

/// The reason that excuses a disagreement: only about the method, never the outcome or cause.
fn known_reason(want: Expected, got: &Got) -> Option<&'static str> {
    if !outcome_and_cause_agree(want, got) {
        return None;
    }
    KNOWN.iter().find(|k| (k.applies)(want, got)).map(|k| k.reason)
}

/// One group: the combinations that write the same trace.
type Key = (bool, Vec<(decision::Side, decision::Line)>, Option<u32>);

fn key_of(link: &Link) -> (Key, Expected) {
    let d = decision::decide(link);
    let code = match d.outcome {
        decision::Outcome::HubCertRejected(_, c) | decision::Outcome::SpokeCertRejected(_, c) => Some(c),
        _ => None,
    };
    ((d.tls, d.lines.iter().map(|e| (e.side, e.line)).collect(), code), expected(d.outcome))
}

/// Simulates `link` for ten seconds (its first attempt) and analyses its traces.
fn analyse(catalog: &Catalog, link: &Link, dir: &std::path::Path) -> Got {
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-25T08:00:00Z").unwrap().with_timezone(&chrono::Utc);
    let scenario = mock_server::scenario_for_link(link);
    let sim = mock_server::sim::simulate_window(&scenario, start, start + chrono::Duration::seconds(10));
    let _ = std::fs::remove_dir_all(dir);
    sim.write_flat(dir).unwrap();
    let mut jobs = Vec::new();
    for (arg, (side, name)) in [(Side::Hub, "hub"), (Side::Spoke, "spoke")].into_iter().enumerate() {
        let files = local::find(&dir.join(name)).unwrap_or_default();
        jobs.extend(files.into_iter().map(|path| Job { path, side, arg }));
    }
    let (scanned, _) = scan_all(catalog, &jobs, 1);
    let a = analyze::analyze(catalog, &scanned, &analyze::Options::default());
    match a.attempts.iter().find(|x| x.outcome != Outcome::Incomplete) {
        Some(x) => Got {
            outcome: Some(x.outcome),
            cause: x.root_cause,
            method: x.method,
            candidates: x.method_candidates.clone(),
        },
        None => Got { outcome: None, cause: None, method: None, candidates: Vec::new() },
    }
}

struct Tally {
    combinations: usize,
    groups: usize,
    agreeing: usize,
    /// Groups whose members' methods differ: the traces cannot decide.
    undecidable_groups: usize,
    /// (reason, combinations) of the known disagreements.
    known: Vec<(&'static str, usize)>,
    /// Disagreements no reason explains: (what, combinations, an example).
    unexplained: Vec<(String, usize, String)>,
}

fn run_all() -> Tally {
    let mut groups: HashMap<Key, (usize, Vec<(Link, Expected)>)> = HashMap::new();
    let mut combinations = 0;
    for (i, link) in all_links().enumerate() {
        let (key, want) = key_of(&link);
        groups.entry(key).or_insert_with(|| (i, Vec::new())).1.push((link, want));
        combinations += 1;
    }
    let mut ordered: Vec<(usize, Vec<(Link, Expected)>)> = groups.into_values().collect();
    ordered.sort_by_key(|(first, _)| *first);
    let catalog = Catalog::builtin();
    let dir = tempfile::tempdir().unwrap();
    let mut t = Tally {
        combinations,
        groups: ordered.len(),
        agreeing: 0,
        undecidable_groups: 0,
        known: KNOWN.iter().map(|k| (k.reason, 0)).collect(),
        unexplained: Vec::new(),
    };
    for (_, members) in &ordered {
        let Some((representative, _)) = members.first() else { continue };
        let got = analyse(&catalog, representative, &dir.path().join("traces"));
        let mut methods: Vec<Option<Method>> = members.iter().map(|(_, w)| truth_method(*w)).collect();
        methods.sort();
        methods.dedup();
        if methods.len() > 1 {
            t.undecidable_groups += 1;
        }
        for (link, want) in members {
            if outcome_and_cause_agree(*want, &got) && method_fits(*want, &got) {
                t.agreeing += 1;
            } else if let Some(reason) = known_reason(*want, &got) {
                if let Some(k) = t.known.iter_mut().find(|(r, _)| *r == reason) {
                    k.1 += 1;
                }
            } else {
                let what = format!("mock {want:?}, ils-doctor {}", got.describe());
                match t.unexplained.iter_mut().find(|(w, _, _)| *w == what) {
                    Some(u) => u.1 += 1,
                    None => t.unexplained.push((what, 1, format!("{link:?}"))),
                }
            }
        }
    }
    t
}

#[test]
fn every_combination_agrees_with_the_mock_or_a_known_reason_explains_its_method() {
    let t = run_all();
    // Printed with --nocapture, and recorded in docs/cucm-notes.md ("Rules the mock and the
    // analyzer share") with this command: cargo test --test decision_table -- --nocapture
    eprintln!(
        "decision table: {} combinations, {} distinct traces ({} whose configurations differ in method: the traces cannot decide it)",
        t.combinations, t.groups, t.undecidable_groups
    );
    eprintln!("  agree on outcome, cause and method: {}", t.agreeing);
    for (reason, n) in &t.known {
        eprintln!("  agree on outcome and cause, method differs ({n}): {reason}");
    }
    for (what, n, example) in &t.unexplained {
        eprintln!("  UNEXPLAINED ({n}): {what}\n    e.g. {example}");
    }
    assert_eq!(t.combinations, 36_864);
    assert!(t.unexplained.is_empty(), "{} disagreement(s) no reason explains", t.unexplained.len());
    let excused: usize = t.known.iter().map(|(_, n)| n).sum();
    assert_eq!(t.agreeing + excused, t.combinations);
}

/// Each reason excuses only a method: with the outcome or the cause broken it applies no more.
#[test]
fn no_reason_excuses_a_wrong_outcome_or_cause() {
    let cases = [
        (
            Expected::Registered(Method::TlsAfterPassword),
            Got {
                outcome: Some(Outcome::Success),
                cause: None,
                method: Some(Method::Tls),
                candidates: vec![Method::Tls],
            },
        ),
        (
            Expected::Failed(RootCause::PasswordMismatch, Some(Method::TlsWithPassword)),
            Got {
                outcome: Some(Outcome::Failure),
                cause: Some(RootCause::PasswordMismatch),
                method: None,
                candidates: vec![],
            },
        ),
    ];
    for (want, got) in cases {
        assert!(known_reason(want, &got).is_some(), "{want:?} {got:?}: a method-only disagreement is known");
        let wrong_outcome = Got { outcome: Some(Outcome::Failure), cause: Some(RootCause::Unknown), ..got.clone() };
        assert_eq!(known_reason(want, &wrong_outcome), None, "{want:?}: a wrong outcome or cause is never excused");
        let wrong_cause = Got { cause: Some(RootCause::HubUnreachable), ..got.clone() };
        if matches!(want, Expected::Failed(..)) {
            assert_eq!(known_reason(want, &wrong_cause), None, "{want:?}: a wrong cause is never excused");
        }
        let no_attempt = Got { outcome: None, cause: None, method: None, candidates: vec![] };
        assert_eq!(known_reason(want, &no_attempt), None, "{want:?}: a missing attempt is never excused");
    }
    // A method the reasons do not name is not excused either.
    let m2 = Expected::Registered(Method::Tls);
    let got = Got { outcome: Some(Outcome::Success), cause: None, method: Some(Method::Password), candidates: vec![] };
    assert_eq!(known_reason(m2, &got), None);
    // Each reason excuses only its own pair of methods: method 4 read as method 3, or method 3
    // read as method 2, is no known disagreement.
    let ok = |m: Method| Got { outcome: Some(Outcome::Success), cause: None, method: Some(m), candidates: vec![m] };
    assert_eq!(known_reason(Expected::Registered(Method::TlsAfterPassword), &ok(Method::TlsWithPassword)), None);
    assert_eq!(known_reason(Expected::Registered(Method::TlsWithPassword), &ok(Method::Tls)), None);
    assert_eq!(known_reason(Expected::Registered(Method::Password), &ok(Method::Tls)), None);
}
