//! One file's matched lines, sorted while scanning: attempt lines kept, routine lines counted.
//!
//! The scanner hands every line that holds a catalog anchor to a [`FileFilter`]. It matches the
//! line to its signature and feeds it to a [`Tracker`] per writer role. Lines that belong to an
//! attempt are kept as [`RawHit`]s for the analysis of the whole trace; routine lines (activity)
//! only increment a counter per role, peer and signature. So a file's memory is what its attempts
//! need, whatever share of its lines are ILS traffic.

use super::catalog::Catalog;
use super::episode::is_ils_port;
use super::event::{ActivityCount, RawHit};
use super::tracker::{Line, Out, Tracker};
use super::types::{Side, SideSpec};
use crate::parse::{Hit, Stamp};

/// Longest line text kept as evidence (bytes, cut at a character boundary).
pub const MAX_EVIDENCE_LINE: usize = 1024;
/// Lines kept for the trace's pass because their connection may have opened in the file before.
pub const MAX_UNCLAIMED: usize = 256;
/// A file's kept lines: beyond twice this the oldest half goes (the newest attempt decides).
pub const MAX_KEPT_PER_FILE: usize = 10_000;

const DAY_MS: i64 = 86_400_000;

/// Sorts one file's matched lines.
pub struct FileFilter<'c> {
    catalog: &'c Catalog,
    side: Side,
    // Boxed: a line moves through the tracker's queues several times, and a box moves as a
    // pointer (a `RawHit` is a few hundred bytes).
    hub: Tracker<Box<RawHit>>,
    spoke: Tracker<Box<RawHit>>,
    sink: Sink,
}

#[derive(Default)]
struct Sink {
    kept: Vec<RawHit>,
    dropped: u64,
    unclaimed: usize,
    activity: std::collections::HashMap<(Side, Option<String>, usize), ActivityCount, ahash::RandomState>,
    /// Activity that names no peer, per role and signature: the common case, without hashing.
    unnamed: [Vec<Option<ActivityCount>>; 2],
    /// Hits that went to activity, kept for their buffers; boxed, as the tracker moves them.
    #[allow(clippy::vec_box)]
    spare: Vec<Box<RawHit>>,
}

impl<'c> FileFilter<'c> {
    /// `side` is the side the user said the file belongs to.
    pub fn new(catalog: &'c Catalog, side: Side) -> Self {
        let early = super::tracker::SPOKE_LIFETIME_MS;
        FileFilter {
            catalog,
            side,
            hub: Tracker::new(Side::Hub).keep_early_until(early),
            spoke: Tracker::new(Side::Spoke).keep_early_until(early),
            sink: Sink::default(),
        }
    }

    /// One line that holds an anchor.
    pub fn push(&mut self, h: Hit<'_>) {
        let Some((sig, fields)) = self.catalog.match_hit(h.line, h.anchor) else { return };
        let Some(s) = self.catalog.get(sig) else { return };
        let role = writer_role(s.side, fields.peer_port, self.side);
        let mut hit = self.sink.spare.pop().unwrap_or_else(|| {
            Box::new(RawHit {
                line_no: 0,
                stamp: None,
                seq: None,
                sig: 0,
                fields: Default::default(),
                text: String::new(),
            })
        });
        hit.line_no = h.line_no;
        hit.stamp = h.stamp;
        hit.seq = h.header.map(|h| h.seq);
        hit.sig = sig;
        evidence_text(h.line, &mut hit.text);
        let t_ms = h.stamp.map(stamp_ms);
        let line = Line { role: s.role, fact: s.fact, seq: hit.seq, t_ms, fields: &fields };
        let sink = &mut self.sink;
        let mut out = |o: Out<Box<RawHit>>| sink.take(o, role);
        let tracker = match role {
            Side::Hub => &mut self.hub,
            Side::Spoke => &mut self.spoke,
        };
        // A recycled hit's strings keep their buffers.
        hit.fields.clone_from(&fields);
        tracker.push(line, hit, &mut out);
    }

