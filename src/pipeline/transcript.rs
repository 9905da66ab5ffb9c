//! `ils-doctor transcript summarize DIR`: reads a `--record` folder (docs/transcript.md) and
//! says what it shows that the documentation can only guess: per publisher the SSH algorithms,
//! the CLI's and the SOAP services' times, the version string, the ILS synchronization status
//! strings, the trace level values; over the recorded ILS traces, the SDL line shapes the
//! signature catalog does not know. A record is outside input: files and lines are bounded, a
//! damaged line is counted, not fatal.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::analyze::Catalog;
use crate::parse::transcript::{self, line_shape, PublisherSummary};

/// At most this many transcripts, and this many bytes read from each file.
const MAX_TRANSCRIPTS: usize = 64;
const MAX_FILE: u64 = 256 * 1024 * 1024;
/// At most this many trace files are read.
const MAX_TRACES: usize = 2_000;

#[derive(Debug, Clone, Serialize)]
pub struct RecordSummary {
    pub dir: String,
    pub transcripts: Vec<(String, PublisherSummary)>,
    /// ILS lines of the recorded traces that no catalog signature matches, by shape.
    pub unknown_lines: Vec<Shape>,
    pub ils_lines: u64,
    pub trace_files: usize,
    /// What the record settles, one sentence each.
    pub settles: Vec<String>,
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Shape {
    pub shape: String,
    pub count: u64,
    pub example: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TranscriptError {
    #[error("cannot read the record folder {path}: {source}; give the DIR that --record wrote")]
    Dir { path: String, source: std::io::Error },
    #[error("{path} holds no transcript (*.jsonl): give the DIR that --record wrote")]
    Empty { path: String },
}

/// Reads and summarizes the record in `dir`.
pub fn summarize(dir: &Path, catalog: &Catalog) -> Result<RecordSummary, TranscriptError> {
    let err = |source| TranscriptError::Dir { path: dir.display().to_string(), source };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(err)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl") && p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(TranscriptError::Empty { path: dir.display().to_string() });
    }
    let mut problems = Vec::new();
    if files.len() > MAX_TRANSCRIPTS {
        problems.push(format!("{} transcripts; the first {MAX_TRANSCRIPTS} were read", files.len()));
        files.truncate(MAX_TRANSCRIPTS);
    }
    let mut transcripts = Vec::new();
    for f in &files {
        match read_capped(f) {
            Ok(bytes) => {
                let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                transcripts.push((name, transcript::summarize(&String::from_utf8_lossy(&bytes))));
            }
            Err(e) => problems.push(format!("{}: {e}", f.display())),
        }
    }
    let (unknown_lines, ils_lines, trace_files) = unknown_shapes(&dir.join("traces"), catalog, &mut problems);
    let settles = settles(&transcripts, &unknown_lines, ils_lines);
    Ok(RecordSummary {
        dir: dir.display().to_string(),
        transcripts,
        unknown_lines,
        ils_lines,
        trace_files,
        settles,
        problems,
    })
}

fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    std::fs::File::open(path)?.take(MAX_FILE).read_to_end(&mut out)?;
    Ok(out)
}

/// Every ILS line of the recorded traces (plain or gzip) that no signature matches, by shape.
fn unknown_shapes(dir: &Path, catalog: &Catalog, problems: &mut Vec<String>) -> (Vec<Shape>, u64, usize) {
    let mut files = Vec::new();
    collect_files(dir, 0, &mut files);
    files.sort();
    files.truncate(MAX_TRACES);
    let mut shapes: BTreeMap<String, (u64, String)> = BTreeMap::new();
    let mut ils = 0u64;
    for f in &files {
        let text = match crate::connect::record::plain_trace(f) {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!("{}: {e}", f.display()));
                continue;
            }
        };
        for line in text.split(|b| *b == b'\n') {
            if !line.windows(3).any(|w| w == b"Ils") {
                continue;
            }
            let text = String::from_utf8_lossy(line);
            // The message after the SDL header's last `|`: an ILS line names Ils there.
            let message = text.rsplit('|').next().unwrap_or_default().trim();
            if !message.contains("Ils") {
                continue;
            }
            ils = ils.saturating_add(1);
            if catalog.match_line(line).is_some() {
                continue;
            }
            let entry = shapes.entry(line_shape(message)).or_insert_with(|| (0, message.chars().take(200).collect()));
            entry.0 = entry.0.saturating_add(1);
        }
    }
    let mut out: Vec<Shape> =
        shapes.into_iter().map(|(shape, (count, example))| Shape { shape, count, example }).collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.shape.cmp(&b.shape)));
    out.truncate(40);
    (out, ils, files.len())
}

fn collect_files(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.filter_map(Result::ok) {
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() && depth < 2 {
            collect_files(&e.path(), depth.saturating_add(1), out);
        } else if kind.is_file() && out.len() < MAX_TRACES {
            out.push(e.path());
        }
    }
}

/// The guesses of the documentation this record answers, one sentence each.
fn settles(transcripts: &[(String, PublisherSummary)], unknown: &[Shape], ils_lines: u64) -> Vec<String> {
    let mut out = Vec::new();
    let synthetic = transcripts.iter().any(|(_, t)| t.synthetic == Some(true));
    if synthetic {
        out.push(
            "this record was made against ils-doctor's mock (synthetic): it settles nothing about real publishers"
                .into(),
        );
    }
    for (_, t) in transcripts {
        let who = format!(
            "{} {}{}",
            t.role.as_deref().unwrap_or("publisher"),
            t.publisher.as_deref().unwrap_or("?"),
            t.cucm_version.as_deref().map(|v| format!(" (CUCM {v})")).unwrap_or_default()
        );
        for s in &t.ssh {
            if let Some(id) = &s.server_id {
                out.push(format!("{who}: the SSH server says {id} and agreed to {}", s.agreed));
            }
        }
        if let Some(ms) = t.cli_start_ms.first() {
            let slow: Vec<String> =
                t.commands.iter().map(|c| format!("{} {} ms (median of {})", c.what, c.median_ms, c.count)).collect();
            out.push(format!("{who}: the CLI starts in {ms} ms; {}", slow.join(", ")));
        }
        for v in &t.version_lines {
            out.push(format!("{who}: `show version active` prints {v:?}"));
        }
        for s in &t.sync_status {
            out.push(format!("{who}: the ILS synchronization status reads {s:?}"));
        }
        if !t.level_names.is_empty() {
            let names: Vec<String> = t.level_names.iter().map(|(n, v)| format!("{n} = {v}")).collect();
            out.push(format!("{who}: the ILS trace levels are {}", names.join(", ")));
        }
        if !t.trace_levels.is_empty() {
            out.push(format!("{who}: trace level values read and written: {}", t.trace_levels.join(", ")));
        }
        for f in &t.faults {
            out.push(format!("{who}: a SOAP fault reads {f:?}"));
        }
    }
    if ils_lines > 0 {
        let count: u64 = unknown.iter().map(|s| s.count).sum();
        out.push(format!(
            "the traces hold {ils_lines} ILS line(s), {count} of them in {} shape(s) the signature catalog does not know",
            unknown.len()
        ));
    }
    out
}
