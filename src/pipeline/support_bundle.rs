//! `ils-doctor collect`: `check`, then one support bundle of everything it read (traces, facts,
//! raw CLI outputs, analysis JSON, HTML report, manifest), optionally redacted. Layout:
//! `docs/bundles.md`.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::render;
use super::scan::{relative_paths, scan_all, Job};
use super::session::{self, CheckError, LevelChange, Outcome, SideConfig};
use crate::analyze::{self, Catalog, Side};
use crate::bundle::manifest::{self, FileEntry, Manifest, SideEntry, Window};
use crate::bundle::redact::Pseudonyms;
use crate::bundle::write::{self, WriteError};
use crate::bundle::ArchiveFormat;
use crate::collect::{decompress, local};
use crate::report::Format;

/// What `collect` needs.
#[derive(Debug, Clone)]
pub struct Request {
    pub check: session::Request,
    pub output: PathBuf,
    pub format: ArchiveFormat,
    pub redact: bool,
    /// The recording of the run, put in the bundle under `transcript/` (docs/transcript.md).
    pub record: Option<crate::connect::record::Recording>,
    /// The recording also goes to its own folder (`--record DIR`).
    pub record_dir: bool,
    /// The command line as typed (it never holds a secret); pseudonymised when redacting.
    pub command_line: Vec<String>,
}

/// What was written.
#[derive(Debug)]
pub struct Collected {
    /// The live result, as `check` reports it.
    pub live: Outcome,
    /// The diagnosis stored in the bundle (from the bundled, possibly redacted, files).
    pub bundled: Outcome,
    pub bundle: PathBuf,
    pub bytes: u64,
    pub files: usize,
    /// `<bundle>.mapping.json` when redacted (never inside the bundle).
    pub mapping: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error(transparent)]
    Check(#[from] CheckError),
    #[error("collect: {op} {path}: {source}; check the folder of -o is writable and has space")]
    Io { op: &'static str, path: String, source: std::io::Error },
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("collect: the report: {0}")]
    Report(String),
    #[error(transparent)]
    Record(#[from] crate::connect::record::RecordError),
}

fn io_err(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> CollectError {
    let path = path.display().to_string();
    move |source| CollectError::Io { op, path, source }
}

/// Runs the check, then writes the bundle. `cancel` as for `session::run`.
pub async fn run(req: &Request, cancel: impl std::future::Future<Output = ()>) -> Result<Collected, CollectError> {
    let live = session::run(&req.check, cancel).await?;
    build(req, live)
}

/// The file name of a CLI output: the command with `_` for anything but letters and digits.
pub fn cli_file_name(command: &str) -> String {
    let mut s: String = command.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    s.truncate(100);
    format!("{s}.txt")
}

/// How much of a trace is handled at once: whole lines up to this size.
const CHUNK: usize = 1 << 20;

/// Streams a trace file's text (decompressed when gzip; a `.gzo` still being written is read as
/// far as it goes) to `each`, in chunks that end at a line end, never holding the whole file.
/// Bounded as a bundle's entries are (`bundle::read::Limits`): past `max` decompressed bytes the
/// file is refused (a gzip bomb in a download folder must not fill memory or disk).
pub fn plain_chunks(path: &Path, max: u64, mut each: impl FnMut(&[u8]) -> std::io::Result<()>) -> std::io::Result<u64> {
    let mut file = std::io::BufReader::new(std::fs::File::open(path)?);
    let head = std::io::BufRead::fill_buf(&mut file)?;
    let mut reader: Box<dyn Read> =
        if decompress::is_gzip(head) { Box::new(decompress::gunzip_stream(file)) } else { Box::new(file) };
    let mut pending: Vec<u8> = Vec::with_capacity(CHUNK * 2);
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // A cut or damaged gzip: keep what came before the damage.
            Err(_) => break,
        };
        total = total.saturating_add(n as u64);
        if total > max {
            return Err(std::io::Error::other(format!(
                "decompresses to more than {} MiB, far beyond any ILS trace file; refused",
                max >> 20
            )));
        }
        pending.extend_from_slice(buf.get(..n).unwrap_or_default());
        if pending.len() >= CHUNK {
            // Up to the last line end; a chunk with none goes whole (no line is that long).
            let cut = memchr::memrchr(b'\n', &pending).map_or(pending.len(), |i| i.saturating_add(1));
            each(pending.get(..cut).unwrap_or_default())?;
            pending.drain(..cut);
        }
    }
    if !pending.is_empty() {
        each(&pending)?;
    }
    Ok(total)
}

