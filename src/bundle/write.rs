//! Packing a staged bundle folder into one `.tar.gz` or `.zip`, atomically: the archive is
//! written to a temporary file in the destination folder, synced, then renamed, so a failed or
//! interrupted collect never leaves a half bundle under the final name.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::ArchiveFormat;

#[derive(Debug, thiserror::Error)]
#[error("cannot write the bundle {path}: {op}: {source}; check that the folder exists, is writable and has space")]
pub struct WriteError {
    pub path: String,
    pub op: String,
    pub source: io::Error,
}

/// The folder name inside the archive: the bundle's file name without its extension.
pub fn top_folder(dest: &Path) -> String {
    let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("bundle");
    let stem = [".tar.gz", ".tgz", ".zip"].iter().find_map(|ext| name.strip_suffix(ext)).unwrap_or(name);
    let clean: String =
        stem.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect();
    if clean.is_empty() || clean.starts_with('.') {
        format!("bundle{clean}")
    } else {
        clean
    }
}

/// Packs `files` (paths relative to `staging`, `/`-separated) under a top folder into `dest`.
/// Returns the archive's size. The archive keeps the owner-only mode (0600) it is written with,
/// unless `shareable` (a redacted bundle, meant to be sent): then 0644 (docs/bundles.md).
pub fn pack(
    staging: &Path,
    files: &[String],
    dest: &Path,
    format: ArchiveFormat,
    mtime: u64,
    shareable: bool,
) -> Result<u64, WriteError> {
    let err = |op: &str| {
        let path = dest.display().to_string();
        let op = op.to_string();
        move |source| WriteError { path, op, source }
    };
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".ils-doctor-bundle-")
        .suffix(".tmp")
        .tempfile_in(&parent)
        .map_err(err("creating a temporary file"))?;
    let top = top_folder(dest);
    let file = tmp.as_file().try_clone().map_err(err("creating a temporary file"))?;
    match format {
        ArchiveFormat::TarGz => write_tar(staging, files, &top, file, mtime).map_err(err("writing tar.gz"))?,
        ArchiveFormat::Zip => write_zip(staging, files, &top, file).map_err(err("writing zip"))?,
    }
    tmp.as_file().sync_all().map_err(err("syncing"))?;
    let size = tmp.as_file().metadata().map_err(err("reading its size"))?.len();
    tmp.persist(dest).map_err(|e| err("renaming the temporary file")(e.error))?;
    // Make the rename itself durable (best effort: not every file system allows it).
    if let Ok(d) = File::open(&parent) {
        let _ = d.sync_all();
    }
    // An unredacted bundle holds the publishers' names, addresses and traces: it stays
    // owner-only, as written.
    #[cfg(unix)]
    if shareable {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dest, std::fs::Permissions::from_mode(0o644));
    }
    Ok(size)
}

fn write_tar(staging: &Path, files: &[String], top: &str, out: File, mtime: u64) -> io::Result<()> {
    let gz = flate2::write::GzEncoder::new(BufWriter::new(out), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    for rel in files {
        let mut f = File::open(staging.join(rel))?;
        let len = f.metadata()?.len();
        let mut h = tar::Header::new_gnu();
        h.set_size(len);
        h.set_mode(0o644);
        h.set_mtime(mtime);
        h.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut h, format!("{top}/{rel}"), &mut f)?;
    }
    let gz = tar.into_inner()?;
    let mut buf = gz.finish()?;
    buf.flush()
}

fn write_zip(staging: &Path, files: &[String], top: &str, out: File) -> io::Result<()> {
    let mut zip = zip::ZipWriter::new(BufWriter::new(out));
    for rel in files {
        let mut f = File::open(staging.join(rel))?;
        let len = f.metadata()?.len();
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(0o644)
            .large_file(len >= u32::MAX as u64);
        zip.start_file(format!("{top}/{rel}"), opts).map_err(io::Error::other)?;
        io::copy(&mut f, &mut zip)?;
    }
    let mut buf = zip.finish().map_err(io::Error::other)?;
    buf.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_folder_names() {
        assert_eq!(top_folder(Path::new("/x/case-1234.tar.gz")), "case-1234");
        assert_eq!(top_folder(Path::new("case 1.zip")), "case_1");
        assert_eq!(top_folder(Path::new(".tar.gz")), "bundle");
    }

    #[test]
    fn a_failed_pack_leaves_nothing() {
        let d = tempfile::tempdir().unwrap();
        let dest = d.path().join("case.tar.gz");
        let e = pack(d.path(), &["missing.txt".into()], &dest, ArchiveFormat::TarGz, 0, false).unwrap_err();
        assert!(e.to_string().contains("case.tar.gz"), "{e}");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0, "no temporary or final file left");
    }

    #[cfg(unix)]
    #[test]
    fn an_unredacted_bundle_stays_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.txt"), b"x").unwrap();
        for (shareable, mode) in [(false, 0o600), (true, 0o644)] {
            for format in [ArchiveFormat::TarGz, ArchiveFormat::Zip] {
                let dest = d
                    .path()
                    .join(format!("case-{shareable}.{}", if format == ArchiveFormat::Zip { "zip" } else { "tar.gz" }));
                pack(d.path(), &["a.txt".into()], &dest, format, 0, shareable).unwrap();
                assert_eq!(std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777, mode, "{dest:?}");
            }
        }
    }
}
