//! TLS trust for the publishers' HTTPS (Tomcat) certificates.
//!
//! CUCM's Tomcat certificate is self-signed by default (docs/cucm-notes.md#tomcat-cert), issued to the
//! node's FQDN, and may carry CA:TRUE, which webpki refuses as an end entity even when added as a
//! root. So three modes, verification on by default:
//! - `Verify`: system roots, plus a CA file (an enterprise CA, or the tomcat-trust PEM);
//! - `Pin`: exactly one certificate, by its SHA-256 fingerprint (what `ils-doctor trust` records,
//!   the way ssh records host keys): the handshake signature is still verified;
//! - `Insecure`: anything, explicit and warned about.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsMode {
    /// System roots plus the PEM certificates given.
    Verify { extra_roots_pem: Option<String> },
    /// Exactly this certificate (SHA-256 of its DER, hex, any case, colons allowed).
    Pin(String),
    /// No verification (`--insecure`).
    Insecure,
}

/// `AB:CD:...` or `abcd...` → lower-case hex without separators.
pub fn normalize_fingerprint(fp: &str) -> String {
    fp.chars().filter(char::is_ascii_hexdigit).map(|c| c.to_ascii_lowercase()).collect()
}

/// The SHA-256 fingerprint of a DER certificate, `AB:CD:...`.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Where a verifier records the certificate the server presented (DER).
pub type SeenCertificate = Arc<Mutex<Option<Vec<u8>>>>;

/// A verifier that accepts one pinned certificate, or (recording) any certificate.
#[derive(Debug)]
pub struct PinnedVerifier {
    /// None: accept anything (insecure, or `trust` recording what the host presents).
    pin: Option<String>,
    /// The last certificate seen, for error messages and `ils-doctor trust`.
    pub seen: SeenCertificate,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl PinnedVerifier {
    pub fn new(pin: Option<&str>) -> PinnedVerifier {
        PinnedVerifier { pin: pin.map(normalize_fingerprint), seen: Arc::default(), provider: provider() }
    }
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(end_entity.to_vec());
        }
        match &self.pin {
            None => Ok(ServerCertVerified::assertion()),
            Some(pin) if normalize_fingerprint(&fingerprint(end_entity)) == *pin => Ok(ServerCertVerified::assertion()),
            Some(_) => Err(rustls::Error::General(format!(
                "the certificate's SHA-256 fingerprint {} is not the pinned one",
                fingerprint(end_entity)
            ))),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// The rustls client configuration for a mode. `Err` names what was wrong with the CA file.
pub fn client_config(mode: &TlsMode) -> Result<(rustls::ClientConfig, SeenCertificate), String> {
    let (mut config, seen) = client_config_for(mode)?;
    // One client talks to one publisher: rustls's default session cache (256 servers, its table
    // allocated up front) costs ~14 KB per client, 14 MB in an audit of a thousand clusters
    // (docs/benchmarks.md, "A thousand clusters").
    config.resumption = rustls::client::Resumption::in_memory_sessions(4);
    Ok((config, seen))
}

fn client_config_for(mode: &TlsMode) -> Result<(rustls::ClientConfig, SeenCertificate), String> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    match mode {
        TlsMode::Verify { extra_roots_pem } => {
            let mut roots = rustls::RootCertStore::empty();
            let native = rustls_native_certs::load_native_certs();
            for cert in native.certs {
                let _ = roots.add(cert);
            }
            if let Some(pem) = extra_roots_pem {
                let mut added: usize = 0;
                for cert in rustls_pemfile::certs(&mut pem.as_bytes()) {
                    let cert = cert.map_err(|e| format!("not a PEM certificate: {e}"))?;
                    roots.add(cert).map_err(|e| format!("not a usable CA certificate: {e}"))?;
                    added = added.saturating_add(1);
                }
                if added == 0 {
                    return Err("no certificate in the CA file".into());
                }
            }
            Ok((builder.with_root_certificates(roots).with_no_client_auth(), Arc::default()))
        }
        TlsMode::Pin(pin) => {
            let v = PinnedVerifier::new(Some(pin));
            let seen = v.seen.clone();
            Ok((builder.dangerous().with_custom_certificate_verifier(Arc::new(v)).with_no_client_auth(), seen))
        }
        TlsMode::Insecure => {
            let v = PinnedVerifier::new(None);
            let seen = v.seen.clone();
            Ok((builder.dangerous().with_custom_certificate_verifier(Arc::new(v)).with_no_client_auth(), seen))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints() {
        assert_eq!(normalize_fingerprint("AB:cd:01"), "abcd01");
        let fp = fingerprint(b"x");
        assert_eq!(fp.len(), 32 * 3 - 1);
        assert_eq!(normalize_fingerprint(&fp), "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881");
    }

    #[test]
    fn bad_ca_file_is_named() {
        let e = client_config(&TlsMode::Verify { extra_roots_pem: Some("not pem".into()) }).err().unwrap();
        assert!(e.contains("no certificate"), "{e}");
    }
}
