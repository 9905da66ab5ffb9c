//! X.509 certificates as a publisher shows them: the PEM block of `show cert own tomcat`, or
//! only the decoded fields (`show cert trust <file>` may print no PEM,
//! docs/cucm-notes.md#cert-cli). Pure: text in, [`CertInfo`] out; what a chain check needs
//! (names, serial, validity, basic constraints, key usage, key identifiers) and, when the PEM
//! was there, the DER so that signatures can be verified.
//!
//! Names compare the way OpenSSL's `X509_NAME_cmp` does in effect for these certificates
//! (attribute types and values, case and repeated spaces ignored). The decoded text prints the
//! attributes in another order than the certificate holds them (`L=GB, ST=LN, CN=…, OU=…`,
//! docs/cucm-notes.md#cert-cli), so the attributes are compared as a sorted set [I].

use base64::Engine;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use x509_parser::extensions::ParsedExtension;
use x509_parser::objects::{oid2abbrev, oid_registry};
use x509_parser::x509::X509Name;

/// The largest PEM body read (a Tomcat certificate is 1 to 2 KiB; a hostile output is not
/// decoded whole).
const MAX_PEM: usize = 64 * 1024;

/// Where a [`CertInfo`] came from: the certificate itself, or the text a CLI printed of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertSource {
    /// The DER (from a PEM block): every field, and signatures can be verified.
    #[default]
    Pem,
    /// Only the decoded fields the CLI prints: no signature to verify.
    Decoded,
}

/// One certificate, as much as is known of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CertInfo {
    /// The subject as printed (`CN=cucm-hub.example.com, OU=UC, O=Example`).
    pub subject: String,
    pub issuer: String,
    /// Upper-case hex without separators or leading zeros.
    pub serial: Option<String>,
    /// Validity, UTC for a PEM; the server's local time for decoded fields (a day's precision).
    pub not_before: Option<NaiveDateTime>,
    pub not_after: Option<NaiveDateTime>,
    /// basicConstraints cA; `None` when the certificate has no such extension.
    pub ca: Option<bool>,
    /// keyUsage keyCertSign; `None` when the certificate has no keyUsage.
    pub key_cert_sign: Option<bool>,
    /// Subject and authority key identifiers, lower-case hex.
    pub subject_key_id: Option<String>,
    pub authority_key_id: Option<String>,
    pub source: CertSource,
    /// An X.509 version 1 certificate (no extensions: a v1 root counts as a CA).
    pub version_1: bool,
    /// The certificate, base64 DER, when a PEM block was read.
    pub der_base64: Option<String>,
}

impl CertInfo {
    /// The subject's common name.
    pub fn subject_cn(&self) -> Option<String> {
        cn_of(&self.subject)
    }

    pub fn issuer_cn(&self) -> Option<String> {
        cn_of(&self.issuer)
    }

    /// Subject and issuer are the same name (a self-signed certificate or a root).
    pub fn self_issued(&self) -> bool {
        same_name(&self.subject, &self.issuer)
    }

    pub fn der(&self) -> Option<Vec<u8>> {
        base64::engine::general_purpose::STANDARD.decode(self.der_base64.as_deref()?).ok()
    }

    /// The same certificate: the same DER when both are known, else the same issuer and serial
    /// (what identifies a certificate in X.509).
    pub fn same_certificate(&self, other: &CertInfo) -> bool {
        if let (Some(a), Some(b)) = (&self.der_base64, &other.der_base64) {
            return a == b;
        }
        match (&self.serial, &other.serial) {
            (Some(a), Some(b)) => a == b && same_name(&self.issuer, &other.issuer),
            _ => false,
        }
    }

    /// Whether [`CertInfo::same_certificate`] can tell: both DERs, or both serials, are known.
    pub fn comparable(&self, other: &CertInfo) -> bool {
        (self.der_base64.is_some() && other.der_base64.is_some()) || (self.serial.is_some() && other.serial.is_some())
    }

    /// Whether `issuer` can be the certificate that issued this one: its subject is this
    /// certificate's issuer, and the key identifiers agree when both are known.
    pub fn issued_by(&self, issuer: &CertInfo) -> bool {
        if !same_name(&self.issuer, &issuer.subject) {
            return false;
        }
        match (&self.authority_key_id, &issuer.subject_key_id) {
            (Some(a), Some(s)) => a == s,
            _ => true,
        }
    }

