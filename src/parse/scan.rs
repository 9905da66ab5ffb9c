//! The fast path over a trace: find the lines that contain a catalog anchor, parse only those.
//!
//! Measurements on this project's machine kind: aho-corasick over whole 1 MiB buffers runs at
//! ~2.2 GB/s, called once per line at ~0.8 GB/s. So the scanner searches whole chunks for the
//! anchors, counts newlines between hits with a SIMD counter (for 1-based line numbers), and
//! parses the header of a line only when it holds an anchor. Besides the hits it parses the first
//! line (the FileHead, which gives the date) and one line every [`SAMPLE_EVERY`] bytes, so that
//! midnight roll-over is seen even in long stretches without a hit.
//!
//! Total: any bytes give a report, hits and no panic; memory is the chunk buffer.

use std::io::{self, Read};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};

use super::chunk::Chunker;
use super::clock::{Clock, Stamp};
use super::filehead::{self, FileHead};
use super::header::{self, Header};

/// How often, in bytes, the scanner looks at a line's time between hits.
pub const SAMPLE_EVERY: usize = 256 * 1024;

/// How far back a hit on a continuation line looks for the header of its record.
const MAX_RECORD_LOOKBACK: usize = 64 * 1024;

/// The literal strings that mark the lines worth parsing.
pub struct Prefilter {
    ac: AhoCorasick,
}

impl Prefilter {
    /// Builds the prefilter; an empty anchor list matches nothing.
    pub fn new<I, P>(anchors: I) -> Result<Self, aho_corasick::BuildError>
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        let ac = AhoCorasickBuilder::new().match_kind(MatchKind::LeftmostFirst).build(anchors)?;
        Ok(Prefilter { ac })
    }

    /// Every line of `ch` that holds an anchor, in order: where its leftmost anchor starts,
    /// which anchor, and where the line ends.
    fn anchored_lines(&self, ch: &[u8], out: &mut Vec<Anchored>) {
        let mut from = 0;
        while from < ch.len() {
            let Some(m) = self.ac.find(Input::new(ch).span(from..ch.len())) else { break };
            // Positions found inside `ch`: one past them cannot overflow.
            let line_end = memchr::memchr(b'\n', ch.get(m.start()..).unwrap_or_default())
                .map_or(ch.len(), |i| m.start().saturating_add(i));
            out.push(Anchored { start: m.start(), line_end, anchor: m.pattern().as_usize() });
            from = line_end.saturating_add(1);
        }
    }
}

/// One line the anchor search found.
#[derive(Debug, Clone, Copy)]
struct Anchored {
    start: usize,
    line_end: usize,
    anchor: usize,
}

/// One line that holds an anchor.
#[derive(Debug, Clone, Copy)]
pub struct Hit<'a> {
    /// 1-based physical line number in the (decompressed) stream.
    pub line_no: u64,
    /// The line, without its line ending.
    pub line: &'a [u8],
    /// The header of the line, or of the record it continues.
    pub header: Option<Header<'a>>,
    /// When the line was written, in the file's day count.
    pub stamp: Option<Stamp>,
    /// Index of the anchor found leftmost in the line (the prefilter's pattern order).
    pub anchor: usize,
}

/// What the scanner learnt about the whole stream.
#[derive(Debug, Clone, Default)]
pub struct ScanReport {
    pub bytes: u64,
    pub lines: u64,
    pub filehead: Option<FileHead>,
    /// Stamp of the first line with a time, and of the last time the clock saw.
    pub first: Option<Stamp>,
    pub last: Option<Stamp>,
    /// Whether the start of the stream looks like an SDL trace (a parsable header early on).
    pub looks_sdl: bool,
    /// Whether the start of the stream holds NUL bytes (a binary file).
    pub binary: bool,
    /// The stream ended with a read error (a truncated or corrupt gzip) after these bytes.
    pub read_error: Option<String>,
}

/// Scans one stream (one trace file).
pub struct Scanner<'p> {
    prefilter: &'p Prefilter,
    clock: Clock,
    /// Newlines seen before the current position.
    newlines: u64,
    report: ScanReport,
    inspected: bool,
    last_byte_newline: bool,
    /// The current chunk's anchored lines, kept for its buffer.
    found: Vec<Anchored>,
}

impl<'p> Scanner<'p> {
    pub fn new(prefilter: &'p Prefilter) -> Self {
        Self::with_clock(prefilter, Clock::default())
    }

