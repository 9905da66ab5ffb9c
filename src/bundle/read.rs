//! Safe extraction of untrusted archives (a bundle or an RTMT zip from someone else).
//!
//! Tar streams are walked by `tar_walk` (long names and PAX records under a cap).
//! Refused, naming the entry (cut to a bounded length): absolute paths, `..`, drive letters, symbolic and hard links,
//! devices and FIFOs, duplicate names, more than `max_entries` entries, an entry larger than
//! `max_entry_bytes` or a total beyond `max_total_bytes` once decompressed. Sizes are enforced
//! while streaming (a header that lies about its size is still stopped), so a decompression bomb
//! costs at most the limit. Files are created new (never overwritten) under the destination
//! folder, which the caller removes on error.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use super::tar_walk::{shown_name, Kind, TarError, TarWalker};

/// Bounds on what an archive may expand to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_entries: usize,
    pub max_entry_bytes: u64,
    pub max_total_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_entries: 20_000, max_entry_bytes: 512 << 20, max_total_bytes: 4 << 30 }
    }
}

/// What kind of archive a file is, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    TarGz,
    Zip,
}

pub fn kind(path: &Path) -> Option<ArchiveKind> {
    let mut head = [0u8; 4];
    let mut f = File::open(path).ok()?;
    let n = f.read(&mut head).ok()?;
    match head.get(..n).unwrap_or_default() {
        [0x1f, 0x8b, ..] => Some(ArchiveKind::TarGz),
        [b'P', b'K', 3, 4] | [b'P', b'K', 5, 6] => Some(ArchiveKind::Zip),
        _ => None,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{archive}: cannot read it: {reason}; give a .tar.gz or .zip bundle, an RTMT zip, or a folder")]
    Unreadable { archive: String, reason: String },
    #[error("{archive}: entry {entry:?}: {reason}; the archive is refused (nothing of it is analysed)")]
    Entry { archive: String, entry: String, reason: String },
    #[error("{archive}: {reason}; the archive is refused")]
    TooMany { archive: String, reason: String },
}

/// What was extracted.
#[derive(Debug, Default)]
pub struct Extracted {
    pub files: usize,
    pub bytes: u64,
}

/// An entry name as a safe relative path: `/` or `\` separated, no root, no `..`, no drive.
pub fn safe_entry(name: &str) -> Result<Option<PathBuf>, String> {
    if name.contains('\0') {
        return Err("contains a NUL byte".into());
    }
    let unified = name.replace('\\', "/");
    if unified.starts_with('/') {
        return Err("absolute path".into());
    }
    let mut out = PathBuf::new();
    for part in unified.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err("path escapes the extraction folder (`..`)".into()),
            p if p.contains(':') => return Err("drive letter or stream name (`:`)".into()),
            p => out.push(p),
        }
    }
    Ok((!out.as_os_str().is_empty()).then_some(out))
}

struct Sink<'a> {
    archive: String,
    dest: &'a Path,
    limits: Limits,
    seen: BTreeSet<PathBuf>,
    out: Extracted,
    entries: usize,
}