    /// Whether the certificate is valid at `now` (`None` when its dates are not known).
    pub fn valid_at(&self, now: NaiveDateTime) -> Option<Validity> {
        let (from, to) = (self.not_before?, self.not_after?);
        Some(if now > to {
            Validity::Expired(to)
        } else if now < from {
            Validity::NotYetValid(from)
        } else {
            Validity::Valid
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    Valid,
    Expired(NaiveDateTime),
    NotYetValid(NaiveDateTime),
}

/// Whether `issuer_der` signed `child_der`: `None` when either does not parse or the algorithm
/// is not supported.
pub fn signed_by(child_der: &[u8], issuer_der: &[u8]) -> Option<bool> {
    let (_, child) = x509_parser::parse_x509_certificate(child_der).ok()?;
    let (_, issuer) = x509_parser::parse_x509_certificate(issuer_der).ok()?;
    match child.verify_signature(Some(issuer.public_key())) {
        Ok(()) => Some(true),
        Err(x509_parser::error::X509Error::SignatureUnsupportedAlgorithm) => None,
        Err(_) => Some(false),
    }
}

/// The certificate of a CLI output: from its PEM block when it has one that parses, else from
/// the decoded fields; `None` when the output holds neither.
pub fn from_cli(output: &str) -> Option<CertInfo> {
    first_pem(output).and_then(|der| from_der(&der)).or_else(|| from_decoded(output))
}

/// The DER of the first `-----BEGIN CERTIFICATE-----` block, wherever the marker is on its line
/// (the CLI prints `]-----BEGIN CERTIFICATE-----`).
pub fn first_pem(text: &str) -> Option<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let start = text.find(BEGIN)?.checked_add(BEGIN.len())?;
    let rest = text.get(start..)?;
    let body = rest.get(..rest.find(END)?)?;
    if body.len() > MAX_PEM {
        return None;
    }
    let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

/// A certificate from its DER.
pub fn from_der(der: &[u8]) -> Option<CertInfo> {
    let (_, c) = x509_parser::parse_x509_certificate(der).ok()?;
    let time =
        |t: &x509_parser::time::ASN1Time| DateTime::<Utc>::from_timestamp(t.timestamp(), 0).map(|d| d.naive_utc());
    let mut info = CertInfo {
        subject: name_text(c.subject()),
        issuer: name_text(c.issuer()),
        serial: Some(serial_hex(c.raw_serial())),
        not_before: time(&c.validity().not_before),
        not_after: time(&c.validity().not_after),
        ca: c.basic_constraints().ok().flatten().map(|b| b.value.ca),
        key_cert_sign: c.key_usage().ok().flatten().map(|k| k.value.key_cert_sign()),
        source: CertSource::Pem,
        version_1: c.version() == x509_parser::x509::X509Version::V1,
        der_base64: Some(base64::engine::general_purpose::STANDARD.encode(der)),
        ..CertInfo::default()
    };
    for ext in c.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => info.subject_key_id = Some(hex(k.0)),
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                info.authority_key_id = a.key_identifier.as_ref().map(|k| hex(k.0));
            }
            _ => {}
        }
    }
    Some(info)
}

/// A certificate from the decoded block the CLI prints (Java's certificate text: `Serial
/// Number:`, `Issuer Name:`, `Validity From:` / `To:`, `Subject Name:`, then `Extension:`
/// blocks; docs/cucm-notes.md#cert-cli). `None` without a subject.
pub fn from_decoded(output: &str) -> Option<CertInfo> {
    let mut info = CertInfo { source: CertSource::Decoded, ..CertInfo::default() };
    let mut extension = String::new();
    for line in output.lines() {
        let t = line.trim().trim_start_matches('[').trim();
        if let Some(v) = t.strip_prefix("Serial Number:").or_else(|| t.strip_prefix("SerialNumber:")) {
            if info.serial.is_none() {
                let digits: String = v.chars().filter(char::is_ascii_hexdigit).collect();
                info.serial = (!digits.is_empty()).then(|| normalise_serial(&digits));
            }
        } else if let Some(v) = t.strip_prefix("Version:") {
            info.version_1 |= v.trim().eq_ignore_ascii_case("V1");
        } else if let Some(v) = t.strip_prefix("Subject Name:") {
            info.subject = first_nonempty(&info.subject, capped(v));
        } else if let Some(v) = t.strip_prefix("Issuer Name:") {
            info.issuer = first_nonempty(&info.issuer, capped(v));
        } else if let Some(v) = t.strip_prefix("Validity From:") {
            info.not_before = info.not_before.or_else(|| java_date(v));
        } else if let Some(v) = t.strip_prefix("To:") {
            info.not_after = info.not_after.or_else(|| java_date(v));
        } else if let Some(v) = t.strip_prefix("Extension:") {
            extension = v.trim().to_ascii_lowercase();
        } else if let Some(v) = t.strip_prefix("keyID:").or_else(|| t.strip_prefix("KeyIdentifier:")) {
            let id: String = v.chars().filter(char::is_ascii_hexdigit).collect::<String>().to_ascii_lowercase();
            if id.is_empty() {
                continue;
            }
            if extension.starts_with("subjectkeyidentifier") {
                info.subject_key_id = Some(id);
            } else if extension.starts_with("authoritykeyidentifier") {
                info.authority_key_id = Some(id);
            }
        } else if extension.starts_with("basicconstraints") {
            let l = t.to_ascii_lowercase().replace(' ', "");
            if l.contains("ca:true") {
                info.ca = Some(true);
            } else if l.contains("ca:false") {
                info.ca = Some(false);
            }
        } else if extension.starts_with("keyusage") {
            // The list may wrap onto further lines: keyCertSign anywhere in the block counts.
            let listed =
                t.split(',').any(|u| u.trim().trim_start_matches("Usages:").trim().eq_ignore_ascii_case("keyCertSign"));
            if listed {
                info.key_cert_sign = Some(true);
            } else if t.starts_with("Usages:") && info.key_cert_sign.is_none() {
                info.key_cert_sign = Some(false);
            }
        }
    }
    (!info.subject.is_empty()).then_some(info)
}

