//! The audit as JUnit XML, for CI systems and dashboards that read test reports.
//!
//! One `<testsuite>` per ILS network; in it one `<testcase>` per cluster (`cluster NAME`, so that
//! configuration findings and unreachable clusters show) and one per hub/spoke pair
//! (`HUB <- SPOKE`), all with `classname="ils.NETWORK"`. `critical` and `warning` are
//! `<failure type="...">`, `unknown` is `<error>`, `ok` passes.
//!
//! Every value comes from remote hosts, inventories and traces, so it is untrusted: characters
//! XML 1.0 forbids are dropped and the rest is escaped with quick-xml; attribute values also get
//! their tabs and line breaks as character references, which parsers would otherwise turn into
//! spaces.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use quick_xml::escape::escape;

use super::model::{AuditReport, ClusterResult, PairResult};
use crate::analyze::fix::{fix, FixInput};
use crate::analyze::types::MethodSet;
use crate::analyze::{RootCause, Status};

/// Keeps the characters XML 1.0 allows (`#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
/// [#x10000-#x10FFFF]`; a Rust `char` is never a surrogate).
pub fn xml_chars(s: &str) -> String {
    s.chars().filter(|&c| matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')).collect()
}

/// An element's text: the characters XML allows, escaped.
pub fn text(s: &str) -> String {
    escape(xml_chars(s).as_str()).into_owned()
}

/// An attribute value: as [`text`], tabs and line breaks as character references.
pub fn attr(s: &str) -> String {
    text(s).replace('\t', "&#9;").replace('\n', "&#10;")
}

fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// What a test case becomes: passed, or a failure/error element.
struct Case {
    name: String,
    time_ms: Option<u64>,
    status: Status,
    /// The `message` attribute: one line.
    message: String,
    /// The element's text.
    body: String,
}

fn cluster_case(c: &ClusterResult) -> Case {
    let mut body = String::new();
    let _ = writeln!(body, "{} ({}, {}): {}", c.name, c.role.as_str(), c.host, c.status.as_str());
    if let Some(e) = &c.error {
        let _ = writeln!(body, "Error: {e}");
    }
    for f in &c.findings {
        let _ = writeln!(body, "[{}] {}: {}", f.severity.as_str(), f.code, f.message);
        if !f.fix.is_empty() {
            let _ = writeln!(body, "Fix: {}", f.fix);
        }
    }
    if let Some(d) = c.cert_days_left {
        let _ = writeln!(body, "Tomcat certificate: {d} days left");
    }
    let message = match (&c.error, c.findings.iter().max_by_key(|f| f.severity)) {
        (Some(e), _) => e.clone(),
        (None, Some(f)) if c.findings.len() == 1 => f.message.clone(),
        (None, Some(f)) => format!("{} findings; worst: {}", c.findings.len(), f.message),
        (None, None) => format!("cluster {}: {}", c.name, c.status.as_str()),
    };
    Case { name: format!("cluster {}", c.name), time_ms: Some(c.duration_ms), status: c.status, message, body }
}

fn root_cause(s: &str) -> Option<RootCause> {
    [
        RootCause::PasswordMismatch,
        RootCause::SpokeRejectsHubCertificate,
        RootCause::HubRejectsSpokeCertificate,
        RootCause::HubUnreachable,
        RootCause::Unknown,
    ]
    .into_iter()
    .find(|c| c.as_str() == s)
}

fn pair_case(p: &PairResult) -> Case {
    let mut body = String::new();
    let _ = writeln!(body, "{}", p.summary);
    let _ = writeln!(body, "Attempts: {}, succeeded: {}, failed: {}", p.attempts, p.successes, p.failures);
    if !p.failures_by_cause.is_empty() {
        let causes: Vec<String> = p.failures_by_cause.iter().map(|(k, v)| format!("{k} ×{v}")).collect();
        let _ = writeln!(body, "Failures by cause: {}", causes.join(", "));
    }
    if let Some(o) = &p.latest_outcome {
        let at = p.latest_at.as_deref().map(|a| format!(" at {a}")).unwrap_or_default();
        let _ = writeln!(body, "Latest attempt: {o}{at}");
    }
    if let Some(cause) = &p.latest_root_cause {
        let _ = writeln!(body, "Root cause: {cause}");
        if let Some(rc) = root_cause(cause) {
            let text = fix(&FixInput {
                cause: rc,
                method: None,
                candidates: MethodSet::TLS,
                verify_code: None,
                hub: Some(&p.hub),
                spoke: Some(&p.spoke),
                spoke_fqdn: None,
            });
            let _ = writeln!(body, "Fix: {text}");
        }
    }
    Case { name: p.label(), time_ms: None, status: p.status, message: p.summary.clone(), body }
}

/// The report as a JUnit XML document.
pub fn render(report: &AuditReport) -> String {
    // Networks in name order; in each, clusters then pairs in report order.
    let mut networks: BTreeMap<&str, Vec<Case>> = BTreeMap::new();
    for c in &report.clusters {
        networks.entry(&c.network).or_default().push(cluster_case(c));
    }
    for p in &report.pairs {
        networks.entry(&p.network).or_default().push(pair_case(p));
    }

    let count = |cases: &[Case], f: fn(Status) -> bool| cases.iter().filter(|c| f(c.status)).count();
    // A warning is a failure too: a pair that registers but failed in the window, or a cluster
    // with a configuration finding, needs someone to look; CI dashboards hide passed tests and
    // have no "warning" outcome, so only a failure makes it visible. `type` tells them apart.
    let failed = |s: Status| matches!(s, Status::Warning | Status::Critical);
    let errored = |s: Status| s == Status::Unknown;
    let all: Vec<&Case> = networks.values().flatten().collect();
    let total_failures = all.iter().filter(|c| failed(c.status)).count();
    let total_errors = all.iter().filter(|c| errored(c.status)).count();

    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"ils-doctor audit\" tests=\"{}\" failures=\"{total_failures}\" errors=\"{total_errors}\" \
         time=\"{}\" timestamp=\"{}\">",
        all.len(),
        seconds(report.duration_ms),
        attr(&report.started)
    );
    for (network, cases) in &networks {
        let time: u64 = cases.iter().filter_map(|c| c.time_ms).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" time=\"{}\" \
             timestamp=\"{}\">",
            attr(network),
            cases.len(),
            count(cases, failed),
            count(cases, errored),
            seconds(time),
            attr(&report.started)
        );
        let classname = attr(&format!("ils.{network}"));
        for case in cases {
            let time = case.time_ms.map(|t| format!(" time=\"{}\"", seconds(t))).unwrap_or_default();
            let head = format!("    <testcase classname=\"{classname}\" name=\"{}\"{time}", attr(&case.name));
            let element = match case.status {
                Status::Ok => None,
                Status::Warning => Some(("failure", " type=\"warning\"")),
                Status::Critical => Some(("failure", " type=\"critical\"")),
                Status::Unknown => Some(("error", " type=\"unknown\"")),
            };
            match element {
                None => {
                    let _ = writeln!(out, "{head}/>");
                }
                Some((tag, kind)) => {
                    let _ = writeln!(out, "{head}>");
                    let _ = writeln!(
                        out,
                        "      <{tag} message=\"{}\"{kind}>{}</{tag}>",
                        attr(&case.message),
                        text(&case.body)
                    );
                    out.push_str("    </testcase>\n");
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use quick_xml::escape::resolve_predefined_entity;
    use quick_xml::events::{BytesStart, Event};
    use quick_xml::{Reader, XmlVersion};

    use super::*;
    use crate::audit::model::Role;
    use crate::audit::testdata::{cluster, pair, report, simple};

    #[derive(Debug, Default)]
    struct Parsed {
        root: HashMap<String, String>,
        suites: Vec<(HashMap<String, String>, Vec<TestCase>)>,
    }

    #[derive(Debug, Default)]
    struct TestCase {
        attrs: HashMap<String, String>,
        /// `failure` or `error`, its attributes and its text.
        outcome: Option<(String, HashMap<String, String>, String)>,
    }

    fn attrs(e: &BytesStart<'_>) -> HashMap<String, String> {
        e.attributes()
            .map(|a| {
                let a = a.unwrap();
                let key = a.key.as_ref().to_string();
                (key, a.normalized_value(XmlVersion::Explicit1_0).unwrap().into_owned())
            })
            .collect()
    }

    /// A strict reading of the document: any XML error fails the test.
    fn parse(xml: &str) -> Parsed {
        let mut reader = Reader::from_str(xml);
        let mut parsed = Parsed::default();
        let mut in_outcome = false;
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "testsuites" => parsed.root = attrs(&e),
                Event::Start(e) if e.name().as_ref() == "testsuite" => parsed.suites.push((attrs(&e), Vec::new())),
                Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "testcase" => {
                    parsed.suites.last_mut().unwrap().1.push(TestCase { attrs: attrs(&e), outcome: None })
                }
                Event::Start(e) if matches!(e.name().as_ref(), "failure" | "error") => {
                    let tag = e.name().as_ref().to_string();
                    let case = parsed.suites.last_mut().unwrap().1.last_mut().unwrap();
                    case.outcome = Some((tag, attrs(&e), String::new()));
                    in_outcome = true;
                }
                Event::End(e) if matches!(e.name().as_ref(), "failure" | "error") => in_outcome = false,
                Event::Text(t) if in_outcome => {
                    let case = parsed.suites.last_mut().unwrap().1.last_mut().unwrap();
                    case.outcome.as_mut().unwrap().2.push_str(&t.xml10_content());
                }
                Event::GeneralRef(r) if in_outcome => {
                    let resolved = match r.resolve_char_ref().unwrap() {
                        Some(c) => c.to_string(),
                        None => resolve_predefined_entity(&r.xml10_content()).expect("a predefined entity").to_string(),
                    };
                    let case = parsed.suites.last_mut().unwrap().1.last_mut().unwrap();
                    case.outcome.as_mut().unwrap().2.push_str(&resolved);
                }
                Event::Eof => break,
                _ => {}
            }
        }
        parsed
    }

    #[test]
    fn one_suite_per_network_with_counts_and_names() {
        let mut r = simple("2026-01-01T10:00:00Z", Status::Ok, Status::Unknown, Status::Critical, Status::Warning);
        r.clusters.push(cluster("net0", "hub-z", Role::Hub, Status::Ok));
        r.pairs.push(pair("net0", "hub-z", "spoke-z", Status::Ok));
        let parsed = parse(&render(&r));

        assert_eq!(parsed.root["tests"], "7");
        assert_eq!(parsed.root["failures"], "2");
        assert_eq!(parsed.root["errors"], "1");
        assert_eq!(parsed.root["time"], "12.345");

        let names: Vec<&str> = parsed.suites.iter().map(|(a, _)| a["name"].as_str()).collect();
        assert_eq!(names, vec!["net0", "net1"]);
        let (net0, net0_cases) = &parsed.suites[0];
        assert_eq!((net0["tests"].as_str(), net0["failures"].as_str(), net0["errors"].as_str()), ("2", "0", "0"));
        assert!(net0_cases.iter().all(|c| c.outcome.is_none()));

        let (net1, cases) = &parsed.suites[1];
        assert_eq!((net1["tests"].as_str(), net1["failures"].as_str(), net1["errors"].as_str()), ("5", "2", "1"));
        assert_eq!(net1["time"], "4.500");
        let case_names: Vec<&str> = cases.iter().map(|c| c.attrs["name"].as_str()).collect();
        assert_eq!(
            case_names,
            vec!["cluster hub-a", "cluster spoke-1", "cluster spoke-2", "hub-a <- spoke-1", "hub-a <- spoke-2"]
        );
        assert!(cases.iter().all(|c| c.attrs["classname"] == "ils.net1"));

        // spoke-1 could not be assessed: an error with the reason.
        let (tag, a, _) = cases[1].outcome.as_ref().unwrap();
        assert_eq!(
            (tag.as_str(), a["type"].as_str(), a["message"].as_str()),
            ("error", "unknown", "connection refused")
        );
        // The critical pair: a failure with summary, root cause and fix.
        let (tag, a, body) = cases[3].outcome.as_ref().unwrap();
        assert_eq!((tag.as_str(), a["type"].as_str()), ("failure", "critical"));
        assert_eq!(a["message"], "hub-a <- spoke-1: critical");
        assert!(body.contains("Root cause: spoke_rejects_hub_certificate"), "{body}");
        assert!(body.contains("Fix: ") && body.contains("tomcat-trust"), "{body}");
        // The warning pair is a failure of type warning.
        let (tag, a, _) = cases[4].outcome.as_ref().unwrap();
        assert_eq!((tag.as_str(), a["type"].as_str()), ("failure", "warning"));
        assert!(cases[0].outcome.is_none() && cases[2].outcome.is_none());
    }

    #[test]
    fn cluster_findings_show_with_their_fix() {
        let r = report("2026-01-01T10:00:00Z", vec![cluster("n", "c", Role::Spoke, Status::Critical)], vec![]);
        let parsed = parse(&render(&r));
        let (tag, a, body) = parsed.suites[0].1[0].outcome.as_ref().unwrap();
        assert_eq!(
            (tag.as_str(), a["type"].as_str(), a["message"].as_str()),
            ("failure", "critical", "c: no ILS password")
        );
        assert!(
            body.contains("[critical] ils_password_unset: c: no ILS password\nFix: Set the ILS password."),
            "{body}"
        );
    }

    #[test]
    fn hostile_strings_round_trip_safely() {
        let hostile = "<\"&']]>\u{1b}x\ty\nz\r";
        let clean = "<\"&']]>x\ty\nz\r";
        let mut c = cluster(hostile, hostile, Role::Hub, Status::Unknown);
        c.error = Some(hostile.to_string());
        let mut p = pair(hostile, hostile, "spoke</testcase>", Status::Critical);
        p.summary = hostile.to_string();
        p.latest_root_cause = Some(hostile.to_string());
        let xml = render(&report(hostile, vec![c], vec![p]));
        assert!(!xml.contains('\u{1b}'));
        assert!(!xml.contains("]]>"));

        let parsed = parse(&xml);
        assert_eq!(parsed.suites.len(), 1);
        let (suite, cases) = &parsed.suites[0];
        assert_eq!(suite["name"], clean);
        assert_eq!(suite["timestamp"], clean);
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].attrs["classname"], format!("ils.{clean}"));
        assert_eq!(cases[0].attrs["name"], format!("cluster {clean}"));
        let (_, a, body) = cases[0].outcome.as_ref().unwrap();
        assert_eq!(a["message"], clean);
        assert!(body.contains(&format!("Error: {clean}\n")), "{body:?}");
        assert_eq!(cases[1].attrs["name"], format!("{clean} <- spoke</testcase>"));
        let (_, a, body) = cases[1].outcome.as_ref().unwrap();
        assert_eq!(a["message"], clean);
        assert!(body.contains(&format!("Root cause: {clean}\n")), "{body:?}");
    }

    #[test]
    fn only_xml_characters_are_kept() {
        assert_eq!(xml_chars("a\u{0}b\u{8}c\u{b}\u{c}d\u{1f}\t\n\re\u{fffe}\u{ffff}é😀"), "abcd\t\n\reé😀");
    }

    #[test]
    fn an_empty_audit_is_a_valid_document() {
        let parsed = parse(&render(&report("2026-01-01T10:00:00Z", vec![], vec![])));
        assert_eq!(parsed.root["tests"], "0");
        assert!(parsed.suites.is_empty());
    }
}
