//! SDL trace files of one publisher: names, FileHead, record lines, roll-over, `.gzo`.
//!
//! Follows docs/cucm-notes.md#trace-names, docs/cucm-notes.md#filehead and docs/cucm-notes.md#sdl-line:
//! - names `SDL<node:03>_600_<seq:06>.txt.gz`; the file being written is `.txt.gzo`. The pattern is
//!   **inferred** from CallManager's `SDL002_100_000819.txt.gz` and ILS's SDL app id 600 [I]; no ILS
//!   file name was ever seen [NF].
//! - the first line of every file is a `FileHead` record as in the CCM sample [3P]; the
//!   `AppName` for ILS is **not known** [NF]: "Cisco Intercluster Lookup Service" is a guess.
//! - records `NNNNNNNN.NNN |HH:MM:SS.mmm |<tag padded to 9>|<payload>` in the publisher's local
//!   time (its UTC offset plus its clock skew); files roll by size and at local midnight [3P].
//! - the directory is `/var/log/active/cm/trace/ils/sdl/` [I, by analogy with CCM].
//!
//! Memory is bounded: at most `max_files` files are kept (CUCM's "Maximum No. of Files"), oldest
//! dropped first, each at most about `roll_size` bytes.

use std::io::Write;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use flate2::write::GzEncoder;
use flate2::Compression;

use crate::lines::Tag;

/// Directory of ILS SDL traces on the publisher [I].
pub const ILS_SDL_DIR: &str = "/var/log/active/cm/trace/ils/sdl";

/// One trace file.
#[derive(Debug, Clone)]
pub struct TraceFile {
    /// File name, `SDL001_600_000001.txt.gz` (or `.txt.gzo` while active).
    pub name: String,
    /// The uncompressed text, `\n`-terminated lines.
    pub text: String,
    /// Still being written (`.gzo`).
    pub active: bool,
    /// True (UTC) time of the first record.
    pub first_write: DateTime<Utc>,
    /// True (UTC) time of the last record (the file's modification time).
    pub last_write: DateTime<Utc>,
}

impl TraceFile {
    /// Absolute path on the publisher.
    pub fn absolute_path(&self) -> String {
        format!("{ILS_SDL_DIR}/{}", self.name)
    }

    /// The bytes a client downloads: a complete gzip stream for closed files; for the active
    /// `.gzo` file a gzip stream that is sync-flushed but has no trailer yet, as a file still
    /// being written would be [I] (tools disagree on whether `.gzo` is gzip, docs/cucm-notes.md#gzo).
    pub fn bytes(&self) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        // Writing to a Vec cannot fail.
        let _ = enc.write_all(self.text.as_bytes());
        if self.active {
            let _ = enc.flush();
            enc.get_ref().clone()
        } else {
            enc.finish().unwrap_or_default()
        }
    }

    /// The lines of the file.
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.text.lines()
    }
}

/// Static identity of the writing publisher.
#[derive(Debug, Clone)]
pub struct WriterIdentity {
    /// SDL node id.
    pub node_id: u32,
    /// Host name.
    pub host: String,
    /// Host IP.
    pub ip: String,
    /// CUCM version (`14.0.1.11900-132`).
    pub version: String,
    /// UTC offset in minutes.
    pub offset_min: i32,
    /// Clock skew in milliseconds.
    pub skew_ms: i64,
}

/// Writes one publisher's ILS SDL files.
#[derive(Debug, Clone)]
pub struct TraceWriter {
    id: WriterIdentity,
    roll_size: usize,
    max_files: usize,
    app_start: NaiveDateTime,
    files: Vec<TraceFile>,
    seq: u32,
    line_no: u32,
    current_day: Option<chrono::NaiveDate>,
}

