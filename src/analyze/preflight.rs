//! Certificates before traces: from both sides' Tomcat certificates and tomcat-trust lists,
//! predict per pair and per authentication method whether the TLS handshake and ILS's own
//! certificate check can succeed, before any trace level is touched. Pure: facts in,
//! predictions out.
//!
//! The rules (docs/cucm-notes.md#preflight):
//! - ILS's TLS peers verify each other's Tomcat certificate as OpenSSL does; the technote's
//!   "error 18" is OpenSSL's `X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT` (docs/cucm-notes.md#verify-codes).
//!   A certificate is accepted when it is itself in tomcat-trust and self-signed, or when a
//!   chain of issuers in tomcat-trust ends at a self-signed root: each issuer's subject is the
//!   child's issuer, key identifiers agree, the signature verifies (when both PEMs are known),
//!   the issuer is a CA (basicConstraints, keyUsage) and every certificate is within its dates.
//!   A chain that ends at a trusted certificate that is not a root is accepted only by an
//!   OpenSSL that allows partial chains: that is said as uncertain [I].
//! - Method 2 also needs the peer's certificate itself in tomcat-trust (the "imported" check
//!   ILS logs after the handshake); methods 3 and 4 pass that check with the password or the
//!   PeerInfoVector (docs/cucm-notes.md#shared-rules) [I].

use chrono::NaiveDateTime;
use serde::Serialize;

use super::findings::Finding;
use super::model::Attempt;
use super::types::{Method, Outcome, RootCause, Side, Status};
use crate::parse::cert::{signed_by, CertInfo, Validity};
use crate::parse::facts::Facts;
use crate::parse::trust::TrustedCert;

/// How many issuers a chain may have (deeper chains are not seen on publishers).
const MAX_DEPTH: usize = 8;

/// What the TLS handshake would do with one side's certificate at its peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum Handshake {
    /// Trusted: `anchor` is the tomcat-trust file that ends the chain; `chain` every tomcat-trust
    /// file used, leaf side first.
    Accepted { anchor: String, chain: Vec<String>, signatures_verified: bool },
    /// Refused, with the OpenSSL verify code ILS would log and why.
    Refused { code: u32, reason: String },
    /// It depends on something the certificates do not show.
    Uncertain { reason: String },
    /// Not enough was read to tell.
    Unknown { reason: String },
}

impl Handshake {
    pub fn accepted(&self) -> bool {
        matches!(self, Handshake::Accepted { .. })
    }
}

