//! Grouping one trace's matched lines into episodes: the lines one side wrote about one
//! connection attempt.
//!
//! How lines belong together (research §1.4 field notes and §5.2):
//! - lines of one processing step share the SDL record number `NNNNNNNN`;
//! - lines about one TCP connection share the handler's process id (`TCPPid`, `[1, 600, 17, 5]`)
//!   and the spoke's ephemeral port;
//! - on the spoke every line of an attempt names the one hub, and `Ils::ConnectReq()` (P4) starts
//!   a new attempt;
//! - lines without any of these (`VerifyCertificateInfo`, `decryptData`, `X509_STORE...`) come just
//!   before the line that names the connection (technote methods 3 and 4), so they join the next
//!   connection of their burst.
//!
//! A burst is a run of lines with gaps under [`BURST_GAP_MS`]: the technote's attempts take
//! milliseconds, spoke retries come seconds or minutes apart.

use std::collections::HashMap;

use super::event::When;
use super::fields::Fields;
use super::types::{Fact, Side};

/// Lines further apart than this never belong to one attempt.
pub const BURST_GAP_MS: i64 = 2_000;

/// On the spoke `ConnectReq` starts each attempt, and a failing TCP connect can take tens of
/// seconds before its error line: a longer gap bounds its attempts.
pub const SPOKE_BURST_GAP_MS: i64 = 60_000;

/// The ILS listening ports: 7501 TLS, 7502 non-TLS (research §6, confirmed).
pub const ILS_TLS_PORT: u16 = 7501;
pub const ILS_PLAIN_PORT: u16 = 7502;

pub fn is_ils_port(p: u16) -> bool {
    p == ILS_TLS_PORT || p == ILS_PLAIN_PORT
}

/// What grouping needs to know of a line.
#[derive(Debug, Clone)]
pub struct Line<'a> {
    pub role: Side,
    pub fact: Fact,
    pub seq: Option<u32>,
    pub when: Option<When>,
    pub fields: &'a Fields,
}

/// Groups the lines of one trace and one role (already in file order) into episodes, each a list
/// of indexes into `lines`, in order.
pub fn group(lines: &[Line<'_>]) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    for burst in bursts(lines) {
        out.extend(split_burst(lines, &burst));
    }
    out
}

fn bursts(lines: &[Line<'_>]) -> Vec<Vec<usize>> {
    let mut bursts: Vec<Vec<usize>> = Vec::new();
    let mut last_when: Option<When> = None;
    for (i, l) in lines.iter().enumerate() {
        let limit = if l.role == Side::Spoke { SPOKE_BURST_GAP_MS } else { BURST_GAP_MS };
        let gap = match (l.when, last_when) {
            (Some(a), Some(b)) => a.diff_ms(&b).abs() > limit,
            _ => false,
        };
        let starts_attempt = l.role == Side::Spoke && l.fact == Fact::ConnectRequest;
        match bursts.last_mut() {
            Some(b) if !gap && !starts_attempt => b.push(i),
            _ => bursts.push(vec![i]),
        }
        if l.when.is_some() {
            last_when = l.when;
        }
    }
    bursts
}

/// Union-find over the lines of one burst.
struct Sets(Vec<usize>);

impl Sets {
    fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[a.max(b)] = a.min(b);
        }
    }
}

/// The spoke's ephemeral port of the connection a line is about, if it names one.
fn client_port(l: &Line<'_>) -> Option<u16> {
    match l.role {
        Side::Hub => l.fields.peer_port.filter(|p| !is_ils_port(*p)),
        Side::Spoke => l.fields.local_port.filter(|p| !is_ils_port(*p)),
    }
}

