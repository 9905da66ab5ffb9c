//! Tomcat certificates for the mock's HTTPS port, generated with rcgen.
//!
//! Follows docs/cucm-notes.md#tomcat-cert: a self-signed Tomcat certificate by default,
//! one issued by a scenario CA (named by `tomcat.ca`) when `tomcat.kind = "ca_signed"`, or an
//! expired one. Newer VOS self-signed Tomcat certificates carry `basicConstraints CA:TRUE,
//! pathlen:0` [C: a Cisco-published PEM, decoding I]; the mock does the same, so clients must pin rather than add
//! the certificate as a root (rustls refuses a CA used as end entity). The subject alternative names
//! hold the FQDN, the host name, `localhost` and `127.0.0.1`, so a client can verify a CA-signed
//! certificate while connecting to the loopback address. Keys are ECDSA P-256 (the real Tomcat key
//! is RSA; `tomcat-ECDSA` exists too) [I].

use std::collections::BTreeMap;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::scenario::{CertKind, Cluster};

/// A CA created for the run.
pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ca")
    }
}

impl Ca {
    /// A new self-signed root CA named `name`.
    pub fn new(name: &str) -> Result<Ca, rcgen::Error> {
        let mut p = CertificateParams::new(Vec::<String>::new())?;
        p.distinguished_name.push(DnType::CommonName, name);
        p.distinguished_name.push(DnType::OrganizationName, "Mock Enterprise");
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
        p.not_after = rcgen::date_time_ymd(2045, 1, 1);
        // Stable, so that `show cert trust` can print the CA's serial without the certificate.
        p.serial_number = Some(rcgen::SerialNumber::from_slice(&serial_of(name)));
        Ok(Ca { issuer: CertifiedIssuer::self_signed(p, KeyPair::generate()?)? })
    }

    /// The CA certificate in PEM.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }
}

/// The CAs of one run, by name.
#[derive(Debug, Default)]
pub struct Pki {
    cas: BTreeMap<String, Ca>,
}

/// A server certificate and key.
#[derive(Debug, Clone)]
pub struct ServerCert {
    /// Leaf certificate, PEM.
    pub cert_pem: String,
    /// Issuing CA, PEM, when CA-signed.
    pub ca_pem: Option<String>,
    /// Leaf certificate, DER.
    pub cert_der: CertificateDer<'static>,
    /// PKCS#8 key, DER.
    pub key_der: Vec<u8>,
    /// Serial number, upper-case hex (as `show cert own` prints it).
    pub serial_hex: String,
    /// Subject CN.
    pub subject_cn: String,
    /// Issuer CN.
    pub issuer_cn: String,
    /// notBefore (UTC).
    pub not_before: chrono::NaiveDate,
    /// notAfter (UTC).
    pub not_after: chrono::NaiveDate,
}

/// The serial number of `fqdn`'s Tomcat certificate: stable, so peers' trust-store entries
/// (`<cn>_<serial>.pem`, docs/cucm-notes.md#cert-cli) can name it.
pub fn serial_of(fqdn: &str) -> [u8; 16] {
    let mut h: u64 = 0x6c62_272e_07bb_0142;
    let mut out = [0u8; 16];
    for (i, slot) in out.iter_mut().enumerate() {
        for b in fqdn.bytes().chain([i as u8]) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        *slot = (h >> 24) as u8;
    }
    out[0] &= 0x7f;
    out[0] |= 0x40;
    out
}

/// [`serial_of`] in upper-case hex.
pub fn serial_hex(fqdn: &str) -> String {
    serial_of(fqdn).iter().map(|b| format!("{b:02X}")).collect()
}

impl Pki {
    fn ca(&mut self, name: &str) -> Result<&Ca, rcgen::Error> {
        if !self.cas.contains_key(name) {
            self.cas.insert(name.to_string(), Ca::new(name)?);
        }
        self.cas.get(name).ok_or(rcgen::Error::CouldNotParseCertificate)
    }

