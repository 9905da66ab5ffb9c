//! What to do about a failed attempt: concrete steps with the CUCM GUI paths.
//!
//! The steps follow the technote's preconditions for each method (docs/cucm-notes.md#auth-methods,
//! docs/cucm-notes.md#preconditions): the same password on every cluster; for TLS the peers'
//! Tomcat certificates cross-imported into tomcat-trust (method 2) or signed by a CA whose root
//! both tomcat-trust stores hold (methods 3 and 4); the ILS service restarted after a Tomcat
//! certificate changes.

use super::diagnose::verify_meaning;
use super::types::{Method, MethodSet, RootCause};

/// The facts a fix is written from.
pub struct FixInput<'a> {
    pub cause: RootCause,
    pub method: Option<Method>,
    pub candidates: MethodSet,
    pub verify_code: Option<u32>,
    pub hub: Option<&'a str>,
    pub spoke: Option<&'a str>,
    /// The spoke's FQDN as the hub named it (P19/P20).
    pub spoke_fqdn: Option<&'a str>,
}

const ILS_PAGE: &str = "Cisco Unified CM Administration > Advanced Features > ILS Configuration";
const CERT_PAGE: &str = "Cisco Unified OS Administration > Security > Certificate Management";
fn restart_ils(on: &str) -> String {
    format!(
        "Then restart the Cisco Intercluster Lookup Service on {on} (Cisco Unified Serviceability > Tools > Control \
         Center - Feature Services): ILS reads the certificates when it starts."
    )
}

pub fn fix(f: &FixInput<'_>) -> String {
    let hub = f.hub.map_or("the hub".to_string(), |h| format!("the hub ({h})"));
    let spoke = match (f.spoke_fqdn, f.spoke) {
        (Some(n), _) => format!("the spoke ({n})"),
        (None, Some(s)) => format!("the spoke ({s})"),
        (None, None) => "the spoke".to_string(),
    };
    match f.cause {
        RootCause::PasswordMismatch => format!(
            "The ILS passwords differ. On {hub} and on {spoke}, open {ILS_PAGE} > ILS Authentication, select the Use \
             Password checkbox, type the same password in the Password and Confirm Password fields, and Save. The \
             password must be the same on every cluster of the ILS network."
        ),
        RootCause::SpokeRejectsHubCertificate => certificate_fix(f, &hub, &spoke, "hub", "spoke"),
        RootCause::HubRejectsSpokeCertificate => {
            let mut text = certificate_fix(f, &spoke, &hub, "spoke", "hub");
            // P19/P20 (which name the FQDN) say the FQDN is not in the PeerInfoVector.
            if f.spoke_fqdn.is_some() && matches!(f.method, None | Some(Method::TlsAfterPassword)) {
                text.push_str(
                    " (For method 4 the spoke must first join with password so that its FQDN is in the hub's \
                     PeerInfoVector; the hub reported that it is not.)",
                );
            }
            text
        }
        RootCause::HubUnreachable => format!(
            "The spoke did not reach the ILS service of {hub}. Check that the Cisco Intercluster Lookup Service is \
             running on the hub publisher (utils service list), that TCP 7501 (TLS) and 7502 (non-TLS) are open from \
             the spoke publisher to the hub publisher, that the spoke's Registration Server ({ILS_PAGE}) is the hub \
             publisher's address, and that the hub's FQDN resolves in DNS from the spoke."
        ),
        RootCause::Unknown => format!(
            "The traces show the attempt failed but not why. Collect the Cisco Intercluster Lookup Service traces at \
             Detailed level from both {hub} and {spoke} for the same minutes and analyze them together; check \
             {ILS_PAGE} > ILS Authentication on both clusters (the same Use TLS Certificates and Use Password \
             checkboxes, the same password) and both tomcat-trust lists."
        ),
    }
}