    /// A scanner whose clock continues from the previous file of the same trace.
    pub fn with_clock(prefilter: &'p Prefilter, clock: Clock) -> Self {
        Scanner {
            prefilter,
            clock,
            newlines: 0,
            report: ScanReport::default(),
            inspected: false,
            last_byte_newline: true,
            found: Vec::new(),
        }
    }

    /// Scans a whole in-memory stream.
    pub fn scan_slice(mut self, data: &[u8], mut sink: impl FnMut(Hit<'_>)) -> ScanReport {
        self.chunk(data, &mut sink);
        self.finish()
    }

    /// Scans an in-memory stream (a mapped file) in windows of about `window` bytes cut where
    /// [`Chunker`] would cut a read: after the last newline, or at `window` bytes inside one
    /// longer line. So the hits, line numbers and times are those of reading the same bytes in
    /// chunks of that size. After each window, `done` gets its byte range (the caller may let
    /// its pages go).
    pub fn scan_windows(
        mut self,
        data: &[u8],
        window: usize,
        mut done: impl FnMut(std::ops::Range<usize>),
        mut sink: impl FnMut(Hit<'_>),
    ) -> ScanReport {
        let window = window.max(64);
        let mut from = 0;
        while from < data.len() {
            let limit = from.saturating_add(window).min(data.len());
            let Some(rest) = data.get(from..limit) else { break };
            let end = if limit == data.len() {
                limit
            } else {
                // A position inside `rest`: one more is at most its length.
                memchr::memrchr(b'\n', rest).map_or(limit, |nl| from.saturating_add(nl).saturating_add(1))
            };
            if let Some(ch) = data.get(from..end) {
                self.chunk(ch, &mut sink);
            }
            done(from..end);
            from = end;
        }
        self.finish()
    }

    /// Scans a reader chunk by chunk. A read error ends the scan; what was read before it is
    /// scanned and the error is recorded in the report.
    pub fn scan_reader<R: Read>(mut self, reader: R, chunk_size: usize, mut sink: impl FnMut(Hit<'_>)) -> ScanReport {
        let mut chunker = Chunker::with_capacity(reader, chunk_size);
        loop {
            match chunker.next_chunk() {
                Ok(Some(ch)) => self.chunk(ch, &mut sink),
                Ok(None) => break,
                Err(e) => {
                    self.report.read_error = Some(describe(&e));
                    break;
                }
            }
        }
        self.finish()
    }

    fn finish(mut self) -> ScanReport {
        self.report.lines = self.newlines.saturating_add(u64::from(!self.last_byte_newline));
        self.report.last = self.clock.last();
        self.report
    }

    fn chunk(&mut self, ch: &[u8], sink: &mut impl FnMut(Hit<'_>)) {
        if ch.is_empty() {
            return;
        }
        if !self.inspected {
            self.inspect(ch);
        }
        // Positions below are inside `ch` (found in it or clamped to its length), so the slices
        // always exist and one past a position cannot overflow; counters saturate.
        self.report.bytes = self.report.bytes.saturating_add(ch.len() as u64);
        let mut counted = 0; // bytes of `ch` whose newlines are in `self.newlines`
        let mut next_sample = SAMPLE_EVERY;
        let mut from = 0;
        // The previous hit's line start and where its record's header line starts: a
        // continuation hit looks back only to it, so look-backs cost O(chunk) in total even when
        // every line is a headerless hit.
        let mut prev: Option<(usize, Option<usize>)> = None;
        // First every anchored line of the chunk, then their reading: the anchor search runs
        // over the chunk without the readers, tracker and tables between its calls, which
        // stream better through the caches (measured in docs/benchmarks.md).
        let mut found = std::mem::take(&mut self.found);
        found.clear();
        self.prefilter.anchored_lines(ch, &mut found);
        let mut next = found.iter().copied();
        loop {
            let m = next.next();
            let line_start = m.map_or(ch.len(), |m| line_start(ch, m.start));
            while next_sample < line_start {
                self.sample(ch, next_sample, line_start);
                next_sample = next_sample.saturating_add(SAMPLE_EVERY);
            }
            let Some(m) = m else { break };
            let line_end = m.line_end;
            let newlines = bytecount::count(ch.get(counted..line_start).unwrap_or_default(), b'\n') as u64;
            self.newlines = self.newlines.saturating_add(newlines);
            counted = line_start;
            let line = trim_cr(ch.get(line_start..line_end).unwrap_or_default());
            let (header, stamp) = match header::parse(line) {
                Some(h) => {
                    prev = Some((line_start, Some(line_start)));
                    (Some(h), Some(self.clock.observe(h.time_ms)))
                }
                // A continuation line: the time is its record's.
                None => {
                    let floor = line_start.saturating_sub(MAX_RECORD_LOOKBACK);
                    let stop = prev.map_or(floor, |(p, _)| p.max(floor));
                    let at = record_header_start(ch, line_start, stop)
                        .or_else(|| prev.and_then(|(_, h)| h).filter(|&h| h >= floor));
                    prev = Some((line_start, at));
                    let h = at.and_then(|a| header_at(ch, a));
                    let stamp = h.map(|h| self.clock.observe(h.time_ms)).or(self.clock.last());
                    (h, stamp)
                }
            };
            if self.report.first.is_none() {
                self.report.first = stamp;
            }
            sink(Hit { line_no: self.newlines.saturating_add(1), line, header, stamp, anchor: m.anchor });
            from = line_end.saturating_add(1);
        }
        self.found = found;
        let newlines = bytecount::count(ch.get(counted..).unwrap_or_default(), b'\n') as u64;
        self.newlines = self.newlines.saturating_add(newlines);
        self.last_byte_newline = ch.last() == Some(&b'\n');
        // The chunk's last line: keeps the clock current, so the file's end time is right.
        let body = ch.strip_suffix(b"\n").unwrap_or(ch);
        let start = line_start(body, body.len());
        if start >= from.min(body.len()) {
            if let Some(h) = header::parse(trim_cr(body.get(start..).unwrap_or_default())) {
                self.clock.observe(h.time_ms);
            }
        }
    }

    /// Looks at the first line with a time after `at` (and before `limit`) to follow the clock.
    fn sample(&mut self, ch: &[u8], at: usize, limit: usize) {
        let Some(nl) = ch.get(at..limit).and_then(|s| memchr::memchr(b'\n', s)) else { return };
        // A newline inside `ch`: the line after it starts at most at `ch.len()`.
        let start = at.saturating_add(nl).saturating_add(1);
        let Some(rest) = ch.get(start..limit) else { return };
        let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        if let Some(h) = header::parse(trim_cr(rest.get(..end).unwrap_or_default())) {
            let stamp = self.clock.observe(h.time_ms);
            if self.report.first.is_none() {
                self.report.first = Some(stamp);
            }
        }
    }

    /// The start of the stream: FileHead, SDL shape, binary content.
    fn inspect(&mut self, ch: &[u8]) {
        self.inspected = true;
        let head = ch.get(..4096).unwrap_or(ch);
        self.report.binary = memchr::memchr(0, head).is_some();
        let mut lines = ch.split(|&b| b == b'\n').take(16).map(trim_cr);
        if let Some(first) = lines.next() {
            if let Some(h) = header::parse(first) {
                self.report.looks_sdl = true;
                let stamp = self.clock.observe(h.time_ms);
                self.report.first = Some(stamp);
                if h.tag == b"FileHead" {
                    self.report.filehead = Some(filehead::parse(h.payload));
                }
            }
        }
        if !self.report.looks_sdl {
            self.report.looks_sdl = lines.any(|l| header::parse(l).is_some());
        }
    }
}

fn line_start(ch: &[u8], at: usize) -> usize {
    // One past a newline inside `ch`: at most its length.
    memchr::memrchr(b'\n', ch.get(..at).unwrap_or(ch)).map_or(0, |i| i.saturating_add(1))
}

/// For a hit on a continuation line: where the header line of the record it belongs to starts,
/// looking back from `line_start` to `stop` at most.
fn record_header_start(ch: &[u8], line_start: usize, stop: usize) -> Option<usize> {
    let mut end = line_start.checked_sub(1)?;
    while end > stop {
        let start = match memchr::memrchr(b'\n', ch.get(stop..end)?) {
            Some(i) => stop.checked_add(i)?.checked_add(1)?,
            None => stop,
        };
        if header::parse(trim_cr(ch.get(start..end)?)).is_some() {
            return Some(start);
        }
        end = start.checked_sub(1)?;
    }
    None
}

/// The header of the line starting at `start`.
fn header_at(ch: &[u8], start: usize) -> Option<Header<'_>> {
    let rest = ch.get(start..)?;
    let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
    header::parse(trim_cr(rest.get(..end)?))
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn describe(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => format!("the data ends early ({e})"),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(data: &[u8], anchors: &[&str], chunk: usize) -> (Vec<(u64, String, Option<Stamp>)>, ScanReport) {
        let pf = Prefilter::new(anchors).unwrap();
        let mut hits = Vec::new();
        let report = Scanner::new(&pf).scan_reader(data, chunk, |h| {
            hits.push((h.line_no, String::from_utf8_lossy(h.line).into_owned(), h.stamp))
        });
        (hits, report)
    }

    const TRACE: &str = "00000001.000 |23:59:58.000 |FileHead |UTC:+01:00,Date: 2026/11/24, AppId: 600, HostName: hub, HostIPAddress: 10.0.0.1\r\n\
00000002.000 |23:59:58.100 |AppInfo  |noise\r\n\
00000003.000 |23:59:59.900 |AppInfo  |IlsD NEEDLE one\r\n\
  continuation with NEEDLE inside\r\n\
00000004.000 |00:00:00.100 |AppInfo  |noise\r\n\
00000005.000 |00:00:01.000 |AppInfo  |IlsD NEEDLE two\r\n\
00000006.000 |00:00:01.500 |AppInfo  |tail without newline";

    #[test]
    fn finds_hits_with_line_numbers_and_days() {
        for chunk in [160, 233, 1 << 20] {
            let (hits, report) = scan(TRACE.as_bytes(), &["NEEDLE"], chunk);
            let nos: Vec<u64> = hits.iter().map(|h| h.0).collect();
            assert_eq!(nos, vec![3, 4, 6], "chunk {chunk}");
            assert_eq!(hits[0].1, "00000003.000 |23:59:59.900 |AppInfo  |IlsD NEEDLE one");
            assert_eq!(hits[1].2.unwrap().time_ms, hits[0].2.unwrap().time_ms, "continuation takes its record's time");
            assert_eq!(hits[2].2.unwrap().day, 1, "after midnight");
            assert_eq!(report.lines, 7);
            assert_eq!(report.last, Some(Stamp { day: 1, time_ms: 1_500 }), "the last line's time");
            assert!(report.looks_sdl && !report.binary);
            let head = report.filehead.unwrap();
            assert_eq!(head.host_ip.as_deref(), Some("10.0.0.1"));
            assert_eq!(head.utc_offset_min, Some(60));
        }
    }

    #[test]
    fn sampling_sees_midnight_between_distant_hits() {
        let mut data = String::from("00000001.000 |23:00:00.000 |AppInfo  |IlsD NEEDLE a\n");
        let mut n = 2;
        while data.len() < 3 * SAMPLE_EVERY {
            let t = if data.len() < SAMPLE_EVERY { "23:30:00.000" } else { "01:00:00.000" };
            data.push_str(&format!("{n:08}.000 |{t} |AppInfo  |noise noise noise noise\n"));
            n += 1;
        }
        data.push_str("99999999.000 |23:10:00.000 |AppInfo  |IlsD NEEDLE b\n");
        let (hits, _) = scan(data.as_bytes(), &["NEEDLE"], 1 << 20);
        assert_eq!(hits[1].2.unwrap().day, 1, "the late 23:10 is on the next day");
    }

    #[test]
    fn look_backs_are_linear_on_a_file_of_headerless_hits() {
        // Every line a hit without a header, the worst case for finding a record's header: each
        // hit looks back only to the previous one (a 64 KiB look-back per hit made this file
        // cost minutes), and every hit takes the one header's time.
        let head = "00000001.000 |09:00:00.000 |AppInfo  |IlsD start\n";
        let mut data = String::from(head);
        while data.len() < 4 << 20 {
            data.push_str("IlsD NEEDLE\n");
        }
        let (hits, _) = scan(data.as_bytes(), &["NEEDLE"], 1 << 20);
        assert_eq!(hits.len(), (data.len() - head.len()) / 12);
        assert!(hits.iter().all(|h| h.2.is_some_and(|s| s.time_ms == 9 * 3_600_000)));
    }

    #[test]
    fn binary_and_non_sdl() {
        let (_, r) = scan(b"\x00\x01\x02 ELF", &["x"], 1024);
        assert!(r.binary && !r.looks_sdl);
        let (_, r) = scan(b"just some text\nmore\n", &["x"], 1024);
        assert!(!r.binary && !r.looks_sdl);
        assert_eq!(r.lines, 2);
    }
}