/// A printed name longer than this is cut (a real one is well under 1 KiB).
const MAX_NAME: usize = 4096;

/// `text` cut to [`MAX_NAME`] bytes at a character boundary.
fn capped(text: &str) -> &str {
    if text.len() <= MAX_NAME {
        return text;
    }
    let mut end = MAX_NAME;
    while !text.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    text.get(..end).unwrap_or_default()
}

fn first_nonempty(have: &str, new: &str) -> String {
    if have.is_empty() {
        new.trim().to_string()
    } else {
        have.to_string()
    }
}

/// `Sun Jul 08 13:05:19 BST 2018` (weekday, month, day, time, zone, year): the zone is the
/// server's local one and is dropped.
fn java_date(text: &str) -> Option<NaiveDateTime> {
    let w: Vec<&str> = text.split_whitespace().collect();
    let (month, day, time, year) = match w.as_slice() {
        [_, m, d, t, _, y] => (*m, *d, *t, *y),
        [_, m, d, t, y] => (*m, *d, *t, *y),
        _ => return None,
    };
    NaiveDateTime::parse_from_str(&format!("{month} {day} {time} {year}"), "%b %d %H:%M:%S %Y").ok()
}

/// `CN=x, OU=y` from a parsed name, attribute types by their usual short names.
fn name_text(name: &X509Name<'_>) -> String {
    let parts: Vec<String> = name
        .iter_attributes()
        .map(|a| {
            let key =
                oid2abbrev(a.attr_type(), oid_registry()).map_or_else(|_| a.attr_type().to_id_string(), str::to_string);
            let value = a.as_str().map_or_else(|_| hex(a.attr_value().data), str::to_string);
            format!("{key}={value}")
        })
        .collect();
    parts.join(", ")
}

/// The attributes of a printed name, normalised: types upper-case (with the long names
/// OpenSSL and Java use for some mapped to the short ones), values lower-case with runs of
/// spaces collapsed; sorted.
pub fn name_key(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = split_name(text)
        .into_iter()
        .filter_map(|part| {
            let (k, v) = part.split_once('=')?;
            let key = match k.trim().to_ascii_uppercase().as_str() {
                "COMMONNAME" => "CN".to_string(),
                "EMAILADDRESS" | "E" => "EMAIL".to_string(),
                "S" | "STATEORPROVINCENAME" => "ST".to_string(),
                other => other.to_string(),
            };
            let value = v.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
            Some((key, value))
        })
        .collect();
    out.sort();
    out
}

/// Two printed names are the same name.
pub fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (name_key(a), name_key(b));
    !a.is_empty() && a == b
}

/// Splits `L=GB, ST=LN, CN=a\\, b, O="Example, Inc.", OU=x` at the commas that start a new
/// `TYPE=` attribute: a value may hold an escaped comma, or a quoted one (Java quotes values
/// with commas). Quotes and escapes are removed. Linear in the length of the name.
fn split_name(text: &str) -> Vec<String> {
    let text = capped(text);
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, n)) = chars.next() {
                    current.push(n);
                }
            }
            '"' => quoted = !quoted,
            ',' | ';' if !quoted && starts_attribute(text.get(i.saturating_add(1)..).unwrap_or_default()) => {
                parts.push(std::mem::take(&mut current));
            }
            _ => current.push(c),
        }
    }
    parts.push(current);
    parts.into_iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
}

