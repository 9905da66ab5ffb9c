//! Joining the hub's and the spoke's view of the same registration attempt, and estimating how
//! far apart their clocks are.
//!
//! Hub and spoke clocks differ (docs/cucm-notes.md#clock-skew: by milliseconds in the technote, by anything where
//! NTP is broken), so the join is by connection first: the hub's lines name the spoke's address
//! and ephemeral port, the spoke's `ConnectRes`/`ConnectIndInner` lines name its own. Each such
//! exact match gives a clock sample; their median is the skew. Episodes the connection cannot
//! join (failures stop before the spoke logs its port) are then joined by time, after correcting
//! for the skew, within [`TIME_TOLERANCE_MS`], and only when their addresses do not contradict.

use std::collections::{HashMap, HashSet};

use super::event::When;
use super::types::Side;

/// How far apart (after skew correction) two episodes may start and still be one attempt.
pub const TIME_TOLERANCE_MS: i64 = 3_000;

/// The most two views of one connection may be apart (clock skew included).
pub const EXACT_MAX_APART_MS: i64 = 3_600_000;

/// What pairing needs to know of an episode.
#[derive(Debug, Clone)]
pub struct EpisodeKey {
    /// The role of the writer in the connection: hub (server) or spoke (client).
    pub role: Side,
    /// Which trace (host) wrote it.
    pub trace: usize,
    pub start: Option<When>,
    pub hub_ip: Option<String>,
    pub spoke_ip: Option<String>,
    /// The spoke's ephemeral port.
    pub spoke_port: Option<u16>,
}

/// How an attempt's two sides were joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// Same spoke address and ephemeral port on both sides.
    Connection,
    /// Close in time after skew correction, addresses compatible.
    Time,
    /// Only one side logged the attempt (or only one side's traces were given).
    OneSide,
}

/// One attempt: the hub-role episode and/or the spoke-role episode (indexes into the keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub hub: Option<usize>,
    pub spoke: Option<usize>,
    pub kind: LinkKind,
}

/// The estimated clock difference between a hub trace and a spoke trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skew {
    pub hub_trace: usize,
    pub spoke_trace: usize,
    /// Hub clock minus spoke clock, milliseconds (median of the samples).
    pub hub_minus_spoke_ms: i64,
    pub samples: usize,
}

fn same(a: &Option<String>, b: &Option<String>) -> bool {
    a.is_some() && a == b
}

fn compatible(a: &Option<String>, b: &Option<String>) -> bool {
    a.is_none() || b.is_none() || a == b
}

