//! Scanning many trace files on all cores: open, decompress, find the catalog's lines, match.
//!
//! One worker per core takes the next file from a shared counter (files differ a lot in size, so
//! no static split). Each worker owns its buffers (the chunk buffer inside the scanner, one
//! decompression buffer reused across files), so memory is a few buffers per core whatever the
//! input size. A file that cannot be read or decoded costs a warning naming it, never the run.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::analyze::filter::FileFilter;
use crate::analyze::{Catalog, ScannedFile, Side};
use crate::collect::decompress::{self, MAX_WHOLE_OUTPUT};
use crate::parse::{Hit, Prefilter, ScanReport, Scanner};
use mapped::Mapped;

/// Chunk size for streamed input.
pub const CHUNK: usize = 1 << 20;
/// Attempt lines kept per trace (one side's files from one argument): bounds memory when files
/// hold nothing but attempts. The newest are kept: the latest attempt decides the verdict.
/// Routine lines are counted, never kept (analyze/filter.rs).
pub const MAX_MATCHED_PER_TRACE: usize = 20_000;
/// Compressed files up to this size are read whole (then decompressed at once when small enough).
const MAX_WHOLE_INPUT: u64 = 8 << 20;

/// A file to scan and where it came from.
#[derive(Debug, Clone)]
pub struct Job {
    pub path: PathBuf,
    pub side: Side,
    pub arg: usize,
}

/// One file's result and the warnings it raised.
type Scanned = (ScannedFile, Vec<String>);

/// A plain file at least twice this size is split at line boundaries into one piece per worker,
/// so that one large file uses every core.
pub const SPLIT_MIN: u64 = 64 << 20;

/// One unit of work: a file, or a byte range of a large plain file.
struct Piece {
    job: usize,
    range: Option<(u64, u64)>,
}

/// Scans the files with `threads` workers; results come back in the order of `jobs`.
pub fn scan_all(catalog: &Catalog, jobs: &[Job], threads: usize) -> (Vec<ScannedFile>, Vec<String>) {
    scan_all_split(catalog, jobs, threads, SPLIT_MIN)
}

/// [`scan_all`] with the split threshold given (tests use small files).
pub fn scan_all_split(
    catalog: &Catalog,
    jobs: &[Job],
    threads: usize,
    split_min: u64,
) -> (Vec<ScannedFile>, Vec<String>) {
    let prefilter = catalog.prefilter();
    let threads = threads.max(1);
    let mut pieces = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        match split_points(&job.path, threads, split_min) {
            Some(bounds) => {
                let ranges = bounds.iter().zip(bounds.iter().skip(1));
                pieces.extend(ranges.map(|(&from, &to)| Piece { job: i, range: Some((from, to)) }));
            }
            None => pieces.push(Piece { job: i, range: None }),
        }
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Scanned>>> = Mutex::new(vec![None; pieces.len()]);
    // Lines dropped while scanning, per trace: what all finished files keep is bounded in total,
    // not only per file (a thousand small files full of attempt lines stay within the cap).
    let dropped: Mutex<std::collections::BTreeMap<(Side, usize), usize>> = Mutex::default();
    let trace_of = |i: usize| pieces.get(i).and_then(|p| jobs.get(p.job)).map(|j| (j.side, j.arg));
    let workers = threads.clamp(1, pieces.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let mut worker = Worker::new(catalog, &prefilter);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(piece) = pieces.get(i) else { break };
                    let Some(job) = jobs.get(piece.job) else { break };
                    let out = worker.scan(job, piece.range);
                    if let Ok(mut r) = results.lock() {
                        if let Some(slot) = r.get_mut(i) {
                            *slot = Some(out);
                        }
                        let n = trim_finished(&mut r, i, &trace_of, MAX_MATCHED_PER_TRACE);
                        if n > 0 {
                            if let (Ok(mut d), Some(t)) = (dropped.lock(), trace_of(i)) {
                                let all = d.entry(t).or_default();
                                *all = all.saturating_add(n);
                            }
                        }
                    }
                }
            });
        }
    });
    let mut files: Vec<ScannedFile> = Vec::new();
    let mut warnings = Vec::new();
    let mut last_job = None;
    let scanned = results.into_inner().unwrap_or_default();
    for (piece, out) in pieces.iter().zip(scanned) {
        let Some((file, w)) = out else { continue };
        for warning in w {
            if !warnings.contains(&warning) {
                warnings.push(warning);
            }
        }
        match files.last_mut() {
            Some(prev) if last_job == Some(piece.job) => append_piece(prev, file),
            _ => files.push(file),
        }
        last_job = Some(piece.job);
    }
    for ((side, _), n) in dropped.into_inner().unwrap_or_default() {
        warnings.push(format!(
            "{} trace: {n} older attempt line(s) dropped while scanning to stay within memory bounds; narrow the window with --from/--to",
            side.as_str()
        ));
    }
    keep_newest(&mut files, MAX_MATCHED_PER_TRACE, &mut warnings);
    (files, warnings)
}