impl Sink<'_> {
    fn entry_err(&self, entry: &str, reason: impl Into<String>) -> ArchiveError {
        ArchiveError::Entry { archive: self.archive.clone(), entry: shown_name(entry), reason: reason.into() }
    }

    fn count(&mut self) -> Result<(), ArchiveError> {
        self.entries = self.entries.saturating_add(1);
        if self.entries > self.limits.max_entries {
            return Err(ArchiveError::TooMany {
                archive: self.archive.clone(),
                reason: format!("more than {} entries", self.limits.max_entries),
            });
        }
        Ok(())
    }

    fn dir(&mut self, name: &str) -> Result<(), ArchiveError> {
        if let Some(rel) = safe_entry(name).map_err(|r| self.entry_err(name, r))? {
            fs::create_dir_all(self.dest.join(rel)).map_err(|e| self.entry_err(name, e.to_string()))?;
        }
        Ok(())
    }

    fn file(&mut self, name: &str, declared: u64, data: &mut dyn std::io::Read) -> Result<(), ArchiveError> {
        let Some(rel) = safe_entry(name).map_err(|r| self.entry_err(name, r))? else {
            return Err(self.entry_err(name, "empty name"));
        };
        let left = self.limits.max_total_bytes.saturating_sub(self.out.bytes);
        let cap = self.limits.max_entry_bytes.min(left);
        let per_entry = format!(
            "expands to more than {} bytes (per-entry limit; a decompression bomb?)",
            self.limits.max_entry_bytes
        );
        let total = format!(
            "the archive expands to more than {} bytes in total (a decompression bomb?)",
            self.limits.max_total_bytes
        );
        let why = |n: u64| if n > self.limits.max_entry_bytes { per_entry.clone() } else { total.clone() };
        if declared > cap {
            return Err(self.entry_err(name, why(declared)));
        }
        if !self.seen.insert(rel.clone()) {
            return Err(self.entry_err(name, "duplicate entry"));
        }
        let path = self.dest.join(&rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| self.entry_err(name, e.to_string()))?;
        }
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| self.entry_err(name, format!("cannot create it: {e}")))?;
        let mut limited = data.take(cap.saturating_add(1));
        let mut buf = vec![0u8; 64 * 1024];
        let mut n = 0u64;
        loop {
            let k = limited.read(&mut buf).map_err(|e| self.entry_err(name, format!("cannot decompress it: {e}")))?;
            if k == 0 {
                break;
            }
            n = n.saturating_add(k as u64);
            if n > cap {
                return Err(self.entry_err(name, why(n)));
            }
            f.write_all(buf.get(..k).unwrap_or_default())
                .map_err(|e| self.entry_err(name, format!("cannot write it: {e}")))?;
        }
        self.out.bytes = self.out.bytes.saturating_add(n);
        self.out.files = self.out.files.saturating_add(1);
        Ok(())
    }
}