/// One side checking the other's certificate.
#[derive(Debug, Clone, Serialize)]
pub struct Direction {
    /// The side that checks (`spoke` or `hub`) and its name, then the side checked.
    pub verifier_role: &'static str,
    pub verifier: String,
    pub peer_role: &'static str,
    pub peer: String,
    pub handshake: Handshake,
    /// The peer's certificate itself is in the verifier's tomcat-trust (what method 2's own
    /// check needs); `None` when it could not be told.
    pub imported: Option<bool>,
    /// tomcat-trust files holding an older certificate of the peer (same subject, other key or
    /// serial): it was regenerated or renewed after the import.
    pub stale: Vec<String>,
    /// The certificate checked (subject, issuer, serial, dates).
    pub peer_certificate: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Prediction {
    Succeeds,
    Fails,
    /// It depends on something the certificates do not show (said in `why`).
    Depends,
    /// The method does not use certificates.
    NotUsed,
    Unknown,
}

#[derive(Debug, Clone, Serialize)]
pub struct MethodPrediction {
    pub method: Method,
    pub prediction: Prediction,
    pub why: String,
}

/// The prediction for one hub-spoke pair.
#[derive(Debug, Clone, Serialize)]
pub struct PairPreflight {
    pub hub: String,
    pub spoke: String,
    /// The spoke's connection address (keys the pair to its attempts and findings).
    #[serde(skip)]
    pub spoke_host: String,
    pub spoke_checks_hub: Direction,
    pub hub_checks_spoke: Direction,
    pub methods: Vec<MethodPrediction>,
}

impl PairPreflight {
    pub fn method(&self, m: Method) -> Option<&MethodPrediction> {
        self.methods.iter().find(|p| p.method == m)
    }
}

/// Predicts every hub-spoke pair of `hub` and `spokes` at `now` (UTC).
pub fn predict(hub: &Facts, spokes: &[&Facts], now: NaiveDateTime) -> Vec<PairPreflight> {
    spokes
        .iter()
        .map(|spoke| {
            let spoke_checks_hub = direction(spoke, "spoke", hub, "hub", now);
            let hub_checks_spoke = direction(hub, "hub", spoke, "spoke", now);
            let methods = methods(&spoke_checks_hub, &hub_checks_spoke);
            PairPreflight {
                hub: hub.label(),
                spoke: spoke.label(),
                spoke_host: spoke.host.clone(),
                spoke_checks_hub,
                hub_checks_spoke,
                methods,
            }
        })
        .collect()
}

fn direction(
    verifier: &Facts,
    verifier_role: &'static str,
    peer: &Facts,
    peer_role: &'static str,
    now: NaiveDateTime,
) -> Direction {
    let mut d = Direction {
        verifier_role,
        verifier: verifier.label(),
        peer_role,
        peer: peer.label(),
        handshake: Handshake::Unknown { reason: String::new() },
        imported: None,
        stale: Vec::new(),
        peer_certificate: None,
    };
    let Some(leaf) = peer.tomcat_certificate.as_ref() else {
        d.handshake = Handshake::Unknown { reason: format!("the {peer_role}'s Tomcat certificate could not be read") };
        return d;
    };
    d.peer_certificate = Some(describe(leaf));
    if !verifier.tomcat_trust_checked {
        d.handshake =
            Handshake::Unknown { reason: format!("the {verifier_role}'s tomcat-trust certificates could not be read") };
        return d;
    }
    let trust = &verifier.tomcat_trust_certs;
    d.imported = Some(trust.iter().any(|t| t.cert.same_certificate(leaf)));
    d.stale = trust
        .iter()
        .filter(|t| crate::parse::cert::same_name(&t.cert.subject, &leaf.subject) && !t.cert.same_certificate(leaf))
        .map(|t| t.file.clone())
        .collect();
    d.handshake = handshake(trust, leaf, now);
    d
}

/// `CN=…, serial …, valid to …`.
fn describe(c: &CertInfo) -> String {
    let mut s = format!("subject {}", c.subject);
    if !c.self_issued() {
        s.push_str(&format!(", issuer {}", c.issuer));
    } else {
        s.push_str(" (self-signed)");
    }
    if let Some(serial) = &c.serial {
        s.push_str(&format!(", serial {serial}"));
    }
    if let Some(to) = c.not_after {
        s.push_str(&format!(", valid to {}", to.format("%Y-%m-%d")));
    }
    s
}

/// What an OpenSSL peer does with `leaf` given `trust` (see the module documentation), in
/// OpenSSL's order: the chain is built first (an untrusted certificate is error 18 or 20 even
/// when it has also expired), then the issuers' CA flags, then signatures and dates.
pub fn handshake(trust: &[TrustedCert], leaf: &CertInfo, now: NaiveDateTime) -> Handshake {
    let (anchor, used, verified) = match build_chain(trust, leaf) {
        Ok(built) => built,
        Err(refused) => return refused,
    };
    let dated = |c: &CertInfo, what: &str| match c.valid_at(now) {
        Some(Validity::Expired(t)) => {
            Some(Handshake::Refused { code: 10, reason: format!("{what} expired on {}", t.format("%Y-%m-%d")) })
        }
        Some(Validity::NotYetValid(t)) => {
            Some(Handshake::Refused { code: 9, reason: format!("{what} is not valid before {}", t.format("%Y-%m-%d")) })
        }
        _ => None,
    };
    if let Some(refused) = dated(leaf, "the certificate") {
        return refused;
    }
    for t in used.iter().filter(|t| !t.cert.same_certificate(leaf)) {
        if let Some(refused) = dated(&t.cert, &format!("its issuer in tomcat-trust, {},", t.file)) {
            return refused;
        }
    }
    Handshake::Accepted { anchor, chain: used.iter().map(|t| t.file.clone()).collect(), signatures_verified: verified }
}

/// The chain from `leaf` to a root in `trust`: (the anchor's file, the tomcat-trust entries
/// used, whether every signature was verified), or why the handshake refuses or may refuse.
fn build_chain<'a>(
    trust: &'a [TrustedCert],
    leaf: &CertInfo,
) -> Result<(String, Vec<&'a TrustedCert>, bool), Handshake> {
    let pinned = trust.iter().find(|t| t.cert.same_certificate(leaf));
    let signature = |child: &CertInfo, t: &TrustedCert| match (child.der(), t.cert.der()) {
        (Some(c), Some(i)) => signed_by(&c, &i),
        _ => None,
    };
    if leaf.self_issued() {
        if let Some(t) = pinned {
            return Ok((t.file.clone(), vec![t], signature(leaf, t) == Some(true)));
        }
        // A certificate of that name whose identity cannot be compared (no serial, no PEM):
        // it may be this one.
        if let Some(t) = trust
            .iter()
            .find(|t| crate::parse::cert::same_name(&t.cert.subject, &leaf.subject) && !t.cert.comparable(leaf))
        {
            return Err(Handshake::Uncertain {
                reason: format!(
                    "tomcat-trust holds {} under the certificate's name, but its serial could not be read to compare",
                    t.file
                ),
            });
        }
        return Err(Handshake::Refused {
            code: 18,
            reason: "the certificate is self-signed and tomcat-trust does not hold it".into(),
        });
    }
    let mut used: Vec<&TrustedCert> = Vec::new();
    let mut verified = true;
    let mut current = leaf.clone();
    for _ in 0..MAX_DEPTH {
        let candidates: Vec<(&TrustedCert, Option<bool>)> = trust
            .iter()
            .filter(|t| current.issued_by(&t.cert) && !t.cert.same_certificate(&current))
            .map(|t| (t, signature(&current, t)))
            .collect();
        // An issuer whose key does not verify the signature is another certificate of that name.
        let Some((issuer, sig)) = candidates.iter().find(|(_, s)| *s != Some(false)).copied() else {
            if let Some((t, _)) = candidates.first() {
                return Err(Handshake::Refused {
                    code: 7,
                    reason: format!(
                        "the signature does not verify with the key of {}, the issuer's name in tomcat-trust",
                        t.file
                    ),
                });
            }
            return Err(match (pinned, used.last()) {
                (Some(p), _) => Handshake::Uncertain {
                    reason: format!(
                        "tomcat-trust holds the certificate itself ({}) but not the CA that issued it ({}): accepted only where partial chains are allowed",
                        p.file, current.issuer
                    ),
                },
                (None, Some(last)) => Handshake::Uncertain {
                    reason: format!(
                        "the chain ends at {}, which is not a root, and tomcat-trust does not hold its issuer ({}): accepted only where partial chains are allowed",
                        last.file, current.issuer
                    ),
                },
                (None, None) => Handshake::Refused {
                    code: 20,
                    reason: format!(
                        "no tomcat-trust entry named after its issuer ({}) holds it; an intermediate CA sent in the handshake would still need its root there",
                        current.issuer
                    ),
                },
            });
        };
        verified &= sig == Some(true);
        let cert = &issuer.cert;
        // X509_check_ca: basicConstraints CA:FALSE, or keyUsage without keyCertSign, or (read
        // from the PEM) a v3 certificate with neither extension is not a CA.
        let not_ca = cert.ca == Some(false)
            || cert.key_cert_sign == Some(false)
            || (cert.source == crate::parse::cert::CertSource::Pem
                && cert.ca.is_none()
                && cert.key_cert_sign.is_none()
                && !cert.version_1);
        if not_ca {
            return Err(Handshake::Refused {
                code: 24,
                reason: format!(
                    "its issuer in tomcat-trust, {}, is not a CA (basicConstraints or keyUsage)",
                    issuer.file
                ),
            });
        }
        used.push(issuer);
        if cert.self_issued() {
            return Ok((issuer.file.clone(), used, verified));
        }
        current = cert.clone();
    }
    Err(Handshake::Unknown { reason: format!("the chain is longer than {MAX_DEPTH} certificates") })
}

