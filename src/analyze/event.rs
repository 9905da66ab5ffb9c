//! Matched lines placed on a timeline: files' FileHead dates and UTC offsets applied.
//!
//! The scanner gives each line a (day, time of day) stamp relative to its file. A file's date
//! comes from its FileHead; a file without one (an excerpt, a file cut at the front) continues
//! the date of the file before it in the same trace (docs/cucm-notes.md#midnight: midnight handling combines the
//! FileHead date with roll-over detection). Without any FileHead the date stays unknown and only
//! times of day are compared.

use chrono::{Duration, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};

use super::fields::Fields;
use super::types::Side;
use crate::parse::{FileHead, Stamp};

/// One matched line, as the scanner saw it in one file.
#[derive(Debug, Clone)]
pub struct RawHit {
    pub line_no: u64,
    pub stamp: Option<Stamp>,
    /// The SDL record number (`NNNNNNNN`), which groups the lines of one processing step.
    pub seq: Option<u32>,
    pub sig: usize,
    pub fields: Fields,
    pub text: String,
}

/// Routine lines of one file: one writer role, one peer (when the lines name it), one signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityCount {
    pub role: Side,
    pub peer: Option<String>,
    /// The signature's index in the catalog; `usize::MAX` for lines of an attempt's connection
    /// beyond the ones it keeps.
    pub sig: usize,
    pub count: u64,
    pub first: Option<Stamp>,
    pub last: Option<Stamp>,
}

impl ActivityCount {
    pub fn new(role: Side, peer: Option<String>, sig: usize) -> Self {
        ActivityCount { role, peer, sig, count: 0, first: None, last: None }
    }

    pub fn add(&mut self, at: Option<Stamp>) {
        self.count = self.count.saturating_add(1);
        if let Some(s) = at {
            if self.first.is_none() {
                self.first = Some(s);
            }
            self.last = Some(s);
        }
    }
}

/// One scanned trace file.
#[derive(Debug, Clone)]
pub struct ScannedFile {
    /// The path as the user gave it (or as found under a folder they gave).
    pub path: String,
    /// The side the user said the file belongs to.
    pub side: Side,
    /// Which command-line argument it came from (files of one argument share a trace).
    pub arg: usize,
    pub filehead: Option<FileHead>,
    pub first: Option<Stamp>,
    pub last: Option<Stamp>,
    pub bytes: u64,
    pub lines: u64,
    /// The lines that belong to attempts (or may, once the trace's other files are read).
    pub hits: Vec<RawHit>,
    /// Routine lines, counted.
    pub activity: Vec<ActivityCount>,
}

/// When a line was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct When {
    /// Milliseconds since the Unix epoch, when the date is known.
    pub utc_ms: Option<i64>,
    /// Local time minus UTC, minutes, from the FileHead.
    pub offset_min: Option<i32>,
    /// Local date and time, when the date is known.
    pub local: Option<NaiveDateTime>,
    /// Local time of day in milliseconds (always known for a line with a header).
    pub tod_ms: u32,
    /// Midnights since the first file of the trace (orders lines when the date is unknown).
    pub day: i32,
}

const DAY_MS: i64 = 86_400_000;

impl When {
    /// A value that orders lines of one trace.
    pub fn order_key(&self) -> i64 {
        // An i32 day count in milliseconds stays far inside i64; saturating only spells it out.
        self.utc_ms.unwrap_or(i64::from(self.day).saturating_mul(DAY_MS).saturating_add(i64::from(self.tod_ms)))
    }

    /// `self - other` in milliseconds: exact when both dates are known, otherwise the difference
    /// of the times of day taken within ±12 hours.
    pub fn diff_ms(&self, other: &When) -> i64 {
        match (self.utc_ms, other.utc_ms) {
            (Some(a), Some(b)) => a.saturating_sub(b),
            _ => {
                // Two u32 values in i64 cannot overflow.
                let d = i64::from(self.tod_ms).saturating_sub(i64::from(other.tod_ms)).rem_euclid(DAY_MS);
                if d > DAY_MS / 2 {
                    d.saturating_sub(DAY_MS)
                } else {
                    d
                }
            }
        }
    }

    /// RFC 3339 with the trace's own offset, when date and offset are known.
    pub fn rfc3339(&self) -> Option<String> {
        let local = self.local?;
        let offset = FixedOffset::east_opt(self.offset_min?.checked_mul(60)?)?;
        let dt = offset.from_local_datetime(&local).single()?;
        Some(dt.to_rfc3339_opts(chrono::SecondsFormat::Millis, false))
    }

    /// `HH:MM:SS.mmm` local time of day.
    pub fn time_of_day(&self) -> String {
        let t = self.tod_ms;
        format!("{:02}:{:02}:{:02}.{:03}", t / 3_600_000, t / 60_000 % 60, t / 1000 % 60, t % 1000)
    }
}

