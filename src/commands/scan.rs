//! Scanning many trace files on all cores: open, decompress, find the catalog's lines, match.
//!
//! One worker per core takes the next file from a shared counter (files differ a lot in size, so
//! no static split). Each worker owns its buffers (the chunk buffer inside the scanner, one
//! decompression buffer reused across files), so memory is a few buffers per core whatever the
//! input size. A file that cannot be read or decoded costs a warning naming it, never the run.

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::analyze::filter::FileFilter;
use crate::analyze::{Catalog, ScannedFile, Side};
use crate::collect::decompress::{self, MAX_WHOLE_OUTPUT};
use crate::parse::{Hit, Prefilter, ScanReport, Scanner};

/// Chunk size for streamed input.
const CHUNK: usize = 1 << 20;
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

/// Scans the files with `threads` workers; results come back in the order of `jobs`.
pub fn scan_all(catalog: &Catalog, jobs: &[Job], threads: usize) -> (Vec<ScannedFile>, Vec<String>) {
    let prefilter = catalog.prefilter();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Scanned>>> = Mutex::new(vec![None; jobs.len()]);
    let threads = threads.clamp(1, jobs.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut worker = Worker::new(catalog, &prefilter);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let out = worker.scan(job);
                    if let Ok(mut r) = results.lock() {
                        r[i] = Some(out);
                    }
                }
            });
        }
    });
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    for (file, w) in results.into_inner().unwrap_or_default().into_iter().flatten() {
        files.push(file);
        warnings.extend(w);
    }
    keep_newest(&mut files, MAX_MATCHED_PER_TRACE, &mut warnings);
    (files, warnings)
}

/// Drops the oldest matched lines of a trace beyond `cap` (files are in name order, which is
/// CUCM's sequence order, and lines in file order): deterministic, and the newest stay.
fn keep_newest(files: &mut [ScannedFile], cap: usize, warnings: &mut Vec<String>) {
    let mut traces: Vec<(Side, usize)> = files.iter().map(|f| (f.side, f.arg)).collect();
    traces.dedup();
    for (side, arg) in traces {
        let idx: Vec<usize> = (0..files.len()).filter(|&i| files[i].side == side && files[i].arg == arg).collect();
        let total: usize = idx.iter().map(|&i| files[i].hits.len()).sum();
        if total <= cap {
            continue;
        }
        let mut excess = total - cap;
        for &i in &idx {
            let n = excess.min(files[i].hits.len());
            files[i].hits.drain(..n);
            excess -= n;
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

    fn scan(&mut self, job: &Job) -> Scanned {
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
        let read = self.read(job, &mut filter);
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
        // state, not damage (field notes §1), so only other files are reported.
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

    fn read(&mut self, job: &Job, filter: &mut FileFilter<'_>) -> io::Result<ScanReport> {
        let mut f = File::open(&job.path)?;
        let len = f.metadata()?.len();
        let mut head = [0u8; 2];
        let n = read_up_to(&mut f, &mut head)?;
        let gzip = decompress::is_gzip(&head[..n]);
        let mut sink = |h: Hit<'_>| filter.push(h);
        let scanner = Scanner::new(self.prefilter);
        if !gzip {
            let reader = io::Cursor::new(head[..n].to_vec()).chain(f);
            return Ok(scanner.scan_reader(reader, CHUNK, &mut sink));
        }
        if len <= MAX_WHOLE_INPUT {
            self.compressed.clear();
            self.compressed.extend_from_slice(&head[..n]);
            f.read_to_end(&mut self.compressed)?;
            let whole =
                decompress::gunzip_whole(&mut self.decompressor, &self.compressed, &mut self.plain, MAX_WHOLE_OUTPUT);
            let report = match whole {
                Some(size) => scanner.scan_slice(&self.plain[..size], &mut sink),
                None => scanner.scan_reader(decompress::gunzip_stream(&self.compressed[..]), CHUNK, &mut sink),
            };
            // Do not keep a rare large buffer alive for the rest of the run.
            if self.plain.capacity() > MAX_WHOLE_OUTPUT / 2 {
                self.plain = Vec::new();
            }
            return Ok(report);
        }
        let reader = io::Cursor::new(head[..n].to_vec()).chain(io::BufReader::with_capacity(256 * 1024, f));
        Ok(scanner.scan_reader(decompress::gunzip_stream(reader), CHUNK, &mut sink))
    }
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}
