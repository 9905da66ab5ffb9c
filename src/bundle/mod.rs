//! Support bundles: one file that carries both sides' ILS traces, the configuration, the raw CLI
//! outputs and the diagnosis, and that a receiver can verify and analyse again offline.
//!
//! Each module has one job: [`manifest`] (what a bundle holds and its checksums), [`write`]
//! (atomic `.tar.gz`/`.zip`), [`read`] (safe extraction of untrusted archives), [`redact`]
//! (pseudonyms for host names, addresses and cluster IDs; pure), [`sides`] (which side wrote a
//! trace, from its content; pure) and [`inputs`] (what a user hands to `analyze`: a bundle, an
//! RTMT download, a folder of SDL files). Layout and rules: `docs/bundles.md`.

pub mod inputs;
pub mod manifest;
pub mod read;
pub mod redact;
pub mod sides;
pub mod tar_walk;
pub mod write;

pub use crate::values::ArchiveFormat;

impl ArchiveFormat {
    /// The format a file name asks for: `.zip` is zip, anything else tar.gz.
    pub fn for_path(path: &std::path::Path) -> ArchiveFormat {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_ascii_lowercase();
        if name.ends_with(".zip") {
            ArchiveFormat::Zip
        } else {
            ArchiveFormat::TarGz
        }
    }
}
