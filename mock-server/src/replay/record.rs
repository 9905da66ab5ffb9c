//! Reading a recorded transcript (ils-doctor's `--record DIR`, format
//! `ils-doctor/transcript/1`, docs/transcript.md) and finding the recorded exchange that answers a
//! request. Outside input: sizes are bounded, file names referenced by the record are plain names
//! inside `DIR/traces/<transcript>/`, a line that does not parse is an error naming it.

use std::path::{Path, PathBuf};

use base64::Engine;
use serde_json::Value;

/// The only format version read.
pub const FORMAT: &str = "ils-doctor/transcript/1";
/// Largest transcript file read.
const MAX_FILE: u64 = 512 << 20;
/// Largest trace file served.
const MAX_TRACE: u64 = 512 << 20;
/// Most transcripts served at once.
const MAX_TRANSCRIPTS: usize = 64;

/// Why a record cannot be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("replay {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("replay {path} line {line}: {reason}; the record is damaged or not an ils-doctor transcript")]
    Line { path: String, line: usize, reason: String },
    #[error("replay {0}: no transcript (*.jsonl) in the folder; record one with `ils-doctor check ... --record DIR`")]
    Empty(String),
    #[error("replay: starting the servers: {0}")]
    Start(String),
}

/// One publisher's transcript.
#[derive(Debug, Clone)]
pub struct Transcript {
    /// The file's stem (`<publisher>_<https port>`).
    pub name: String,
    pub header: Value,
    pub entries: Vec<Value>,
    /// `DIR/traces/<name>/`.
    pub traces: PathBuf,
}

impl Transcript {
    /// `hub`, `spoke`, or None.
    pub fn role(&self) -> Option<&str> {
        self.header.get("role").and_then(Value::as_str)
    }

    /// The entries of `kind`, with their index.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = (usize, &'a Value)> + 'a {
        self.entries.iter().enumerate().filter(move |(_, e)| e.get("kind").and_then(Value::as_str) == Some(kind))
    }

    /// A trace file the record references, read (bounded); None for a name that is not a plain
    /// file name or a file that is missing.
    pub fn trace(&self, name: &str) -> Option<Vec<u8>> {
        use std::io::Read;
        let plain = !name.is_empty()
            && !name.starts_with('.')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !plain {
            return None;
        }
        let mut out = Vec::new();
        std::fs::File::open(self.traces.join(name)).ok()?.take(MAX_TRACE).read_to_end(&mut out).ok()?;
        Some(out)
    }
}

/// The bytes of a recorded text field: `key` (text) or `key_b64` (base64).
pub fn bytes_of(v: &Value, key: &str) -> Option<Vec<u8>> {
    if let Some(s) = v.get(key).and_then(Value::as_str) {
        return Some(s.as_bytes().to_vec());
    }
    let b64 = v.get(format!("{key}_b64")).and_then(Value::as_str)?;
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

/// Every transcript of `dir`, in name order.
pub fn load(dir: &Path) -> Result<Vec<Transcript>, ReplayError> {
    let err = |p: &Path, e: &dyn std::fmt::Display| ReplayError::Read {
        path: p.display().to_string(),
        reason: e.to_string(),
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| err(dir, &e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl") && p.is_file())
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(ReplayError::Empty(dir.display().to_string()));
    }
    if paths.len() > MAX_TRANSCRIPTS {
        return Err(err(dir, &format!("more than {MAX_TRANSCRIPTS} transcripts")));
    }
    let mut out = Vec::new();
    for p in paths {
        let size = std::fs::metadata(&p).map_err(|e| err(&p, &e))?.len();
        if size > MAX_FILE {
            return Err(err(&p, &format!("larger than {} MiB", MAX_FILE >> 20)));
        }
        let text = std::fs::read_to_string(&p).map_err(|e| err(&p, &e))?;
        let mut lines = Vec::new();
        for (i, l) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let v: Value = serde_json::from_str(l).map_err(|e| ReplayError::Line {
                path: p.display().to_string(),
                line: i.saturating_add(1),
                reason: e.to_string(),
            })?;
            lines.push(v);
        }
        let mut it = lines.into_iter();
        let header = it.next().unwrap_or(Value::Null);
        if header.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(ReplayError::Line {
                path: p.display().to_string(),
                line: 1,
                reason: format!("the header's format is not {FORMAT}"),
            });
        }
        let name = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        out.push(Transcript { traces: dir.join("traces").join(&name), name, header, entries: it.collect() });
    }
    Ok(out)
}

