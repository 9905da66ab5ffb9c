//! Parsing `--from` / `--to`.
//!
//! Accepted: RFC 3339 with an offset (`2026-11-25T10:00:00+01:00`, an instant), or a wall-clock
//! time without one (`2026-11-25 10:00`, `2026-11-25T10:00:30`, `2026-11-25`), which is compared
//! with each trace's own local time, the time an engineer reads on the publisher.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use crate::analyze::TimeBound;

pub fn parse(value: &str) -> Result<TimeBound, String> {
    let v = value.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(v) {
        return Ok(TimeBound::Utc(dt.timestamp_millis()));
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(v, fmt) {
            return Ok(TimeBound::Local(dt));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        if let Some(dt) = d.and_hms_opt(0, 0, 0) {
            return Ok(TimeBound::Local(dt));
        }
    }
    Err("expected RFC 3339 (2026-11-25T10:00:00+01:00) or a local time (2026-11-25 10:00)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(parse("1970-01-01T01:00:00+01:00"), Ok(TimeBound::Utc(0)));
        assert!(matches!(parse("2026-11-25 10:00"), Ok(TimeBound::Local(_))));
        assert!(matches!(parse("2026-11-25T10:00:30.5"), Ok(TimeBound::Local(_))));
        assert!(matches!(parse("2026-11-25"), Ok(TimeBound::Local(_))));
        assert!(parse("yesterday").is_err());
    }
}