fn plain_name(name: &str) -> String {
    [".gzo", ".gz"].iter().find_map(|e| name.strip_suffix(e)).unwrap_or(name).to_string()
}

/// Writes the bundle of a finished check.
pub fn build(req: &Request, live: Outcome) -> Result<Collected, CollectError> {
    let accesses: Vec<_> = req
        .check
        .hubs
        .iter()
        .map(|h| (Side::Hub, h))
        .chain(req.check.spokes.iter().map(|s| (Side::Spoke, s)))
        .collect();
    let mut ids = Vec::new();
    let (mut hubs, mut spokes) = (0usize, 0usize);
    for (side, _) in &accesses {
        ids.push(match side {
            Side::Hub => {
                hubs = hubs.saturating_add(1);
                format!("hub-{hubs}")
            }
            Side::Spoke => {
                spokes = spokes.saturating_add(1);
                format!("spoke-{spokes}")
            }
        });
    }
    // Each side's downloaded traces.
    let mut traces: Vec<Vec<PathBuf>> = Vec::new();
    for (side, access) in &accesses {
        let dir = session::side_dir(&req.check.download_dir, *side, access);
        traces.push(if dir.is_dir() { local::find(&dir).unwrap_or_default() } else { Vec::new() });
    }
    let mut config: Vec<SideConfig> = live.config.clone();
    let mut levels: Vec<LevelChange> = live.trace_levels.clone();
    let mut run = live.run.clone();
    let download = req.check.download_dir.display().to_string();
    let mut carried: Vec<String> = live.analysis.warnings.iter().filter(|w| !w.contains(&download)).cloned().collect();
    let mut command_line = req.command_line.clone();

    let mut pseudo = req.redact.then(Pseudonyms::default);
    if let Some(p) = pseudo.as_mut() {
        learn(p, &ids, &accesses, &config, &traces);
        for c in config.iter_mut() {
            redact_facts(p, c);
        }
        for l in levels.iter_mut() {
            l.host = p.apply_str(&l.host);
        }
        for h in run.restarted.iter_mut().chain(run.left_stopped.iter_mut()).chain(run.started.iter_mut()) {
            *h = p.apply_str(h);
        }
        for w in carried.iter_mut() {
            *w = p.apply_str(w);
        }
        for a in command_line.iter_mut() {
            *a = p.apply_str(a);
        }
    }

    let parent = match req.output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let staging = tempfile::Builder::new()
        .prefix(".ils-doctor-staging-")
        .tempdir_in(&parent)
        .map_err(io_err("creating a staging folder in", &parent))?;
    let root = staging.path();
    let mut files: Vec<(String, &'static str)> = Vec::new();
    let put = |rel: &str, bytes: &[u8]| -> Result<(), CollectError> {
        let path = root.join(rel);
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d).map_err(io_err("creating", d))?;
        }
        std::fs::write(&path, bytes).map_err(io_err("writing", &path))
    };

    // Traces, and the jobs to diagnose them again from the bundle.
    let limits = crate::bundle::read::Limits::default();
    let mut redacted_bytes = 0u64;
    let mut jobs = Vec::new();
    for (i, (((side, _), list), id)) in accesses.iter().zip(&traces).zip(&ids).enumerate() {
        for src in list {
            let name = src.file_name().and_then(|n| n.to_str()).unwrap_or("trace.txt");
            let rel = match pseudo.as_mut() {
                Some(p) => {
                    let rel = format!("traces/{id}/{}", plain_name(name));
                    let dest = root.join(&rel);
                    if let Some(d) = dest.parent() {
                        std::fs::create_dir_all(d).map_err(io_err("creating", d))?;
                    }
                    let mut out =
                        std::io::BufWriter::new(std::fs::File::create(&dest).map_err(io_err("writing", &dest))?);
                    let left = limits.max_total_bytes.saturating_sub(redacted_bytes);
                    let n = plain_chunks(src, limits.max_entry_bytes.min(left), |chunk| {
                        std::io::Write::write_all(&mut out, &p.apply(chunk))
                    })
                    .map_err(io_err("redacting", src))?;
                    std::io::Write::flush(&mut out).map_err(io_err("writing", &dest))?;
                    redacted_bytes = redacted_bytes.saturating_add(n);
                    rel
                }
                None => {
                    let rel = format!("traces/{id}/{name}");
                    let dest = root.join(&rel);
                    if let Some(d) = dest.parent() {
                        std::fs::create_dir_all(d).map_err(io_err("creating", d))?;
                    }
                    std::fs::copy(src, &dest).map_err(io_err("reading", src))?;
                    rel
                }
            };
            jobs.push(Job { path: root.join(&rel), side: *side, arg: i });
            files.push((rel, "trace"));
        }
    }
    let catalog = &*req.check.catalog;
    let (mut scanned, scan_warnings) =
        scan_all(catalog, &jobs, std::thread::available_parallelism().map_or(1, |n| n.get()));
    relative_paths(&mut scanned, root);
    let mut warnings = carried;
    warnings.extend(scan_warnings.iter().map(|w| w.replace(&format!("{}/", root.display()), "")));
    let options = analyze::Options { configured_method: req.check.method, warnings, ..analyze::Options::default() };
    let bundled =
        super::diagnose::diagnose(catalog, &scanned, &options, config.clone(), levels.clone(), "traces".into(), &run);

    // The transcript, redacted as the bundle is.
    if let Some(rec) = &req.record {
        let redactor = pseudo.as_mut().map(|p| p as &mut dyn crate::connect::record::Redactor);
        for path in rec.write_to(&root.join("transcript"), redactor)? {
            if let Some(rel) = path.strip_prefix(root).ok().and_then(|r| r.to_str()) {
                files.push((rel.to_string(), "transcript"));
            }
        }
    }

    // Configuration, raw CLI outputs.
    let config_json = serde_json::json!({
        "schema": "ils-doctor/bundle-config/1",
        "config": &config,
        "trace_levels": &levels,
        "run": &run,
    });
    put(manifest::CONFIG, &serde_json::to_vec_pretty(&config_json).unwrap_or_default())?;
    files.push((manifest::CONFIG.into(), "config"));
    for (i, c) in config.iter().enumerate() {
        for (command, output) in &c.facts.cli_outputs {
            let rel = format!("cli/{}/{}", ids.get(i).map_or("side", String::as_str), cli_file_name(command));
            put(&rel, format!("admin:{command}\n{output}").as_bytes())?;
            files.push((rel, "cli"));
        }
    }
    // The diagnosis, as JSON and as the HTML report.
    let now = chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    let parts = render::check_parts(&bundled);
    for (format, rel, kind) in [(Format::Json, "analysis.json", "analysis"), (Format::Html, "report.html", "report")] {
        let bytes = render::render(format, &bundled.analysis, parts.clone(), &bundled, None, now.clone(), false)
            .map_err(|e| CollectError::Report(e.to_string()))?;
        put(rel, &bytes)?;
        files.push((rel.into(), kind));
    }

    let mut entries = Vec::new();
    for (rel, kind) in &files {
        let path = root.join(rel);
        let (size, sha256) = manifest::digest(&path).map_err(io_err("reading", &path))?;
        entries.push(FileEntry { path: rel.clone(), size, sha256, kind: kind.to_string() });
    }
    let side_entries = accesses
        .iter()
        .zip(&ids)
        .enumerate()
        .map(|(i, ((side, access), id))| {
            let facts = config.get(i).map(|c| c.facts.clone()).unwrap_or_default();
            SideEntry {
                side: *side,
                id: id.clone(),
                host: if facts.host.is_empty() { access.host.clone() } else { facts.host.clone() },
                https_port: access.https_port,
                cluster_id: facts.cluster_id.clone(),
                version: facts.version.clone(),
                node_name: facts.node_name.clone(),
                traces: format!("traces/{id}"),
            }
        })
        .collect();
    let first = bundled.analysis.traces.iter().filter_map(|t| t.first.clone()).min();
    let last = bundled.analysis.traces.iter().filter_map(|t| t.last.clone()).max();
    let raised = live.trace_levels.iter().any(|l| l.before != l.during);
    let m = Manifest {
        schema: manifest::SCHEMA.into(),
        tool: format!("ils-doctor {}", env!("CARGO_PKG_VERSION")),
        created_at: now,
        command_line,
        window: Window {
            mode: if raised { "capture".into() } else { "since".into() },
            capture_s: req.check.capture.as_secs(),
            since_s: req.check.since.as_secs(),
            first_line: first,
            last_line: last,
        },
        redacted: req.redact,
        method: req.check.method,
        sides: side_entries,
        files: entries,
    };
    put(manifest::MANIFEST, &serde_json::to_vec_pretty(&m).unwrap_or_default())?;
    let mut order: Vec<String> = vec![manifest::MANIFEST.to_string()];
    order.extend(files.iter().map(|(r, _)| r.clone()));
    let mtime = chrono::Utc::now().timestamp().max(0) as u64;
    let bytes = write::pack(root, &order, &req.output, req.format, mtime, req.redact)?;

    if let (Some(rec), true) = (&req.record, req.record_dir) {
        super::record::finish(rec, pseudo.as_mut())?;
    }
    let mapping = match &pseudo {
        Some(p) => Some(write_mapping(&req.output, p)?),
        None => None,
    };
    Ok(Collected { live, bundled, bundle: req.output.clone(), bytes, files: order.len(), mapping })
}

