//! The complete SDL record reader, the line header and FileHead parsers: any bytes, no panic,
//! line numbers that only grow.
#![no_main]
use ils_doctor::parse::{filehead, header, records};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = header::parse(data);
    let _ = filehead::parse(data);
    let mut last = 0;
    for r in records::Records::new(data) {
        assert!(r.line_no > last, "line numbers grow");
        last = r.line_no;
    }
});