/// Whether `rest` begins (after spaces) with an attribute type and `=`: at most 64 characters
/// are looked at.
fn starts_attribute(rest: &str) -> bool {
    let rest = rest.trim_start();
    for (n, c) in rest.chars().enumerate().take(64) {
        if c == '=' {
            return n > 0;
        }
        if !(c.is_ascii_alphanumeric() || c == '.') {
            return false;
        }
    }
    false
}

/// The `CN=` value of a printed name.
pub fn cn_of(text: &str) -> Option<String> {
    split_name(text).into_iter().find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("CN") && !v.trim().is_empty()).then(|| v.trim().to_string())
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn serial_hex(raw: &[u8]) -> String {
    normalise_serial(&hex(raw))
}

/// Upper case, no leading zeros (serials compare as numbers).
fn normalise_serial(hex: &str) -> String {
    let t = hex.trim_start_matches('0');
    if t.is_empty() {
        "0".into()
    } else {
        t.to_ascii_uppercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DECODED: &str = "[\n  Version: V3\n  Serial Number: 00523C32C09694B0A60168D6EE36A3B96E\n  SignatureAlgorithm: SHA1withRSA (1.2.840.113549.1.1.5)\n  Issuer Name: L=GB, ST=LN, CN=HSBC-LAB-GBCUC01-PUB, OU=LAB, O=HSBC, C=GB\n  Validity From: Sun Jul 08 13:05:19 BST 2018\n           To:   Fri Jul 07 13:05:18 BST 2023\n  Subject Name: L=GB, ST=LN, CN=HSBC-LAB-GBCUC01-PUB, OU=LAB, O=HSBC, C=GB\n  Key: RSA (1.2.840.113549.1.1.1)\n  Extensions: 3 present\n  [\n     Extension: KeyUsage (OID.2.5.29.15)\n     Critical: false\n     Usages: digitalSignature, keyEncipherment, dataEncipherment, keyAgreement, keyCertSign,\n  ]\n  [\n     Extension: SubjectKeyIdentifier (OID.2.5.29.14)\n     Critical: false\n     keyID: bb77bc184dbbc0b28335125dd4bc82689432b518\n  ]\n]";

    #[test]
    fn reads_the_published_decoded_block() {
        let c = from_cli(DECODED).unwrap();
        assert_eq!(c.source, CertSource::Decoded);
        assert_eq!(c.serial.as_deref(), Some("523C32C09694B0A60168D6EE36A3B96E"));
        assert_eq!(c.subject_cn().as_deref(), Some("HSBC-LAB-GBCUC01-PUB"));
        assert!(c.self_issued());
        assert_eq!(c.key_cert_sign, Some(true));
        assert_eq!(c.ca, None, "this certificate has no basicConstraints");
        assert_eq!(c.subject_key_id.as_deref(), Some("bb77bc184dbbc0b28335125dd4bc82689432b518"));
        assert_eq!(c.not_after.unwrap().to_string(), "2023-07-07 13:05:18");
        let now = NaiveDateTime::parse_from_str("2026-01-01 00:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        assert!(matches!(c.valid_at(now), Some(Validity::Expired(_))));
    }

    #[test]
    fn names_compare_as_sets_without_case() {
        assert!(same_name(
            "CN=Hub.Example.com, OU=UC, O=Mock  Enterprise",
            "O=mock enterprise, CN=hub.example.com, OU=uc"
        ));
        assert!(!same_name("CN=a, O=x", "CN=a, O=y"));
        assert!(!same_name("", ""));
        assert_eq!(cn_of("O=Acme\\, Inc, CN=Corp Root CA").as_deref(), Some("Corp Root CA"));
        assert_eq!(name_key("O=Acme\\, Inc, CN=x"), vec![("CN".into(), "x".into()), ("O".into(), "acme, inc".into())]);
        // Java quotes a value with a comma; the certificate's own name is not quoted.
        assert!(same_name("CN=hub, O=\"Cisco Systems, Inc.\", C=US", "C=US, O=Cisco Systems, Inc., CN=hub"));
        // Long hostile names stay linear and bounded.
        let long = ",a=".repeat(200_000);
        assert!(name_key(&long).len() <= MAX_NAME);
    }

    #[test]
    fn hostile_text_gives_nothing_or_a_partial_certificate() {
        assert_eq!(from_cli(""), None);
        assert_eq!(from_cli("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----"), None);
        assert_eq!(first_pem("-----BEGIN CERTIFICATE-----no end"), None);
        let partial = from_cli("Subject Name: CN=x\nTo: garbage\nSerial Number: zz").unwrap();
        assert_eq!(partial.serial, None);
        assert_eq!(partial.not_after, None);
    }
}