/// Registers every name, address and cluster ID the facts and the traces' FileHeads give.
fn learn(
    p: &mut Pseudonyms,
    ids: &[String],
    accesses: &[(Side, &crate::collect::publisher::Access)],
    config: &[SideConfig],
    traces: &[Vec<PathBuf>],
) {
    for ((_, a), id) in accesses.iter().zip(ids) {
        p.host(&a.host, id);
    }
    let catalog = Catalog::builtin();
    for ((i, list), id) in traces.iter().enumerate().zip(ids) {
        let jobs: Vec<Job> = list.iter().map(|path| Job { path: path.clone(), side: Side::Hub, arg: i }).collect();
        let (scanned, _) = scan_all(&catalog, &jobs, 2);
        for f in scanned.iter().filter_map(|f| f.filehead.as_ref()) {
            for h in [&f.host_name, &f.host_ip].into_iter().flatten() {
                p.host(h, id);
            }
        }
    }
    for (i, c) in config.iter().enumerate() {
        let f = &c.facts;
        let id = ids.get(i).map_or("host", String::as_str);
        for h in [&f.node_name].into_iter().flatten() {
            p.host(h, id);
        }
        if let Some(cid) = &f.cluster_id {
            p.cluster_id(cid, Some(id));
        }
    }
    for c in config {
        let f = &c.facts;
        for (ip, fqdn, _) in &f.nodes {
            p.host(ip, "host");
            p.host(fqdn, "host");
        }
        for (cid, fqdn) in &f.remote_clusters {
            p.cluster_id(cid, None);
            p.host(fqdn, "host");
        }
        for cert in [&f.tomcat_cert].into_iter().flatten() {
            for cn in [&cert.subject_cn, &cert.issuer_cn].into_iter().flatten().filter(|cn| !cn.contains(' ')) {
                p.host(cn, "host");
            }
        }
        for t in &f.tomcat_trust {
            if !t.cn.contains(' ') && t.cn.contains('.') {
                p.host(&t.cn, "host");
            }
        }
        p.learn(serde_json::to_string(f).unwrap_or_default().as_bytes());
        for (_, out) in &f.cli_outputs {
            p.learn(out.as_bytes());
        }
    }
    let max = crate::bundle::read::Limits::default().max_entry_bytes;
    for list in traces {
        for path in list {
            // A file refused here is refused again, with its error, when it is bundled.
            let _ = plain_chunks(path, max, |chunk| {
                p.learn(chunk);
                Ok(())
            });
        }
    }
}

