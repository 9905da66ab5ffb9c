//! Every scenario of Cisco technote 200694 (docs/cucm-notes.md#technote-lines): the technote's lines
//! with noise around them, both sides analysed together.

mod support;

use ils_doctor::analyze::model::Attempt;
use ils_doctor::analyze::{Method, Outcome, RootCause, Side, Status};
use ils_doctor::pipeline::offline::Request;
use support::{analyze, analyze_with, fixture};

struct Expect {
    scenario: &'static str,
    status: Status,
    outcome: Outcome,
    method: Option<Method>,
    candidates: &'static [Method],
    cause: Option<RootCause>,
    verify: Option<u32>,
    /// Signature ids of the evidence, in order.
    evidence: &'static [&'static str],
    seen_on: &'static [Side],
}

const TLS3: &[Method] = &[Method::Tls, Method::TlsWithPassword, Method::TlsAfterPassword];

const CASES: &[Expect] = &[
    Expect {
        scenario: "m1_password_success",
        status: Status::Ok,
        outcome: Outcome::Success,
        method: Some(Method::Password),
        candidates: &[Method::Password],
        cause: None,
        verify: None,
        evidence: &["P4", "P5", "P6", "P7", "P8", "P1", "P2", "P3", "P9"],
        seen_on: &[Side::Hub, Side::Spoke],
    },
    Expect {
        scenario: "password_mismatch",
        status: Status::Critical,
        outcome: Outcome::Failure,
        method: Some(Method::Password),
        candidates: &[Method::Password],
        cause: Some(RootCause::PasswordMismatch),
        verify: None,
        evidence: &["P10", "P11"],
        seen_on: &[Side::Hub],
    },
    Expect {
        scenario: "m2_hub_cert_not_in_spoke",
        status: Status::Critical,
        outcome: Outcome::Failure,
        method: None,
        candidates: TLS3,
        cause: Some(RootCause::SpokeRejectsHubCertificate),
        verify: Some(18),
        evidence: &["P13", "P14", "P16", "P17"],
        seen_on: &[Side::Spoke],
    },
    Expect {
        scenario: "m2_spoke_cert_not_in_hub",
        status: Status::Critical,
        outcome: Outcome::Failure,
        method: Some(Method::Tls),
        candidates: &[Method::Tls],
        cause: Some(RootCause::HubRejectsSpokeCertificate),
        verify: None,
        evidence: &["P18", "P19", "P20", "P21"],
        seen_on: &[Side::Hub],
    },
    Expect {
        scenario: "m3_success",
        status: Status::Ok,
        outcome: Outcome::Success,
        method: Some(Method::TlsWithPassword),
        candidates: &[Method::TlsWithPassword],
        cause: None,
        verify: None,
        evidence: &["P18", "P22", "P25", "P18", "P22", "P8", "P23a", "P23a", "P23a", "P23b", "P3", "P9"],
        seen_on: &[Side::Hub, Side::Spoke],
    },
    Expect {
        scenario: "m3_spoke_self_signed",
        status: Status::Critical,
        outcome: Outcome::Failure,
        method: None,
        candidates: TLS3,
        cause: Some(RootCause::HubRejectsSpokeCertificate),
        verify: Some(18),
        evidence: &["P13", "P14", "P15"],
        seen_on: &[Side::Hub],
    },
    Expect {
        scenario: "m3_hub_self_signed",
        status: Status::Critical,
        outcome: Outcome::Failure,
        method: None,
        candidates: TLS3,
        cause: Some(RootCause::SpokeRejectsHubCertificate),
        verify: Some(18),
        evidence: &["P13", "P14", "P15"],
        seen_on: &[Side::Spoke],
    },
    Expect {
        scenario: "m4_success",
        status: Status::Ok,
        outcome: Outcome::Success,
        method: Some(Method::TlsAfterPassword),
        candidates: &[Method::TlsAfterPassword],
        cause: None,
        verify: None,
        // The spoke's two lines name no connection and no attempt of the spoke opens: in a busy
        // network they are routine, so they count as the spoke's activity, not as evidence.
        evidence: &["P18", "P24", "P1"],
        seen_on: &[Side::Hub],
    },
    Expect {
        scenario: "m4_hub_self_signed",
        status: Status::Critical,
        outcome: Outcome::Failure,
        method: None,
        candidates: TLS3,
        cause: Some(RootCause::SpokeRejectsHubCertificate),
        verify: Some(18),
        evidence: &["P13", "P14"],
        seen_on: &[Side::Spoke],
    },
    Expect {
        scenario: "m4_spoke_self_signed",
        status: Status::Critical,
        outcome: Outcome::Failure,
        method: None,
        candidates: TLS3,
        cause: Some(RootCause::HubRejectsSpokeCertificate),
        verify: Some(18),
        evidence: &["P13", "P14"],
        seen_on: &[Side::Hub],
    },
];

fn only_attempt(scenario: &str) -> (ils_doctor::analyze::Analysis, Attempt) {
    let (hub, spoke) = fixture(scenario);
    let a = analyze(&[&hub], &[&spoke]);
    assert_eq!(a.attempts.len(), 1, "{scenario}: {:#?}", a.attempts);
    let attempt = a.attempts[0].clone();
    (a, attempt)
}

