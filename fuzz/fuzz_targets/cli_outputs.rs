//! CLI outputs read for the facts: `utils service list`, `show network cluster`, `utils
//! dbreplication runtimestate`, `show cert own|trust`, `show cert list trust`, `file list ...
//! detail`, and the trust matching over them.
#![no_main]
use ils_doctor::collect::{certs, download, facts};
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
    for (_, f) in download::file_list_detail(&out) {
        assert!(download::safe_name(&f.name).is_some(), "only safe names are listed");
    }
});