fn split_burst(lines: &[Line<'_>], burst: &[usize]) -> Vec<Vec<usize>> {
    let n = burst.len();
    let mut sets = Sets((0..n).collect());
    let mut keyed = vec![false; n];
    let mut by_seq: HashMap<u32, usize> = HashMap::new();
    let mut by_pid: HashMap<([u32; 4], &str), usize> = HashMap::new();
    let mut by_conn: HashMap<(&str, u16), usize> = HashMap::new();
    let mut by_spoke_peer: HashMap<&str, usize> = HashMap::new();
    // Hub connections (address, port, first line) in order of appearance.
    let mut connections: Vec<(&str, usize)> = Vec::new();
    let join = |map_hit: Option<usize>, k: usize, sets: &mut Sets| {
        if let Some(j) = map_hit {
            sets.union(j, k);
        }
    };
    for (k, &i) in burst.iter().enumerate() {
        let l = &lines[i];
        if let Some(seq) = l.seq {
            join(by_seq.get(&seq).copied(), k, &mut sets);
            by_seq.entry(seq).or_insert(k);
        }
        let ip = l.fields.peer_ip.as_deref();
        if let Some(pid) = l.fields.pid {
            keyed[k] = true;
            // Handler instances are reused: a pid names one connection only with its peer.
            let key = (pid, ip.unwrap_or(""));
            join(by_pid.get(&key).copied(), k, &mut sets);
            by_pid.entry(key).or_insert(k);
        }
        let Some(ip) = ip else { continue };
        keyed[k] = true;
        match (l.role, client_port(l)) {
            // A spoke registers to one hub: its lines naming that hub are one attempt.
            (Side::Spoke, _) => {
                join(by_spoke_peer.get(ip).copied(), k, &mut sets);
                by_spoke_peer.entry(ip).or_insert(k);
            }
            (Side::Hub, Some(port)) => {
                join(by_conn.get(&(ip, port)).copied(), k, &mut sets);
                if let std::collections::hash_map::Entry::Vacant(slot) = by_conn.entry((ip, port)) {
                    slot.insert(k);
                    connections.push((ip, k));
                }
            }
            (Side::Hub, None) => {}
        }
    }
    // A hub line naming only the address (the password alarm) belongs to the connection its
    // record names (same seq, already joined); otherwise to the latest connection from that
    // address before it, else the first one after it. In order, never by hash order.
    for (k, &i) in burst.iter().enumerate() {
        let l = &lines[i];
        let (Side::Hub, None, Some(ip)) = (l.role, client_port(l), l.fields.peer_ip.as_deref()) else { continue };
        let root = sets.find(k);
        let has_connection = connections.iter().any(|&(_, c)| sets.find(c) == root);
        if has_connection {
            continue;
        }
        let before = connections.iter().rev().find(|&&(cip, c)| cip == ip && c < k);
        let after = connections.iter().find(|&&(cip, c)| cip == ip && c > k);
        if let Some(&(_, c)) = before.or(after) {
            sets.union(c, k);
        }
    }
    // Groups with no keyed line join the next keyed group of the burst (or the last one).
    let mut group_keyed: HashMap<usize, bool> = HashMap::new();
    for (k, &is_keyed) in keyed.iter().enumerate() {
        let r = sets.find(k);
        *group_keyed.entry(r).or_default() |= is_keyed;
    }
    let mut next_keyed: Option<usize> = None;
    let mut attach: Vec<Option<usize>> = vec![None; n];
    for k in (0..n).rev() {
        let r = sets.find(k);
        if group_keyed[&r] {
            next_keyed = Some(r);
        } else {
            attach[k] = next_keyed;
        }
    }
    let mut prev_keyed: Option<usize> = None;
    for (k, target) in attach.iter_mut().enumerate() {
        let r = sets.find(k);
        if group_keyed[&r] {
            prev_keyed = Some(r);
        } else if target.is_none() {
            *target = prev_keyed;
        }
    }
    for (k, target) in attach.into_iter().enumerate() {
        if let Some(t) = target {
            sets.union(k, t);
        }
    }
    let mut index: HashMap<usize, usize> = HashMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (k, &i) in burst.iter().enumerate() {
        let r = sets.find(k);
        let g = *index.entry(r).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(i);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(ms: u32) -> Option<When> {
        Some(When { utc_ms: None, offset_min: None, local: None, tod_ms: ms, day: 0 })
    }

    fn fields(ip: Option<&str>, peer_port: Option<u16>, pid: Option<[u32; 4]>) -> Fields {
        Fields { peer_ip: ip.map(String::from), peer_port, pid, ..Fields::default() }
    }

    #[test]
    fn hub_lines_split_by_connection_and_unkeyed_join_the_next() {
        let a = fields(Some("10.0.0.2"), Some(40000), Some([1, 600, 17, 1]));
        let b = fields(Some("10.0.0.3"), Some(40001), Some([1, 600, 17, 2]));
        let none = Fields::default();
        let alarm = fields(Some("10.0.0.3"), None, None);
        let l = |fact, seq, ms, f| Line { role: Side::Hub, fact, seq: Some(seq), when: w(ms), fields: f };
        let lines = vec![
            l(Fact::CertNotInStore, 1, 0, &none),
            l(Fact::RootCaTrusted, 1, 0, &none),
            l(Fact::PasswordOk, 2, 5, &none),
            l(Fact::Established, 2, 6, &a),
            l(Fact::CertNotInStore, 3, 10, &none),
            l(Fact::PasswordFailed, 4, 12, &b),
            l(Fact::PasswordAlarm, 4, 12, &alarm),
            l(Fact::ConnectionAccepted, 9, 60_000, &a),
        ];
        let groups = group(&lines);
        assert_eq!(groups, vec![vec![0, 1, 2, 3], vec![4, 5, 6], vec![7]]);
    }

    #[test]
    fn an_address_only_alarm_joins_its_own_connection_in_order() {
        // Two connections from one spoke in one burst: A fails on the password, B succeeds.
        let a = fields(Some("10.0.0.2"), Some(40000), Some([1, 600, 13, 7]));
        let b = fields(Some("10.0.0.2"), Some(40002), Some([1, 600, 13, 5]));
        let alarm = fields(Some("10.0.0.2"), None, None);
        let l = |fact, seq, ms, f| Line { role: Side::Hub, fact, seq: Some(seq), when: w(ms), fields: f };
        // As in the technote, the alarm shares its record number with its decryptData line;
        // the last alarm has no record partner and follows the latest connection before it.
        let lines = vec![
            l(Fact::ConnectionAccepted, 3, 0, &b),
            l(Fact::PasswordFailed, 1, 100, &a),
            l(Fact::Established, 4, 101, &b),
            l(Fact::PasswordAlarm, 1, 102, &alarm),
            l(Fact::PasswordAlarm, 9, 900, &alarm),
        ];
        for _ in 0..20 {
            assert_eq!(group(&lines), vec![vec![0, 2], vec![1, 3, 4]], "deterministic and by order");
        }
    }

    #[test]
    fn spoke_connect_request_starts_an_attempt() {
        let hub = fields(Some("10.0.0.1"), Some(7501), None);
        let none = Fields::default();
        let l = |fact, ms, f| Line { role: Side::Spoke, fact, seq: None, when: w(ms), fields: f };
        let lines = vec![
            l(Fact::ConnectRequest, 0, &hub),
            l(Fact::CertVerifyFailed, 5, &hub),
            l(Fact::ConnectFailed, 9, &hub),
            l(Fact::ConnectRequest, 500, &hub),
            l(Fact::CertNotInStore, 505, &none),
            l(Fact::FqdnInPeerInfo, 505, &none),
        ];
        assert_eq!(group(&lines), vec![vec![0, 1, 2], vec![3, 4, 5]]);
    }
}