    /// The kept lines in file order, the activity counts, and how many kept lines were dropped
    /// to stay in bounds.
    pub fn finish(self) -> (Vec<RawHit>, Vec<ActivityCount>, u64) {
        let mut sink = self.sink;
        self.hub.finish(&mut |o| sink.take(o, Side::Hub));
        self.spoke.finish(&mut |o| sink.take(o, Side::Spoke));
        sink.kept.sort_by_key(|h| h.line_no);
        let unnamed = std::mem::take(&mut sink.unnamed);
        let mut activity: Vec<ActivityCount> = sink.activity.into_values().collect();
        activity.extend(unnamed.into_iter().flatten().flatten());
        activity.sort_by(|a, b| (a.role, &a.peer, a.sig).cmp(&(b.role, &b.peer, b.sig)));
        (sink.kept, activity, sink.dropped)
    }
}

impl Sink {
    fn take(&mut self, o: Out<Box<RawHit>>, role: Side) {
        match o {
            Out::Episode(ep) => {
                for hit in ep.hits {
                    self.keep(hit);
                }
                // Lines beyond the connection's kept ones still show the link is used.
                if ep.more > 0 {
                    // Counted without a time: their times are within the episode's.
                    let key = (role, None, usize::MAX);
                    let e = self.activity.entry(key).or_insert_with(|| ActivityCount::new(role, None, usize::MAX));
                    e.count = e.count.saturating_add(ep.more);
                }
            }
            Out::Unclaimed(hit) if self.unclaimed < MAX_UNCLAIMED => {
                self.unclaimed = self.unclaimed.saturating_add(1);
                self.keep(hit);
            }
            Out::Unclaimed(hit) => {
                let peer = hit.fields.peer_ip.clone();
                self.count(hit, role, peer);
            }
            Out::Activity { hit, peer } => self.count(hit, role, peer),
        }
    }

    fn keep(&mut self, hit: Box<RawHit>) {
        if self.kept.len() >= 2 * MAX_KEPT_PER_FILE {
            self.kept.sort_by_key(|h| h.line_no);
            self.kept.drain(..MAX_KEPT_PER_FILE);
            self.dropped = self.dropped.saturating_add(MAX_KEPT_PER_FILE as u64);
        }
        self.kept.push(*hit);
    }

    fn count(&mut self, hit: Box<RawHit>, role: Side, peer: Option<String>) {
        if peer.is_none() {
            let [hub, spoke] = &mut self.unnamed;
            let per_role = if role == Side::Spoke { spoke } else { hub };
            if per_role.len() <= hit.sig && hit.sig < 1 << 16 {
                // Below 2^16 (checked): one more cannot overflow.
                per_role.resize(hit.sig.saturating_add(1), None);
            }
            if let Some(slot) = per_role.get_mut(hit.sig) {
                slot.get_or_insert_with(|| ActivityCount::new(role, None, hit.sig)).add(hit.stamp);
                if self.spare.len() < 64 {
                    self.spare.push(hit);
                }
                return;
            }
        }
        let key = (role, peer, hit.sig);
        let e = match self.activity.get_mut(&key) {
            Some(e) => e,
            None => {
                let (role, peer, sig) = key;
                self.activity.entry((role, peer.clone(), sig)).or_insert_with(|| ActivityCount::new(role, peer, sig))
            }
        };
        e.add(hit.stamp);
        if self.spare.len() < 64 {
            self.spare.push(hit);
        }
    }
}

/// Which role wrote a line: the catalog's side, or for lines both sides write, the peer's port
/// (a client talks to 7501/7502, a server to the client's ephemeral port).
pub fn writer_role(spec: SideSpec, peer_port: Option<u16>, trace_side: Side) -> Side {
    match spec {
        SideSpec::Hub => Side::Hub,
        SideSpec::Spoke => Side::Spoke,
        SideSpec::Both => match peer_port {
            Some(p) if is_ils_port(p) => Side::Spoke,
            Some(_) => Side::Hub,
            None => trace_side,
        },
    }
}

fn stamp_ms(s: Stamp) -> i64 {
    // An i32 day count in milliseconds stays far inside i64.
    i64::from(s.day).saturating_mul(DAY_MS).saturating_add(i64::from(s.time_ms))
}