/// The facts with every name and address replaced (through their JSON form, so no field is
/// forgotten), and the raw CLI outputs too.
fn redact_facts(p: &mut Pseudonyms, c: &mut SideConfig) {
    // A certificate names its host inside its base64, where no pseudonym reaches: a redacted
    // bundle keeps the decoded fields (pseudonymised) and drops the certificates themselves.
    if let Some(cert) = c.facts.tomcat_certificate.as_mut() {
        cert.der_base64 = None;
    }
    for t in &mut c.facts.tomcat_trust_certs {
        t.cert.der_base64 = None;
    }
    let outputs: Vec<(String, String)> = std::mem::take(&mut c.facts.cli_outputs)
        .into_iter()
        .map(|(cmd, out)| (cmd, crate::bundle::redact::without_pem(&out)))
        .collect();
    let json = serde_json::to_vec(&c.facts).unwrap_or_default();
    if let Ok(mut facts) = serde_json::from_slice::<crate::parse::facts::Facts>(&p.apply(&json)) {
        facts.reparse();
        c.facts = facts;
    }
    c.facts.cli_outputs = outputs.into_iter().map(|(cmd, out)| (p.apply_str(&cmd), p.apply_str(&out))).collect();
}

/// `<bundle>.mapping.json`, mode 0600, written atomically next to the bundle.
fn write_mapping(bundle: &Path, p: &Pseudonyms) -> Result<PathBuf, CollectError> {
    let mut name = bundle.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".mapping.json");
    let path = bundle.with_file_name(name);
    let parent = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".ils-doctor-mapping-")
        .tempfile_in(&parent)
        .map_err(io_err("creating", &path))?;
    // tempfile creates the file 0600 on Unix.
    std::fs::write(tmp.path(), serde_json::to_vec_pretty(&p.mapping()).unwrap_or_default())
        .map_err(io_err("writing", &path))?;
    tmp.as_file().sync_all().map_err(io_err("syncing", &path))?;
    tmp.persist(&path).map_err(|e| CollectError::Io {
        op: "renaming to",
        path: path.display().to_string(),
        source: e.error,
    })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut e, data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn redaction_streams_with_a_bound() {
        let dir = tempfile::tempdir().unwrap();
        let line = b"00000001.000 |10:00:00.000 |AppInfo  |IlsD peer 10.0.0.1 keepalive\n";
        let text: Vec<u8> = line.iter().copied().cycle().take(line.len() * 50_000).collect();
        let path = dir.path().join("SDL001_600_000001.txt.gz");
        std::fs::write(&path, gz(&text)).unwrap();
        let mut back = Vec::new();
        let mut biggest = 0;
        let n = plain_chunks(&path, 64 << 20, |c| {
            biggest = biggest.max(c.len());
            assert!(c.ends_with(b"\n"), "chunks end at a line end");
            back.extend_from_slice(c);
            Ok(())
        })
        .unwrap();
        assert_eq!((n as usize, back.len()), (text.len(), text.len()));
        assert!(biggest < 2 * CHUNK, "bounded chunks: {biggest}");
        // A bomb: past the bound it is refused, having passed on no more than the bound.
        let bomb = dir.path().join("SDL001_600_000002.txt.gz");
        std::fs::write(&bomb, gz(&vec![b'a'; 8 << 20])).unwrap();
        let mut seen = 0usize;
        let e = plain_chunks(&bomb, 1 << 20, |c| {
            seen += c.len();
            Ok(())
        })
        .unwrap_err();
        assert!(e.to_string().contains("refused"), "{e}");
        assert!(seen <= 1 << 20);
    }
}
