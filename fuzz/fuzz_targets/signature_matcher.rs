//! The fast scanner (aho-corasick prefilter over chunks) and the signature matcher on every
//! line it reports: any bytes, any chunk size, no panic.
#![no_main]
use std::sync::LazyLock;

use ils_doctor::analyze::Catalog;
use ils_doctor::parse::{Prefilter, Scanner};
use libfuzzer_sys::fuzz_target;

static CATALOG: LazyLock<Catalog> = LazyLock::new(Catalog::builtin);
static PREFILTER: LazyLock<Prefilter> = LazyLock::new(|| CATALOG.prefilter());

fuzz_target!(|data: &[u8]| {
    let (chunk, data) = match data.split_first() {
        Some((c, rest)) => (64 + usize::from(*c) * 16, rest),
        None => return,
    };
    Scanner::new(&PREFILTER).scan_reader(data, chunk, |hit| {
        let _ = CATALOG.match_line(hit.line);
    });
    for line in data.split(|&b| b == b'\n') {
        let _ = CATALOG.match_line(line);
    }
});
