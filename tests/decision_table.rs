//! The mock's decision table against the analyzer, combination by combination: each link
//! configuration of `mock_server::decision::all_links` is simulated (no servers), its traces
//! written and analysed offline, and ils-doctor's outcome, cause and method compared with the
//! mock's ground truth where the traces can tell.
//!
//! Both sides were written by this project, so agreement proves the parts agree, not that they
//! are right: the rules they share without a public source are listed in docs/cucm-notes.md
//! ("Rules the mock and the analyzer share"), and diagnoses resting on them say `inferred`.
//!
//! The default run takes a sample spread over every field (every 17th combination, 2,169 of
//! 36,864); `cargo test --test decision_table -- --ignored` runs all of them.

use std::collections::BTreeMap;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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

/// The method ils-doctor gives is the mock's, or (when the traces leave it open) among the
/// candidates.
fn method_fits(a: &analyze::model::Attempt, m: Method) -> bool {
    match a.method {
        Some(x) => x == m,
        None => a.method_candidates.contains(&m),
    }
}

/// Simulates one link for ten seconds (its first attempt) and compares; `Err` names the
/// disagreement in a form that groups equal ones, with the lines the mock wrote.
fn compare(catalog: &Catalog, link: &Link, dir: &std::path::Path) -> Result<Expected, (String, String)> {
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-25T08:00:00Z").unwrap().with_timezone(&chrono::Utc);
    let scenario = mock_server::scenario_for_link(link);
    let sim = mock_server::sim::simulate_window(&scenario, start, start + chrono::Duration::seconds(10));
    let first_sim = sim.attempts.first().ok_or(("the simulation made no attempt".to_string(), String::new()))?;
    let want = expected(first_sim.outcome);
    let lines: String = first_sim.lines.iter().map(|l| format!("\n             {:?} {}", l.side, l.payload)).collect();
    let _ = std::fs::remove_dir_all(dir);
    sim.write_flat(dir).map_err(|e| (e.to_string(), String::new()))?;
    let mut jobs = Vec::new();
    for (arg, (side, name)) in [(Side::Hub, "hub"), (Side::Spoke, "spoke")].into_iter().enumerate() {
        let files = local::find(&dir.join(name)).map_err(|e| (e.to_string(), String::new()))?;
        jobs.extend(files.into_iter().map(|path| Job { path, side, arg }));
    }
    let (scanned, _) = scan_all(catalog, &jobs, 1);
    let a = analyze::analyze(catalog, &scanned, &analyze::Options::default());
    let first = a.attempts.iter().find(|x| x.outcome != Outcome::Incomplete);
    let got = match first {
        Some(x) => format!("{:?} {:?} method {:?} of {:?}", x.outcome, x.root_cause, x.method, x.method_candidates),
        None => format!("no decided attempt ({} attempt(s))", a.attempts.len()),
    };
    let agrees = match (want, first) {
        (Expected::Registered(m), Some(x)) => x.outcome == Outcome::Success && method_fits(x, m),
        (Expected::Failed(cause, m), Some(x)) => {
            x.outcome == Outcome::Failure && x.root_cause == Some(cause) && m.is_none_or(|m| method_fits(x, m))
        }
        (Expected::NotRegistered, x) => x.is_none_or(|x| x.outcome != Outcome::Success),
        (_, None) => false,
    };
    if agrees {
        Ok(want)
    } else {
        Err((format!("mock {want:?}, ils-doctor {got}"), lines))
    }
}

