//! Where audits keep their state by default (XDG base directories).

use std::path::PathBuf;

fn xdg(var: &str, fallback: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(fallback)))
        .unwrap_or_else(std::env::temp_dir)
        .join("ils-doctor")
}

/// `$XDG_DATA_HOME/ils-doctor/history.sqlite` (`~/.local/share/...`).
pub fn default_history() -> PathBuf {
    xdg("XDG_DATA_HOME", ".local/share").join("history.sqlite")
}

/// `$XDG_CACHE_HOME/ils-doctor/audit` (`~/.cache/...`): downloaded traces, reused between runs.
pub fn default_cache() -> PathBuf {
    xdg("XDG_CACHE_HOME", ".cache").join("audit")
}
