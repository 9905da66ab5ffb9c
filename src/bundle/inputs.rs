//! What a user hands to `analyze` as INPUT: an ils-doctor bundle (`.tar.gz`, `.zip`, or its
//! extracted folder), an RTMT "Collect Files" download (folder or zip), or a plain folder of
//! SDL files. Archives are extracted safely into a temporary folder that lives as long as the
//! [`Opened`] value; bundles are verified against their manifest before anything is analysed.
//!
//! RTMT layout (docs/cucm-notes.md#download-layouts): `<dir>/<node>/<YYYY-MM-DD_HH-MM-SS>/cm/trace/
//! ils/sdl/<file>`. When a folder mirrors server paths (`cm/trace/...`), only the files under
//! `cm/trace/ils/` are taken; the node folder names are reported.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::manifest::{self, Manifest, ManifestError};
use super::read::{self, ArchiveError, Limits};
use crate::collect::local::{self, FindError};

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("{path}: {source}")]
    Find { path: String, source: FindError },
    #[error("cannot create a temporary folder to extract {path}: {source}; set TMPDIR to a writable folder")]
    Temp { path: String, source: std::io::Error },
    #[error("{path}: no such file or folder")]
    Missing { path: String },
    #[error("{path}: an RTMT download without any ILS trace (looked under cm/trace/ils/); {skipped} other trace file(s) skipped")]
    NoIls { path: String, skipped: usize },
}

/// One input, ready to analyse.
#[derive(Debug)]
pub enum Input {
    /// A verified bundle; `root` holds `manifest.json`.
    Bundle { display: String, root: PathBuf, manifest: Box<Manifest> },
    /// Trace files whose side is to be detected. `root` is stripped from the paths shown,
    /// `display` put in front.
    Traces { display: String, root: PathBuf, files: Vec<PathBuf> },
}

/// The inputs and the temporary folders they were extracted to.
#[derive(Debug, Default)]
pub struct Opened {
    pub inputs: Vec<Input>,
    pub notes: Vec<String>,
    _temps: Vec<tempfile::TempDir>,
}

/// Opens every path (extracting archives with `limits`).
pub fn open(paths: &[PathBuf], limits: &Limits) -> Result<Opened, InputError> {
    let mut out = Opened::default();
    for path in paths {
        let display = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|_| InputError::Missing { path: display.clone() })?;
        let root = if meta.is_dir() {
            path.clone()
        } else if read::kind(path).is_some() {
            let tmp = tempfile::Builder::new()
                .prefix("ils-doctor-input-")
                .tempdir()
                .map_err(|source| InputError::Temp { path: display.clone(), source })?;
            let got = read::extract(path, tmp.path(), limits)?;
            out.notes.push(format!("{display}: extracted {} file(s), {} bytes", got.files, got.bytes));
            let root = tmp.path().to_path_buf();
            out._temps.push(tmp);
            root
        } else {
            // A single trace file.
            out.inputs.push(Input::Traces {
                display: display.clone(),
                root: path.parent().map(Path::to_path_buf).unwrap_or_default(),
                files: vec![path.clone()],
            });
            continue;
        };
        if let Some(broot) = bundle_root(&root) {
            let m = manifest::verify(&broot, &display)?;
            out.notes.push(format!(
                "{display}: ils-doctor bundle made {} by {}, manifest verified ({} files{})",
                m.created_at,
                m.tool,
                m.files.len(),
                if m.redacted { ", redacted" } else { "" }
            ));
            out.inputs.push(Input::Bundle { display, root: broot, manifest: Box::new(m) });
            continue;
        }
        let files = local::find(&root).map_err(|source| InputError::Find { path: display.clone(), source })?;
        let (files, note) = rtmt_filter(&root, files, &display)?;
        out.notes.extend(note);
        out.inputs.push(Input::Traces { display, root, files });
    }
    Ok(out)
}

/// The folder holding `manifest.json`: `root` itself, or its only sub-folder (the top folder
/// of an archive).
fn bundle_root(root: &Path) -> Option<PathBuf> {
    if root.join(manifest::MANIFEST).is_file() {
        return Some(root.to_path_buf());
    }
    let entries: Vec<_> = std::fs::read_dir(root).ok()?.flatten().collect();
    match entries.as_slice() {
        [one] if one.file_type().ok()?.is_dir() && one.path().join(manifest::MANIFEST).is_file() => Some(one.path()),
        _ => None,
    }
}

fn rel_slash(root: &Path, p: &Path) -> String {
    let rel = p.strip_prefix(root).unwrap_or(p);
    rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/")
}

/// In a folder that mirrors server paths, keeps the ILS traces and names the node folders.
fn rtmt_filter(root: &Path, files: Vec<PathBuf>, display: &str) -> Result<(Vec<PathBuf>, Option<String>), InputError> {
    let rels: Vec<String> = files.iter().map(|f| rel_slash(root, f).to_ascii_lowercase()).collect();
    let mirrored = rels.iter().any(|r| r.starts_with("cm/trace/") || r.contains("/cm/trace/"));
    if !mirrored {
        return Ok((files, None));
    }
    let is_ils = |r: &str| r.starts_with("cm/trace/ils/") || r.contains("/cm/trace/ils/");
    let mut nodes = BTreeSet::new();
    let mut kept = Vec::new();
    for (f, r) in files.into_iter().zip(&rels) {
        if is_ils(r) {
            if let Some((node, _)) = rel_slash(root, &f).split_once('/').filter(|(n, _)| !n.eq_ignore_ascii_case("cm"))
            {
                nodes.insert(node.to_string());
            }
            kept.push(f);
        }
    }
    // `kept` is a subset of `rels`.
    let skipped = rels.len().saturating_sub(kept.len());
    if kept.is_empty() {
        return Err(InputError::NoIls { path: display.to_string(), skipped });
    }
    let nodes = if nodes.is_empty() {
        String::new()
    } else {
        format!(", node folder(s) {}", nodes.into_iter().collect::<Vec<_>>().join(", "))
    };
    Ok((
        kept.clone(),
        Some(format!(
            "{display}: RTMT/SFTP layout: {} ILS file(s) under cm/trace/ils/{nodes}; {skipped} other trace file(s) skipped",
            kept.len()
        )),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtmt_folders_keep_ils_files_and_name_nodes() {
        let d = tempfile::tempdir().unwrap();
        for p in [
            "10.1.1.1/2026-11-25_10-00-00/cm/trace/ils/sdl/SDL001_600_000001.txt",
            "10.1.1.1/2026-11-25_10-00-00/cm/trace/ccm/sdl/SDL001_100_000001.txt",
            "cucm-spoke/2026-11-25_10-00-00/cm/trace/ils/sdl/SDL001_600_000002.txt",
        ] {
            let f = d.path().join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, b"x").unwrap();
        }
        let o = open(&[d.path().to_path_buf()], &Limits::default()).unwrap();
        let Input::Traces { files, .. } = &o.inputs[0] else { panic!() };
        assert_eq!(files.len(), 2);
        assert!(
            o.notes[0].contains("node folder(s) 10.1.1.1, cucm-spoke") && o.notes[0].contains("1 other"),
            "{:?}",
            o.notes
        );
    }
}
