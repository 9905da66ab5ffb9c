//! The fast scanner (aho-corasick prefilter over chunks), the signature matcher, the per-file
//! filter that follows connections and counts routine lines, and the whole-trace analysis on
//! what the filter kept: any bytes, any chunk size, no panic. And the hand-written readers of
//! the frequent line shapes give what their regexes give, on every line.
#![no_main]
use std::sync::LazyLock;

use ils_doctor::analyze::filter::FileFilter;
use ils_doctor::analyze::{analyze, Catalog, Options, ScannedFile, Side};
use ils_doctor::parse::{Prefilter, Scanner};
use libfuzzer_sys::fuzz_target;

static CATALOG: LazyLock<Catalog> = LazyLock::new(Catalog::builtin);
static PREFILTER: LazyLock<Prefilter> = LazyLock::new(|| CATALOG.prefilter());

fuzz_target!(|data: &[u8]| {
    let (chunk, data) = match data.split_first() {
        Some((c, rest)) => (64 + usize::from(*c) * 16, rest),
        None => return,
    };
    let side = if chunk % 32 == 0 { Side::Hub } else { Side::Spoke };
    let mut filter = FileFilter::new(&CATALOG, side);
    let report = Scanner::new(&PREFILTER).scan_reader(data, chunk, |hit| {
        let _ = CATALOG.match_line(hit.line);
        let _ = CATALOG.match_hit(hit.line, hit.anchor);
        filter.push(hit);
    });
    for line in data.split(|&b| b == b'\n') {
        let _ = CATALOG.match_line(line);
        for s in CATALOG.signatures().iter().filter(|s| s.reader.is_some()) {
            assert_eq!(s.fields_of(line), s.fields_by_regex(line), "{}: reader and regex differ", s.id);
        }
    }
    let (hits, activity, _) = filter.finish();
    let file = ScannedFile {
        path: "fuzz.txt".into(),
        side,
        arg: 0,
        filehead: report.filehead,
        first: report.first,
        last: report.last,
        bytes: report.bytes,
        lines: report.lines,
        hits,
        activity,
    };
    let _ = analyze(&CATALOG, &[file], &Options::default());
});
