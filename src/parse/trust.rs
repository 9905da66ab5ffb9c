//! Tomcat certificates and tomcat-trust lists as the `admin:` CLI prints them, and whether one
//! side trusts the other's certificate. Pure: text in, values out.
//!
//! Formats (docs/cucm-notes.md#cert-cli):
//! - `show cert own tomcat`: a decoded block with `Serial Number: 523C…` (upper-case hex),
//!   `Issuer Name: …, CN=…, …`, `Subject Name: …`, `Validity From:` / `To:` [3P];
//! - `show cert list trust`: one line per file, `tomcat-trust/<CN with spaces as _>[_<serial
//!   hex>].pem: <description>` [3P; the description text is not known, NF].
//!
//! Matching (docs/cucm-notes.md#trust-match, inferred): the trust file name starts with the
//! certificate's CN; the serial suffix, when present, tells which certificate of that CN it is.
//! ILS on 7501 presents the RSA `tomcat` certificate (docs/cucm-notes.md#ils-tls-cert), so only `tomcat-trust`
//! entries count. A CA-signed peer is trusted through its issuer's CN; intermediate chains are
//! not followed (unverified: a chain whose root alone is imported matches only by the issuer
//! named in the leaf, which is the intermediate).

use serde::{Deserialize, Serialize};

use crate::parse::cert::CertInfo;

/// One tomcat-trust certificate read in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedCert {
    /// As listed, e.g. `tomcat-trust/Corp_Root_CA.pem`.
    pub file: String,
    pub cert: CertInfo,
}

/// The fields of `show cert own tomcat` that identify the certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnCert {
    /// Upper-case hex without separators, as printed.
    pub serial: Option<String>,
    pub subject_cn: Option<String>,
    pub issuer_cn: Option<String>,
}

impl OwnCert {
    pub fn self_signed(&self) -> bool {
        matches!((&self.subject_cn, &self.issuer_cn), (Some(s), Some(i)) if s.eq_ignore_ascii_case(i))
    }
}

/// One `tomcat-trust/` file of `show cert list trust`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustEntry {
    /// As listed, e.g. `tomcat-trust/cucm-hub.example.com_3a5f….pem`.
    pub file: String,
    /// The CN part of the name (spaces appear as `_`).
    pub cn: String,
    /// The serial suffix, lower-case, when the name has one.
    pub serial: Option<String>,
}

/// Whether `verifier` trusts a peer's Tomcat certificate, from its tomcat-trust list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TrustMatch {
    /// The peer's certificate itself, same CN and serial.
    Certificate { file: String },
    /// A file named after the peer's CN without a serial to compare: probably the certificate.
    NameOnly { file: String },
    /// The peer's issuer (CA-signed peers).
    Issuer { file: String },
    /// Files named after the peer's CN, but none with its current serial: the peer's certificate
    /// was regenerated or renewed after it was imported.
    Stale { files: Vec<String> },
    /// Nothing for the peer's CN or issuer.
    Missing,
}

impl TrustMatch {
    pub fn trusted(&self) -> bool {
        matches!(self, TrustMatch::Certificate { .. } | TrustMatch::NameOnly { .. } | TrustMatch::Issuer { .. })
    }
}

/// Parses the identifying fields of `show cert own tomcat` (or `show cert trust <file>`).
pub fn own_cert(output: &str) -> Option<OwnCert> {
    let mut c = OwnCert::default();
    for line in output.lines() {
        let t = line.trim();
        if let Some(v) = t.strip_prefix("Serial Number:") {
            let hex: String = v.trim().chars().filter(|c| c.is_ascii_hexdigit()).collect();
            if !hex.is_empty() && c.serial.is_none() {
                c.serial = Some(hex.to_ascii_uppercase());
            }
        } else if let Some(v) = t.strip_prefix("Subject Name:") {
            c.subject_cn = c.subject_cn.or_else(|| cn_of(v));
        } else if let Some(v) = t.strip_prefix("Issuer Name:") {
            c.issuer_cn = c.issuer_cn.or_else(|| cn_of(v));
        }
    }
    (c != OwnCert::default()).then_some(c)
}

/// The `CN=` component of a distinguished name printed as `L=GB, ST=LN, CN=host, OU=LAB`.
fn cn_of(dn: &str) -> Option<String> {
    dn.split(',').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case("CN").then(|| v.trim().to_string()).filter(|v| !v.is_empty())
    })
}

/// The `tomcat-trust/` entries of `show cert list trust`.
pub fn trust_list(output: &str) -> Vec<TrustEntry> {
    output
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let file = line.split_once(": ").map_or(line, |(f, _)| f).trim_end_matches(':');
            let name = file.strip_prefix("tomcat-trust/")?.strip_suffix(".pem")?;
            if name.is_empty() || name.contains('/') {
                return None;
            }
            let (cn, serial) = match name.rsplit_once('_') {
                Some((cn, s)) if s.len() >= 8 && s.bytes().all(|b| b.is_ascii_hexdigit()) && !cn.is_empty() => {
                    (cn.to_string(), Some(s.to_ascii_lowercase()))
                }
                _ => (name.to_string(), None),
            };
            Some(TrustEntry { file: file.to_string(), cn, serial })
        })
        .collect()
}

/// How a CN appears in a trust file name: spaces as `_`, compared without case.
pub(crate) fn file_cn(cn: &str) -> String {
    cn.replace(' ', "_").to_ascii_lowercase()
}

/// Serials compare as hex numbers: case and leading zeros do not matter.
fn same_serial(a: &str, b: &str) -> bool {
    a.trim_start_matches('0').eq_ignore_ascii_case(b.trim_start_matches('0'))
}

