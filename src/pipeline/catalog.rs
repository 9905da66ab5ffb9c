//! The signature catalog a run uses: the built-in one plus the user's `--signatures` file.

use std::path::PathBuf;

use super::Error;
use crate::analyze::Catalog;

/// The built-in catalog plus the user's signature file, if any.
pub fn load_catalog(extra: Option<&PathBuf>) -> Result<Catalog, Error> {
    let mut catalog = Catalog::builtin();
    if let Some(path) = extra {
        let display = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|source| Error::SignatureFile { path: display.clone(), source })?;
        catalog.apply(&text, &display)?;
    }
    Ok(catalog)
}