/// The date context of each file: its first day's date and its UTC offset.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileDate {
    pub base: Option<NaiveDate>,
    /// Days to add to the file's own day count (files without FileHead continuing a trace).
    pub day_offset: i32,
    pub offset_min: Option<i32>,
}

/// Works out each file's date context. `order` lists file indexes per trace, in file order.
pub fn resolve_dates(files: &[ScannedFile], traces: &[Vec<usize>]) -> Vec<FileDate> {
    let mut out = vec![FileDate::default(); files.len()];
    for trace in traces {
        let mut prev: Option<(FileDate, Option<Stamp>)> = None;
        for &fi in trace {
            let Some(f) = files.get(fi) else { continue };
            let date = match &f.filehead {
                Some(h) if h.date.is_some() => FileDate { base: h.date, day_offset: 0, offset_min: h.utc_offset_min },
                _ => match prev {
                    Some((p, last)) => {
                        let last_day = p.day_offset.saturating_add(last.map_or(0, |s| s.day));
                        let wrapped = match (last, f.first) {
                            (Some(l), Some(first)) => i32::from(first.time_ms.saturating_add(3_600_000) < l.time_ms),
                            _ => 0,
                        };
                        FileDate {
                            base: p.base,
                            day_offset: last_day.saturating_add(wrapped),
                            offset_min: p.offset_min,
                        }
                    }
                    None => FileDate::default(),
                },
            };
            if let Some(slot) = out.get_mut(fi) {
                *slot = date;
            }
            prev = Some((date, f.last));
        }
    }
    out
}

/// Places a stamp of a file on the timeline.
pub fn when(date: &FileDate, stamp: Stamp) -> When {
    let day = date.day_offset.saturating_add(stamp.day);
    let local = date.base.and_then(|d| {
        let d = d.checked_add_signed(Duration::days(i64::from(day)))?;
        let t = chrono::NaiveTime::from_num_seconds_from_midnight_opt(
            stamp.time_ms / 1000,
            (stamp.time_ms % 1000).checked_mul(1_000_000)?,
        )?;
        Some(NaiveDateTime::new(d, t))
    });
    // Without the FileHead's UTC offset the instant is unknown: no guessing it as UTC.
    let utc_ms = local
        .zip(date.offset_min)
        .map(|(l, off)| l.and_utc().timestamp_millis().saturating_sub(i64::from(off).saturating_mul(60_000)));
    When { utc_ms, offset_min: date.offset_min, local, tod_ms: stamp.time_ms, day }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(head: Option<(&str, i32)>, first: u32, last: (i32, u32)) -> ScannedFile {
        ScannedFile {
            path: "f".into(),
            side: Side::Hub,
            arg: 0,
            filehead: head.map(|(d, o)| FileHead {
                date: NaiveDate::parse_from_str(d, "%Y-%m-%d").ok(),
                utc_offset_min: Some(o),
                ..FileHead::default()
            }),
            first: Some(Stamp { day: 0, time_ms: first }),
            last: Some(Stamp { day: last.0, time_ms: last.1 }),
            bytes: 0,
            lines: 0,
            hits: vec![],
            activity: vec![],
        }
    }

    #[test]
    fn dates_continue_across_files_without_filehead() {
        let h = 3_600_000;
        let files = vec![
            file(Some(("2026-11-24", 60)), 22 * h, (0, 23 * h)),
            file(None, h, (0, 2 * h)), // starts after midnight: next day
            file(None, 3 * h, (1, h)), // rolls over inside: the file after is two days on
            file(None, 2 * h, (0, 3 * h)),
        ];
        let dates = resolve_dates(&files, &[vec![0, 1, 2, 3]]);
        let day = |i: usize, s: Stamp| when(&dates[i], s).local.unwrap().date().to_string();
        assert_eq!(day(0, Stamp { day: 0, time_ms: 23 * h }), "2026-11-24");
        assert_eq!(day(1, Stamp { day: 0, time_ms: h }), "2026-11-25");
        assert_eq!(day(2, Stamp { day: 1, time_ms: h }), "2026-11-26");
        assert_eq!(day(3, Stamp { day: 0, time_ms: 2 * h }), "2026-11-26");
        let w = when(&dates[0], Stamp { day: 0, time_ms: 23 * h });
        assert_eq!(w.rfc3339().unwrap(), "2026-11-24T23:00:00.000+01:00");
        assert_eq!(w.utc_ms.unwrap() % DAY_MS, 22 * i64::from(h));
    }

    #[test]
    fn time_of_day_differences_wrap() {
        let a = When { utc_ms: None, offset_min: None, local: None, tod_ms: 100, day: 0 };
        let b = When { tod_ms: 86_399_900, ..a };
        assert_eq!(a.diff_ms(&b), 200);
        assert_eq!(b.diff_ms(&a), -200);
        assert_eq!(a.time_of_day(), "00:00:00.100");
    }
}
