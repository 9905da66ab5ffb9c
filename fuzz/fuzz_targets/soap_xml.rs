//! SOAP responses from a publisher (AXL, Serviceability, faults, the 599 version list).
#![no_main]
use ils_doctor::connect::envelope;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let xml = String::from_utf8_lossy(data);
    let _ = envelope::walk(&xml, |_, _| {});
    let _ = envelope::sql_rows(&xml);
    let _ = envelope::fault(&xml);
    let _ = envelope::first_text(&xml, "role");
    let _ = envelope::trace_settings(&xml);
    let _ = envelope::supported_versions(&xml);
    let _ = envelope::service_log_names(&xml);
    if let Ok(files) = envelope::log_files(&xml) {
        for f in files {
            let _ = ils_doctor::collect::download::safe_name(&f.name);
        }
    }
});
