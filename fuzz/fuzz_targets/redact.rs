//! Redaction of untrusted text (traces, CLI outputs): learning names and addresses from it and
//! replacing them is total, and a second pass finds nothing left of what was learned.
#![no_main]
use ils_doctor::bundle::redact::Pseudonyms;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut p = Pseudonyms::default();
    p.learn(data);
    let once = p.apply(data);
    let _ = p.apply(&once);
    let _ = p.mapping();
});