/// Each method's prediction from the two directions.
fn methods(spoke_checks_hub: &Direction, hub_checks_spoke: &Direction) -> Vec<MethodPrediction> {
    let dirs = [spoke_checks_hub, hub_checks_spoke];
    let refused = dirs.iter().find(|d| matches!(d.handshake, Handshake::Refused { .. }));
    let open = dirs.iter().find(|d| !d.handshake.accepted());
    let say = |d: &Direction| match &d.handshake {
        Handshake::Refused { code, reason } => format!(
            "the {} refuses the {}'s certificate in the TLS handshake: {reason} (OpenSSL error {code})",
            d.verifier_role, d.peer_role
        ),
        Handshake::Uncertain { reason } | Handshake::Unknown { reason } => {
            format!("the {} checking the {}'s certificate: {reason}", d.verifier_role, d.peer_role)
        }
        Handshake::Accepted { .. } => String::new(),
    };
    let tls = |m: Method, app: &dyn Fn() -> (Prediction, String)| -> MethodPrediction {
        let (prediction, why) = match (refused, open) {
            (Some(d), _) => (Prediction::Fails, say(d)),
            (None, Some(d)) if matches!(d.handshake, Handshake::Uncertain { .. }) => (Prediction::Depends, say(d)),
            (None, Some(d)) => (Prediction::Unknown, say(d)),
            (None, None) => app(),
        };
        MethodPrediction { method: m, prediction, why }
    };
    let not_imported: Vec<&&Direction> = dirs.iter().filter(|d| d.imported == Some(false)).collect();
    let unknown_import = dirs.iter().any(|d| d.imported.is_none());
    vec![
        MethodPrediction {
            method: Method::Password,
            prediction: Prediction::NotUsed,
            why: "it uses no certificates, only the password, on port 7502".into(),
        },
        tls(Method::Tls, &|| {
            match (not_imported.first(), unknown_import) {
            (Some(d), _) => (
                Prediction::Fails,
                format!(
                    "the handshake succeeds, but the {}'s own check needs the {}'s certificate itself in tomcat-trust, and only its CA is there (inferred rule)",
                    d.verifier_role, d.peer_role
                ),
            ),
            (None, true) => (Prediction::Unknown, "whether each certificate itself is imported could not be told".into()),
            (None, false) => (Prediction::Succeeds, "each side holds the other's certificate in tomcat-trust".into()),
        }
        }),
        tls(Method::TlsWithPassword, &|| {
            (Prediction::Succeeds, "the handshake succeeds both ways; the shared password is checked next".into())
        }),
        tls(Method::TlsAfterPassword, &|| {
            match not_imported.first() {
            Some(d) => (
                Prediction::Depends,
                format!(
                    "the handshake succeeds; the {} accepts the {} only if an earlier password join put its FQDN in the PeerInfoVector (not readable)",
                    d.verifier_role, d.peer_role
                ),
            ),
            None => (Prediction::Succeeds, "the handshake succeeds and each certificate is imported".into()),
        }
        }),
    ]
}

