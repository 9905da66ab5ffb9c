//! One attempt's lines → method, outcome, root cause, certificate verification detail.
//!
//! The rules, in the technote's terms (docs/cucm-notes.md#catalog-lines, docs/cucm-notes.md#undocumented-failures):
//! - **outcome**: any failure line makes the attempt a failure; otherwise any success line
//!   (established, certificate accepted, password decrypted, FQDN in PeerInfoVector) makes it a
//!   success; otherwise it is incomplete (for example only `ConnectReq` was logged).
//! - **method**: each catalog line lists the methods under which it can appear; the attempt's
//!   method is what remains after intersecting them with each other and with TLS or not. When more
//!   than one remains the traces alone cannot tell, and `method` is null with the candidates
//!   listed (`--method` can say what is configured).
//! - **root cause**: from the failure lines' `root_cause` (a certificate rejection belongs to the
//!   side that wrote it), most specific first; the inferred rules for an unreachable hub apply
//!   only when no line says more.

use super::episode::is_ils_port;
use super::fields::Fields;
use super::types::{CauseSpec, Confidence, Fact, Method, MethodSet, Outcome, OutcomeClass, RootCause, Side};

/// What diagnosis needs to know of a line.
#[derive(Debug, Clone, Copy)]
pub struct Clue<'a> {
    /// The writer's role in the connection.
    pub role: Side,
    pub fact: Fact,
    pub outcome: OutcomeClass,
    pub methods: MethodSet,
    pub cause: Option<CauseSpec>,
    pub confidence: Confidence,
    pub fields: &'a Fields,
    /// The text that identifies the line (the catalog's anchor): what an engineer finds in
    /// the trace, quoted in the method's basis.
    pub anchor: &'a str,
}

/// Where the method came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodSource {
    Traces,
    Configuration,
    /// The traces narrowed it, and the certificate check ruled out the rest (a pair's method
    /// only, `method::narrow_by_certificates`).
    Certificates,
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnosis {
    pub outcome: Outcome,
    pub root_cause: Option<RootCause>,
    pub method: Option<Method>,
    pub candidates: MethodSet,
    pub method_source: MethodSource,
    pub tls: Option<bool>,
    pub port: Option<u16>,
    pub verify_code: Option<u32>,
    pub verify_text: Option<String>,
    /// Confirmed when the deciding lines are technote lines; inferred when an inferred line or
    /// rule decided the outcome or cause.
    pub confidence: Confidence,
    /// Things the reader should know (contradictions, ambiguities).
    pub notes: Vec<String>,
    /// What narrowed the method, in words (the transport, then each line that fits only some
    /// methods).
    pub method_basis: Vec<String>,
}

