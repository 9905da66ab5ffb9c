//! Offline analysis: SDL traces already on disk (folders, RTMT downloads, files) or a support
//! bundle, scanned in parallel and diagnosed; what `analyze` runs.

use std::path::PathBuf;

use super::catalog::load_catalog;
use super::scan::{scan_all, Job};
use super::session;
use super::Error;
use crate::analyze::{self, model::Window, Analysis, Method, Side};
use crate::bundle::inputs::{self, Input};
use crate::bundle::read::Limits;
use crate::bundle::{manifest, sides};
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
    /// Bundles, RTMT downloads (folders or zips) and plain folders whose sides are detected.
    pub inputs: Vec<PathBuf>,
}

/// What an offline analysis produced: a plain analysis, or a bundle's full diagnosis (with
/// the configuration findings it carries); and what was decided on the way (for stderr).
#[derive(Debug)]
pub struct Offline {
    pub analysis: Analysis,
    pub bundle: Option<Box<session::Outcome>>,
    pub notes: Vec<String>,
}

pub fn run(req: &Request) -> Result<Analysis, Error> {
    run_offline(req).map(|o| o.analysis)
}

fn options_of(req: &Request) -> Result<analyze::Options, Error> {
    let bound = |flag: &'static str, v: &Option<String>| {
        v.as_deref()
            .map(|s| super::time::parse(s).map_err(|reason| Error::BadTime { flag, value: s.to_string(), reason }))
            .transpose()
    };
    Ok(analyze::Options {
        configured_method: req.method,
        from: bound("from", &req.from)?,
        to: bound("to", &req.to)?,
        window: Window { from: req.from.clone(), to: req.to.clone() },
        warnings: Vec::new(),
    })
}