/// Extracts `archive` into `dest` (an existing, empty folder).
pub fn extract(archive: &Path, dest: &Path, limits: &Limits) -> Result<Extracted, ArchiveError> {
    let name = archive.display().to_string();
    let unreadable = |reason: String| ArchiveError::Unreadable { archive: name.clone(), reason };
    let mut sink = Sink {
        archive: name.clone(),
        dest,
        limits: *limits,
        seen: BTreeSet::new(),
        out: Extracted::default(),
        entries: 0,
    };
    match kind(archive) {
        Some(ArchiveKind::TarGz) => {
            let f = File::open(archive).map_err(|e| unreadable(e.to_string()))?;
            // Several gzip members one after another are one valid stream (pigz, `cat a.gz b.gz`).
            let gz = flate2::read::MultiGzDecoder::new(BufReader::new(f));
            // Our own header walk (`tar_walk`): it counts every byte, so a PAX size or a
            // base-256 size cannot desynchronise a guard from the reader.
            let mut tar = TarWalker::new(gz);
            loop {
                let header = match tar.next_entry() {
                    Ok(Some(h)) => h,
                    Ok(None) => break,
                    Err(TarError::Refused { entry, reason }) => {
                        return Err(ArchiveError::Entry { archive: name, entry, reason })
                    }
                    Err(e) => return Err(unreadable(e.to_string())),
                };
                sink.count()?;
                let path = header.name.as_str();
                match header.kind {
                    Kind::Directory => sink.dir(path)?,
                    Kind::File => sink.file(path, header.size, &mut tar.data())?,
                    Kind::Symlink => {
                        return Err(sink.entry_err(path, "symbolic link (refused: it could point outside)"))
                    }
                    Kind::HardLink => return Err(sink.entry_err(path, "hard link (refused: it could point outside)")),
                    Kind::Special => return Err(sink.entry_err(path, "device or FIFO (refused)")),
                    Kind::Other(flag) => {
                        return Err(sink.entry_err(path, format!("unsupported entry type {:?}", char::from(flag))))
                    }
                }
            }
        }
        Some(ArchiveKind::Zip) => {
            let f = File::open(archive).map_err(|e| unreadable(e.to_string()))?;
            let mut zip =
                zip::ZipArchive::new(BufReader::new(f)).map_err(|e| unreadable(format!("not a valid zip: {e}")))?;
            if zip.len() > limits.max_entries {
                return Err(ArchiveError::TooMany {
                    archive: name,
                    reason: format!("{} entries, more than {}", zip.len(), limits.max_entries),
                });
            }
            for i in 0..zip.len() {
                sink.count()?;
                let entry_name = zip.name_for_index(i).unwrap_or("?").to_string();
                let mut e = zip.by_index(i).map_err(|e| sink.entry_err(&entry_name, e.to_string()))?;
                let mode = e.unix_mode().unwrap_or(0);
                let ftype = mode & 0o170_000;
                if e.is_symlink() || ftype == 0o120_000 {
                    return Err(sink.entry_err(&entry_name, "symbolic link (refused: it could point outside)"));
                }
                if e.is_dir() {
                    sink.dir(&entry_name)?;
                } else if ftype != 0 && ftype != 0o100_000 {
                    return Err(sink.entry_err(&entry_name, "device or special file (refused)"));
                } else {
                    let declared = e.size();
                    sink.file(&entry_name, declared, &mut e)?;
                }
            }
        }
        None => return Err(unreadable("neither gzip (tar.gz) nor zip".into())),
    }
    Ok(sink.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names() {
        assert_eq!(safe_entry("a/b.txt").unwrap(), Some(PathBuf::from("a/b.txt")));
        assert_eq!(safe_entry("a\\b.txt").unwrap(), Some(PathBuf::from("a/b.txt")));
        assert_eq!(safe_entry("./a//b").unwrap(), Some(PathBuf::from("a/b")));
        assert_eq!(safe_entry("./").unwrap(), None);
        for bad in ["../evil", "a/../../evil", "/etc/x", "\\etc\\x", "C:/x", "a\\..\\..\\x"] {
            assert!(safe_entry(bad).is_err(), "{bad}");
        }
    }

    /// A GNU long-name record claiming 16 MiB is refused from its header, before the tar crate
    /// would read it whole into memory.
    #[test]
    fn a_huge_long_name_record_is_refused_from_its_header() {
        let d = tempfile::tempdir().unwrap();
        let mut raw = Vec::new();
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::GNULongName);
        h.set_size(16 << 20);
        h.set_path("././@LongLink").unwrap();
        h.set_cksum();
        raw.extend_from_slice(h.as_bytes());
        raw.extend(std::iter::repeat_n(b'a', 16 << 20));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &raw).unwrap();
        let p = d.path().join("bomb.tar.gz");
        fs::write(&p, gz.finish().unwrap()).unwrap();
        let out = d.path().join("out");
        fs::create_dir(&out).unwrap();
        let e = extract(&p, &out, &Limits::default()).unwrap_err().to_string();
        assert!(e.contains("long-name or PAX") && e.contains("refused from its header"), "{e}");
        // A normal long name (over 100 bytes, under the bound) still extracts.
        let mut b = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()));
        let name = format!("top/{}.txt", "n".repeat(150));
        let mut h = tar::Header::new_gnu();
        h.set_size(2);
        h.set_mode(0o644);
        b.append_data(&mut h, &name, &b"ok"[..]).unwrap();
        let p = d.path().join("fine.tar.gz");
        fs::write(&p, b.into_inner().unwrap().finish().unwrap()).unwrap();
        let out = d.path().join("out2");
        fs::create_dir(&out).unwrap();
        extract(&p, &out, &Limits::default()).unwrap();
        assert_eq!(fs::read(out.join(&name)).unwrap(), b"ok");
    }

    #[test]
    fn not_an_archive() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.zip");
        fs::write(&p, b"hello").unwrap();
        let e = extract(&p, d.path(), &Limits::default()).unwrap_err().to_string();
        assert!(e.contains("x.zip") && e.contains("neither gzip"), "{e}");
    }
}
