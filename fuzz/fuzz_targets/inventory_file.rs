//! The audit inventory (TOML): errors name lines, never panic on spans at the end of the text.
#![no_main]
use ils_doctor::audit::inventory;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = inventory::parse(text, "fuzz.toml");
    }
});