/// `owner` is the cluster whose certificate was refused, `verifier` the one that refused it.
fn certificate_fix(f: &FixInput<'_>, owner: &str, verifier: &str, owner_role: &str, verifier_role: &str) -> String {
    let why = f.verify_code.map(|c| format!(" OpenSSL error {c}: {}.", verify_meaning(c))).unwrap_or_default();
    let head = capitalize(&format!("{verifier} does not trust the Tomcat certificate of {owner}.{why} "));
    let restart = restart_ils(verifier);
    let import = format!(
        "on {owner}, Certificate Management > download tomcat.pem; on {verifier}, Certificate Management > Upload \
         Certificate/Certificate chain, purpose tomcat-trust. {restart}"
    );
    let ca_sign = format!(
        "on {owner}, Certificate Management > Generate CSR (purpose tomcat), have the CA sign it and upload it as \
         tomcat; upload the CA's root (and intermediate) certificates as tomcat-trust on both clusters; restart Cisco \
         Tomcat and the Cisco Intercluster Lookup Service on both."
    );
    let renew = format!(
        "Renew the {owner_role}'s Tomcat certificate on {owner} (Certificate Management: regenerate it, or have the \
         CA sign a new CSR), import the new certificate where the old one was trusted, and restart the Cisco \
         Intercluster Lookup Service."
    );
    let gui = format!(" (Certificate Management: {CERT_PAGE}.)");
    let body = match (f.verify_code, f.method) {
        (Some(9), _) => {
            return head
                + &format!(
                    "The certificate's start date is in the future for {verifier}: check both clusters' clocks (utils \
                     ntp status) before touching certificates."
                );
        }
        (Some(10), _) => renew,
        (Some(19 | 20 | 21 | 2), _) => format!(
            "The certificate chain is incomplete on {verifier}: upload the issuing CA's root and intermediate \
             certificates as tomcat-trust on {verifier} (Certificate Management > Upload Certificate/Certificate \
             chain). {restart}"
        ),
        (_, Some(Method::Tls)) => {
            format!("Import the {owner_role}'s certificate into the {verifier_role}'s tomcat-trust: {import}")
        }
        (_, Some(Method::TlsWithPassword | Method::TlsAfterPassword)) => {
            format!("Have the {owner_role}'s certificate signed by a CA both trust: {ca_sign}")
        }
        _ => format!(
            "With TLS certificates alone (method 2), import the {owner_role}'s certificate into the {verifier_role}'s \
             tomcat-trust: {import} With CA-signed certificates (methods 3 and 4): {ca_sign}"
        ),
    };
    head + &body + &gui
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(cause: RootCause, method: Option<Method>, code: Option<u32>) -> FixInput<'static> {
        FixInput {
            cause,
            method,
            candidates: MethodSet::TLS,
            verify_code: code,
            hub: Some("10.106.104.220"),
            spoke: Some("10.106.104.201"),
            spoke_fqdn: None,
        }
    }

    #[test]
    fn same_line_different_fix_by_method() {
        let m2 = fix(&input(RootCause::SpokeRejectsHubCertificate, Some(Method::Tls), Some(18)));
        assert!(m2.contains("Import the hub's certificate into the spoke's tomcat-trust"), "{m2}");
        assert!(!m2.contains("Generate CSR"));
        let m3 = fix(&input(RootCause::SpokeRejectsHubCertificate, Some(Method::TlsWithPassword), Some(18)));
        assert!(m3.contains("Have the hub's certificate signed by a CA both trust"), "{m3}");
        assert!(!m3.contains("Import the hub's"));
        let open = fix(&input(RootCause::SpokeRejectsHubCertificate, None, Some(18)));
        assert!(
            open.contains("method 2") && open.contains("methods 3 and 4") && open.contains("self-signed"),
            "{open}"
        );
    }

    #[test]
    fn hub_side_rejection_points_at_the_spoke_certificate() {
        let t = fix(&input(RootCause::HubRejectsSpokeCertificate, Some(Method::Tls), None));
        assert!(
            t.contains("The hub (10.106.104.220) does not trust the Tomcat certificate of the spoke (10.106.104.201)"),
            "{t}"
        );
        assert!(t.contains("Import the spoke's certificate into the hub's tomcat-trust"), "{t}");
    }

    #[test]
    fn expired_and_chain_codes() {
        assert!(fix(&input(RootCause::SpokeRejectsHubCertificate, Some(Method::Tls), Some(10))).contains("Renew"));
        assert!(fix(&input(RootCause::SpokeRejectsHubCertificate, None, Some(20))).contains("intermediate"));
        assert!(fix(&input(RootCause::SpokeRejectsHubCertificate, None, Some(9))).contains("ntp"));
    }

    /// Every fix text (each cause, each method or none, each OpenSSL code the diagnosis knows or
    /// not, with and without the spoke's FQDN) speaks the ILS Configuration window's language.
    #[test]
    fn every_fix_text_uses_the_window_s_words() {
        let causes = [
            RootCause::PasswordMismatch,
            RootCause::SpokeRejectsHubCertificate,
            RootCause::HubRejectsSpokeCertificate,
            RootCause::HubUnreachable,
            RootCause::Unknown,
        ];
        let methods = std::iter::once(None).chain(Method::ALL.map(Some));
        let codes =
            [None, Some(2), Some(7), Some(9), Some(10), Some(18), Some(19), Some(20), Some(21), Some(23), Some(99)];
        let mut texts = 0;
        for cause in causes {
            for method in methods.clone() {
                for code in codes {
                    for fqdn in [None, Some("cucm-spoke.example.com")] {
                        let mut f = input(cause, method, code);
                        f.spoke_fqdn = fqdn;
                        let text = fix(&f);
                        let slips = super::super::vocabulary::slips(&text);
                        assert!(slips.is_empty(), "{cause:?} {method:?} {code:?}: {slips:?}\n{text}");
                        texts += 1;
                    }
                }
            }
        }
        assert_eq!(texts, 5 * 5 * 11 * 2);
        let password = fix(&input(RootCause::PasswordMismatch, None, None));
        assert!(
            password.contains(
                "select the Use Password checkbox, type the same password in the Password and Confirm \
                               Password fields"
            ),
            "{password}"
        );
    }

    #[test]
    fn password_and_unreachable() {
        assert!(fix(&input(RootCause::PasswordMismatch, None, None)).contains("same password"));
        assert!(fix(&input(RootCause::HubUnreachable, None, None)).contains("7501"));
    }
}