impl TraceWriter {
    /// A writer whose application started at true time `app_start`.
    pub fn new(id: WriterIdentity, roll_size: usize, max_files: usize, app_start: DateTime<Utc>) -> Self {
        let mut w = TraceWriter {
            id,
            roll_size: roll_size.max(512),
            max_files: max_files.max(1),
            app_start: NaiveDateTime::default(),
            files: Vec::new(),
            seq: 0,
            line_no: 0,
            current_day: None,
        };
        w.app_start = w.local(app_start);
        w
    }

    /// Local time shown in the traces for true time `t`.
    pub fn local(&self, t: DateTime<Utc>) -> NaiveDateTime {
        (t + Duration::milliseconds(self.id.skew_ms) + Duration::minutes(i64::from(self.id.offset_min))).naive_utc()
    }

    /// All files, oldest first; the last one is active.
    pub fn files(&self) -> &[TraceFile] {
        &self.files
    }

    /// Writes one SDL step: records sharing a line number with sub-numbers `.000`, `.001`, ...
    /// (`.001`, ... when there are several, as in the technote's AppInfo groups).
    pub fn write(&mut self, t: DateTime<Utc>, records: &[(Tag, String)]) {
        if records.is_empty() {
            return;
        }
        self.roll_if_needed(t);
        self.line_no = self.line_no.wrapping_add(1) % 100_000_000;
        let local = self.local(t);
        let clock = local.format("%H:%M:%S%.3f").to_string();
        let first_sub = if records.len() > 1 { 1 } else { 0 };
        let mut chunk = String::new();
        for (i, (tag, payload)) in records.iter().enumerate() {
            let sub = (first_sub + i) % 1000;
            chunk.push_str(&format!("{:08}.{:03} |{} |{:<9}|{}\n", self.line_no, sub, clock, tag.as_str(), payload));
        }
        if let Some(f) = self.files.last_mut() {
            f.text.push_str(&chunk);
            f.last_write = t;
        }
    }

    fn roll_if_needed(&mut self, t: DateTime<Utc>) {
        let day = self.local(t).date();
        let need = match self.files.last() {
            None => true,
            Some(f) => f.text.len() >= self.roll_size || self.current_day != Some(day),
        };
        if !need {
            return;
        }
        if let Some(f) = self.files.last_mut() {
            f.active = false;
            if let Some(stem) = f.name.strip_suffix(".gzo") {
                f.name = format!("{stem}.gz");
            }
        }
        self.seq = self.seq.wrapping_add(1) % 1_000_000;
        self.current_day = Some(day);
        let local = self.local(t);
        let off = self.id.offset_min;
        let sign = if off < 0 { '-' } else { '+' };
        let head = format!(
            "{:08}.000 |{} |FileHead |UTC:{sign}{:02}:{:02},Date: {}, AppName: Cisco Intercluster Lookup Service, AppId: 600, AppNodeId: {}, AppVersion: CUCM Install={v} Build={v}, HostName: {}, HostIPAddress: {}, AppStartTime: {}, FileNumber: {}, TraceVer: 3.0\n",
            self.line_no,
            local.format("%H:%M:%S%.3f"),
            off.abs() / 60,
            off.abs() % 60,
            local.format("%Y/%m/%d"),
            self.id.node_id,
            self.id.host,
            self.id.ip,
            self.app_start.format("%Y/%m/%d %H:%M:%S"),
            self.seq,
            v = self.id.version,
        );
        self.files.push(TraceFile {
            name: format!("SDL{:03}_600_{:06}.txt.gzo", self.id.node_id % 1000, self.seq),
            text: head,
            active: true,
            first_write: t,
            last_write: t,
        });
        if self.files.len() > self.max_files {
            let extra = self.files.len() - self.max_files;
            self.files.drain(..extra);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn writer(roll: usize) -> TraceWriter {
        let t0 =
            DateTime::parse_from_rfc3339("2026-11-25T07:00:00Z").map(|d| d.with_timezone(&Utc)).unwrap_or_default();
        TraceWriter::new(
            WriterIdentity {
                node_id: 1,
                host: "cucm-hub".into(),
                ip: "10.0.0.1".into(),
                version: "14.0.1.11900-132".into(),
                offset_min: 60,
                skew_ms: 1500,
            },
            roll,
            3,
            t0,
        )
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&Utc)).unwrap_or_default()
    }

