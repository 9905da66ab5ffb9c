//! `manifest.json`: what a bundle holds (schema `ils-doctor/bundle/1`), and its verification:
//! every listed file present with its size and SHA-256, no unlisted file. The manifest is not
//! signed: it detects damage and tampering of the files, not a forged manifest.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::analyze::{Method, Side};

pub const SCHEMA: &str = "ils-doctor/bundle/1";
pub const MANIFEST: &str = "manifest.json";
/// The configuration and trace levels read at collection (to recompute the findings offline).
pub const CONFIG: &str = "config.json";
/// A manifest larger than this is not read (untrusted input).
const MAX_MANIFEST: u64 = 16 << 20;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub schema: String,
    /// `ils-doctor 0.1.0`.
    pub tool: String,
    pub created_at: String,
    /// The command line that made it (no secret is ever on it; pseudonymised when redacted).
    pub command_line: Vec<String>,
    pub window: Window,
    pub redacted: bool,
    /// The configured method given at collection, if any.
    #[serde(default)]
    pub method: Option<Method>,
    pub sides: Vec<SideEntry>,
    pub files: Vec<FileEntry>,
}

/// The time the traces cover and how they were collected.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Window {
    /// `capture` (the level was raised and attempts awaited) or `since` (existing traces read).
    pub mode: String,
    pub capture_s: u64,
    pub since_s: u64,
    /// The first and last trace line of any side (the traces' own time).
    pub first_line: Option<String>,
    pub last_line: Option<String>,
}

/// One publisher of the bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SideEntry {
    pub side: Side,
    /// `hub-1`, `spoke-1`, ...: also the name of its folders in the bundle.
    pub id: String,
    pub host: String,
    pub https_port: u16,
    pub cluster_id: Option<String>,
    pub version: Option<String>,
    pub node_name: Option<String>,
    /// Its trace folder, e.g. `traces/hub-1`.
    pub traces: String,
}

/// One file of the bundle, by its path relative to the bundle root (always `/`-separated).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    pub sha256: String,
    /// `trace`, `config`, `cli`, `analysis`, `report`.
    pub kind: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("bundle {bundle}: cannot read {MANIFEST}: {source}; is this an ils-doctor bundle?")]
    Unreadable { bundle: String, source: io::Error },
    #[error("bundle {bundle}: {MANIFEST} is not valid: {reason}")]
    Invalid { bundle: String, reason: String },
    #[error("bundle {bundle} does not match its manifest ({} problem(s)): {}; the bundle was damaged or changed after it was made: ask the sender for a new copy", problems.len(), problems.join("; "))]
    Mismatch { bundle: String, problems: Vec<String> },
}

/// SHA-256 (lower-case hex) and size of a file, streamed.
pub fn digest(path: &Path) -> io::Result<(u64, String)> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size = size.saturating_add(n as u64);
        h.update(buf.get(..n).unwrap_or_default());
    }
    Ok((size, hex(&h.finalize())))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A manifest path as a safe relative path (no root, no `..`, no empty or `.` parts).
pub fn safe_path(p: &str) -> Option<PathBuf> {
    if p.is_empty() || p.starts_with('/') || p.contains('\\') || p.contains('\0') {
        return None;
    }
    let mut out = PathBuf::new();
    for part in p.split('/') {
        if part.is_empty() || part == "." || part == ".." || part.contains(':') {
            return None;
        }
        out.push(part);
    }
    Some(out)
}

