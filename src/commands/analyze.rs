//! `ils-doctor analyze`: diagnose ILS registration from SDL traces already on disk.

use std::path::PathBuf;

use super::scan::{scan_all, Job};
use super::Error;
use crate::analyze::{self, model::Window, Analysis, Catalog, Method, Side};
use crate::collect::local;

/// What `analyze` needs, validated by the CLI.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub hub: Vec<PathBuf>,
    pub spoke: Vec<PathBuf>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub signatures: Option<PathBuf>,
    pub method: Option<Method>,
    pub jobs: Option<usize>,
}

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

pub fn run(req: &Request) -> Result<Analysis, Error> {
    if req.hub.is_empty() && req.spoke.is_empty() {
        return Err(Error::NoTraces);
    }
    let catalog = load_catalog(req.signatures.as_ref())?;
    let bound = |flag: &'static str, v: &Option<String>| {
        v.as_deref()
            .map(|s| super::time::parse(s).map_err(|reason| Error::BadTime { flag, value: s.to_string(), reason }))
            .transpose()
    };
    let options = analyze::Options {
        configured_method: req.method,
        from: bound("from", &req.from)?,
        to: bound("to", &req.to)?,
        window: Window { from: req.from.clone(), to: req.to.clone() },
        warnings: Vec::new(),
    };
    let mut jobs = Vec::new();
    let args = req.hub.iter().map(|p| (Side::Hub, p)).chain(req.spoke.iter().map(|p| (Side::Spoke, p)));
    for (arg, (side, path)) in args.enumerate() {
        let files = local::find(path).map_err(|source| Error::TracePath { side: side.as_str(), source })?;
        jobs.extend(files.into_iter().map(|path| Job { path, side, arg }));
    }
    let threads = req.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let (files, warnings) = scan_all(&catalog, &jobs, threads);
    let options = analyze::Options { warnings, ..options };
    Ok(analyze::analyze(&catalog, &files, &options))
}