/// Whether a side with `trust` accepts `peer`'s certificate; `None` when the peer's subject is
/// not known (nothing to match).
pub fn trusts(trust: &[TrustEntry], peer: &OwnCert) -> Option<TrustMatch> {
    let subject = file_cn(peer.subject_cn.as_deref()?);
    let named: Vec<&TrustEntry> = trust.iter().filter(|e| e.cn.to_ascii_lowercase() == subject).collect();
    if let Some(serial) = &peer.serial {
        if let Some(e) = named.iter().find(|e| e.serial.as_deref().is_some_and(|s| same_serial(s, serial))) {
            return Some(TrustMatch::Certificate { file: e.file.clone() });
        }
    }
    if let Some(e) = named.iter().find(|e| e.serial.is_none() || peer.serial.is_none()) {
        return Some(TrustMatch::NameOnly { file: e.file.clone() });
    }
    if !peer.self_signed() {
        if let Some(issuer) = peer.issuer_cn.as_deref().map(file_cn) {
            if let Some(e) = trust.iter().find(|e| e.cn.to_ascii_lowercase() == issuer) {
                return Some(TrustMatch::Issuer { file: e.file.clone() });
            }
        }
    }
    if !named.is_empty() {
        return Some(TrustMatch::Stale { files: named.iter().map(|e| e.file.clone()).collect() });
    }
    Some(TrustMatch::Missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &str = "[\n  Version: V3\n  Serial Number: 523C32C09694B0A60168D6EE36A3B96E\n  SignatureAlgorithm: SHA1withRSA (1.2.840.113549.1.1.5)\n  Issuer Name: L=GB, ST=LN, CN=HSBC-LAB-GBCUC01-PUB, OU=LAB, O=HSBC, C=GB\n  Validity From: Sun Jul 08 13:05:19 BST 2018\n           To:   Fri Jul 07 13:05:18 BST 2023\n  Subject Name: L=GB, ST=LN, CN=HSBC-LAB-GBCUC01-PUB, OU=LAB, O=HSBC, C=GB\n]-----BEGIN CERTIFICATE-----\nMIID\n-----END CERTIFICATE-----\n";

    #[test]
    fn reads_a_published_transcript() {
        let c = own_cert(OWN).unwrap();
        assert_eq!(c.serial.as_deref(), Some("523C32C09694B0A60168D6EE36A3B96E"));
        assert_eq!(c.subject_cn.as_deref(), Some("HSBC-LAB-GBCUC01-PUB"));
        assert!(c.self_signed());
        assert_eq!(own_cert("Executed command unsuccessfully"), None);
    }

    #[test]
    fn lists_only_tomcat_trust_and_splits_the_serial() {
        let out = "tomcat-trust/cucm14-pub.collabiz.ext_791a41de2f3d66a9a4a560204d2feb5a.pem: Trust Certificate\r\n\
                   tomcat-trust/USERTrust_RSA_Certification_Authority_01fd6d30fca3ca51a81bbc640e35032d.pem: x\r\n\
                   tomcat-trust/Mock_Root.pem: Trust Certificate\r\n\
                   CallManager-trust/CAPF-36205338.pem: x\r\n\
                   tomcat-trust/../evil.pem: x\r\nadmin:";
        let l = trust_list(out);
        assert_eq!(l.len(), 3, "{l:?}");
        assert_eq!(l[0].cn, "cucm14-pub.collabiz.ext");
        assert_eq!(l[0].serial.as_deref(), Some("791a41de2f3d66a9a4a560204d2feb5a"));
        assert_eq!(l[1].cn, "USERTrust_RSA_Certification_Authority");
        assert_eq!(
            l[2],
            TrustEntry { file: "tomcat-trust/Mock_Root.pem".into(), cn: "Mock_Root".into(), serial: None }
        );
    }

    fn peer(serial: &str, cn: &str, issuer: &str) -> OwnCert {
        OwnCert { serial: Some(serial.into()), subject_cn: Some(cn.into()), issuer_cn: Some(issuer.into()) }
    }

    #[test]
    fn matching_rules() {
        let list = trust_list(
            "tomcat-trust/hub.example.com_00ab12cd34.pem: t\ntomcat-trust/old.example.com_11111111.pem: t\ntomcat-trust/Corp_Root_CA.pem: t\ntomcat-trust/bare.example.com.pem: t\n",
        );
        let hub = peer("AB12CD34", "hub.example.com", "hub.example.com");
        assert!(matches!(trusts(&list, &hub), Some(TrustMatch::Certificate { .. })));
        let regenerated = peer("99999999", "old.example.com", "old.example.com");
        assert_eq!(
            trusts(&list, &regenerated),
            Some(TrustMatch::Stale { files: vec!["tomcat-trust/old.example.com_11111111.pem".into()] })
        );
        let ca_signed = peer("01", "spoke.example.com", "Corp Root CA");
        assert!(matches!(trusts(&list, &ca_signed), Some(TrustMatch::Issuer { .. })));
        let bare = peer("01", "bare.example.com", "bare.example.com");
        assert!(matches!(trusts(&list, &bare), Some(TrustMatch::NameOnly { .. })));
        let unknown = peer("01", "nobody.example.com", "nobody.example.com");
        assert_eq!(trusts(&list, &unknown), Some(TrustMatch::Missing));
        // A self-signed certificate is never trusted through a CA of the same name elsewhere.
        assert_eq!(trusts(&[], &OwnCert::default()), None);
    }
}