/// When the finished pieces of piece `i`'s trace hold more than twice `cap` lines, drops the
/// oldest (lowest piece first, then earliest lines) down to `cap`. Returns how many it dropped.
fn trim_finished(
    results: &mut [Option<Scanned>],
    i: usize,
    trace_of: &impl Fn(usize) -> Option<(Side, usize)>,
    cap: usize,
) -> usize {
    let Some(trace) = trace_of(i) else { return 0 };
    let total: usize = results
        .iter()
        .enumerate()
        .filter(|(k, _)| trace_of(*k) == Some(trace))
        .filter_map(|(_, r)| r.as_ref().map(|(f, _)| f.hits.len()))
        .sum();
    if total <= cap.saturating_mul(2) {
        return 0;
    }
    let mut excess = total.saturating_sub(cap);
    let mut dropped: usize = 0;
    for (k, r) in results.iter_mut().enumerate() {
        if excess == 0 {
            break;
        }
        if trace_of(k) != Some(trace) {
            continue;
        }
        if let Some((f, _)) = r.as_mut() {
            let n = excess.min(f.hits.len());
            f.hits.drain(..n);
            excess = excess.saturating_sub(n);
            dropped = dropped.saturating_add(n);
        }
    }
    dropped
}

/// Where a large plain file is cut: byte offsets from 0 to its length, each cut just after a
/// newline. `None` when the file is small, compressed, or has no newline near a cut.
pub fn split_points(path: &std::path::Path, threads: usize, split_min: u64) -> Option<Vec<u64>> {
    use std::io::{Seek, SeekFrom};
    if threads < 2 {
        return None;
    }
    let mut f = File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    if len < split_min.saturating_mul(2) {
        return None;
    }
    let mut head = [0u8; 2];
    let n = read_up_to(&mut f, &mut head).ok()?;
    if decompress::is_gzip(head.get(..n)?) {
        return None;
    }
    let parts = u64::try_from(threads).ok()?.min(len.checked_div(split_min.max(1))?).max(1);
    let mut bounds = vec![0u64];
    let mut buf = vec![0u8; 64 * 1024];
    for k in 1..parts {
        // k < parts: the cut points stay below `len`.
        let at = len.checked_div(parts)?.checked_mul(k)?;
        f.seek(SeekFrom::Start(at)).ok()?;
        let got = read_up_to(&mut f, &mut buf).ok()?;
        let nl = memchr::memchr(b'\n', buf.get(..got)?)?;
        let cut = at.checked_add(nl as u64)?.checked_add(1)?;
        if cut < len && bounds.last().is_some_and(|&b| cut > b) {
            bounds.push(cut);
        }
    }
    bounds.push(len);
    (bounds.len() > 2).then_some(bounds)
}

/// Appends the next piece of the same file: its line numbers continue the file's, and its
/// times, counted in days from the piece's first line, continue the file's days (a piece that
/// starts more than an hour of day earlier than the previous one ended is past a midnight, the
/// rule for files that continue a trace).
fn append_piece(file: &mut ScannedFile, mut piece: ScannedFile) {
    let wrapped = match (file.last, piece.first) {
        (Some(l), Some(f)) => i32::from(f.time_ms.saturating_add(3_600_000) < l.time_ms),
        _ => 0,
    };
    let days = file.last.map_or(0, |l| l.day).saturating_add(wrapped);
    let shift =
        |s: Option<crate::parse::Stamp>| s.map(|s| crate::parse::Stamp { day: s.day.saturating_add(days), ..s });
    for h in &mut piece.hits {
        h.line_no = h.line_no.saturating_add(file.lines);
        h.stamp = shift(h.stamp);
    }
    for a in &mut piece.activity {
        a.first = shift(a.first);
        a.last = shift(a.last);
    }
    file.hits.append(&mut piece.hits);
    file.activity.append(&mut piece.activity);
    file.bytes = file.bytes.saturating_add(piece.bytes);
    file.lines = file.lines.saturating_add(piece.lines);
    if piece.last.is_some() {
        file.last = shift(piece.last);
    }
    if file.first.is_none() {
        file.first = shift(piece.first);
    }
}

