//! The complete reader: every line visited, continuation lines joined to their record.
//!
//! The analyzer does not need it (it reads only the lines the [`scan`](super::scan) prefilter
//! picks), but it is the reference model of an SDL file: tests and fuzzing compare the fast path
//! against it, and the benchmark measures its lines per second. A record is a header line plus the
//! physical lines after it that do not start a record (multi-line payloads, docs/cucm-notes.md#sdl-line). A
//! record's text is capped at [`MAX_RECORD_BYTES`] so that a file with no line breaks cannot grow
//! memory without bound.

use std::collections::VecDeque;
use std::io::Read;

use super::chunk::Chunker;
use super::clock::{Clock, Stamp};
use super::header;

/// Longest record text kept; the rest of an over-long record is dropped and flagged.
pub const MAX_RECORD_BYTES: usize = 256 * 1024;

/// One physical line, as the full reader sees it.
#[derive(Debug, Clone, Copy)]
pub struct LineRef<'a> {
    pub line_no: u64,
    pub line: &'a [u8],
    pub header: Option<header::Header<'a>>,
}

/// Calls `f` for every physical line of `reader`, with its header parsed when it has one.
/// Returns the number of lines and the read error that ended the stream, if any.
pub fn for_each_line<R: Read>(
    reader: R,
    chunk_size: usize,
    mut f: impl FnMut(LineRef<'_>),
) -> (u64, Option<std::io::Error>) {
    let mut chunker = Chunker::with_capacity(reader, chunk_size);
    let mut line_no = 0;
    loop {
        let ch = match chunker.next_chunk() {
            Ok(Some(ch)) => ch,
            Ok(None) => return (line_no, None),
            Err(e) => return (line_no, Some(e)),
        };
        // A chunk is never empty, so this visits the same lines as splitting at each newline
        // plus the unterminated tail.
        for line in lines_inclusive(ch) {
            line_no = line_no.saturating_add(1);
            let line = line.strip_suffix(b"\n").unwrap_or(line);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            f(LineRef { line_no, line, header: header::parse(line) });
        }
    }
}

/// The lines of `ch`, each with its newline (the last without one when `ch` does not end with
/// one): what `split_inclusive` at `\n` gives, found with memchr's vector search instead of a
/// byte-by-byte comparison (the complete reader's lines per second, docs/benchmarks.md).
pub fn lines_inclusive(ch: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    let mut newlines = memchr::memchr_iter(b'\n', ch);
    std::iter::from_fn(move || {
        let end = match newlines.next() {
            // A position inside `ch`: one more is at most its length.
            Some(nl) => nl.saturating_add(1),
            None if start < ch.len() => ch.len(),
            None => return None,
        };
        let line = ch.get(start..end)?;
        start = end;
        Some(line)
    })
}

/// A whole record: header fields plus the payload of all its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Physical line number of the header line (1-based).
    pub line_no: u64,
    /// Number of physical lines in the record.
    pub lines: u32,
    pub seq: u32,
    pub sub: u16,
    pub stamp: Stamp,
    pub tag: String,
    /// Payload, continuation lines joined with `\n`, invalid UTF-8 replaced.
    pub text: String,
    /// The record was longer than [`MAX_RECORD_BYTES`] and was cut.
    pub truncated: bool,
}

/// Iterator over the records of a reader. Lines before the first record are counted in
/// [`Records::orphan_lines`] and otherwise skipped.
pub struct Records<R> {
    chunker: Chunker<R>,
    clock: Clock,
    line_no: u64,
    ready: VecDeque<Record>,
    open: Option<(Record, Vec<u8>)>,
    done: bool,
    /// Lines that belonged to no record (text before the first header).
    pub orphan_lines: u64,
    /// The read error that ended the stream, if any.
    pub error: Option<std::io::Error>,
}

impl<R: Read> Records<R> {
    pub fn new(reader: R) -> Self {
        Records {
            chunker: Chunker::new(reader),
            clock: Clock::default(),
            line_no: 0,
            ready: VecDeque::new(),
            open: None,
            done: false,
            orphan_lines: 0,
            error: None,
        }
    }