/// Joins episodes into attempts and estimates the skew between each pair of traces.
pub fn pair(keys: &[EpisodeKey]) -> (Vec<Link>, Vec<Skew>) {
    let of_role =
        |role: Side| -> Vec<(usize, &EpisodeKey)> { keys.iter().enumerate().filter(|(_, k)| k.role == role).collect() };
    let hubs = of_role(Side::Hub);
    let spokes = of_role(Side::Spoke);
    let mut hub_taken: HashSet<usize> = HashSet::new();
    let mut spoke_taken: HashSet<usize> = HashSet::new();
    let mut links = Vec::new();
    let mut samples: HashMap<(usize, usize), Vec<i64>> = HashMap::new();

    // 1. Exact: same hub, spoke and ephemeral port, the closest in time (ports are reused over
    // days, so a match further apart than an hour is another connection).
    for &(s, sk) in &spokes {
        let Some(port) = sk.spoke_port else { continue };
        let distance = |hk: &EpisodeKey| match (hk.start, sk.start) {
            (Some(a), Some(b)) => a.diff_ms(&b).abs(),
            _ => 0,
        };
        let found = hubs
            .iter()
            .copied()
            .filter(|&(h, hk)| {
                !hub_taken.contains(&h)
                    && hk.spoke_port == Some(port)
                    && same(&hk.spoke_ip, &sk.spoke_ip)
                    && compatible(&hk.hub_ip, &sk.hub_ip)
                    && distance(hk) <= EXACT_MAX_APART_MS
            })
            .min_by_key(|&(_, hk)| distance(hk));
        if let Some((h, hk)) = found {
            hub_taken.insert(h);
            spoke_taken.insert(s);
            links.push(Link { hub: Some(h), spoke: Some(s), kind: LinkKind::Connection });
            if let (Some(a), Some(b)) = (hk.start, sk.start) {
                samples.entry((hk.trace, sk.trace)).or_default().push(a.diff_ms(&b));
            }
        }
    }
    let mut skews: Vec<Skew> = samples
        .into_iter()
        .filter_map(|((hub_trace, spoke_trace), mut v)| {
            v.sort_unstable();
            let median = *v.get(v.len() / 2)?;
            Some(Skew { hub_trace, spoke_trace, hub_minus_spoke_ms: median, samples: v.len() })
        })
        .collect();
    skews.sort_by_key(|s| (s.hub_trace, s.spoke_trace));
    let skew_of = |h: usize, s: usize| {
        skews.iter().find(|k| k.hub_trace == h && k.spoke_trace == s).map_or(0, |k| k.hub_minus_spoke_ms)
    };

    // 2. By time, closest first.
    let mut candidates: Vec<(i64, usize, usize)> = Vec::new();
    for &(h, hk) in hubs.iter().filter(|(h, _)| !hub_taken.contains(h)) {
        for &(s, sk) in spokes.iter().filter(|(s, _)| !spoke_taken.contains(s)) {
            if !compatible(&hk.hub_ip, &sk.hub_ip) || !compatible(&hk.spoke_ip, &sk.spoke_ip) {
                continue;
            }
            if let (Some(ports_h), Some(ports_s)) = (hk.spoke_port, sk.spoke_port) {
                if ports_h != ports_s {
                    continue;
                }
            }
            let (Some(a), Some(b)) = (hk.start, sk.start) else { continue };
            let d = a.diff_ms(&b).saturating_sub(skew_of(hk.trace, sk.trace)).abs();
            if d <= TIME_TOLERANCE_MS {
                candidates.push((d, h, s));
            }
        }
    }
    candidates.sort_unstable();
    for (_, h, s) in candidates {
        if !hub_taken.contains(&h) && !spoke_taken.contains(&s) {
            hub_taken.insert(h);
            spoke_taken.insert(s);
            links.push(Link { hub: Some(h), spoke: Some(s), kind: LinkKind::Time });
        }
    }

    // 3. The rest stand alone.
    for &(h, _) in &hubs {
        if !hub_taken.contains(&h) {
            links.push(Link { hub: Some(h), spoke: None, kind: LinkKind::OneSide });
        }
    }
    for &(s, _) in &spokes {
        if !spoke_taken.contains(&s) {
            links.push(Link { hub: None, spoke: Some(s), kind: LinkKind::OneSide });
        }
    }
    (links, skews)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(role: Side, trace: usize, ms: u32, hub: &str, spoke: &str, port: Option<u16>) -> EpisodeKey {
        EpisodeKey {
            role,
            trace,
            start: Some(When { utc_ms: None, offset_min: None, local: None, tod_ms: ms, day: 0 }),
            hub_ip: Some(hub.into()),
            spoke_ip: Some(spoke.into()),
            spoke_port: port,
        }
    }

    #[test]
    fn exact_matches_give_the_skew_and_time_matches_use_it() {
        // The spoke's clock is 2.5 s behind the hub's.
        let keys = vec![
            key(Side::Hub, 0, 10_000, "h", "s", Some(40000)),
            key(Side::Spoke, 1, 7_500, "h", "s", Some(40000)),
            key(Side::Hub, 0, 70_010, "h", "s", Some(40001)),
            key(Side::Spoke, 1, 67_500, "h", "s", None),
            key(Side::Spoke, 1, 69_000, "h", "other-spoke", None),
            key(Side::Hub, 0, 200_000, "h", "s", Some(40002)),
        ];
        let (links, skews) = pair(&keys);
        assert_eq!(skews, vec![Skew { hub_trace: 0, spoke_trace: 1, hub_minus_spoke_ms: 2_500, samples: 1 }]);
        assert!(links.contains(&Link { hub: Some(0), spoke: Some(1), kind: LinkKind::Connection }));
        assert!(links.contains(&Link { hub: Some(2), spoke: Some(3), kind: LinkKind::Time }));
        assert!(links.contains(&Link { hub: None, spoke: Some(4), kind: LinkKind::OneSide }));
        assert!(links.contains(&Link { hub: Some(5), spoke: None, kind: LinkKind::OneSide }));
        assert_eq!(links.len(), 4);
    }

    #[test]
    fn a_reused_port_hours_later_is_another_connection() {
        let keys = vec![
            key(Side::Spoke, 1, 10_000, "h", "s", Some(40000)),
            key(Side::Hub, 0, 43_210_000, "h", "s", Some(40000)),
            key(Side::Hub, 0, 10_020, "h", "s", Some(40000)),
        ];
        let (links, skews) = pair(&keys);
        assert!(links.contains(&Link { hub: Some(2), spoke: Some(0), kind: LinkKind::Connection }), "{links:?}");
        assert_eq!(skews[0].hub_minus_spoke_ms, 20);
    }
}