/// Drops the oldest matched lines of a trace beyond `cap` (files are in name order, which is
/// CUCM's sequence order, and lines in file order): deterministic, and the newest stay.
fn keep_newest(files: &mut [ScannedFile], cap: usize, warnings: &mut Vec<String>) {
    let mut traces: Vec<(Side, usize)> = files.iter().map(|f| (f.side, f.arg)).collect();
    traces.dedup();
    for (side, arg) in traces {
        let of_trace = |f: &&mut ScannedFile| f.side == side && f.arg == arg;
        let total: usize = files.iter_mut().filter(of_trace).map(|f| f.hits.len()).sum();
        if total <= cap {
            continue;
        }
        let mut excess = total.saturating_sub(cap);
        for f in files.iter_mut().filter(of_trace) {
            let n = excess.min(f.hits.len());
            f.hits.drain(..n);
            excess = excess.saturating_sub(n);
            if excess == 0 {
                break;
            }
        }
        warnings.push(format!(
            "{} trace: {total} ILS lines matched; only the newest {cap} were analysed; narrow the window with --from/--to",
            side.as_str()
        ));
    }
}

struct Worker<'a> {
    catalog: &'a Catalog,
    prefilter: &'a Prefilter,
    decompressor: libdeflater::Decompressor,
    compressed: Vec<u8>,
    plain: Vec<u8>,
}

impl<'a> Worker<'a> {
    fn new(catalog: &'a Catalog, prefilter: &'a Prefilter) -> Self {
        Worker {
            catalog,
            prefilter,
            decompressor: libdeflater::Decompressor::new(),
            compressed: Vec::new(),
            plain: Vec::new(),
        }
    }

    fn scan(&mut self, job: &Job, range: Option<(u64, u64)>) -> Scanned {
        let display = job.path.display().to_string();
        let mut file = ScannedFile {
            path: display.clone(),
            side: job.side,
            arg: job.arg,
            filehead: None,
            first: None,
            last: None,
            bytes: 0,
            lines: 0,
            hits: Vec::new(),
            activity: Vec::new(),
        };
        let mut warnings = Vec::new();
        let mut filter = FileFilter::new(self.catalog, job.side);
        let read = match range {
            Some(r) => self.read_range(job, r, &mut filter, &mut warnings),
            None => self.read(job, &mut filter, &mut warnings),
        };
        let (hits, activity, dropped) = filter.finish();
        file.hits = hits;
        file.activity = activity;
        if dropped > 0 {
            warnings.push(format!(
                "{} file {display}: {dropped} older attempt line(s) dropped to stay within memory bounds; narrow the window with --from/--to",
                job.side.as_str()
            ));
        }
        let report = match read {
            Ok(r) => r,
            Err(e) => {
                warnings.push(format!(
                    "{} file {display}: cannot read it ({e}); check the path and its permissions",
                    job.side.as_str()
                ));
                return (file, warnings);
            }
        };
        if report.binary {
            warnings.push(format!("{} file {display}: binary content, not an SDL trace text", job.side.as_str()));
        } else if !report.looks_sdl && report.bytes > 0 {
            warnings.push(format!(
                "{} file {display}: does not look like an SDL trace (no line of the form NNNNNNNN.NNN |HH:MM:SS.mmm |Tag |...)",
                job.side.as_str()
            ));
        }
        // A `.gzo` is the file CUCM is still writing: a gzip stream without its end is its normal
        // state, not damage (docs/cucm-notes.md#gzo), so only other files are reported.
        if let Some(e) = report.read_error.as_ref().filter(|_| !display.ends_with(".gzo")) {
            warnings.push(format!(
                "{} file {display}: {e}: the file is truncated or corrupt; analysed the {} line(s) before that",
                job.side.as_str(),
                report.lines
            ));
        }
        file.filehead = report.filehead;
        file.first = report.first;
        file.last = report.last;
        file.bytes = report.bytes;
        file.lines = report.lines;
        (file, warnings)
    }

