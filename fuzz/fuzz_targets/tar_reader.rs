//! The raw tar walker on any bytes (uncompressed): it never reads more than it was given, never
//! hands out more data than an entry's size, and no name it returns is longer than the input.
#![no_main]
use std::io::Read;

use ils_doctor::bundle::tar_walk::TarWalker;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut w = TarWalker::new(data);
    let mut handed_out = 0u64;
    for _ in 0..64 {
        match w.next_entry() {
            Ok(Some(h)) => {
                assert!(h.name.len() <= data.len().saturating_mul(3), "name longer than the input");
                let mut buf = Vec::new();
                if w.data().take(1 << 20).read_to_end(&mut buf).is_ok() {
                    assert!(buf.len() as u64 <= h.size, "more data than the entry's size");
                }
                handed_out += buf.len() as u64;
                assert!(handed_out <= data.len() as u64, "more data than the input");
            }
            Ok(None) | Err(_) => break,
        }
    }
});