    /// The Tomcat certificate of `c`. `https_override` is the `faults.https_cert` value
    /// (`expired` or `self_signed`).
    pub fn tomcat(&mut self, c: &Cluster, https_override: Option<&str>) -> Result<ServerCert, rcgen::Error> {
        let expired = c.tomcat.expired || https_override == Some("expired");
        let kind = if https_override == Some("self_signed") { CertKind::SelfSigned } else { c.tomcat.kind };
        let mut p = CertificateParams::new(vec![c.fqdn.clone(), c.hostname().to_string(), "localhost".to_string()])?;
        p.subject_alt_names.push(SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
        p.distinguished_name.push(DnType::CommonName, c.fqdn.as_str());
        p.distinguished_name.push(DnType::OrganizationalUnitName, "UC");
        p.distinguished_name.push(DnType::OrganizationName, "Mock Enterprise");
        p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::DataEncipherment,
        ];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
        let (from, to) = if expired { ((2019, 1, 1), (2021, 1, 1)) } else { ((2024, 1, 1), (2044, 1, 1)) };
        p.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
        p.not_after = rcgen::date_time_ymd(to.0, to.1, to.2);
        p.serial_number = Some(rcgen::SerialNumber::from_slice(&serial_of(&c.fqdn)));
        let key = KeyPair::generate()?;
        let mut issuer_cn = c.fqdn.clone();
        let (cert, ca_pem) = match kind {
            CertKind::SelfSigned => {
                p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
                p.key_usages.push(KeyUsagePurpose::KeyCertSign);
                (p.self_signed(&key)?, None)
            }
            CertKind::CaSigned => {
                let ca = self.ca(&c.tomcat.ca)?;
                issuer_cn = c.tomcat.ca.clone();
                (p.signed_by(&key, &ca.issuer)?, Some(ca.pem()))
            }
        };
        Ok(ServerCert {
            cert_pem: cert.pem(),
            ca_pem,
            cert_der: cert.der().clone(),
            key_der: key.serialize_der(),
            serial_hex: serial_hex(&c.fqdn),
            subject_cn: c.fqdn.clone(),
            issuer_cn,
            not_before: chrono::NaiveDate::from_ymd_opt(from.0, from.1 as u32, from.2 as u32).unwrap_or_default(),
            not_after: chrono::NaiveDate::from_ymd_opt(to.0, to.1 as u32, to.2 as u32).unwrap_or_default(),
        })
    }
}

/// A rustls server configuration (ring provider, TLS 1.2 and 1.3, HTTP/1.1 only).
pub fn server_config(sc: &ServerCert) -> Result<Arc<rustls::ServerConfig>, rustls::Error> {
    let mut chain = vec![sc.cert_der.clone()];
    if let Some(ca) = &sc.ca_pem {
        if let Some(der) = pem_to_der(ca) {
            chain.push(der);
        }
    }
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(sc.key_der.clone()));
    let mut cfg = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// Decodes the first PEM block.
fn pem_to_der(pem: &str) -> Option<CertificateDer<'static>> {
    use base64::Engine;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok().map(CertificateDer::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(kind: &str, expired: bool) -> Cluster {
        let text = format!(
            "name='t'\n[[cluster]]\nname='hub'\ncluster_id='H'\nfqdn='cucm-hub.example.com'\nip='10.0.0.1'\nrole='hub'\n[cluster.ils]\n[cluster.tomcat]\nkind='{kind}'\nexpired={expired}\n"
        );
        crate::Scenario::from_toml(&text, "t").unwrap().clusters.remove(0)
    }

    #[test]
    fn self_signed_ca_signed_and_expired_certificates_build() {
        let mut pki = Pki::default();
        let s = pki.tomcat(&cluster("self_signed", false), None).unwrap();
        assert!(s.ca_pem.is_none());
        assert!(s.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(server_config(&s).is_ok());
        let c = pki.tomcat(&cluster("ca_signed", false), None).unwrap();
        let ca1 = c.ca_pem.clone().unwrap();
        // The same CA name gives the same CA within a run.
        let c2 = pki.tomcat(&cluster("ca_signed", false), None).unwrap();
        assert_eq!(c2.ca_pem.unwrap(), ca1);
        assert!(server_config(&c).is_ok());
        let e = pki.tomcat(&cluster("self_signed", false), Some("expired")).unwrap();
        assert_ne!(e.cert_der, s.cert_der);
        // The override forces self-signed.
        assert!(pki.tomcat(&cluster("ca_signed", false), Some("self_signed")).unwrap().ca_pem.is_none());
    }
}
