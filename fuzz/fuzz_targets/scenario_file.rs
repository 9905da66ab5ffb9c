//! The mock's scenario files (TOML from users and tests).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = mock_server::Scenario::from_toml(text, "fuzz");
    }
});