    fn fill(&mut self) {
        let ch = match self.chunker.next_chunk() {
            Ok(Some(ch)) => ch,
            Ok(None) => return self.close(),
            Err(e) => {
                self.error = Some(e);
                return self.close();
            }
        };
        for line in lines_inclusive(ch) {
            self.line_no = self.line_no.saturating_add(1);
            let line = line.strip_suffix(b"\n").unwrap_or(line);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            match header::parse(line) {
                Some(h) => {
                    if let Some(done) = self.open.take() {
                        self.ready.push_back(finish(done));
                    }
                    let rec = Record {
                        line_no: self.line_no,
                        lines: 1,
                        seq: h.seq,
                        sub: h.sub,
                        stamp: self.clock.observe(h.time_ms),
                        tag: String::from_utf8_lossy(h.tag).into_owned(),
                        text: String::new(),
                        truncated: false,
                    };
                    self.open = Some((rec, cap(h.payload).to_vec()));
                }
                None => match &mut self.open {
                    Some((rec, text)) => {
                        rec.lines = rec.lines.saturating_add(1);
                        // Lengths of buffers in memory: the sums cannot reach usize::MAX.
                        let joined = text.len().saturating_add(1);
                        if joined.saturating_add(line.len()) > MAX_RECORD_BYTES {
                            rec.truncated = true;
                            let room = MAX_RECORD_BYTES.saturating_sub(joined);
                            if room > 0 {
                                text.push(b'\n');
                                text.extend_from_slice(line.get(..room).unwrap_or(line));
                            }
                        } else {
                            text.push(b'\n');
                            text.extend_from_slice(line);
                        }
                    }
                    None => self.orphan_lines = self.orphan_lines.saturating_add(1),
                },
            }
        }
    }

    fn close(&mut self) {
        self.done = true;
        if let Some(done) = self.open.take() {
            self.ready.push_back(finish(done));
        }
    }
}

fn cap(payload: &[u8]) -> &[u8] {
    payload.get(..MAX_RECORD_BYTES).unwrap_or(payload)
}

fn finish((mut rec, text): (Record, Vec<u8>)) -> Record {
    rec.text = String::from_utf8_lossy(&text).into_owned();
    rec
}

impl<R: Read> Iterator for Records<R> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        while self.ready.is_empty() && !self.done {
            self.fill();
        }
        self.ready.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_continuations_and_counts_orphans() {
        let data = b"preamble\n00000001.000 |10:00:00.000 |AppInfo  |first\r\nsecond line\n00000002.001 |10:00:01.000 |SdlSig   |sig |x\n";
        let mut it = Records::new(&data[..]);
        let a = it.next().unwrap();
        assert_eq!((a.line_no, a.lines, a.seq, a.text.as_str()), (2, 2, 1, "first\nsecond line"));
        let b = it.next().unwrap();
        assert_eq!((b.line_no, b.sub, b.tag.as_str(), b.text.as_str()), (4, 1, "SdlSig", "sig |x"));
        assert!(it.next().is_none());
        assert_eq!(it.orphan_lines, 1);
    }

    #[test]
    fn caps_record_size() {
        let mut data = b"00000001.000 |10:00:00.000 |AppInfo  |x\n".to_vec();
        for _ in 0..(MAX_RECORD_BYTES / 1000 + 10) {
            data.extend_from_slice(&[b'y'; 999]);
            data.push(b'\n');
        }
        let rec = Records::new(&data[..]).next().unwrap();
        assert!(rec.truncated);
        assert!(rec.text.len() <= MAX_RECORD_BYTES);
    }

    proptest::proptest! {
        #[test]
        fn lines_inclusive_splits_as_split_inclusive(data in proptest::collection::vec(
            proptest::prop_oneof![proptest::strategy::Just(b'\n'), proptest::strategy::Just(b'\r'), proptest::num::u8::ANY],
            0..300,
        )) {
            let fast: Vec<&[u8]> = lines_inclusive(&data).collect();
            let reference: Vec<&[u8]> = data.split_inclusive(|&b| b == b'\n').collect();
            proptest::prop_assert_eq!(fast, reference);
        }
    }

    #[test]
    fn every_line_is_visited() {
        let data = b"00000001.000 |10:00:00.000 |AppInfo  |a\nb\n\nc";
        let mut seen = Vec::new();
        let (n, err) = for_each_line(&data[..], 8, |l| seen.push((l.line_no, l.header.is_some())));
        assert!(err.is_none());
        assert_eq!(n, 4);
        assert_eq!(seen, vec![(1, true), (2, false), (3, false), (4, false)]);
    }
}
