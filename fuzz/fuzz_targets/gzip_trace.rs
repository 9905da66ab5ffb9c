//! A `.gz` trace from outside: the whole-buffer fast path (trusting nothing in the trailer) and
//! the streaming decoder, bounded, then the record reader.
#![no_main]
use std::io::Read;

use ils_doctor::collect::decompress;
use ils_doctor::parse::records;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut d = libdeflater::Decompressor::new();
    let mut out = Vec::new();
    if let Some(n) = decompress::gunzip_whole(&mut d, data, &mut out, 1 << 20) {
        assert!(n <= out.len());
    }
    let mut text = Vec::new();
    let _ = decompress::gunzip_stream(data).take(1 << 20).read_to_end(&mut text);
    for _ in records::Records::new(&text[..]) {}
});