    /// A byte range of a plain file (a piece of a large one).
    fn read_range(
        &mut self,
        job: &Job,
        (start, end): (u64, u64),
        filter: &mut FileFilter<'_>,
        warnings: &mut Vec<String>,
    ) -> io::Result<ScanReport> {
        use std::io::{Seek, SeekFrom};
        let mut f = File::open(&job.path)?;
        let mut sink = |h: Hit<'_>| filter.push(h);
        if let Some(map) = Mapped::open(&f)? {
            let (Ok(a), Ok(b)) = (usize::try_from(start), usize::try_from(end)) else {
                return Err(io::Error::other("a piece beyond the address space"));
            };
            let bytes = map.bytes();
            let piece = bytes.get(a.min(bytes.len())..b.min(bytes.len())).unwrap_or_default();
            let report = Scanner::new(self.prefilter).scan_windows(
                piece,
                CHUNK,
                |r| map.done_with(r.start.saturating_add(a)..r.end.saturating_add(a)),
                &mut sink,
            );
            shrank_warning(&map, job, warnings);
            return Ok(report);
        }
        f.seek(SeekFrom::Start(start))?;
        let reader = f.take(end.saturating_sub(start));
        Ok(Scanner::new(self.prefilter).scan_reader(reader, CHUNK, &mut sink))
    }

    fn read(&mut self, job: &Job, filter: &mut FileFilter<'_>, warnings: &mut Vec<String>) -> io::Result<ScanReport> {
        let mut f = File::open(&job.path)?;
        let len = f.metadata()?.len();
        let mut head = [0u8; 2];
        let n = read_up_to(&mut f, &mut head)?;
        let head = head.get(..n).unwrap_or_default();
        let gzip = decompress::is_gzip(head);
        let mut sink = |h: Hit<'_>| filter.push(h);
        let scanner = Scanner::new(self.prefilter);
        if !gzip {
            // Mapped, the scan reads the page cache in place instead of copying it (a quarter
            // of the time on a file with few hits); a file that cannot be mapped is read.
            if let Some(map) = Mapped::open(&f)? {
                let report = scanner.scan_windows(map.bytes(), CHUNK, |r| map.done_with(r), &mut sink);
                shrank_warning(&map, job, warnings);
                return Ok(report);
            }
            let reader = io::Cursor::new(head.to_vec()).chain(f);
            return Ok(scanner.scan_reader(reader, CHUNK, &mut sink));
        }
        if len <= MAX_WHOLE_INPUT {
            self.compressed.clear();
            self.compressed.extend_from_slice(head);
            f.read_to_end(&mut self.compressed)?;
            let whole =
                decompress::gunzip_whole(&mut self.decompressor, &self.compressed, &mut self.plain, MAX_WHOLE_OUTPUT);
            let report = match whole {
                Some(size) => scanner.scan_slice(self.plain.get(..size).unwrap_or_default(), &mut sink),
                None => scanner.scan_reader(decompress::gunzip_stream(&self.compressed[..]), CHUNK, &mut sink),
            };
            // Do not keep a rare large buffer alive for the rest of the run.
            if self.plain.capacity() > MAX_WHOLE_OUTPUT / 2 {
                self.plain = Vec::new();
            }
            return Ok(report);
        }
        let reader = io::Cursor::new(head.to_vec()).chain(io::BufReader::with_capacity(256 * 1024, f));
        Ok(scanner.scan_reader(decompress::gunzip_stream(reader), CHUNK, &mut sink))
    }
}

/// A mapped file that another writer cut short while it was scanned (its missing end read as
/// zeros: the `mapped` crate).
fn shrank_warning(map: &Mapped, job: &Job, warnings: &mut Vec<String>) {
    if map.shrank() {
        warnings.push(format!(
            "{} file {}: the file was cut short while it was read (a trace being rotated or rewritten); what was read before is analysed; collect it again for the rest",
            job.side.as_str(),
            job.path.display()
        ));
    }
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n: usize = 0;
    while let Some(space) = buf.get_mut(n..).filter(|s| !s.is_empty()) {
        match f.read(space)? {
            0 => break,
            k => n = n.saturating_add(k),
        }
    }
    Ok(n)
}

/// Paths shown in the diagnosis: relative to the bundle root.
pub fn relative_paths(files: &mut [ScannedFile], root: &Path) {
    let prefix = format!("{}/", root.display());
    for f in files {
        if let Some(rest) = f.path.strip_prefix(&prefix) {
            f.path = rest.to_string();
        }
    }
}