/// Disagreements whose reason is known, each with it: the test fails on any other.
/// A known disagreement: its reason, and which disagreements it explains.
type Known = (&'static str, fn(&str) -> bool);

const KNOWN: &[Known] = &[
    (
        "the mock names method 4 from the configuration (the PeerInfoVector holds the peer's FQDN) while at least one side's traces show method 2's certificate check (P12: the certificate was imported; or P19: the FQDN is not in the PeerInfoVector); the catalog ties those lines to the methods the technote shows them in, so the analyzer says method 2, or finds the two sides' lines contradictory",
        |why| {
            why.starts_with("mock ")
                && why.contains("TlsAfterPassword)")
                && (why.contains("method Some(Tls) of [Tls]") || why.contains("method None of []"))
        },
    ),
    (
        "method 3's password decryption on the hub names no connection and is not joined to the attempt by time, because routine traffic repeats the same lines (tests/routine.rs); without it the attempt reads as method 2 or 4",
        |why| why.starts_with("mock Registered(TlsWithPassword)") && why.contains("ils-doctor Success"),
    ),
    (
        "the mock writes the PeerInfoVector line (P24, which the technote shows in method 4) in a method-3 attempt whose hub already knows the spoke's FQDN; the catalog ties P24 to method 4, so with the password lines the attempt's lines contradict each other about the method, and the analyzer says so (the cause still agrees)",
        |why| why.starts_with("mock Failed(PasswordMismatch, Some(TlsWithPassword))") && why.ends_with("method None of []"),
    ),
];

/// One link and how it compared.
type Compared = (Link, Result<Expected, (String, String)>);

struct Tally {
    n: usize,
    agreeing: BTreeMap<Expected, usize>,
    disagreeing: BTreeMap<String, (usize, Link, String)>,
}

fn run_links(links: impl Iterator<Item = Link>) -> Tally {
    let links: Vec<Link> = links.collect();
    let catalog = Catalog::builtin();
    let mut t = Tally { n: links.len(), agreeing: BTreeMap::new(), disagreeing: BTreeMap::new() };
    // Two workers, each with its own folder: the machine kind has two cores.
    let halves: Vec<Vec<Compared>> = std::thread::scope(|scope| {
        let workers: Vec<_> = links
            .chunks(links.len().div_ceil(2).max(1))
            .map(|chunk| {
                let catalog = &catalog;
                scope.spawn(move || {
                    let dir = tempfile::tempdir().unwrap();
                    chunk.iter().map(|l| (*l, compare(catalog, l, &dir.path().join("traces")))).collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    for (link, r) in halves.into_iter().flatten() {
        match r {
            Ok(e) => *t.agreeing.entry(e).or_default() += 1,
            Err((why, lines)) => t.disagreeing.entry(why).or_insert((0, link, lines)).0 += 1,
        }
    }
    let agree: usize = t.agreeing.values().sum();
    println!("decision table: {agree} of {} combinations agree", t.n);
    for (e, n) in &t.agreeing {
        println!("  agree    {n:>6}  {e:?}");
    }
    for (why, (n, example, lines)) in &t.disagreeing {
        let known = KNOWN.iter().find(|(_, matches)| matches(why)).map_or("UNEXPLAINED", |(reason, _)| reason);
        println!("  DISAGREE {n:>6}  {why}\n           because: {known}\n           e.g. {example:?}{lines}");
    }
    t
}

/// The disagreements no known reason explains.
fn unexplained(t: &Tally) -> Vec<&str> {
    t.disagreeing.keys().filter(|why| !KNOWN.iter().any(|(_, m)| m(why))).map(String::as_str).collect()
}

#[test]
fn a_sample_spread_over_every_field_agrees_with_the_mock() {
    let t = run_links(all_links().step_by(17));
    assert!(t.n >= 2_000, "the sample must cover at least 2,000 combinations, took {}", t.n);
    // Every outcome class of the table is in the sample.
    let classes: std::collections::BTreeSet<String> =
        t.agreeing.keys().map(|e| format!("{e:?}").split('(').next().unwrap_or_default().to_string()).collect();
    assert!(classes.len() >= 3, "{classes:?}");
    assert!(unexplained(&t).is_empty(), "disagreements without a known reason: {:?}", unexplained(&t));
}

#[test]
#[ignore = "all 36,864 combinations: minutes; run by .ci/run when it fits"]
fn every_combination_agrees_with_the_mock() {
    let t = run_links(all_links());
    assert_eq!(t.n, 36_864);
    assert!(unexplained(&t).is_empty(), "disagreements without a known reason: {:?}", unexplained(&t));
}
