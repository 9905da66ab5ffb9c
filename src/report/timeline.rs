//! The geometry of the HTML report's timeline: one lane per spoke/hub pair, one mark per attempt
//! placed in time. Computed here (pure, tested) so the template only draws what it is given.
//!
//! Marks differ in shape as well as colour (success a circle, failure a cross, incomplete a
//! diamond), so the picture reads in greyscale and for colour-blind readers.

use chrono::DateTime;
use serde::Serialize;

use crate::analyze::model::Analysis;
use crate::analyze::{Outcome, Status};

/// Drawing area, in SVG user units.
pub const WIDTH: f64 = 960.0;
const LEFT: f64 = 230.0;
const RIGHT: f64 = 30.0;
const TOP: f64 = 30.0;
const LANE_HEIGHT: f64 = 44.0;
const AXIS_HEIGHT: f64 = 40.0;

#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub width: f64,
    pub height: f64,
    pub plot_left: f64,
    pub plot_right: f64,
    pub axis_y: f64,
    pub lanes: Vec<Lane>,
    pub marks: Vec<Mark>,
    pub ticks: Vec<Tick>,
    /// Whether the times are on one clock basis (dates known) or times of day only.
    pub dated: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Lane {
    pub y: f64,
    pub label: String,
    pub status: Status,
}

#[derive(Debug, Clone, Serialize)]
pub struct Mark {
    pub attempt: usize,
    pub x: f64,
    pub y: f64,
    /// `success`, `failure` or `incomplete`: the CSS class and the shape.
    pub outcome: Outcome,
    /// Tooltip: time, outcome, cause.
    pub title: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tick {
    pub x: f64,
    pub label: String,
}

/// Milliseconds of an attempt: its instant when dated, else its time of day.
fn attempt_ms(at: Option<&str>, tod: Option<&str>) -> Option<(i64, bool)> {
    if let Some(t) = at.and_then(|a| DateTime::parse_from_rfc3339(a).ok()) {
        return Some((t.timestamp_millis(), true));
    }
    let tod = tod?;
    let (hms, ms) = tod.split_once('.').unwrap_or((tod, "0"));
    let mut parts = hms.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    let ms = ms.parse::<i64>().ok()?;
    let t = h.checked_mul(60)?.checked_add(m)?.checked_mul(60)?.checked_add(s)?.checked_mul(1000)?.checked_add(ms)?;
    Some((t, false))
}

fn lane_label(spoke: Option<&str>, hub: Option<&str>) -> String {
    format!("{} → {}", spoke.unwrap_or("spoke ?"), hub.unwrap_or("hub ?"))
}

pub fn layout(a: &Analysis) -> Timeline {
    let lanes: Vec<Lane> = a
        .pairs
        .iter()
        .enumerate()
        .map(|(i, p)| Lane {
            y: TOP + LANE_HEIGHT * (i as f64 + 0.5),
            label: lane_label(p.spoke.as_deref(), p.hub.as_deref()),
            status: p.status,
        })
        .collect();
    let times: Vec<Option<(i64, bool)>> =
        a.attempts.iter().map(|x| attempt_ms(x.at.as_deref(), x.time_of_day.as_deref())).collect();
    let dated = times.iter().flatten().all(|(_, d)| *d);
    let known: Vec<i64> = times.iter().flatten().map(|(t, _)| *t).collect();
    let (mut lo, mut hi) = (known.iter().copied().min().unwrap_or(0), known.iter().copied().max().unwrap_or(0));
    if hi.saturating_sub(lo) < 60_000 {
        // A single moment: show a minute around it.
        lo = lo.saturating_sub(30_000);
        hi = hi.saturating_add(30_000);
    }
    let plot_right = WIDTH - RIGHT;
    let span = hi.saturating_sub(lo);
    let x_of = |t: i64| LEFT + t.saturating_sub(lo) as f64 / span as f64 * (plot_right - LEFT);
    let marks = a
        .attempts
        .iter()
        .zip(&times)
        .filter_map(|(x, t)| {
            let lane = a.pairs.iter().position(|p| p.hub == x.hub && p.spoke == x.spoke)?;
            let (ms, _) = (*t)?;
            let outcome = match x.outcome {
                Outcome::Success => "success",
                Outcome::Failure => "failure",
                Outcome::Incomplete => "incomplete",
            };
            let when = x.time_of_day.clone().unwrap_or_default();
            let cause = x.root_cause.map(|c| format!(": {}", c.words())).unwrap_or_default();
            Some(Mark {
                attempt: x.id,
                x: round(x_of(ms)),
                y: lanes.get(lane)?.y,
                outcome: x.outcome,
                title: format!("Attempt {} at {when}: {outcome}{cause}", x.id),
            })
        })
        .collect();
    let ticks = (0..=4)
        .map(|i| {
            let t = lo.saturating_add(span.saturating_mul(i) / 4);
            Tick { x: round(x_of(t)), label: tick_label(t, dated, a) }
        })
        .collect();
    let axis_y = TOP + LANE_HEIGHT * lanes.len().max(1) as f64;
    Timeline {
        width: WIDTH,
        height: axis_y + AXIS_HEIGHT,
        plot_left: LEFT,
        plot_right,
        axis_y,
        lanes,
        marks,
        ticks,
        dated,
    }
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// Tick labels in the first trace's local time when dated, else as times of day.
fn tick_label(t: i64, dated: bool, a: &Analysis) -> String {
    if !dated {
        let t = t.rem_euclid(86_400_000);
        return format!("{:02}:{:02}:{:02}", t / 3_600_000, t / 60_000 % 60, t / 1000 % 60);
    }
    let offset_min = a.traces.iter().find_map(|t| t.utc_offset.as_deref()).and_then(parse_offset).unwrap_or(0);
    let local = t.saturating_add(i64::from(offset_min).saturating_mul(60_000));
    let day = local.rem_euclid(86_400_000);
    format!("{:02}:{:02}:{:02}", day / 3_600_000, day / 60_000 % 60, day / 1000 % 60)
}

fn parse_offset(s: &str) -> Option<i32> {
    let sign = if s.starts_with('-') { -1 } else { 1 };
    let (h, m) = s.trim_start_matches(['+', '-']).split_once(':')?;
    h.parse::<i32>().ok()?.checked_mul(60)?.checked_add(m.parse::<i32>().ok()?)?.checked_mul(sign)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_attempts() {
        assert_eq!(attempt_ms(Some("1970-01-01T00:00:01.500+00:00"), None), Some((1500, true)));
        assert_eq!(attempt_ms(None, Some("01:00:00.250")), Some((3_600_250, false)));
        assert_eq!(attempt_ms(None, Some("garbage")), None);
        assert_eq!(parse_offset("-05:30"), Some(-330));
    }
}
