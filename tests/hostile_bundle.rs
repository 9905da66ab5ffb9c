//! A hostile bundle: a small `.tar.gz` whose PAX header says
//! `size=0` and whose next record is a GNU long name of 256 MiB. It must be refused from the
//! long-name record's header, without reading the record, so the process stays far under
//! 256 MiB of memory (docs/security.md, "Tar archives"). One test in its own binary, so that
//! the process's peak memory is this test's.

use std::io::Write;
use std::path::Path;

use ils_doctor::bundle::read::{extract, Limits};

const BLOCK: usize = 512;

/// A header block as the `tar` crate writes it (ustar layout, checksum set): an implementation
/// other than the reader under test.
fn header(name: &str, flag: u8, size: u64) -> [u8; BLOCK] {
    let mut h = tar::Header::new_ustar();
    h.set_path(name).unwrap();
    h.set_mode(0o644);
    h.set_size(size);
    h.set_entry_type(tar::EntryType::new(flag));
    h.set_cksum();
    *h.as_bytes()
}

/// Writes the hostile bundle, streaming (the test itself never holds the 256 MiB).
fn hostile_bundle(path: &Path) {
    let f = std::fs::File::create(path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::best());
    // "10 size=0\n": the record's length (10) counts itself.
    let pax = b"10 size=0\n";
    gz.write_all(&header("PaxHeader/x", b'x', pax.len() as u64)).unwrap();
    let mut body = pax.to_vec();
    body.resize(BLOCK, 0);
    gz.write_all(&body).unwrap();
    let long: u64 = 256 << 20;
    gz.write_all(&header("././@LongLink", b'L', long)).unwrap();
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..(long >> 20) {
        gz.write_all(&chunk).unwrap();
    }
    gz.write_all(&header("hub/SDL001_100_000001.txt", b'0', 0)).unwrap();
    gz.write_all(&[0u8; 2 * BLOCK]).unwrap();
    gz.finish().unwrap();
}

/// The process's peak resident memory (`VmHWM` of /proc/self/status), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[test]
fn a_pax_size_then_a_huge_long_name_is_refused_in_little_memory() {
    let d = tempfile::tempdir().unwrap();
    let bundle = d.path().join("hostile.tar.gz");
    hostile_bundle(&bundle);
    let size = std::fs::metadata(&bundle).unwrap().len();
    assert!(size < 2 << 20, "the bundle is small on disk: {size} bytes");
    let out = d.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let e = extract(&bundle, &out, &Limits::default()).unwrap_err().to_string();
    assert!(e.contains("hostile.tar.gz") && e.contains("refused from its header"), "{e}");
    let peak = peak_rss();
    eprintln!("bundle {size} bytes; refused; peak RSS of the test process {} MiB", peak >> 20);
    assert!(peak < 64 << 20, "peak RSS {} MiB: the record was read into memory", peak >> 20);
    // The binary refuses it too, with the archive named and exit 3 (unknown: no verdict).
    let run =
        std::process::Command::new(env!("CARGO_BIN_EXE_ils-doctor")).arg("analyze").arg(&bundle).output().unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("refused from its header"), "{stderr}");
}
