//! Midnight roll-over: turning a file's times of day into (day, time) stamps.
//!
//! SDL lines carry only the time of day; a file can run past midnight and CUCM starts a new file
//! at midnight (docs/cucm-notes.md#trace-rollover, third-party). The clock follows the times it is shown
//! in file order and counts a new day when the time jumps back by more than an hour. Small
//! backward steps (threads writing a few milliseconds out of order) are not a new day.

/// A time in a trace file: the number of midnights passed since the file's first line, and the
/// time of day in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    /// Midnights since the file's first line; -1 for a line from before it written late.
    pub day: i32,
    pub time_ms: u32,
}

const HOUR_MS: u32 = 3_600_000;

/// Follows one file's times in order.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    day: i32,
    last_ms: Option<u32>,
}

impl Clock {
    /// A clock that continues from a previous file's last stamp.
    pub fn continuing(from: Stamp) -> Self {
        Clock { day: from.day, last_ms: Some(from.time_ms) }
    }

    /// Records a time seen in the file and returns its stamp.
    pub fn observe(&mut self, time_ms: u32) -> Stamp {
        match self.last_ms {
            Some(last) if time_ms.saturating_add(HOUR_MS) < last => {
                self.day = self.day.saturating_add(1);
                self.last_ms = Some(time_ms);
            }
            // A line from just before midnight written after the first line of the new day (or
            // of a file that starts at midnight): it belongs to the previous day and does not
            // move the clock.
            Some(last) if time_ms > last.saturating_add(23 * HOUR_MS) => {
                return Stamp { day: self.day.saturating_sub(1), time_ms };
            }
            _ => self.last_ms = Some(time_ms),
        }
        Stamp { day: self.day, time_ms }
    }

    /// The last stamp the clock moved to, if any.
    pub fn last(&self) -> Option<Stamp> {
        self.last_ms.map(|time_ms| Stamp { day: self.day, time_ms })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(h: u32, m: u32, s: u32) -> u32 {
        ((h * 60 + m) * 60 + s) * 1000
    }

    #[test]
    fn counts_midnights() {
        let mut c = Clock::default();
        assert_eq!(c.observe(ms(23, 59, 58)).day, 0);
        assert_eq!(c.observe(ms(23, 59, 58) - 5).day, 0, "jitter is not a new day");
        assert_eq!(c.observe(ms(0, 0, 1)).day, 1);
        assert_eq!(c.observe(ms(23, 59, 59)), Stamp { day: 0, time_ms: ms(23, 59, 59) });
        assert_eq!(c.observe(ms(0, 0, 2)).day, 1);
        assert_eq!(c.observe(ms(12, 0, 0)).day, 1);
        assert_eq!(c.observe(ms(0, 0, 0)).day, 2);
    }

    #[test]
    fn a_late_line_from_before_midnight_at_a_file_start() {
        // CUCM starts a file at midnight; a thread's line from 23:59:59.950 comes after it.
        let mut c = Clock::default();
        assert_eq!(c.observe(206).day, 0);
        assert_eq!(c.observe(ms(23, 59, 59) + 950), Stamp { day: -1, time_ms: ms(23, 59, 59) + 950 });
        assert_eq!(c.observe(300).day, 0, "the file stays on its own date");
    }

    #[test]
    fn continues_across_files() {
        let mut c = Clock::continuing(Stamp { day: 0, time_ms: ms(23, 59, 59) });
        assert_eq!(c.observe(ms(0, 0, 0)).day, 1);
    }
}