/// The verdict of a preflight alone: with a configured method, its prediction decides
/// (fails: critical; depends: warning; unknown: unknown); without one, a TLS method that fails
/// is a warning (the pair may use the password alone), and nothing readable is unknown.
pub fn verdict(pairs: &[PairPreflight], configured: Option<Method>) -> (Status, String) {
    if pairs.is_empty() {
        return (Status::Unknown, "no pair to check".into());
    }
    let mut status = Status::Ok;
    let mut worst_why = String::new();
    for p in pairs {
        let (s, why) = match configured {
            Some(m) => match p.method(m) {
                Some(mp) => (
                    match mp.prediction {
                        Prediction::Succeeds | Prediction::NotUsed => Status::Ok,
                        Prediction::Fails => Status::Critical,
                        Prediction::Depends => Status::Warning,
                        Prediction::Unknown => Status::Unknown,
                    },
                    format!("{} to {} with {}: {}", p.spoke, p.hub, m.title(), mp.why),
                ),
                None => (Status::Unknown, String::new()),
            },
            None => {
                let tls: Vec<&MethodPrediction> = p.methods.iter().filter(|m| m.method != Method::Password).collect();
                let uncertain = [&p.spoke_checks_hub, &p.hub_checks_spoke]
                    .into_iter()
                    .find(|d| matches!(d.handshake, Handshake::Uncertain { .. }));
                let all_fail = tls.iter().all(|m| m.prediction == Prediction::Fails);
                if let Some(f) = tls.iter().find(|m| m.prediction == Prediction::Fails) {
                    let under = if all_fail { "TLS".to_string() } else { f.method.title().to_string() };
                    (Status::Warning, format!("{} to {}: if this pair uses {under}, {}", p.spoke, p.hub, f.why))
                } else if let Some(d) = uncertain {
                    let why = match &d.handshake {
                        Handshake::Uncertain { reason } => reason.clone(),
                        _ => String::new(),
                    };
                    (
                        Status::Warning,
                        format!(
                            "{} to {}: the {} may refuse the {}'s certificate: {why}",
                            p.spoke, p.hub, d.verifier_role, d.peer_role
                        ),
                    )
                } else if tls.iter().all(|m| m.prediction == Prediction::Unknown) {
                    let why = tls.first().map(|m| m.why.clone()).unwrap_or_default();
                    (Status::Unknown, format!("{} to {}: {why}", p.spoke, p.hub))
                } else {
                    (Status::Ok, String::new())
                }
            }
        };
        if s > status || worst_why.is_empty() && s == status && s != Status::Ok {
            status = s;
            worst_why = why;
        }
    }
    let summary = match status {
        Status::Ok => match configured {
            Some(m) => format!("OK: the certificates allow {} on every pair", m.title()),
            None => "OK: the certificates allow TLS on every pair (methods 2 to 4 as far as certificates go)".into(),
        },
        s => format!("{}: {worst_why}", s.as_str().to_uppercase()),
    };
    (status, summary)
}

