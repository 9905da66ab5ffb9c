//! The files that record changes made to publishers (the trace-level journal, the join journal):
//! JSON, mode 0600, replaced atomically under an advisory lock, so that a run that dies at any
//! moment leaves either the old file or the new one, never half of one (docs/security.md,
//! "Trace levels" and "Join").

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

/// An exclusive advisory lock (`flock`) on `<file>.lock`, held while one writer reads, changes
/// and replaces the file; released on drop.
pub struct Lock {
    _file: std::fs::File,
}

/// Takes the lock of `path` (creating its folder and lock file, 0600), waiting for another
/// holder to let go.
pub fn lock(path: &Path) -> std::io::Result<Lock> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts.open(PathBuf::from(name))?;
    rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive).map_err(std::io::Error::from)?;
    Ok(Lock { _file: file })
}

/// Reads `path`; a missing file is `T::default()`. The error says why in words.
pub fn load<T: DeserializeOwned + Default>(path: &Path) -> Result<T, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| format!("unreadable ({e})")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(e.to_string()),
    }
}

/// Writes `value` to `path` atomically with mode 0600: a temporary file of a name unique to this
/// writer, fsynced, renamed over the file, and the folder fsynced so that the rename survives a
/// power cut. `empty` removes the file instead. Callers hold the [`lock`].
pub fn save<T: Serialize>(path: &Path, value: &T, empty: bool) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    if empty {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        return sync_dir(dir);
    }
    let prefix = format!(".{}.", path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
    let suffix = format!(".{}.tmp", std::process::id());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(&suffix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o600));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// fsync of a folder: makes a rename or removal in it durable (a no-op where folders cannot be
/// opened).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// `$XDG_STATE_HOME/ils-doctor/<name>` (`~/.local/state/...` without it).
pub fn default_path(name: &str) -> PathBuf {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("ils-doctor").join(name)
}