/// Tokens of a request for similarity: runs of letters, digits and `_`.
fn tokens(s: &[u8]) -> Vec<&[u8]> {
    let mut t: Vec<&[u8]> = s.split(|b| !(b.is_ascii_alphanumeric() || *b == b'_')).filter(|t| !t.is_empty()).collect();
    t.sort_unstable();
    t
}

/// How alike two texts are, 0..=1 (multiset Jaccard of their tokens).
pub fn similarity(a: &[u8], b: &[u8]) -> f64 {
    let (ta, tb) = (tokens(a), tokens(b));
    if ta.is_empty() && tb.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut common) = (0usize, 0usize, 0usize);
    while let (Some(x), Some(y)) = (ta.get(i), tb.get(j)) {
        match x.cmp(y) {
            std::cmp::Ordering::Equal => {
                common = common.saturating_add(1);
                i = i.saturating_add(1);
                j = j.saturating_add(1);
            }
            std::cmp::Ordering::Less => i = i.saturating_add(1),
            std::cmp::Ordering::Greater => j = j.saturating_add(1),
        }
    }
    let union = ta.len().saturating_add(tb.len()).saturating_sub(common);
    common as f64 / union.max(1) as f64
}

/// Scores within this of the best count as the same request (they differ in times, levels).
const SAME: f64 = 0.08;

/// The entry answering a request among `candidates` (index, score): the first unused of those
/// scoring within [`SAME`] of the best, in record order, else the last of them (a request asked
/// more often than recorded gets the last answer again).
pub fn pick(candidates: &[(usize, f64)], used: &[bool]) -> Option<usize> {
    let best = candidates.iter().map(|c| c.1).fold(f64::MIN, f64::max);
    let near: Vec<usize> = candidates.iter().filter(|c| c.1 >= best - SAME).map(|c| c.0).collect();
    near.iter().copied().find(|i| !used.get(*i).copied().unwrap_or(true)).or_else(|| near.last().copied())
}

/// The `n` closest recorded requests, described, for an error.
pub fn closest(mut scored: Vec<(f64, String)>, n: usize) -> String {
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.dedup_by(|a, b| a.1 == b.1);
    let shown: Vec<String> =
        scored.into_iter().take(n).map(|(s, d)| format!("{d} ({:.0} % alike)", s * 100.0)).collect();
    if shown.is_empty() {
        "none".into()
    } else {
        shown.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alike_requests_are_served_in_record_order() {
        assert!(similarity(b"<a>select 1 from x</a>", b"<a>select 1 from x</a>") > 0.99);
        assert!(similarity(b"<from>2026-01-01 10:00</from>", b"<from>2026-02-03 11:05</from>") > 0.2);
        let c = [(2, 0.9), (5, 0.88), (7, 0.2)];
        assert_eq!(pick(&c, &[false; 8]), Some(2));
        let mut used = [false; 8];
        used[2] = true;
        assert_eq!(pick(&c, &used), Some(5));
        used[5] = true;
        assert_eq!(pick(&c, &used), Some(5), "the last again");
        assert_eq!(pick(&[], &used), None);
    }

    #[test]
    fn a_trace_name_must_be_plain() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("traces/x")).unwrap();
        std::fs::write(dir.path().join("traces/x/0_a.txt"), b"ok").unwrap();
        std::fs::write(dir.path().join("secret"), b"no").unwrap();
        let t =
            Transcript { name: "x".into(), header: Value::Null, entries: vec![], traces: dir.path().join("traces/x") };
        assert_eq!(t.trace("0_a.txt").as_deref(), Some(&b"ok"[..]));
        assert_eq!(t.trace("../../secret"), None);
        assert_eq!(t.trace(".."), None);
    }

    #[test]
    fn damaged_records_are_named() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(load(dir.path()), Err(ReplayError::Empty(_))));
        std::fs::write(dir.path().join("a.jsonl"), "{\"format\":\"ils-doctor/transcript/1\"}\n{not json\n").unwrap();
        let e = load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("a.jsonl line 2"), "{e}");
        std::fs::write(dir.path().join("a.jsonl"), "{\"format\":\"other\"}\n").unwrap();
        assert!(load(dir.path()).unwrap_err().to_string().contains("line 1"));
    }
}