/// The configuration findings of a pair's certificates: a refusal, a chain that depends on
/// partial chains, or a certificate method 2 would not find imported. Each matters only when
/// the pair uses TLS (`condition` in the report says so).
pub fn findings(p: &PairPreflight, hub_host: &str) -> Vec<(Side, Finding)> {
    let mut out = Vec::new();
    for d in [&p.spoke_checks_hub, &p.hub_checks_spoke] {
        let side = if d.verifier_role == "hub" { Side::Hub } else { Side::Spoke };
        let host = if d.verifier_role == "hub" { hub_host.to_string() } else { p.spoke_host.clone() };
        let v = format!("{} {}", d.verifier_role, d.verifier);
        let fix = format!(
            "On the {} {}: Cisco Unified OS Administration > Security > Certificate Management, download tomcat.pem (and, for a CA-signed certificate, its root and intermediate CAs); on {v}: Upload Certificate/Certificate chain as tomcat-trust; then restart the Cisco Intercluster Lookup Service on {v} (Cisco technote 200694, \"Configure and Troubleshoot Joining Clusters for ILS\")",
            d.peer_role, d.peer
        );
        let what = format!("the {} {}'s Tomcat certificate", d.peer_role, d.peer);
        match &d.handshake {
            Handshake::Refused { code, reason } => {
                let code_name = match code {
                    10 => "peer_certificate_expired",
                    18..=20 if !d.stale.is_empty() => "peer_certificate_stale_in_trust",
                    18..=20 => "peer_certificate_not_trusted",
                    _ => "peer_certificate_chain_invalid",
                };
                let stale = if d.stale.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; tomcat-trust holds an older certificate of the {} ({}): it was regenerated or renewed after the import",
                        d.peer_role,
                        d.stale.join(", ")
                    )
                };
                let fix = if *code == 10 {
                    format!(
                        "Regenerate or renew the Tomcat certificate on the {} {} (Cisco Unified OS Administration > Security > Certificate Management), then import the new one on the {v} as tomcat-trust and restart the Cisco Intercluster Lookup Service on both",
                        d.peer_role, d.peer
                    )
                } else {
                    fix.clone()
                };
                out.push((side, Finding {
                    severity: Status::Warning,
                    code: code_name,
                    host,
                    message: format!("{v} will refuse {what} in the TLS handshake: {reason} (OpenSSL error {code}){stale}"),
                    fix,
                    pair: None,
                    condition: None,
                    part_of_cause: false,
                    cluster: None,
                }));
            }
            Handshake::Uncertain { reason } => out.push((side, Finding {
                severity: Status::Warning,
                code: "peer_certificate_partial_chain",
                host,
                message: format!("{v} may refuse {what} in the TLS handshake: {reason}"),
                fix,
                pair: None,
                condition: None,
                part_of_cause: false,
                cluster: None,
            })),
            Handshake::Accepted { .. } if d.imported == Some(false) => out.push((side, Finding {
                severity: Status::Warning,
                code: "peer_certificate_not_imported",
                host,
                message: format!(
                    "{v} trusts {what} through its CA, but does not hold the certificate itself: ILS's own check after the handshake refuses it with TLS certificates alone"
                ),
                fix,
                pair: None,
                condition: None,
                part_of_cause: false,
                cluster: None,
            })),
            _ => {}
        }
    }
    out
}

