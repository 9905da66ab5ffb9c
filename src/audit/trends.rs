//! Trends from the history database: per pair a sparkline of its status in the last runs, per
//! network the number of failing links (warning or critical) in each run. Drawn as small inline
//! SVGs for the HTML pages and as text for Markdown. Deterministic: the same runs give the same
//! pictures. Everything but [`load`] is pure.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::history::{History, HistoryError, PairPoint};
use super::map::{colour, xml};
use crate::analyze::Status;

/// Runs a sparkline shows.
pub const RUNS: usize = 30;

const BAR_W: u32 = 4;
const SPARK_H: u32 = 16;
const CHART_BAR_W: u32 = 8;
const CHART_H: u32 = 40;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PairTrend {
    pub network: String,
    pub hub: String,
    pub spoke: String,
    /// One per run of [`Trends::runs`], oldest first; None when the run did not have the pair.
    pub statuses: Vec<Option<Status>>,
    /// Inline SVG (escaped here).
    pub svg: String,
    /// The same as text, one character per run.
    pub text: String,
    pub latest: Option<Status>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NetworkTrend {
    pub network: String,
    /// Failing links per run, oldest first; None when the run did not have the network.
    pub failing: Vec<Option<usize>>,
    pub svg: String,
    pub text: String,
    pub latest: Option<usize>,
    pub most: usize,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Trends {
    /// When each run started (RFC 3339), oldest first.
    pub runs: Vec<String>,
    pub pairs: Vec<PairTrend>,
    pub networks: Vec<NetworkTrend>,
}

impl Trends {
    pub fn pair(&self, network: &str, hub: &str, spoke: &str) -> Option<&PairTrend> {
        self.pairs.iter().find(|p| p.network == network && p.hub == hub && p.spoke == spoke)
    }

    pub fn network(&self, network: &str) -> Option<&NetworkTrend> {
        self.networks.iter().find(|n| n.network == network)
    }
}

/// The last `runs` runs of the history, every pair.
pub fn load(h: &History, runs: usize) -> Result<Trends, HistoryError> {
    load_filtered(h, runs, None, None)
}

/// As [`load`], keeping the pairs `cluster` is the hub or the spoke of, and runs since `since`.
pub fn load_filtered(
    h: &History,
    runs: usize,
    cluster: Option<&str>,
    since: Option<DateTime<Utc>>,
) -> Result<Trends, HistoryError> {
    let heads = h.recent_runs(runs, since)?;
    let mut points = h.pair_points(&heads)?;
    if let Some(c) = cluster {
        points.retain(|(_, _, hub, spoke, _)| hub == c || spoke == c);
    }
    Ok(build(&heads, &points))
}

/// Trends from runs (id, started; oldest first) and pair points (run id, network, hub, spoke,
/// status).
pub fn build(runs: &[(i64, String)], points: &[PairPoint]) -> Trends {
    let position: BTreeMap<i64, usize> = runs.iter().enumerate().map(|(k, (id, _))| (*id, k)).collect();
    let started: Vec<String> = runs.iter().map(|(_, s)| s.clone()).collect();
    let mut pairs: BTreeMap<(&str, &str, &str), Vec<Option<Status>>> = BTreeMap::new();
    for (run, network, hub, spoke, status) in points {
        let Some(&k) = position.get(run) else { continue };
        let row = pairs.entry((network, hub, spoke)).or_insert_with(|| vec![None; runs.len()]);
        if let Some(slot) = row.get_mut(k) {
            *slot = Some(*status);
        }
    }
    let mut networks: BTreeMap<&str, Vec<Option<usize>>> = BTreeMap::new();
    for ((network, _, _), statuses) in &pairs {
        let counts = networks.entry(network).or_insert_with(|| vec![None; runs.len()]);
        for (slot, s) in counts.iter_mut().zip(statuses) {
            if let Some(s) = s {
                let failing = usize::from(matches!(s, Status::Warning | Status::Critical));
                *slot = Some(slot.unwrap_or(0).saturating_add(failing));
            }
        }
    }
    Trends {
        pairs: pairs
            .iter()
            .map(|((network, hub, spoke), statuses)| PairTrend {
                network: network.to_string(),
                hub: hub.to_string(),
                spoke: spoke.to_string(),
                svg: sparkline(&format!("{hub} <- {spoke}"), statuses, &started),
                text: spark_text(statuses),
                latest: statuses.last().copied().flatten(),
                statuses: statuses.clone(),
            })
            .collect(),
        networks: networks
            .iter()
            .map(|(network, failing)| NetworkTrend {
                network: network.to_string(),
                svg: failing_chart(network, failing, &started),
                text: failing_text(failing),
                latest: failing.last().copied().flatten(),
                most: failing.iter().flatten().copied().max().unwrap_or(0),
                failing: failing.clone(),
            })
            .collect(),
        runs: started,
    }
}

fn bar_height(s: Status) -> u32 {
    match s {
        Status::Ok => 5,
        Status::Unknown => 8,
        Status::Warning => 11,
        Status::Critical => SPARK_H,
    }
}

fn px(k: usize, w: u32) -> u32 {
    u32::try_from(k).unwrap_or(u32::MAX).saturating_mul(w)
}

/// One bar per run, oldest on the left: its height and colour say the status (ok low and
/// green, unknown grey, warning amber, critical full height and red); a run without the pair is
/// a grey dot. Each bar's tooltip names the run and the status.
pub fn sparkline(subject: &str, statuses: &[Option<Status>], runs: &[String]) -> String {
    let width = px(statuses.len(), BAR_W).max(BAR_W);
    let mut s = format!(
        "<svg class=\"spark\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{SPARK_H}\" viewBox=\"0 0 {width} {SPARK_H}\" role=\"img\" aria-label=\"{}\">",
        xml(&format!("{subject}: status in the last {} run(s), oldest first", statuses.len()))
    );
    for (k, st) in statuses.iter().enumerate() {
        let x = px(k, BAR_W);
        let when = runs.get(k).map(String::as_str).unwrap_or_default();
        match st {
            Some(st) => {
                let h = bar_height(*st);
                let _ = write!(
                    s,
                    "<rect class=\"run {}\" x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{h}\" fill=\"{}\"><title>{}</title></rect>",
                    st.as_str(),
                    SPARK_H.saturating_sub(h),
                    BAR_W.saturating_sub(1),
                    colour(*st),
                    xml(&format!("{when}: {}", st.as_str()))
                );
            }
            None => {
                let _ = write!(
                    s,
                    "<rect class=\"run absent\" x=\"{x}\" y=\"{}\" width=\"{}\" height=\"1\" fill=\"#c8c8c8\"><title>{}</title></rect>",
                    SPARK_H.saturating_sub(1),
                    BAR_W.saturating_sub(1),
                    xml(&format!("{when}: not in this run"))
                );
            }
        }
    }
    s.push_str("</svg>");
    s
}

/// One character per run: `▁` ok, `▃` unknown, `▅` warning, `█` critical, `·` absent.
pub fn spark_text(statuses: &[Option<Status>]) -> String {
    statuses
        .iter()
        .map(|s| match s {
            Some(Status::Ok) => '▁',
            Some(Status::Unknown) => '▃',
            Some(Status::Warning) => '▅',
            Some(Status::Critical) => '█',
            None => '·',
        })
        .collect()
}

/// Failing links per run as bars scaled to the largest count (red when above zero, a green
/// line at zero, nothing for a run without the network), with the largest count written at
/// the top left.
pub fn failing_chart(network: &str, failing: &[Option<usize>], runs: &[String]) -> String {
    let most = failing.iter().flatten().copied().max().unwrap_or(0).max(1);
    let width = px(failing.len(), CHART_BAR_W).saturating_add(24).max(48);
    let top = 10u32;
    let room = CHART_H.saturating_sub(top);
    let mut s = format!(
        "<svg class=\"failing\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{CHART_H}\" viewBox=\"0 0 {width} {CHART_H}\" role=\"img\" aria-label=\"{}\">",
        xml(&format!("{network}: failing links in the last {} run(s), oldest first", failing.len()))
    );
    let _ = write!(s, "<text x=\"0\" y=\"8\" font-size=\"9\" font-family=\"monospace\" fill=\"#59636e\">{most}</text>");
    for (k, n) in failing.iter().enumerate() {
        let x = px(k, CHART_BAR_W).saturating_add(20);
        let when = runs.get(k).map(String::as_str).unwrap_or_default();
        let Some(n) = n else { continue };
        let h = if *n == 0 {
            1
        } else {
            // n ≤ most, so the bar fits the room.
            let scaled = u64::from(room)
                .saturating_mul(u64::try_from(*n).unwrap_or(u64::MAX))
                .checked_div(u64::try_from(most).unwrap_or(1))
                .unwrap_or(0);
            u32::try_from(scaled).unwrap_or(room).clamp(2, room)
        };
        let fill = if *n == 0 { colour(Status::Ok) } else { colour(Status::Critical) };
        let _ = write!(
            s,
            "<rect class=\"run\" x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{h}\" fill=\"{fill}\"><title>{}</title></rect>",
            CHART_H.saturating_sub(h),
            CHART_BAR_W.saturating_sub(2),
            xml(&format!("{when}: {n} failing link(s)"))
        );
    }
    s.push_str("</svg>");
    s
}

/// The counts as text, oldest first (`-` for a run without the network).
pub fn failing_text(failing: &[Option<usize>]) -> String {
    failing.iter().map(|n| n.map_or("-".to_string(), |n| n.to_string())).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(n: i64) -> Vec<(i64, String)> {
        (1..=n).map(|i| (i, format!("2026-01-01T{:02}:00:00.000Z", i))).collect()
    }

    fn p(run: i64, hub: &str, spoke: &str, s: Status) -> (i64, String, String, String, Status) {
        (run, "net1".into(), hub.into(), spoke.into(), s)
    }

    #[test]
    fn a_sequence_of_runs_becomes_bars_in_order() {
        use Status::*;
        let seq = [Ok, Ok, Critical, Warning, Unknown, Ok];
        let mut points: Vec<_> = seq.iter().enumerate().map(|(k, s)| p(k as i64 + 1, "hub-a", "s1", *s)).collect();
        points.push(p(3, "hub-a", "s2", Critical));
        let t = build(&runs(6), &points);
        let s1 = t.pair("net1", "hub-a", "s1").unwrap();
        assert_eq!(s1.statuses, seq.iter().copied().map(Some).collect::<Vec<_>>());
        assert_eq!(s1.text, "▁▁█▅▃▁");
        assert_eq!(s1.latest, Some(Ok));
        let classes: Vec<&str> = s1.svg.match_indices("class=\"run ").map(|(i, _)| &s1.svg[i + 11..][..4]).collect();
        assert_eq!(classes, ["ok\" ", "ok\" ", "crit", "warn", "unkn", "ok\" "]);
        let s2 = t.pair("net1", "hub-a", "s2").unwrap();
        assert_eq!(s2.text, "··█···");
        assert_eq!(s2.svg.matches("run absent").count(), 5);
        let net = t.network("net1").unwrap();
        assert_eq!(net.failing, vec![Some(0), Some(0), Some(2), Some(1), Some(0), Some(0)]);
        assert_eq!((net.text.as_str(), net.most, net.latest), ("0 0 2 1 0 0", 2, Some(0)));
        // Deterministic, and well-formed.
        assert_eq!(build(&runs(6), &points), t);
        for svg in [&s1.svg, &net.svg] {
            let mut r = quick_xml::Reader::from_str(svg);
            while !matches!(r.read_event().unwrap(), quick_xml::events::Event::Eof) {}
        }
    }

    #[test]
    fn the_sparkline_follows_the_runs_recorded_in_the_history_and_keeps_the_last_30() {
        use crate::audit::testdata::simple;
        use Status::*;
        let dir = tempfile::tempdir().unwrap();
        let mut h = History::open(&dir.path().join("h.sqlite")).unwrap();
        let seq = [Ok, Critical, Critical, Warning, Ok, Unknown, Ok];
        // 33 runs: the first 26 ok, then the sequence; recorded out of order on purpose.
        let mut runs: Vec<(String, Status)> =
            (0..26).map(|k| (format!("2026-01-01T{:02}:{:02}:00Z", k / 60, k % 60), Ok)).collect();
        runs.extend(seq.iter().enumerate().map(|(k, s)| (format!("2026-01-02T00:{k:02}:00Z"), *s)));
        for (started, st) in runs.iter().rev() {
            h.record(&simple(started, Ok, Ok, *st, Critical)).unwrap();
        }
        let t = load(&h, RUNS).unwrap();
        assert_eq!(t.runs.len(), 30);
        assert!(t.runs[0].starts_with("2026-01-01T00:03"), "{:?}", t.runs[0]);
        let p = t.pair("net1", "hub-a", "spoke-1").unwrap();
        assert_eq!(p.text, format!("{}{}", "▁".repeat(23), "▁██▅▁▃▁"));
        assert_eq!(t.network("net1").unwrap().failing.last(), Some(&Some(1)));
        assert_eq!(t.network("net1").unwrap().failing[24], Some(2));
        let only = load_filtered(&h, 5, Some("spoke-2"), None).unwrap();
        assert_eq!((only.pairs.len(), only.runs.len()), (1, 5));
    }

    #[test]
    fn hostile_names_are_escaped_in_the_svg() {
        let points = vec![(1, "<n>".to_string(), "<script>\"".to_string(), "s\u{202E}".to_string(), Status::Ok)];
        let t = build(&runs(1), &points);
        assert!(!t.pairs[0].svg.contains("<script") && !t.networks[0].svg.contains("<n>"));
    }
}
