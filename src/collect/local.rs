//! Finding trace files under the paths a user gives.
//!
//! A file is taken as given. A folder is walked recursively (RTMT and `file get` downloads nest
//! the traces several levels deep, docs/cucm-notes.md#download-layouts) for names ending in `.txt`, `.txt.gz`,
//! `.gz`, `.gzo` or `.log`; CUCM's `.index` files and anything else are skipped. Symbolic links
//! to folders are not followed (no loops); files are sorted by path so that a trace's files come
//! in CUCM's sequence order (`SDL001_600_000001`, `..._000002`, ...).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Folders deeper than this below the given path are not walked.
const MAX_DEPTH: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum FindError {
    #[error("cannot read {path}: {source}; give a file or a folder of SDL traces (activelog cm/trace/ils/sdl)")]
    Unreadable { path: String, source: io::Error },
    #[error("{path} holds no trace files (looked for *.txt, *.txt.gz, *.gz, *.gzo, *.log in it and its sub-folders)")]
    Empty { path: String },
}

/// Whether a file name looks like a trace file.
pub fn is_trace_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [".txt", ".gz", ".gzo", ".log"].iter().any(|ext| n.ends_with(ext))
}

/// The trace files at `path` (the file itself, or the files under the folder), sorted.
pub fn find(path: &Path) -> Result<Vec<PathBuf>, FindError> {
    let display = path.display().to_string();
    let meta = fs::metadata(path).map_err(|source| FindError::Unreadable { path: display.clone(), source })?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    walk(path, 0, &mut out)?;
    if out.is_empty() {
        return Err(FindError::Empty { path: display });
    }
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), FindError> {
    let unreadable = |source| FindError::Unreadable { path: dir.display().to_string(), source };
    for entry in fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let kind = entry.file_type().map_err(unreadable)?;
        let path = entry.path();
        if kind.is_dir() {
            if depth < MAX_DEPTH {
                walk(&path, depth.saturating_add(1), out)?;
            }
        } else if entry.file_name().to_str().is_some_and(is_trace_name) && (kind.is_file() || path.is_file()) {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_folders_sorted_and_filtered() {
        let dir = tempfile::tempdir().unwrap();
        let sdl = dir.path().join("10.0.0.1/2026-11-25_10-00-00/cm/trace/ils/sdl");
        fs::create_dir_all(&sdl).unwrap();
        for name in [
            "SDL001_600_000002.txt.gz",
            "SDL001_600_000001.txt.gz",
            "SDL001_600_000003.txt.gzo",
            "SDL001_600.index",
            "notes.pdf",
        ] {
            fs::write(sdl.join(name), b"x").unwrap();
        }
        let found = find(dir.path()).unwrap();
        let names: Vec<_> = found.iter().map(|p| p.file_name().unwrap().to_str().unwrap().to_string()).collect();
        assert_eq!(names, ["SDL001_600_000001.txt.gz", "SDL001_600_000002.txt.gz", "SDL001_600_000003.txt.gzo"]);
    }

    #[test]
    fn errors_name_the_path() {
        let e = find(Path::new("/no/such/trace/dir")).unwrap_err().to_string();
        assert!(e.contains("/no/such/trace/dir"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let e = find(dir.path()).unwrap_err().to_string();
        assert!(e.contains("holds no trace files"), "{e}");
    }
}
