//! The `admin:` CLI dialog (ANSI and backspace stripping, CR overwrite, prompt and pager
//! detection) fed the same bytes cut at arbitrary places.
#![no_main]
use ils_doctor::connect::shell::Dialog;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, data)) = data.split_first() else { return };
    let step = usize::from(cut).max(1);
    let mut d = Dialog::new();
    for piece in data.chunks(step) {
        let _ = d.feed(piece);
    }
    let _ = d.truncated();
});