#[test]
fn every_technote_scenario() {
    for e in CASES {
        let (a, at) = only_attempt(e.scenario);
        let s = e.scenario;
        assert_eq!(a.status, e.status, "{s}");
        assert_eq!(a.exit_code, e.status.exit_code(), "{s}");
        assert_eq!(at.outcome, e.outcome, "{s}");
        assert_eq!(at.method, e.method, "{s}");
        assert_eq!(at.method_candidates, e.candidates, "{s}");
        assert_eq!(at.root_cause, e.cause, "{s}");
        assert_eq!(at.verify_error.as_ref().map(|v| v.code), e.verify, "{s}");
        let sigs: Vec<&str> = at.evidence.iter().map(|ev| ev.signature.as_str()).collect();
        assert_eq!(sigs, e.evidence, "{s}");
        assert_eq!(at.seen_on, e.seen_on, "{s}");
        assert_eq!(at.hub.as_deref(), Some("10.106.104.220"), "{s}");
        assert_eq!(at.spoke.as_deref(), Some("10.106.104.201"), "{s}");
        assert_eq!(at.fix.is_some(), e.outcome == Outcome::Failure, "{s}");
        assert!(
            at.at.as_deref().is_some_and(|t| t.starts_with("2016-09-20T") && t.ends_with("+05:30")),
            "{s}: {:?}",
            at.at
        );
        // Evidence points at real lines of the fixture files.
        for ev in &at.evidence {
            let text = std::fs::read_to_string(&ev.file).unwrap();
            let line = text.lines().nth(ev.line_no as usize - 1).unwrap();
            assert_eq!(line, ev.text, "{s}: {}:{}", ev.file, ev.line_no);
        }
    }
}

#[test]
fn hub_and_spoke_views_are_joined_by_connection_and_skew_is_measured() {
    let (a, at) = only_attempt("m1_password_success");
    assert_eq!(at.linked_by, ils_doctor::analyze::pairing::LinkKind::Connection);
    assert_eq!(at.port, Some(7502));
    assert_eq!(at.tls, Some(false));
    assert_eq!(a.clock_skew.len(), 1);
    // The hub's first line (16:58:42.888) minus the spoke's first (16:58:42.878).
    assert_eq!(a.clock_skew[0].hub_minus_spoke_ms, 10);
    let (_, at) = only_attempt("m3_success");
    assert_eq!(at.linked_by, ils_doctor::analyze::pairing::LinkKind::Connection);
    let (a, at) = only_attempt("m4_success");
    assert_eq!(at.linked_by, ils_doctor::analyze::pairing::LinkKind::OneSide);
    let spoke_trace = a.traces.iter().find(|t| t.side == Side::Spoke).unwrap();
    assert_eq!(spoke_trace.activity.as_ref().map(|x| x.count), Some(2), "the spoke's lone lines are activity");
}

#[test]
fn method_2_success_samples_are_two_connections() {
    // The technote's hub and spoke samples for method 2 carry different ephemeral ports
    // (60938 and 36115): two connections, both successes.
    let (hub, spoke) = fixture("m2_tls_success");
    let a = analyze(&[&hub], &[&spoke]);
    assert_eq!(a.status, Status::Ok);
    assert_eq!(a.attempts.len(), 2);
    assert!(a.attempts.iter().all(|x| x.outcome == Outcome::Success && x.tls == Some(true)));
    let hub_view = a.attempts.iter().find(|x| x.seen_on == [Side::Hub]).unwrap();
    assert_eq!(hub_view.method, Some(Method::Tls), "an established hub side without a password exchange is method 2");
    let spoke_view = a.attempts.iter().find(|x| x.seen_on == [Side::Spoke]).unwrap();
    assert_eq!(spoke_view.method_candidates, [Method::Tls, Method::TlsWithPassword]);
}

#[test]
fn the_same_line_gets_the_fix_of_the_configured_method() {
    let (hub, spoke) = fixture("m3_hub_self_signed");
    let with = |m: Method| {
        analyze_with(Request {
            hub: vec![hub.clone()],
            spoke: vec![spoke.clone()],
            method: Some(m),
            ..Request::default()
        })
        .attempts
        .remove(0)
    };
    let m2 = with(Method::Tls);
    assert_eq!(m2.method, Some(Method::Tls));
    assert!(m2.fix.as_deref().unwrap().contains("Import the hub's certificate into the spoke's tomcat-trust"));
    let m3 = with(Method::TlsWithPassword);
    assert!(m3.fix.as_deref().unwrap().contains("Have the hub's certificate signed by a CA both trust"));
    assert!(!m3.fix.as_deref().unwrap().contains("Import the hub's"));
}

#[test]
fn hub_rejection_names_the_spoke_fqdn() {
    let (_, at) = only_attempt("m2_spoke_cert_not_in_hub");
    assert_eq!(at.spoke_fqdn.as_deref(), Some("cucm11.adfs.ucce.com"));
    assert!(at.fix.as_deref().unwrap().contains("Import the spoke's certificate into the hub's tomcat-trust"));
}
