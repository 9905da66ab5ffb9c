//! Archives from others (bundles, RTMT zips): extraction never writes outside its folder,
//! whatever the entries say; names are checked the same way on their own.
#![no_main]
use ils_doctor::bundle::read::{extract, safe_entry, Limits};
use libfuzzer_sys::fuzz_target;

fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        out.push(p.clone());
        if p.is_dir() && !p.is_symlink() {
            walk(&p, out);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = safe_entry(&String::from_utf8_lossy(&data[..data.len().min(300)]));
    let Ok(root) = tempfile::tempdir() else { return };
    let archive = root.path().join("in.bin");
    let dest = root.path().join("out");
    if std::fs::write(&archive, data).is_err() || std::fs::create_dir(&dest).is_err() {
        return;
    }
    let limits = Limits { max_entries: 64, max_entry_bytes: 1 << 20, max_total_bytes: 4 << 20 };
    let _ = extract(&archive, &dest, &limits);
    let mut all = Vec::new();
    walk(root.path(), &mut all);
    for p in all {
        assert!(p == archive || p.starts_with(&dest), "written outside the folder: {}", p.display());
        assert!(!p.is_symlink(), "no symlink is ever created: {}", p.display());
    }
});