/// Attempts of this pair that contradict its prediction: a TLS registration that succeeded
/// although a side was predicted to refuse the other's certificate, or a certificate refusal
/// although that side holds the certificate itself. Either means ils-doctor's reading of the
/// certificates is wrong for this publisher, which must be said loudly.
pub fn contradictions(p: &PairPreflight, attempts: &[&Attempt], hub_host: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut said = |message: String| {
        if !out.iter().any(|f: &Finding| f.message == message) {
            out.push(Finding {
                severity: Status::Warning,
                code: "preflight_contradicted",
                host: hub_host.to_string(),
                message,
                fix: "ils-doctor read these certificates wrongly: please report it with a support bundle (`ils-doctor collect`), and trust the traces over the prediction".into(),
                pair: None,
                condition: None,
                part_of_cause: false,
                cluster: None,
            });
        }
    };
    // The latest decided attempt only: an older one may predate a certificate's renewal or an
    // import (`--since` reads hours back).
    let latest = attempts.iter().filter(|a| a.outcome != Outcome::Incomplete).max_by_key(|a| a.id);
    if let Some(a) = latest {
        if a.tls == Some(true) && a.outcome == Outcome::Success {
            for d in [&p.spoke_checks_hub, &p.hub_checks_spoke] {
                if let Handshake::Refused { code, .. } = &d.handshake {
                    said(format!(
                        "the certificate check before the capture predicted that the {} {} refuses the {} {}'s certificate (OpenSSL error {code}), but attempt {} registered over TLS",
                        d.verifier_role, d.verifier, d.peer_role, d.peer, a.id
                    ));
                }
            }
        }
        let refusing = match a.root_cause {
            Some(RootCause::SpokeRejectsHubCertificate) => Some(&p.spoke_checks_hub),
            Some(RootCause::HubRejectsSpokeCertificate) => Some(&p.hub_checks_spoke),
            _ => None,
        };
        if let Some(d) = refusing.filter(|d| d.handshake.accepted() && d.imported == Some(true)) {
            said(format!(
                "the certificate check before the capture found the {} {}'s certificate itself in the {} {}'s tomcat-trust, but attempt {} shows the {} refusing it",
                d.peer_role, d.peer, d.verifier_role, d.verifier, a.id, d.verifier_role
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::cert::from_der;
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

    fn now() -> NaiveDateTime {
        NaiveDateTime::parse_from_str("2026-06-01 00:00:00", "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn params(cn: &str, ca: bool, years: (i32, i32)) -> CertificateParams {
        let mut p = CertificateParams::new(vec![cn.to_string()]).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.distinguished_name.push(DnType::OrganizationName, "Example");
        if ca {
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        }
        p.not_before = rcgen::date_time_ymd(years.0, 1, 1);
        p.not_after = rcgen::date_time_ymd(years.1, 1, 1);
        p
    }

    struct Pki {
        root: CertInfo,
        other_root: CertInfo,
        hub_self: CertInfo,
        hub_self_renewed: CertInfo,
        spoke_ca: CertInfo,
        expired: CertInfo,
        root_key: KeyPair,
        root_params: CertificateParams,
    }

    fn pki() -> Pki {
        let root_key = KeyPair::generate().unwrap();
        let root_params = params("Corp Root CA", true, (2020, 2040));
        let root_cert = root_params.clone().self_signed(&root_key).unwrap();
        let other_key = KeyPair::generate().unwrap();
        let other = params("Corp Root CA", true, (2020, 2040)).self_signed(&other_key).unwrap();
        let issuer = rcgen::Issuer::from_params(&root_params, &root_key);
        let spoke_key = KeyPair::generate().unwrap();
        let spoke = params("spoke.example.com", false, (2024, 2030)).signed_by(&spoke_key, &issuer).unwrap();
        let hub_key = KeyPair::generate().unwrap();
        let hub = params("hub.example.com", true, (2024, 2030)).self_signed(&hub_key).unwrap();
        let hub2 = params("hub.example.com", true, (2025, 2031)).self_signed(&KeyPair::generate().unwrap()).unwrap();
        let old = params("old.example.com", true, (2018, 2021)).self_signed(&KeyPair::generate().unwrap()).unwrap();
        Pki {
            root: from_der(root_cert.der()).unwrap(),
            other_root: from_der(other.der()).unwrap(),
            hub_self: from_der(hub.der()).unwrap(),
            hub_self_renewed: from_der(hub2.der()).unwrap(),
            spoke_ca: from_der(spoke.der()).unwrap(),
            expired: from_der(old.der()).unwrap(),
            root_key,
            root_params,
        }
    }

    fn t(file: &str, cert: &CertInfo) -> TrustedCert {
        TrustedCert { file: format!("tomcat-trust/{file}.pem"), cert: cert.clone() }
    }

    #[test]
    fn pinned_self_signed_and_ca_chains_are_accepted_with_signatures_checked() {
        let k = pki();
        let h = handshake(&[t("hub", &k.hub_self)], &k.hub_self, now());
        assert!(matches!(h, Handshake::Accepted { signatures_verified: true, .. }), "{h:?}");
        let h = handshake(&[t("root", &k.root)], &k.spoke_ca, now());
        assert_eq!(
            h,
            Handshake::Accepted {
                anchor: "tomcat-trust/root.pem".into(),
                chain: vec!["tomcat-trust/root.pem".into()],
                signatures_verified: true
            }
        );
    }

    #[test]
    fn refusals_carry_the_openssl_code() {
        let k = pki();
        let code = |h: Handshake| match h {
            Handshake::Refused { code, .. } => code,
            other => panic!("{other:?}"),
        };
        // Self-signed, not imported; a renewed certificate with an older one of the same name imported.
        assert_eq!(code(handshake(&[], &k.hub_self, now())), 18);
        assert_eq!(code(handshake(&[t("hub-old", &k.hub_self)], &k.hub_self_renewed, now())), 18);
        // CA-signed, the CA missing; or a different key under the CA's name.
        assert_eq!(code(handshake(&[t("hub", &k.hub_self)], &k.spoke_ca, now())), 20);
        assert_eq!(code(handshake(&[t("fake-root", &k.other_root)], &k.spoke_ca, now())), 7);
        // Expired: 10 once the chain is built; untrusted, OpenSSL stops at the chain first (18).
        assert_eq!(code(handshake(&[t("old", &k.expired)], &k.expired, now())), 10);
        assert_eq!(code(handshake(&[t("root", &k.root)], &k.expired, now())), 18);
        // A trust entry of the same name whose serial could not be read: it may be the one.
        let mut unreadable = k.hub_self.clone();
        unreadable.serial = None;
        unreadable.der_base64 = None;
        assert!(matches!(handshake(&[t("hub", &unreadable)], &k.hub_self, now()), Handshake::Uncertain { .. }));
        // A root that is not a CA.
        let mut not_ca = k.root.clone();
        not_ca.ca = Some(false);
        not_ca.der_base64 = None;
        assert_eq!(code(handshake(&[t("root", &not_ca)], &k.spoke_ca, now())), 24);
    }

    #[test]
    fn an_intermediate_without_its_root_is_uncertain() {
        let k = pki();
        let issuer = rcgen::Issuer::from_params(&k.root_params, &k.root_key);
        let mid_key = KeyPair::generate().unwrap();
        let mid_params = params("Corp Issuing CA", true, (2021, 2035));
        let mid = mid_params.clone().signed_by(&mid_key, &issuer).unwrap();
        let mid_issuer = rcgen::Issuer::from_params(&mid_params, &mid_key);
        let leaf = params("spoke2.example.com", false, (2024, 2030))
            .signed_by(&KeyPair::generate().unwrap(), &mid_issuer)
            .unwrap();
        let (mid, leaf) = (from_der(mid.der()).unwrap(), from_der(leaf.der()).unwrap());
        assert!(matches!(handshake(&[t("mid", &mid)], &leaf, now()), Handshake::Uncertain { .. }));
        let full = handshake(&[t("mid", &mid), t("root", &k.root)], &leaf, now());
        assert!(matches!(&full, Handshake::Accepted { chain, .. } if chain.len() == 2), "{full:?}");
    }

    #[test]
    fn decoded_fields_match_by_name_and_serial_without_signatures() {
        let k = pki();
        let mut root = k.root.clone();
        root.der_base64 = None;
        root.source = crate::parse::cert::CertSource::Decoded;
        let h = handshake(&[t("root", &root)], &k.spoke_ca, now());
        assert!(matches!(h, Handshake::Accepted { signatures_verified: false, .. }), "{h:?}");
    }

    fn facts(host: &str, cert: &CertInfo, trust: Vec<TrustedCert>) -> Facts {
        Facts {
            host: host.into(),
            tomcat_certificate: Some(cert.clone()),
            tomcat_trust_certs: trust,
            tomcat_trust_checked: true,
            ..Facts::default()
        }
    }

    #[test]
    fn methods_follow_the_two_directions() {
        let k = pki();
        // Spoke CA-signed, the hub holds only the root: methods 3 succeeds, 2 fails at ILS's own
        // check, 4 depends on the PeerInfoVector.
        let hub = facts("10.0.0.1", &k.hub_self, vec![t("root", &k.root)]);
        let spoke = facts("10.0.0.2", &k.spoke_ca, vec![t("hub", &k.hub_self)]);
        let p = &predict(&hub, &[&spoke], now())[0];
        let get = |m| p.method(m).unwrap().prediction;
        assert_eq!(get(Method::Password), Prediction::NotUsed);
        assert_eq!(get(Method::Tls), Prediction::Fails);
        assert_eq!(get(Method::TlsWithPassword), Prediction::Succeeds);
        assert_eq!(get(Method::TlsAfterPassword), Prediction::Depends);
        assert_eq!(verdict(std::slice::from_ref(p), Some(Method::TlsWithPassword)).0, Status::Ok);
        assert_eq!(verdict(std::slice::from_ref(p), Some(Method::Tls)).0, Status::Critical);
        assert_eq!(verdict(std::slice::from_ref(p), None).0, Status::Warning);
        let f = findings(p, "10.0.0.1");
        assert_eq!(f.iter().map(|(_, f)| f.code).collect::<Vec<_>>(), ["peer_certificate_not_imported"]);
        assert_eq!(f[0].0, Side::Hub);

        // The spoke does not trust the hub: every TLS method fails.
        let spoke = facts("10.0.0.2", &k.spoke_ca, vec![t("root", &k.root)]);
        let p = &predict(&hub, &[&spoke], now())[0];
        for m in [Method::Tls, Method::TlsWithPassword, Method::TlsAfterPassword] {
            assert_eq!(p.method(m).unwrap().prediction, Prediction::Fails, "{m:?}");
        }
        assert!(p.method(Method::Tls).unwrap().why.contains("OpenSSL error 18"));
        assert_eq!(findings(p, "10.0.0.1")[0].1.code, "peer_certificate_not_trusted");

        // Nothing read: unknown.
        let blind = Facts { host: "10.0.0.3".into(), ..Facts::default() };
        let p = &predict(&blind, &[&blind], now())[0];
        assert_eq!(verdict(std::slice::from_ref(p), None).0, Status::Unknown);
    }

    #[test]
    fn certificates_narrow_the_method_of_a_tls_success() {
        use crate::analyze::diagnose::MethodSource;
        use crate::analyze::method::decide;
        let k = pki();
        // The spoke trusts the hub only through the CA: method 2's own check would refuse it.
        let hub = facts("10.0.0.1", &k.hub_self, vec![t("root", &k.root)]);
        let spoke = facts("10.0.0.2", &k.spoke_ca, vec![t("hub", &k.hub_self)]);
        let p = &predict(&hub, &[&spoke], now())[0];
        let success = |candidates: Vec<Method>| {
            let mut a = attempt(Outcome::Success);
            a.method_candidates = candidates;
            a.method_basis = vec!["TLS on port 7501".into()];
            a
        };
        let two = success(vec![Method::Tls, Method::TlsWithPassword]);
        let pm = decide(&[&two], Some(p), None);
        assert_eq!((pm.method, pm.source), (Some(Method::TlsWithPassword), MethodSource::Certificates));
        assert!(pm.basis.contains("TLS certificates (method 2) would fail"), "{}", pm.basis);
        assert_eq!(pm.conflict, None);
        let three = success(vec![Method::Tls, Method::TlsWithPassword, Method::TlsAfterPassword]);
        let pm = decide(&[&three], Some(p), None);
        assert_eq!(pm.method, None);
        assert_eq!(pm.candidates, vec![Method::TlsWithPassword, Method::TlsAfterPassword]);
        // The configured method decides between what the traces and certificates leave.
        let pm = decide(&[&three], Some(p), Some(Method::TlsAfterPassword));
        assert_eq!((pm.method, pm.source), (Some(Method::TlsAfterPassword), MethodSource::Configuration));
        // Only method 2 left in the traces and the certificates rule it out: the sources
        // disagree, which is said; the traces win.
        let only = success(vec![Method::Tls]);
        let pm = decide(&[&only], Some(p), None);
        assert_eq!(pm.method, Some(Method::Tls));
        assert!(pm.conflict.as_deref().is_some_and(|c| c.contains("would fail")), "{:?}", pm.conflict);
        // A configured method the traces rule out is a conflict too.
        let pm = decide(&[&only], Some(p), Some(Method::Password));
        assert!(pm.conflict.is_some(), "{pm:?}");
    }

    #[test]
    fn a_tls_success_against_a_refusal_is_a_contradiction() {
        let k = pki();
        let hub = facts("10.0.0.1", &k.hub_self, vec![t("root", &k.root)]);
        let spoke = facts("10.0.0.2", &k.spoke_ca, vec![t("root", &k.root)]);
        let p = &predict(&hub, &[&spoke], now())[0];
        let ok = attempt(Outcome::Success);
        let found = contradictions(p, &[&ok], "10.0.0.1");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].code, "preflight_contradicted");
        let mut failed = attempt(Outcome::Failure);
        failed.tls = Some(true);
        failed.root_cause = Some(RootCause::SpokeRejectsHubCertificate);
        assert!(contradictions(p, &[&failed], "10.0.0.1").is_empty(), "a predicted refusal is no contradiction");
    }

    fn attempt(outcome: Outcome) -> Attempt {
        let mut a = Attempt::bare(1, None, None, outcome);
        a.port = Some(7501);
        a.tls = Some(true);
        a.method_source = crate::analyze::diagnose::MethodSource::Traces;
        a.confidence = crate::analyze::types::Confidence::Inferred;
        a
    }
}
