//! CLI outputs read for the facts: `utils service list`, `show network cluster`, `utils
//! dbreplication runtimestate`, `show cert own|trust`, `show cert list trust`, `file list ...
//! detail`, the certificates they print (PEM or decoded fields), and the trust matching and
//! chain check over them.
#![no_main]
use ils_doctor::analyze::preflight;
use ils_doctor::collect::download;
use ils_doctor::parse::{cert, facts, trust as certs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let out = String::from_utf8_lossy(data);
    let _ = facts::service_state(&out, facts::ILS_SERVICE);
    let _ = facts::network_cluster(&out);
    let _ = facts::replication(&out);
    let _ = facts::cert_valid_to(&out);
    let trust = certs::trust_list(&out);
    if let Some(own) = certs::own_cert(&out) {
        let _ = certs::trusts(&trust, &own);
    }
    // The certificate check: the same output as the peer's certificate and as one trust entry
    // (a self-issued leaf, a decoded block, a PEM that does not parse).
    if let Some(c) = cert::from_cli(&out) {
        let now = chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap_or_default().naive_utc();
        let entry = certs::TrustedCert { file: "tomcat-trust/x.pem".into(), cert: c.clone() };
        let _ = preflight::handshake(std::slice::from_ref(&entry), &c, now);
        let _ = preflight::handshake(&[], &c, now);
    }
    for (_, f) in download::file_list_detail(&out) {
        assert!(download::safe_name(&f.name).is_some(), "only safe names are listed");
    }
});
