//! The streaming multipart/related reader (GetOneFile's DIME/MTOM answer), fed in pieces.
#![no_main]
use ils_doctor::connect::multipart::{self, Multipart};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, data)) = data.split_first() else { return };
    let step = usize::from(cut).max(1);
    let _ = multipart::boundary(&String::from_utf8_lossy(&data[..data.len().min(200)]));
    let mut m = Multipart::new("----=_Part_0_1.2");
    for piece in data.chunks(step) {
        if m.feed(piece, |_| {}).is_err() {
            return;
        }
    }
    let _ = m.finish();
});