/// Reads and checks `root/manifest.json` against the files under `root`.
pub fn verify(root: &Path, bundle: &str) -> Result<Manifest, ManifestError> {
    let path = root.join(MANIFEST);
    let unreadable = |source| ManifestError::Unreadable { bundle: bundle.to_string(), source };
    let f = File::open(&path).map_err(unreadable)?;
    let mut text = Vec::new();
    f.take(MAX_MANIFEST).read_to_end(&mut text).map_err(unreadable)?;
    let invalid = |reason: String| ManifestError::Invalid { bundle: bundle.to_string(), reason };
    let m: Manifest = serde_json::from_slice(&text).map_err(|e| invalid(e.to_string()))?;
    if m.schema != SCHEMA {
        return Err(invalid(format!("schema {:?}, this ils-doctor reads {SCHEMA:?}", m.schema)));
    }
    let mut problems = Vec::new();
    let mut listed = BTreeSet::new();
    for f in &m.files {
        let Some(rel) = safe_path(&f.path) else {
            problems.push(format!("{:?}: not a safe relative path", f.path));
            continue;
        };
        listed.insert(f.path.clone());
        let full = root.join(&rel);
        match std::fs::symlink_metadata(&full) {
            Err(_) => problems.push(format!("{}: missing", f.path)),
            Ok(meta) if !meta.is_file() => problems.push(format!("{}: not a regular file", f.path)),
            Ok(_) => match digest(&full) {
                Err(e) => problems.push(format!("{}: cannot read it ({e})", f.path)),
                Ok((size, _)) if size != f.size => problems.push(format!(
                    "{}: {size} bytes, the manifest says {} ({})",
                    f.path,
                    f.size,
                    if size < f.size { "truncated" } else { "changed" }
                )),
                Ok((_, sha)) if !sha.eq_ignore_ascii_case(&f.sha256) => {
                    problems.push(format!("{}: SHA-256 differs from the manifest (changed)", f.path))
                }
                Ok(_) => {}
            },
        }
    }
    let mut present = Vec::new();
    walk(root, root, &mut present);
    for p in present {
        if p != MANIFEST && !listed.contains(&p) {
            problems.push(format!("{p}: not listed in the manifest (added)"));
        }
    }
    for s in &m.sides {
        if safe_path(&s.traces).is_none() {
            problems.push(format!("side {}: trace folder {:?} is not a safe relative path", s.id, s.traces));
        }
    }
    if problems.is_empty() {
        Ok(m)
    } else {
        Err(ManifestError::Mismatch { bundle: bundle.to_string(), problems })
    }
}

/// Every non-directory under `dir`, as `/`-separated paths relative to `root` (symlinks are not
/// followed; extraction never creates them).
fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let path = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => walk(root, &path, out),
            Ok(_) => {
                if let Ok(rel) = path.strip_prefix(root) {
                    let parts: Vec<String> =
                        rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
                    out.push(parts.join("/"));
                }
            }
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(dir: &Path) -> Manifest {
        std::fs::create_dir_all(dir.join("traces/hub-1")).unwrap();
        std::fs::write(dir.join("traces/hub-1/a.txt"), b"hello\n").unwrap();
        let (size, sha256) = digest(&dir.join("traces/hub-1/a.txt")).unwrap();
        let m = Manifest {
            schema: SCHEMA.into(),
            tool: "ils-doctor test".into(),
            created_at: "now".into(),
            command_line: vec![],
            window: Window::default(),
            redacted: false,
            method: None,
            sides: vec![],
            files: vec![FileEntry { path: "traces/hub-1/a.txt".into(), size, sha256, kind: "trace".into() }],
        };
        std::fs::write(dir.join(MANIFEST), serde_json::to_vec(&m).unwrap()).unwrap();
        m
    }

    #[test]
    fn a_good_bundle_verifies() {
        let d = tempfile::tempdir().unwrap();
        bundle(d.path());
        verify(d.path(), "b").unwrap();
    }

    #[test]
    fn changed_truncated_and_added_files_are_named() {
        let d = tempfile::tempdir().unwrap();
        bundle(d.path());
        std::fs::write(d.path().join("traces/hub-1/a.txt"), b"hellO\n").unwrap();
        std::fs::write(d.path().join("traces/hub-1/extra.txt"), b"x").unwrap();
        let e = verify(d.path(), "case.tar.gz").unwrap_err().to_string();
        assert!(e.contains("traces/hub-1/a.txt: SHA-256 differs"), "{e}");
        assert!(e.contains("traces/hub-1/extra.txt: not listed"), "{e}");
        std::fs::write(d.path().join("traces/hub-1/a.txt"), b"he").unwrap();
        let e = verify(d.path(), "case.tar.gz").unwrap_err().to_string();
        assert!(e.contains("traces/hub-1/a.txt: 2 bytes, the manifest says 6 (truncated)"), "{e}");
    }

    #[test]
    fn unsafe_paths() {
        for bad in ["/etc/passwd", "../x", "a/../b", "a//b", "C:/x", "a\\b", ""] {
            assert!(safe_path(bad).is_none(), "{bad}");
        }
        assert_eq!(safe_path("traces/hub-1/x.txt").unwrap(), PathBuf::from("traces/hub-1/x.txt"));
    }
}