fn threads(req: &Request) -> usize {
    req.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Analyses `--hub`/`--spoke` paths and INPUTs: a bundle is verified and diagnosed with its
/// configuration; other inputs get their sides detected from their content.
pub fn run_offline(req: &Request) -> Result<Offline, Error> {
    if req.hub.is_empty() && req.spoke.is_empty() && req.inputs.is_empty() {
        return Err(Error::NoTraces);
    }
    let opened = inputs::open(&req.inputs, &Limits::default())?;
    let mut notes = opened.notes.clone();
    let bundles = opened.inputs.iter().filter(|i| matches!(i, Input::Bundle { .. })).count();
    if bundles > 0 {
        if opened.inputs.len() > 1 || !req.hub.is_empty() || !req.spoke.is_empty() {
            return Err(Error::BundleAlone);
        }
        if let Some(Input::Bundle { display, root, manifest }) = opened.inputs.first() {
            let outcome = bundle(req, display, root, manifest)?;
            return Ok(Offline { analysis: outcome.analysis.clone(), bundle: Some(Box::new(outcome)), notes });
        }
    }
    let catalog = load_catalog(req.signatures.as_ref())?;
    let options = options_of(req)?;
    let mut jobs = Vec::new();
    let args = req.hub.iter().map(|p| (Side::Hub, p)).chain(req.spoke.iter().map(|p| (Side::Spoke, p)));
    for (arg, (side, path)) in args.enumerate() {
        let files = local::find(path).map_err(|source| Error::TracePath { side: side.as_str(), source })?;
        jobs.extend(files.into_iter().map(|path| Job { path, side, arg }));
    }
    // Counts of command-line arguments: far from overflowing.
    let base = req.hub.len().saturating_add(req.spoke.len());
    let (mut files, mut warnings) = scan_all(&catalog, &jobs, threads(req));
    // Inputs whose sides are to be detected: scanned as one side, then assigned.
    let mut auto_jobs = Vec::new();
    let mut shown: Vec<(String, String)> = Vec::new();
    for (k, input) in opened.inputs.iter().enumerate() {
        if let Input::Traces { display, root, files } = input {
            shown.push((format!("{}/", root.display()), format!("{display}/")));
            auto_jobs.extend(files.iter().map(|path| Job {
                path: path.clone(),
                side: Side::Hub,
                arg: base.saturating_add(k),
            }));
        }
    }
    if !auto_jobs.is_empty() {
        let (mut auto, auto_warnings) = scan_all(&catalog, &auto_jobs, threads(req));
        for f in auto.iter_mut() {
            if let Some((root, display)) = shown.iter().find(|(r, _)| f.path.starts_with(r.as_str())) {
                // Extracted archives: show `archive/entry`, never the temporary folder.
                if !display.ends_with(".tar.gz/") && !display.ends_with(".zip/") && !display.ends_with(".tgz/") {
                    continue;
                }
                f.path = format!("{display}{}", &f.path[root.len()..]);
            }
        }
        let other_app =
            auto.iter().filter(|f| f.filehead.as_ref().and_then(|h| h.app_id).is_some_and(|id| id != 600)).count();
        if other_app > 0 {
            auto.retain(|f| f.filehead.as_ref().and_then(|h| h.app_id).is_none_or(|id| id == 600));
            notes.push(format!("{other_app} file(s) with a FileHead AppId other than 600 (not ILS) skipped"));
        }
        let decisions = sides::detect(&catalog, &auto);
        for d in &decisions {
            notes.push(d.describe(&auto));
            if d.side.is_none() {
                warnings.push(format!(
                    "could not tell which side wrote {}: analysed as a spoke; give it with --hub or --spoke",
                    d.label(&auto)
                ));
            }
        }
        sides::assign(&mut auto, &decisions, base);
        for w in &auto_warnings {
            let mut w = w.strip_prefix("hub ").unwrap_or(w).to_string();
            for (root, display) in &shown {
                w = w.replace(root.as_str(), display);
            }
            warnings.push(w);
        }
        files.extend(auto);
    }
    let options = analyze::Options { warnings, ..options };
    Ok(Offline { analysis: analyze::analyze(&catalog, &files, &options), bundle: None, notes })
}

/// A verified bundle's diagnosis: its traces per side as the manifest says, with the findings
/// of the configuration it carries.
fn bundle(
    req: &Request,
    display: &str,
    root: &std::path::Path,
    m: &manifest::Manifest,
) -> Result<session::Outcome, Error> {
    let catalog = load_catalog(req.signatures.as_ref())?;
    let mut options = options_of(req)?;
    options.configured_method = req.method.or(m.method);
    let mut jobs = Vec::new();
    for (arg, s) in m.sides.iter().enumerate() {
        let dir = root.join(manifest::safe_path(&s.traces).unwrap_or_default());
        if let Ok(files) = local::find(&dir) {
            jobs.extend(files.into_iter().map(|path| Job { path, side: s.side, arg }));
        }
    }
    let (mut files, warnings) = scan_all(&catalog, &jobs, threads(req));
    super::scan::relative_paths(&mut files, root);
    let prefix = format!("{}/", root.display());
    options.warnings = warnings.iter().map(|w| w.replace(&prefix, "")).collect();
    let (config, levels, run) = bundle_config(root);
    Ok(super::diagnose::diagnose(&catalog, &files, &options, config, levels, display.to_string(), &run))
}

/// The configuration a bundle carries (none when it has no `config.json`).
fn bundle_config(
    root: &std::path::Path,
) -> (Vec<session::SideConfig>, Vec<session::LevelChange>, super::diagnose::RunNotes) {
    #[derive(serde::Deserialize, Default)]
    struct Stored {
        #[serde(default)]
        config: Vec<session::SideConfig>,
        #[serde(default)]
        trace_levels: Vec<session::LevelChange>,
        #[serde(default)]
        run: super::diagnose::RunNotes,
    }
    let stored: Stored = std::fs::read(root.join(manifest::CONFIG))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let mut config = stored.config;
    for c in config.iter_mut() {
        c.facts.reparse();
    }
    (config, stored.trace_levels, stored.run)
}