pub fn diagnose(clues: &[Clue<'_>], configured: Option<Method>) -> Diagnosis {
    let mut notes = Vec::new();
    let (tls, port) = transport(clues);
    let mut method_basis = Vec::new();
    match (tls, port) {
        (Some(true), Some(p)) => method_basis.push(format!("TLS on port {p}")),
        (Some(true), None) => method_basis.push("a TLS connection".to_string()),
        (Some(false), Some(p)) => method_basis.push(format!("no TLS, port {p}")),
        (Some(false), None) => method_basis.push("no TLS".to_string()),
        (None, _) => {}
    }

    // Positive evidence first: each line lists the methods it can appear under.
    let mut candidates = match tls {
        Some(true) => MethodSet::TLS,
        Some(false) => MethodSet::NON_TLS,
        None => MethodSet::ALL,
    };
    for c in clues {
        let narrowed = candidates.intersect(c.methods);
        if narrowed != candidates && !narrowed.is_empty() {
            let side = c.role.as_str();
            let methods = super::method::numbers(&c.methods.members());
            let words = format!("the {side}'s \"{}\" line ({methods} only)", c.anchor.trim());
            if !method_basis.contains(&words) {
                method_basis.push(words);
            }
        }
        if narrowed.is_empty() && !candidates.is_empty() {
            notes.push(format!(
                "the {}'s \"{}\" line fits none of the methods the other lines leave ({}): the lines of this attempt disagree about the authentication method",
                c.role.as_str(),
                c.anchor.trim(),
                super::method::numbers(&candidates.members())
            ));
            continue;
        }
        candidates = narrowed;
    }
    // Absence is weaker evidence: on a TLS connection the hub logs the password decryption
    // before it establishes the connection (technote method 3), so an established hub side
    // without it was probably not method 3 [I]. It applies only when it leaves a method: the
    // decrypt lines name no connection and can fall outside the attempt's record.
    let hub_established = clues.iter().any(|c| c.role == Side::Hub && c.fact == Fact::Established);
    let hub_password = clues.iter().any(|c| {
        c.role == Side::Hub && matches!(c.fact, Fact::PasswordOk | Fact::PasswordFailed | Fact::PasswordAlarm)
    });
    if tls == Some(true) && hub_established && !hub_password {
        let without = candidates.without(Method::TlsWithPassword);
        if !without.is_empty() && without != candidates {
            candidates = without;
            method_basis.push(
                "no password decryption on the hub during the TLS connection (so not method 3; inferred)".to_string(),
            );
        }
    }
    let (method, method_source) = match (candidates.single(), configured) {
        (_, Some(m)) if candidates.contains(m) || candidates.is_empty() => (Some(m), MethodSource::Configuration),
        (Some(m), Some(c)) => {
            notes.push(format!("the traces show {} although {} was given as configured", m.title(), c.title()));
            (Some(m), MethodSource::Traces)
        }
        (Some(m), None) => (Some(m), MethodSource::Traces),
        (None, Some(c)) => {
            notes.push(format!("the traces rule out the configured {}", c.title()));
            (None, MethodSource::Unknown)
        }
        (None, None) => (None, MethodSource::Unknown),
    };

    let failures: Vec<&Clue<'_>> = clues.iter().filter(|c| c.outcome == OutcomeClass::Failure).collect();
    let successes: Vec<&Clue<'_>> = clues.iter().filter(|c| c.outcome == OutcomeClass::Success).collect();
    let outcome = if !failures.is_empty() {
        Outcome::Failure
    } else if !successes.is_empty() {
        Outcome::Success
    } else {
        Outcome::Incomplete
    };

    let mut confidence = Confidence::Confirmed;
    let root_cause = if outcome == Outcome::Failure {
        let (cause, inferred) = root_cause(&failures, &mut notes);
        if inferred {
            confidence = Confidence::Inferred;
        }
        Some(cause)
    } else {
        None
    };
    let deciding = if outcome == Outcome::Failure { &failures } else { &successes };
    if deciding.iter().all(|c| c.confidence == Confidence::Inferred) && !deciding.is_empty() {
        confidence = Confidence::Inferred;
    }

    let verify = clues.iter().find(|c| c.fields.verify_code.is_some());
    Diagnosis {
        outcome,
        root_cause,
        method,
        candidates,
        method_source,
        tls,
        port,
        verify_code: verify.and_then(|c| c.fields.verify_code),
        verify_text: verify.and_then(|c| c.fields.verify_text.clone()),
        confidence,
        notes,
        method_basis,
    }
}

/// TLS or not, and the hub's ILS port, from the strongest evidence available.
fn transport(clues: &[Clue<'_>]) -> (Option<bool>, Option<u16>) {
    let port = clues.iter().find_map(|c| {
        let p = match c.role {
            Side::Hub => c.fields.local_port,
            Side::Spoke => c.fields.peer_port,
        };
        p.filter(|p| is_ils_port(*p))
    });
    let tls = clues
        .iter()
        .find_map(|c| c.fields.tls)
        .or(port.map(|p| p == super::episode::ILS_TLS_PORT))
        .or_else(|| clues.iter().any(|c| c.fact.implies_tls()).then_some(true))
        .or_else(|| clues.iter().any(|c| c.fact == Fact::NonTlsChosen).then_some(false))
        .or_else(|| clues.iter().find_map(|c| c.fields.tls_from_pid()));
    (tls, port)
}

/// The most specific cause the failure lines give; `true` when an inferred rule decided it.
fn root_cause(failures: &[&Clue<'_>], notes: &mut Vec<String>) -> (RootCause, bool) {
    let explicit = failures
        .iter()
        .filter_map(|c| c.cause.map(|k| (k.resolve(c.role), c.confidence == Confidence::Inferred)))
        .min_by_key(|(cause, _)| *cause);
    if let Some(found) = explicit {
        return found;
    }
    let tls_failure = failures.iter().any(|c| c.fact.implies_tls());
    if tls_failure {
        notes.push(
            "the TLS connection failed (ILSTLSAuthenticationFailed) but these lines do not say which side refused which \
             certificate; the other side's traces of the same moment do"
                .into(),
        );
        return (RootCause::Unknown, false);
    }
    // ConnReason(1) followed a certificate failure in the technote; any other reason, or a
    // connect error with no TLS line at all, is taken as the hub not answering [I].
    let unreachable = failures.iter().any(|c| match c.fact {
        Fact::ConnectFailed => c.fields.conn_reason != Some(1),
        Fact::ConnectErrorSignal | Fact::UnreachableAlarm => true,
        _ => false,
    });
    if unreachable {
        return (RootCause::HubUnreachable, true);
    }
    (RootCause::Unknown, false)
}

/// What an OpenSSL certificate verification code means (docs/cucm-notes.md#verify-codes: code 18 is in the
/// technote; the others are OpenSSL's standard codes, not seen in ILS traces [I]).
pub fn verify_meaning(code: u32) -> &'static str {
    match code {
        2 => "the issuer certificate of a certificate in the chain could not be found",
        7 => "the certificate's signature is invalid",
        9 => "the certificate is not yet valid (check both clusters' clocks and NTP)",
        10 => "the certificate has expired",
        18 => "the certificate is self-signed and not in the trust store",
        19 => "the chain ends in a self-signed CA certificate that is not in the trust store",
        20 => "the issuing CA certificate is not in the trust store",
        21 => "the certificate could not be verified: the chain is incomplete",
        23 => "the certificate has been revoked",
        26 => "the certificate may not be used for this purpose",
        27 => "the root CA is not trusted for this purpose",
        62 => "the certificate's host name does not match",
        _ => "the certificate was rejected (OpenSSL verification error)",
    }
}

#[cfg(test)]
mod tests {
    use super::super::catalog::Catalog;
    use super::*;

    /// Diagnoses technote lines given as (role, line).
    fn run(lines: &[(Side, &str)], configured: Option<Method>) -> Diagnosis {
        let cat = Catalog::builtin();
        let matched: Vec<(Side, usize, Fields)> = lines
            .iter()
            .map(|(role, l)| {
                let (i, f) = cat.match_line(l.as_bytes()).unwrap_or_else(|| panic!("no match: {l}"));
                (*role, i, f)
            })
            .collect();
        let clues: Vec<Clue<'_>> = matched
            .iter()
            .map(|(role, i, f)| {
                let s = &cat.signatures()[*i];
                Clue {
                    role: *role,
                    fact: s.fact,
                    outcome: s.outcome,
                    methods: s.methods,
                    cause: s.root_cause,
                    confidence: s.confidence,
                    fields: f,
                    anchor: &s.anchor,
                }
            })
            .collect();
        diagnose(&clues, configured)
    }

    const HUB_M3_OK: &[&str] = &[
        "00000211.001 |08:06:58.798 |AppInfo  |CertUtil Ils::isCertInLocalStore X509_STORE_get_by_subject failed.",
        "00000211.002 |08:06:58.798 |AppInfo  |IlsD Ils::VerifyCertificateInfo(): peer certificates are not in certificate store but Root CA signed certs are uploaded locally",
        "00000212.001 |08:06:58.803 |AppInfo  |EncrUtil Function: decryptData at line 163 succedded",
        "00000212.012 |08:06:58.804 |AppInfo  |IlsD ::ConnectIndInner Server Connection to PeerId(f7f885dcaca845f18f3b7e583ff6c457), TCPPid([1, 600, 17, 1]), PeerIP/Port(10.106.104.201:56181), LocalIP/Port(10.106.104.220:7501) TLSReq(t) established",
    ];

    #[test]
    fn method_3_success() {
        let d = run(&HUB_M3_OK.iter().map(|l| (Side::Hub, *l)).collect::<Vec<_>>(), None);
        assert_eq!(
            (d.outcome, d.method, d.tls, d.port),
            (Outcome::Success, Some(Method::TlsWithPassword), Some(true), Some(7501))
        );
    }

    #[test]
    fn password_mismatch_is_method_1_by_its_handler_type() {
        let d = run(&[
            (Side::Hub, "00155891.005 |17:25:26.197 |AppInfo  |IlsD IlsHandler: wait_SdlDataInd EncrUtil:: decryptData failed . DeviceName=, TCPPid = [1.600.13.7], IPAddr=10.106.104.201, Port=40592, Controller=[1,20,1]"),
            (Side::Hub, "00155891.006 |17:25:26.197 |AppInfo  |IlsD wait_SdlDataInd sending ILSPwdAuthenticationFailed alarm with IPAddress= 10.106.104.201; mAlarmedConnections count= 1"),
        ], None);
        assert_eq!(d.outcome, Outcome::Failure);
        assert_eq!(d.root_cause, Some(RootCause::PasswordMismatch));
        assert_eq!(d.method, Some(Method::Password));
        assert_eq!(d.tls, Some(false));
    }

    #[test]
    fn self_signed_hub_certificate_leaves_the_method_open_until_configured() {
        let lines = [
            (Side::Spoke, "00000151.000 |12:29:18.600 |AppInfo  |[1, 600, 17, 2]: HandleSSLError - Certificate verification failed:(Verification error:18)- self signed certificate for 10.106.104.220:7501"),
            (Side::Spoke, "00000152.000 |12:29:18.600 |AppInfo  |[1, 600, 17, 2]: HandleSSLError - Certificate verification failed for 10.106.104.220:7501"),
        ];
        let d = run(&lines, None);
        assert_eq!(d.root_cause, Some(RootCause::SpokeRejectsHubCertificate));
        assert_eq!(d.method, None);
        assert_eq!(d.candidates.members(), vec![Method::Tls, Method::TlsWithPassword, Method::TlsAfterPassword]);
        assert_eq!((d.verify_code, d.verify_text.as_deref()), (Some(18), Some("self signed certificate")));
        let d = run(&lines, Some(Method::TlsAfterPassword));
        assert_eq!((d.method, d.method_source), (Some(Method::TlsAfterPassword), MethodSource::Configuration));
        let d = run(&lines, Some(Method::Password));
        assert_eq!(d.method, None);
        assert!(d.notes.iter().any(|n| n.contains("rule out")));
    }

    #[test]
    fn x509_store_failure_alone_is_not_a_failure() {
        let d = run(&[(Side::Hub, "00000169.001 |19:41:50.255 |AppInfo  |CertUtil Ils::isCertInLocalStore X509_STORE_get_by_subject failed.")], None);
        assert_eq!(d.outcome, Outcome::Incomplete);
        assert_eq!(d.root_cause, None);
    }

    #[test]
    fn connect_failure_without_tls_lines_is_an_unreachable_hub_inferred() {
        let d = run(&[(Side::Spoke, "00001827.004 |16:34:01.770 |AppInfo  |IlsD ERROR(000005C9): Connection to peerId(00000000000000000000000000000000) ipAddr(10.0.0.1) ipPort(7502) TLSReq(f) failed, ConnReason(2)")], None);
        assert_eq!((d.root_cause, d.confidence), (Some(RootCause::HubUnreachable), Confidence::Inferred));
        let d = run(&[
            (Side::Spoke, "00001827.002 |16:34:01.766 |AppInfo  |IlsD Ils::wait_SdlConnectErrRsp sending ILSTLSAuthenticationFailed alarm with Cluster1 = 10.106.104.220; mAlarmedConnections count= 1"),
            (Side::Spoke, "00001827.004 |16:34:01.770 |AppInfo  |IlsD ERROR(000005C9): Connection to peerId(00000000000000000000000000000000) ipAddr(10.106.104.220) ipPort(7501) TLSReq(t) failed, ConnReason(1)"),
        ], None);
        assert_eq!(d.root_cause, Some(RootCause::Unknown));
        assert!(!d.notes.is_empty());
    }

    #[test]
    fn verify_codes_have_meanings() {
        assert!(verify_meaning(10).contains("expired"));
        assert!(verify_meaning(18).contains("self-signed"));
        assert!(verify_meaning(20).contains("issuing CA"));
        assert!(verify_meaning(9999).contains("rejected"));
    }
}
