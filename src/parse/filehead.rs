//! The `FileHead` record that opens every SDL trace file.
//!
//! Example (CallManager, docs/cucm-notes.md#filehead, third-party sample):
//! `UTC:-05:00,Date: 2024/08/13, AppName: CCM, AppId: 100, AppNodeId: 1, AppVersion: ..., HostName:
//! Trainingpub115, HostIPAddress: 10.207.166.103, AppStartTime: ..., FileNumber: 1263, TraceVer: 3.0`.
//! It is where a trace gets its date and UTC offset: trace lines carry only the time of day. The
//! ILS FileHead (AppId 600, its AppName) was not seen in any source [NF]; the fields are read by
//! name so that any order or extra field is accepted.

use chrono::NaiveDate;

/// The facts of a FileHead payload that ils-doctor uses. Every field is optional: a FileHead
/// missing one still gives the others.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileHead {
    /// The date of the FileHead line, in the trace's local time.
    pub date: Option<NaiveDate>,
    /// Local time minus UTC, in minutes (`UTC:-05:00` gives -300).
    pub utc_offset_min: Option<i32>,
    pub app_name: Option<String>,
    pub app_id: Option<u32>,
    pub host_name: Option<String>,
    pub host_ip: Option<String>,
}

/// Parses a FileHead payload (the part after `|FileHead |`). Total: unknown or malformed fields
/// are skipped.
pub fn parse(payload: &[u8]) -> FileHead {
    let text = String::from_utf8_lossy(payload);
    let mut head = FileHead::default();
    for field in text.split(',') {
        let Some((key, value)) = field.split_once(':') else { continue };
        let value = value.trim();
        match key.trim() {
            "UTC" => head.utc_offset_min = parse_offset(value),
            "Date" => head.date = NaiveDate::parse_from_str(value, "%Y/%m/%d").ok(),
            "AppName" => head.app_name = non_empty(value),
            "AppId" => head.app_id = value.parse().ok(),
            "HostName" => head.host_name = non_empty(value),
            "HostIPAddress" => head.host_ip = non_empty(value),
            _ => {}
        }
    }
    head
}

fn non_empty(v: &str) -> Option<String> {
    (!v.is_empty()).then(|| v.to_string())
}

/// `-05:00`, `+05:30`, `05:30`, `0` → minutes east of UTC.
fn parse_offset(v: &str) -> Option<i32> {
    let (sign, rest) = match (v.strip_prefix('-'), v.strip_prefix('+')) {
        (Some(rest), _) => (-1, rest),
        (_, Some(rest)) => (1, rest),
        _ => (1, v),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let h: i32 = h.trim().parse().ok()?;
    let m: i32 = m.trim().parse().ok()?;
    if !(0..=14).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    h.checked_mul(60)?.checked_add(m)?.checked_mul(sign)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callmanager_sample() {
        let p = b"UTC:-05:00,Date: 2024/08/13, AppName: CCM, AppId: 100, AppNodeId: 1, AppVersion: CUCM Install=11.5.1.16900-16 Build=11.5.1.16900-16 (d3f126) memlog=20, HostName: Trainingpub115, HostIPAddress: 10.207.166.103, AppStartTime: 2024/03/17 09:26:28, FileNumber: 1263, TraceVer: 3.0";
        let h = parse(p);
        assert_eq!(h.date, NaiveDate::from_ymd_opt(2024, 8, 13));
        assert_eq!(h.utc_offset_min, Some(-300));
        assert_eq!(h.app_name.as_deref(), Some("CCM"));
        assert_eq!(h.app_id, Some(100));
        assert_eq!(h.host_name.as_deref(), Some("Trainingpub115"));
        assert_eq!(h.host_ip.as_deref(), Some("10.207.166.103"));
    }

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("+05:30"), Some(330));
        assert_eq!(parse_offset("00:00"), Some(0));
        assert_eq!(parse_offset("-5"), Some(-300));
        assert_eq!(parse_offset("+99:00"), None);
        assert_eq!(parse_offset(""), None);
    }

    #[test]
    fn garbage_gives_empty_head() {
        assert_eq!(parse(b"\xff\xfe,,::,Date: 2024/13/45"), FileHead::default());
    }
}