/// The evidence text of a line: lossy UTF-8, at most [`MAX_EVIDENCE_LINE`] bytes.
pub fn evidence_text(line: &[u8], text: &mut String) {
    text.clear();
    let cut = line.get(..MAX_EVIDENCE_LINE).unwrap_or(line);
    match std::str::from_utf8(cut) {
        Ok(s) => text.push_str(s),
        Err(_) => text.push_str(&String::from_utf8_lossy(cut)),
    }
    if text.len() > MAX_EVIDENCE_LINE {
        // Offset 0 is always a boundary.
        let end = (0..=MAX_EVIDENCE_LINE).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        text.truncate(end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Scanner;

    /// Scans `text` through a filter as the scan worker does.
    fn filter(text: &str, side: Side) -> (Vec<RawHit>, Vec<ActivityCount>, u64) {
        let catalog = Catalog::builtin();
        let pf = catalog.prefilter();
        let mut f = FileFilter::new(&catalog, side);
        Scanner::new(&pf).scan_slice(text.as_bytes(), |h| f.push(h));
        f.finish()
    }

    #[test]
    fn routine_lines_are_counted_not_kept_at_any_density() {
        let mut text = String::new();
        for i in 0..60_000u32 {
            let t = format!("{:02}:{:02}:{:02}.{:03}", 9 + i / 3_600_000, i / 60_000 % 60, i / 1000 % 60, i % 1000);
            text.push_str(&format!(
                "{:08}.001 |{t} |AppInfo  |EncrUtil Function: decryptData at line 163 succedded\n",
                i + 10
            ));
            if i % 10 == 0 {
                text.push_str(&format!("{:08}.000 |{t} |AppInfo  |IlsD Ils::ConnectInd TCPPid([1, 600, 17, 4]), PeerIP/Port(10.0.0.{}:{}), LocalIP/Port(10.0.0.1:7501) (x)\n", i + 50_000_000, i % 7 + 2, 40000 + i % 9000));
            }
        }
        let (kept, activity, dropped) = filter(&text, Side::Hub);
        // Per peer only the latest unconcluded connections stay (7 peers).
        assert!(kept.len() <= 7 * crate::analyze::tracker::UNCONCLUDED_PER_PEER, "{} kept", kept.len());
        assert_eq!(dropped, 0);
        let total: u64 = activity.iter().map(|a| a.count).sum();
        assert_eq!(total + kept.len() as u64, 66_000);
        let decrypts: u64 = activity.iter().filter(|a| a.peer.is_none()).map(|a| a.count).sum();
        assert_eq!(decrypts, 60_000);
        assert!(activity.iter().any(|a| a.peer.as_deref() == Some("10.0.0.2")));
    }

    #[test]
    fn attempt_lines_are_kept_in_file_order() {
        let text = "\
00000010.001 |09:00:00.000 |AppInfo  |EncrUtil Function: decryptData at line 163 succedded
00000011.001 |09:00:01.000 |AppInfo  |IlsD IlsHandler: Ils::wait_SdlConnectionInd(): New connection accepted. DeviceName=, TCPPid = [1.600.13.5], IPAddr=10.0.0.2, Port=40000, Controller=[1,20,1]
00000012.001 |09:00:01.001 |AppInfo  |EncrUtil Function: decryptData at line 163 succedded
00000012.002 |09:00:01.001 |AppInfo  |IlsD ::ConnectIndInner Server Connection to PeerId(ab), TCPPid([1, 600, 13, 5]), PeerIP/Port(10.0.0.2:40000), LocalIP/Port(10.0.0.1:7502) TLSReq(f) established
00000013.001 |09:00:01.002 |AppInfo  |EncrUtil Function: decryptData at line 163 succedded
";
        let (kept, activity, _) = filter(text, Side::Hub);
        let lines: Vec<u64> = kept.iter().map(|h| h.line_no).collect();
        assert_eq!(lines, vec![2, 3, 4]);
        assert_eq!(activity.iter().map(|a| a.count).sum::<u64>(), 2);
    }
}