    #[test]
    fn filehead_and_records_are_formatted_like_cucm() {
        let mut w = writer(4096);
        w.write(at("2026-11-25T08:00:00.100Z"), &[(Tag::AppInfo, "IlsD a".into()), (Tag::AppInfo, "IlsD b".into())]);
        let f = &w.files()[0];
        assert_eq!(f.name, "SDL001_600_000001.txt.gzo");
        let lines: Vec<&str> = f.lines().collect();
        assert_eq!(lines[0], "00000000.000 |09:00:01.600 |FileHead |UTC:+01:00,Date: 2026/11/25, AppName: Cisco Intercluster Lookup Service, AppId: 600, AppNodeId: 1, AppVersion: CUCM Install=14.0.1.11900-132 Build=14.0.1.11900-132, HostName: cucm-hub, HostIPAddress: 10.0.0.1, AppStartTime: 2026/11/25 08:00:01, FileNumber: 1, TraceVer: 3.0");
        assert_eq!(lines[1], "00000001.001 |09:00:01.600 |AppInfo  |IlsD a");
        assert_eq!(lines[2], "00000001.002 |09:00:01.600 |AppInfo  |IlsD b");
        assert_eq!(f.absolute_path(), "/var/log/active/cm/trace/ils/sdl/SDL001_600_000001.txt.gzo");
    }

    #[test]
    fn rolls_by_size_keeps_max_files_and_names_closed_files_gz() {
        let mut w = writer(600);
        let mut t = at("2026-11-25T08:00:00Z");
        for _ in 0..40 {
            w.write(t, &[(Tag::SdlStat, "x".repeat(100))]);
            t += Duration::seconds(1);
        }
        let files = w.files();
        assert_eq!(files.len(), 3);
        assert!(files[..2].iter().all(|f| f.name.ends_with(".txt.gz") && !f.active));
        assert!(files[2].name.ends_with(".txt.gzo") && files[2].active);
        assert!(files.iter().all(|f| f.text.starts_with(|c: char| c.is_ascii_digit())));
        assert!(files.iter().all(|f| f.lines().next().is_some_and(|l| l.contains("|FileHead |"))));
        // Sequence numbers increase.
        let seqs: Vec<&str> = files.iter().map(|f| &f.name[11..17]).collect();
        assert!(seqs.windows(2).all(|p| p[0] < p[1]), "{seqs:?}");
        // Closed files are complete gzip streams with the same text.
        let mut s = String::new();
        flate2::read::GzDecoder::new(&files[0].bytes()[..]).read_to_string(&mut s).unwrap();
        assert_eq!(s, files[0].text);
        // The active file decodes as far as it goes but has no gzip trailer.
        let mut s = String::new();
        let r = flate2::read::GzDecoder::new(&files[2].bytes()[..]).read_to_string(&mut s);
        assert!(r.is_err());
        assert!(files[2].text.starts_with(&s[..s.len().min(10)]));
    }

    #[test]
    fn rolls_at_local_midnight() {
        let mut w = writer(1 << 20);
        // 22:59 UTC = 23:59 local (+01:00, skew 1.5 s); one minute later it is the next day.
        w.write(at("2026-11-25T22:58:00Z"), &[(Tag::SdlStat, "a".into())]);
        w.write(at("2026-11-25T23:00:00Z"), &[(Tag::SdlStat, "b".into())]);
        assert_eq!(w.files().len(), 2);
        assert!(w.files()[1].text.contains("Date: 2026/11/26"));
        assert!(w.files()[1].text.contains("|00:00:01.500 |SdlStat  |b"));
    }
}
