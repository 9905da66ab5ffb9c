//! A file cut short while it is mapped: the bytes past its new end read as zeros, the map says
//! it shrank, and the process lives. And a fault that is not one of ours still ends the process.

use std::io::Write;

use mapped::Mapped;

/// The tests share the crate's slots: one at a time, so that one test filling them all does not
/// make another's map fall back.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn a_file_cut_short_reads_as_zeros_past_its_new_end() {
    let _one = serial();
    let dir = tempfile_dir();
    let path = dir.join("trace.txt");
    let page = 4096;
    let body: Vec<u8> = (0..page * 8).map(|i| b'a' + (i % 26) as u8).collect();
    std::fs::File::create(&path).unwrap().write_all(&body).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    let map = Mapped::open(&file).unwrap().expect("a regular file maps");
    assert_eq!(map.bytes().len(), body.len());
    assert_eq!(&map.bytes()[..page], &body[..page]);
    assert!(!map.shrank());
    // Another writer cuts the file to two pages.
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len((page * 2) as u64).unwrap();
    let bytes = map.bytes();
    assert_eq!(&bytes[..page * 2], &body[..page * 2], "what is still in the file reads as before");
    assert!(bytes[page * 2..].iter().all(|&b| b == 0), "past the new end: zeros, not SIGBUS");
    assert!(map.shrank());
    drop(map);
    // A new map of the short file is clean again.
    let file = std::fs::File::open(&path).unwrap();
    let map = Mapped::open(&file).unwrap().unwrap();
    assert_eq!(map.bytes().len(), page * 2);
    assert!(!map.shrank());
}

#[test]
fn empty_files_and_folders_are_read_not_mapped() {
    let _one = serial();
    let dir = tempfile_dir();
    let path = dir.join("empty.txt");
    std::fs::File::create(&path).unwrap();
    assert!(Mapped::open(&std::fs::File::open(&path).unwrap()).unwrap().is_none());
    assert!(Mapped::open(&std::fs::File::open(&dir).unwrap()).unwrap().is_none());
}

#[test]
fn many_maps_at_once_fall_back_to_reading_beyond_the_slots() {
    let _one = serial();
    let dir = tempfile_dir();
    let path = dir.join("small.txt");
    std::fs::write(&path, b"00000001.000 |00:00:00.000 |AppInfo  |x\n").unwrap();
    let file = std::fs::File::open(&path).unwrap();
    let maps: Vec<Option<Mapped>> = (0..100).map(|_| Mapped::open(&file).unwrap()).collect();
    let mapped = maps.iter().filter(|m| m.is_some()).count();
    assert!(mapped <= 64 && mapped > 0, "{mapped} maps");
    drop(maps);
    assert!(Mapped::open(&file).unwrap().is_some(), "slots come back when maps drop");
}

/// A SIGBUS that is not one of ours keeps its usual end: the test runs itself again in a child
/// process (`MAPPED_CHILD`), which faults on a map the handler does not know and must die of
/// the signal.
#[test]
fn a_fault_elsewhere_still_ends_the_process() {
    if std::env::var_os("MAPPED_CHILD").is_some() {
        fault_outside_any_map();
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args(["--exact", "a_fault_elsewhere_still_ends_the_process", "--nocapture", "--test-threads", "1"])
        .env("MAPPED_CHILD", "1")
        .output()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(libc_sigbus()), "{out:?}");
}

fn fault_outside_any_map() {
    // Install the handler by mapping something, then fault on a page of a map it does not know.
    let dir = tempfile_dir();
    let ours = dir.join("ours.txt");
    std::fs::write(&ours, vec![b'x'; 8192]).unwrap();
    let _map = Mapped::open(&std::fs::File::open(&ours).unwrap()).unwrap().unwrap();
    let theirs = dir.join("theirs.txt");
    std::fs::write(&theirs, vec![b'y'; 8192]).unwrap();
    let foreign = Mapped::open(&std::fs::File::open(&theirs).unwrap()).unwrap().unwrap();
    // The handler no longer knows this map: to it, a fault there is someone else's.
    foreign.forget_for_tests();
    std::fs::OpenOptions::new().write(true).open(&theirs).unwrap().set_len(0).unwrap();
    let byte = foreign.bytes().get(4096).copied();
    println!("read {byte:?} without a signal");
}

/// SIGBUS on Linux.
fn libc_sigbus() -> i32 {
    7
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("mapped-test-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}
