//! Following connections through one side's lines: which lines make an attempt, which are routine.
//!
//! Every catalog entry has a role (docs/signatures.md, "Roles"):
//! - **opens**: the line starts an attempt (the spoke's `ConnectReq`, the hub's `New connection
//!   accepted` and `ConnectInd`);
//! - **concludes**: the line ends it with an outcome (established, `decryptData failed`,
//!   `HandleSSLError`, `ConnReason`, the alarms, `Close Req`);
//! - **supports**: the line adds detail to an attempt it belongs to (password decrypted,
//!   `isCertInLocalStore`, `FQDN is in PeerInfoVector`, peer-information lines). At Detailed level
//!   the hub writes the decrypt lines for every encrypted ILS message, not only when a spoke
//!   joins, so a supporting line alone is never an attempt: it is link activity.
//!
//! A supporting line joins an attempt only inside that attempt's connection, while it is open:
//! the same SDL record (`NNNNNNNN` of `NNNNNNNN.NNN`: the lines of one processing step), the same
//! handler (`TCPPid`) with a compatible peer, the same peer address and port, or on the spoke the
//! same hub address. A concluding line that names a peer and finds no open connection opens an
//! attempt of its own, marked as having no opening line in the traces (it fell before the window
//! or was not captured); it then claims the few supporting lines just before it that name the
//! same connection.
//!
//! The tracker holds only what is open: at most [`MAX_OPEN`] connections, each with a bounded
//! set of lines (the opening lines, the concluding lines, the first supporting lines and a count
//! of the rest), a short look-back of unclaimed lines, and per peer the last
//! [`UNCONCLUDED_PER_PEER`] connections that never concluded. Everything else leaves as
//! activity at once, so memory does not grow with the number of lines seen.
//!
//! Pure: the caller feeds lines in the order one side wrote them, with times in milliseconds on
//! any clock that orders them.

use std::collections::VecDeque;

// Keys come from traces, so the maps stay seeded per process (ahash's random state), and bounded
// in size (`MAX_PID_PEERS`, `MAX_UNCONCLUDED_PEERS`); SipHash was a tenth of a dense trace's scan.
type HashMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;

use super::episode::is_ils_port;
use super::fields::Fields;
use super::types::{ConnRole, Fact, Side};

/// How long the hub keeps a connection open after its last line: the technote's attempts take
/// milliseconds (hub lines of one join are within 10 ms of each other).
pub const HUB_LIFETIME_MS: i64 = 2_000;
/// On the spoke a failing TCP connect can take tens of seconds before its error line.
pub const SPOKE_LIFETIME_MS: i64 = 60_000;
/// Connections open at once; the oldest is closed beyond this (a hostile trace cannot grow it).
pub const MAX_OPEN: usize = 64;
/// Lines kept per connection and role; beyond these a connection counts its lines.
pub const MAX_OPENING_KEPT: usize = 8;
pub const MAX_CONCLUDING_KEPT: usize = 16;
pub const MAX_SUPPORTING_KEPT: usize = 8;
/// Connections that opened and never concluded, kept per peer (the latest: it may be the one in
/// progress when the traces end); the older ones are activity.
pub const UNCONCLUDED_PER_PEER: usize = 1;
/// Peers whose unconcluded connections are kept; others count as activity.
pub const MAX_UNCONCLUDED_PEERS: usize = 1024;
/// Unclaimed lines remembered so that a later concluding line can claim them.
pub const LOOK_BACK: usize = 32;
/// How far before a TLS connection's concluding line its certificate checks may be.
pub const HANDSHAKE_MS: i64 = 100;
/// A concluded connection's lifetime: the lines that conclude one attempt (a refusal, its alarm,
/// the connection's failure or close) come within milliseconds of each other in the technote;
/// after this, a line naming the same handler, address or port belongs to a later attempt (a
/// retry reuses them).
pub const CLOSING_MS: i64 = 1_000;
/// Lines naming no connection (routine decrypt lines) remembered for their record, within a
/// connection's lifetime.
pub const UNKEYED_LOOK_BACK: usize = 1024;
/// Handlers whose peer is remembered.
pub const MAX_PID_PEERS: usize = 4096;
/// Unkeyed supporting lines of one record waiting for a line that names their connection.
pub const MAX_PENDING: usize = 64;

/// What the tracker needs to know of a line.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    pub role: ConnRole,
    pub fact: Fact,
    pub seq: Option<u32>,
    pub t_ms: Option<i64>,
    pub fields: &'a Fields,
}

/// One side's view of one connection: the lines of one attempt.
#[derive(Debug, Clone)]
pub struct Episode<H> {
    pub hits: Vec<H>,
    /// An opening line is among the lines (otherwise the attempt started before the traces).
    pub opened: bool,
    /// A concluding line is among the lines.
    pub concluded: bool,
    /// Lines of the connection beyond the kept ones.
    pub more: u64,
}

/// What the tracker gives back.
#[derive(Debug)]
pub enum Out<H> {
    /// An attempt's lines, when its connection closed.
    Episode(Episode<H>),
    /// A line that belongs to no attempt: routine traffic. `peer` is the other party's address
    /// when the line (or the connection its handler serves) names it.
    Activity { hit: H, peer: Option<String> },
    /// A line that named a connection none of this stream's lines opened, near the start of the
    /// stream: the caller keeps it for a pass over the whole trace (its connection may have
    /// opened in the file before). Only with [`Tracker::keep_early_until`].
    Unclaimed(H),
}

struct Conn<H> {
    peer_ip: Option<String>,
    client_port: Option<u16>,
    pid: Option<[u32; 4]>,
    last_seq: Option<u32>,
    last_t: Option<i64>,
    opened: bool,
    concluded: bool,
    /// When its first concluding line came: its lifetime ends [`CLOSING_MS`] after.
    concluded_at: Option<i64>,
    kept: [usize; 3],
    more: u64,
    hits: Vec<H>,
}

struct Waiting<H> {
    hit: H,
    role: ConnRole,
    fact: Fact,
    seq: Option<u32>,
    t_ms: Option<i64>,
    peer_ip: Option<String>,
    peer_port: Option<u16>,
    pid: Option<[u32; 4]>,
}

/// Follows the connections of one writer role (hub or spoke) in one trace.
pub struct Tracker<H> {
    side: Side,
    lifetime_ms: i64,
    /// Oldest first; a queue, as connections mostly close from the front (their lifetime
    /// ends) and closing one must not move all the others.
    open: VecDeque<Conn<H>>,
    /// Unkeyed supporting lines of the current record.
    pending: Vec<Waiting<H>>,
    pending_seq: Option<u32>,
    /// Recent unclaimed lines: [0] those that name a connection; [1] the certificate checks
    /// that name none; [2] the other lines that name none (routine decrypt lines), which only
    /// their record can claim. Separate, so that a flood of one kind never pushes out another.
    recent: [VecDeque<Waiting<H>>; 3],
    /// How many lines of each record wait in `recent[2]`: claims look there only when some do.
    waiting_records: HashMap<u32, u32>,
    unconcluded: HashMap<Option<String>, VecDeque<Episode<H>>>,
    keep_early_until: Option<i64>,
    first_t: Option<i64>,
    /// The peer each handler served, learnt from the lines that named both: routine lines that
    /// name only the handler are then counted with their peer.
    pid_peer: HashMap<[u32; 4], String>,
    /// No open connection's last line is older than this (`i64::MAX`: none has a time): most
    /// lines then need no look for connections past their lifetime.
    expiry_floor: i64,
    /// How many open connections have their last record in each bucket of record numbers
    /// ([`seq_bucket`]): most lines' records have none, and need no look for one.
    seq_buckets: [u8; SEQ_BUCKETS],
}

const SEQ_BUCKETS: usize = 256;

fn seq_bucket(seq: u32) -> usize {
    (seq as usize) % SEQ_BUCKETS
}

impl<H> Tracker<H> {
    pub fn new(side: Side) -> Self {
        Tracker {
            side,
            lifetime_ms: match side {
                Side::Hub => HUB_LIFETIME_MS,
                Side::Spoke => SPOKE_LIFETIME_MS,
            },
            open: VecDeque::new(),
            pending: Vec::new(),
            pending_seq: None,
            recent: [VecDeque::new(), VecDeque::new(), VecDeque::new()],
            waiting_records: HashMap::default(),
            unconcluded: HashMap::default(),
            keep_early_until: None,
            first_t: None,
            pid_peer: HashMap::default(),
            expiry_floor: i64::MAX,
            seq_buckets: [0; SEQ_BUCKETS],
        }
    }

    /// For one file of a longer trace: unclaimed keyed lines written within `ms` of the stream's
    /// first line come back as [`Out::Unclaimed`] instead of activity (their connection may have
    /// opened in the previous file).
    pub fn keep_early_until(mut self, ms: i64) -> Self {
        self.keep_early_until = Some(ms);
        self
    }

    /// The lifetime of a connection after its last line, for this side.
    pub fn lifetime_ms(&self) -> i64 {
        self.lifetime_ms
    }

    /// Feeds one line.
    pub fn push(&mut self, line: Line<'_>, hit: H, out: &mut impl FnMut(Out<H>)) {
        if self.first_t.is_none() {
            self.first_t = line.t_ms;
        }
        if let (Some(pid), Some(ip)) = (line.fields.pid, line.fields.peer_ip.as_ref()) {
            let room = self.pid_peer.len() < MAX_PID_PEERS;
            match self.pid_peer.get_mut(&pid) {
                Some(known) if known == ip => {}
                Some(known) => known.clone_from(ip),
                None if room => {
                    self.pid_peer.insert(pid, ip.clone());
                }
                None => {}
            }
        }
        if let Some(t) = line.t_ms {
            self.expire(t, out);
        }
        if line.seq != self.pending_seq {
            self.flush_pending(out);
            self.pending_seq = line.seq;
        }
        let keyed = is_keyed(line.fields);
        let fresh = matches!(line.fact, Fact::ConnectionAccepted | Fact::ConnectRequest);
        let found = if fresh { None } else { self.find(&line) };
        match (line.role, found) {
            (_, Some(i)) => {
                if line.role == ConnRole::Concludes {
                    self.claim_handshake(i, &line);
                }
                self.join(i, &line, hit);
                self.claim_pending(i, line.seq);
            }
            (ConnRole::Opens, None) if !fresh && !keyed && self.open.iter().any(|c| !c.concluded) => {
                // A further step of an attempt that names no connection (the spoke's
                // `processConnectReq` after its `ConnectReq`): the latest attempt still open.
                let i = self.open.iter().rposition(|c| !c.concluded).unwrap_or(0);
                self.join(i, &line, hit);
                self.claim_pending(i, line.seq);
            }
            (ConnRole::Opens, None) => {
                if fresh {
                    // A new connection to the same peer ends the one before it.
                    while let Some(i) = self.same_connection(&line) {
                        self.close(i, out);
                    }
                }
                let i = self.start(&line, out);
                self.join(i, &line, hit);
                self.claim_pending(i, line.seq);
            }
            (ConnRole::Concludes, None) => {
                if !keyed && line.seq.is_some() && self.pending.len() < MAX_PENDING {
                    // Unkeyed (a line naming only an FQDN): a later line of its record may name
                    // the connection; otherwise it joins when the record ends.
                    self.pending.push(waiting(hit, &line));
                } else if let (false, Some(i)) = (keyed, self.open.len().checked_sub(1)) {
                    self.join(i, &line, hit);
                    self.claim_pending(i, line.seq);
                } else {
                    let i = self.start(&line, out);
                    self.claim_recent(i, &line, out);
                    self.claim_handshake(i, &line);
                    self.join(i, &line, hit);
                    self.claim_pending(i, line.seq);
                }
            }
            (ConnRole::Supports, None) => {
                let w = waiting(hit, &line);
                if keyed {
                    self.remember(w, out);
                } else if line.seq.is_some() && self.pending.len() < MAX_PENDING {
                    self.pending.push(w);
                } else {
                    self.remember(w, out);
                }
            }
        }
    }

    /// Ends the stream: every open connection closes.
    pub fn finish(mut self, out: &mut impl FnMut(Out<H>)) {
        self.flush_pending(out);
        while !self.open.is_empty() {
            self.close(0, out);
        }
        for w in self.take_where(|_| true) {
            self.release(w, out);
        }
        let mut peers: Vec<_> = self.unconcluded.into_iter().collect();
        peers.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, eps) in peers {
            for ep in eps {
                out(Out::Episode(ep));
            }
        }
    }

    fn expire(&mut self, t: i64, out: &mut impl FnMut(Out<H>)) {
        let limit = t.saturating_sub(self.lifetime_ms);
        if limit > self.expiry_floor {
            let mut i = 0;
            while let Some(c) = self.open.get(i) {
                if c.last_t.is_some_and(|l| l < limit) {
                    self.close(i, out);
                } else {
                    // Below `open.len()`: one more cannot overflow.
                    i = i.saturating_add(1);
                }
            }
            self.expiry_floor = self.open.iter().filter_map(|c| c.last_t).min().unwrap_or(i64::MAX);
        }
        for q in 0..self.recent.len() {
            while let Some(queue) = self.recent.get_mut(q) {
                if queue.front().is_none_or(|w| w.t_ms.is_none_or(|l| l >= limit)) {
                    break;
                }
                let Some(w) = queue.pop_front() else { break };
                self.forget_record(q, &w);
                self.release(w, out);
            }
        }
    }

    /// The open connection a line belongs to. A connection that concluded takes lines only
    /// within [`CLOSING_MS`] of its conclusion: identifiers are matched inside a lifetime.
    fn find(&self, l: &Line<'_>) -> Option<usize> {
        let f = l.fields;
        let alive = |c: &Conn<H>| match (c.concluded_at, l.t_ms) {
            (Some(done), Some(t)) => t.saturating_sub(done) <= CLOSING_MS,
            _ => true,
        };
        let compatible = |c: &Conn<H>| {
            alive(c)
                && opt_compatible(c.peer_ip.as_deref(), f.peer_ip.as_deref())
                && opt_compatible(c.client_port, client_port(self.side, f))
                && opt_compatible(c.pid, f.pid)
        };
        if let Some(s) = l.seq.filter(|&s| self.seq_buckets.get(seq_bucket(s)).is_some_and(|&n| n > 0)) {
            if let Some(i) = self.open.iter().rposition(|c| c.last_seq == Some(s) && compatible(c)) {
                return Some(i);
            }
        }
        if let Some(pid) = f.pid {
            if let Some(i) = self.open.iter().rposition(|c| c.pid == Some(pid) && compatible(c)) {
                return Some(i);
            }
        }
        if is_keyed(f) {
            // A connection opened by a line that named nothing takes the next line that does.
            if let Some(i) = self.open.iter().rposition(|c| c.peer_ip.is_none() && c.pid.is_none() && !c.concluded) {
                return Some(i);
            }
            // A line that names a connection right after a conclusion that named none (the
            // hub's `Close Req` after `VerifyCertificateInfo` refused an FQDN) concludes it and
            // names its peer.
            if l.role == ConnRole::Concludes {
                if let Some(i) =
                    self.open.iter().rposition(|c| c.peer_ip.is_none() && c.pid.is_none() && c.concluded && alive(c))
                {
                    return Some(i);
                }
            }
        }
        let ip = f.peer_ip.as_deref()?;
        match (self.side, client_port(self.side, f)) {
            (Side::Hub, Some(port)) => self
                .open
                .iter()
                .rposition(|c| c.peer_ip.as_deref() == Some(ip) && c.client_port == Some(port) && compatible(c)),
            // An address-only hub line (the password alarm) or any spoke line naming the hub.
            _ => self.open.iter().rposition(|c| c.peer_ip.as_deref() == Some(ip) && compatible(c)),
        }
    }

    /// An open connection that a fresh opening line replaces (same peer; on the spoke, same hub).
    fn same_connection(&self, l: &Line<'_>) -> Option<usize> {
        let f = l.fields;
        let ip = f.peer_ip.as_deref()?;
        self.open.iter().position(|c| {
            c.peer_ip.as_deref() == Some(ip)
                && match self.side {
                    Side::Spoke => true,
                    Side::Hub => client_port(Side::Hub, f).is_some() && c.client_port == client_port(Side::Hub, f),
                }
        })
    }

    fn start(&mut self, l: &Line<'_>, out: &mut impl FnMut(Out<H>)) -> usize {
        if self.open.len() >= MAX_OPEN {
            self.close(0, out);
        }
        if let Some(t) = l.t_ms {
            self.expiry_floor = self.expiry_floor.min(t);
        }
        self.open.push_back(Conn {
            peer_ip: None,
            client_port: None,
            pid: None,
            last_seq: None,
            last_t: l.t_ms,
            opened: false,
            concluded: false,
            concluded_at: None,
            kept: [0; 3],
            more: 0,
            hits: Vec::new(),
        });
        self.open.len().saturating_sub(1)
    }

    fn join(&mut self, i: usize, l: &Line<'_>, hit: H) {
        let side = self.side;
        let Some(c) = self.open.get_mut(i) else { return };
        let f = l.fields;
        if c.peer_ip.is_none() {
            c.peer_ip = f.peer_ip.clone();
        }
        if c.client_port.is_none() {
            c.client_port = client_port(side, f);
        }
        if c.pid.is_none() {
            c.pid = f.pid;
        }
        if let Some(seq) = l.seq.filter(|&s| c.last_seq != Some(s)) {
            if let Some(old) = c.last_seq {
                if let Some(n) = self.seq_buckets.get_mut(seq_bucket(old)) {
                    *n = n.saturating_sub(1);
                }
            }
            if let Some(n) = self.seq_buckets.get_mut(seq_bucket(seq)) {
                // At most MAX_OPEN connections: far below u8::MAX.
                *n = n.saturating_add(1);
            }
            c.last_seq = Some(seq);
        }
        if let Some(t) = l.t_ms {
            c.last_t = Some(t);
            self.expiry_floor = self.expiry_floor.min(t);
        }
        let (slot, cap) = match l.role {
            ConnRole::Opens => (0, MAX_OPENING_KEPT),
            ConnRole::Concludes => (1, MAX_CONCLUDING_KEPT),
            ConnRole::Supports => (2, MAX_SUPPORTING_KEPT),
        };
        match l.role {
            ConnRole::Opens => c.opened = true,
            ConnRole::Concludes => {
                c.concluded = true;
                if c.concluded_at.is_none() {
                    c.concluded_at = l.t_ms;
                }
            }
            ConnRole::Supports => {}
        }
        match c.kept.get_mut(slot) {
            Some(kept) if *kept < cap => {
                *kept = kept.saturating_add(1);
                c.hits.push(hit);
            }
            _ => c.more = c.more.saturating_add(1),
        }
    }

    /// The lines of the same record that named no connection join it: those of the current
    /// record, and those of an earlier stretch of the record that other lines interrupted.
    fn claim_pending(&mut self, i: usize, seq: Option<u32>) {
        let Some(seq) = seq else { return };
        let waiting = self.waiting_records.contains_key(&seq)
            || self.recent[..2].iter().flatten().any(|w| w.seq == Some(seq) && w.peer_ip.is_none() && w.pid.is_none());
        if !waiting {
            return self.claim_current(i, seq);
        }
        for w in self.take_where(|w| w.seq == Some(seq) && w.peer_ip.is_none() && w.pid.is_none()) {
            let line = Line { role: w.role, fact: w.fact, seq: w.seq, t_ms: w.t_ms, fields: &Fields::default() };
            self.join_waiting(i, &line, w.hit);
        }
        self.claim_current(i, seq);
    }

    fn claim_current(&mut self, i: usize, seq: u32) {
        if Some(seq) != self.pending_seq || self.pending.is_empty() {
            return;
        }
        let mut pending = std::mem::take(&mut self.pending);
        for w in pending.drain(..) {
            let line = Line { role: w.role, fact: w.fact, seq: w.seq, t_ms: w.t_ms, fields: &Fields::default() };
            self.join_waiting(i, &line, w.hit);
        }
        // Its buffer serves the next record (nothing above adds to `pending`).
        self.pending = pending;
    }

    /// A supporting line that joins without moving the connection's time forward past its own.
    fn join_waiting(&mut self, i: usize, l: &Line<'_>, hit: H) {
        let keep_t = self.open.get(i).and_then(|c| c.last_t);
        self.join(i, l, hit);
        if let Some(c) = self.open.get_mut(i) {
            c.last_t = keep_t.max(c.last_t);
        }
    }

    /// A connection opened by a concluding line claims the recent lines of the same connection.
    fn claim_recent(&mut self, i: usize, l: &Line<'_>, out: &mut impl FnMut(Out<H>)) {
        let f = l.fields;
        if !is_keyed(f) {
            return;
        }
        let side = self.side;
        let matches = |w: &Waiting<H>| {
            let same_pid = w.pid.is_some() && w.pid == f.pid;
            let same_peer = w.peer_ip.is_some()
                && w.peer_ip == f.peer_ip
                && opt_compatible(port_of(side, w.peer_port), client_port(side, f));
            (same_pid || same_peer)
                && opt_compatible(w.peer_ip.as_deref(), f.peer_ip.as_deref())
                && opt_compatible(w.pid, f.pid)
        };
        let claimed_seqs: Vec<u32> =
            self.recent.iter().flatten().filter(|w| matches(w)).filter_map(|w| w.seq).collect();
        let same_record =
            |w: &Waiting<H>| w.seq.is_some_and(|s| claimed_seqs.contains(&s)) && w.peer_ip.is_none() && w.pid.is_none();
        for w in self.take_where(|w| matches(w) || same_record(w)) {
            let fields = Fields { peer_ip: w.peer_ip.clone(), pid: w.pid, ..Fields::default() };
            let line = Line { role: w.role, fact: w.fact, seq: w.seq, t_ms: w.t_ms, fields: &fields };
            self.join_waiting(i, &line, w.hit);
        }
        let _ = out;
    }

    /// Takes the remembered lines a predicate selects, oldest first within each queue.
    fn take_where(&mut self, pred: impl Fn(&Waiting<H>) -> bool) -> Vec<Waiting<H>> {
        let mut taken = Vec::new();
        for q in 0..self.recent.len() {
            let Some(queue) = self.recent.get_mut(q) else { continue };
            if !queue.iter().any(&pred) {
                continue;
            }
            let drained = std::mem::take(queue);
            let mut keep = VecDeque::with_capacity(drained.len());
            for w in drained {
                if pred(&w) {
                    self.forget_record(q, &w);
                    taken.push(w);
                } else {
                    keep.push_back(w);
                }
            }
            if let Some(queue) = self.recent.get_mut(q) {
                *queue = keep;
            }
        }
        taken
    }

    fn forget_record(&mut self, q: usize, w: &Waiting<H>) {
        if q != 2 {
            return;
        }
        if let Some(seq) = w.seq {
            if let Some(n) = self.waiting_records.get_mut(&seq) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.waiting_records.remove(&seq);
                }
            }
        }
    }

    /// A concluding line of a TLS connection claims the certificate checks written just before
    /// it that name no connection (`VerifyCertificateInfo`, `isCertInLocalStore`: technote
    /// methods 2 to 4 show them a few milliseconds before the connection's line, in their own
    /// record). They are part of a TLS handshake, which routine traffic on an established
    /// connection does not repeat; the decrypt lines, which it does, are never claimed this way.
    fn claim_handshake(&mut self, i: usize, l: &Line<'_>) {
        let f = l.fields;
        let tls = f.tls == Some(true)
            || f.peer_port == Some(super::episode::ILS_TLS_PORT)
            || f.local_port == Some(super::episode::ILS_TLS_PORT)
            || f.tls_from_pid() == Some(true)
            || l.fact.implies_tls();
        let (Some(t), true) = (l.t_ms, tls) else { return };
        let since = self.open.get(i).and_then(|c| if c.opened { c.last_t } else { None });
        let handshake = |w: &Waiting<H>| {
            w.peer_ip.is_none()
                && w.pid.is_none()
                && w.fact.implies_tls()
                && w.t_ms
                    .is_some_and(|wt| wt <= t && t.saturating_sub(wt) <= HANDSHAKE_MS && since.is_none_or(|s| wt >= s))
        };
        for w in self.take_where(handshake) {
            let line = Line { role: w.role, fact: w.fact, seq: w.seq, t_ms: w.t_ms, fields: &Fields::default() };
            self.join_waiting(i, &line, w.hit);
        }
    }

    /// The record ended. Its unkeyed concluding lines join the latest open connection, or
    /// open one of their own with the record's supporting lines; supporting lines alone wait
    /// in the look-back.
    fn flush_pending(&mut self, out: &mut impl FnMut(Out<H>)) {
        if self.pending.is_empty() {
            return;
        }
        let mut pending = std::mem::take(&mut self.pending);
        if pending.iter().any(|w| w.role != ConnRole::Supports) {
            // The latest connection still in its lifetime.
            let t = pending.iter().find_map(|w| w.t_ms);
            let alive = self.open.iter().rposition(|c| match (c.concluded_at, t) {
                (Some(done), Some(t)) => t.saturating_sub(done) <= CLOSING_MS,
                _ => true,
            });
            let i = match alive {
                Some(last) => last,
                None => {
                    let t_ms = pending.iter().find_map(|w| w.t_ms);
                    let none = Fields::default();
                    let line = Line { role: ConnRole::Concludes, fact: Fact::Other, seq: None, t_ms, fields: &none };
                    self.start(&line, out)
                }
            };
            for w in pending.drain(..) {
                let line =
                    Line { role: w.role, fact: Fact::Other, seq: w.seq, t_ms: w.t_ms, fields: &Fields::default() };
                self.join_waiting(i, &line, w.hit);
            }
        } else {
            for w in pending.drain(..) {
                self.remember(w, out);
            }
        }
        // Its buffer serves the next record (nothing above adds to `pending`).
        self.pending = pending;
    }

    /// Keeps an unclaimed line for a while: a concluding line may still claim it.
    fn remember(&mut self, w: Waiting<H>, out: &mut impl FnMut(Out<H>)) {
        let q = match (w.peer_ip.is_some() || w.pid.is_some(), w.fact.implies_tls()) {
            (true, _) => 0,
            (false, true) => 1,
            (false, false) => 2,
        };
        let cap = if q == 2 { UNKEYED_LOOK_BACK } else { LOOK_BACK };
        let full = self.recent.get(q).is_some_and(|r| r.len() >= cap);
        if let Some(old) = self.recent.get_mut(q).filter(|_| full).and_then(VecDeque::pop_front) {
            self.forget_record(q, &old);
            self.release(old, out);
        }
        if let (2, Some(seq)) = (q, w.seq) {
            let n = self.waiting_records.entry(seq).or_default();
            *n = n.saturating_add(1);
        }
        if let Some(queue) = self.recent.get_mut(q) {
            queue.push_back(w);
        }
    }

    /// An unclaimed line leaves: activity, or kept for the whole trace's pass when it is early.
    fn release(&mut self, w: Waiting<H>, out: &mut impl FnMut(Out<H>)) {
        let early = match (self.keep_early_until, self.first_t, w.t_ms) {
            (Some(window), Some(first), Some(t)) => t <= first.saturating_add(window),
            (Some(_), _, None) => false,
            _ => false,
        };
        if early && (w.peer_ip.is_some() || w.pid.is_some()) {
            out(Out::Unclaimed(w.hit));
        } else {
            let peer = w.peer_ip.or_else(|| w.pid.and_then(|p| self.pid_peer.get(&p).cloned()));
            out(Out::Activity { hit: w.hit, peer });
        }
    }

    fn close(&mut self, i: usize, out: &mut impl FnMut(Out<H>)) {
        let Some(c) = self.open.remove(i) else { return };
        if let Some(n) = c.last_seq.and_then(|s| self.seq_buckets.get_mut(seq_bucket(s))) {
            *n = n.saturating_sub(1);
        }
        let episode = Episode { hits: c.hits, opened: c.opened, concluded: c.concluded, more: c.more };
        if episode.concluded {
            out(Out::Episode(episode));
            return;
        }
        // Opened and never concluded: routine reconnections look like this, so only the latest
        // few per peer stay attempts; the older ones are activity with that peer.
        let peer = c.peer_ip.or_else(|| c.pid.and_then(|p| self.pid_peer.get(&p).cloned()));
        if !self.unconcluded.contains_key(&peer) && self.unconcluded.len() >= MAX_UNCONCLUDED_PEERS {
            for hit in episode.hits {
                out(Out::Activity { hit, peer: peer.clone() });
            }
            return;
        }
        let ring = self.unconcluded.entry(peer.clone()).or_default();
        ring.push_back(episode);
        if ring.len() > UNCONCLUDED_PER_PEER {
            if let Some(old) = ring.pop_front() {
                for hit in old.hits {
                    out(Out::Activity { hit, peer: peer.clone() });
                }
            }
        }
    }
}

fn waiting<H>(hit: H, l: &Line<'_>) -> Waiting<H> {
    Waiting {
        hit,
        role: l.role,
        fact: l.fact,
        seq: l.seq,
        t_ms: l.t_ms,
        peer_ip: l.fields.peer_ip.clone(),
        peer_port: l.fields.peer_port,
        pid: l.fields.pid,
    }
}

/// Whether a line names its connection (a handler or a peer address).
pub fn is_keyed(f: &Fields) -> bool {
    f.pid.is_some() || f.peer_ip.is_some()
}

/// The spoke's ephemeral port, when the line names it: on the hub the peer's port, on the spoke
/// its own.
fn client_port(side: Side, f: &Fields) -> Option<u16> {
    match side {
        Side::Hub => f.peer_port.filter(|p| !is_ils_port(*p)),
        Side::Spoke => f.local_port.filter(|p| !is_ils_port(*p)),
    }
}

fn port_of(side: Side, peer_port: Option<u16>) -> Option<u16> {
    match side {
        Side::Hub => peer_port.filter(|p| !is_ils_port(*p)),
        Side::Spoke => None,
    }
}

fn opt_compatible<T: PartialEq>(a: Option<T>, b: Option<T>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fed {
        episodes: Vec<(Vec<u32>, bool, bool)>,
        activity: Vec<(u32, Option<String>)>,
        unclaimed: Vec<u32>,
    }

    /// Feeds `(id, role, fact, seq, ms, fields)` lines; hits are the ids.
    fn feed(side: Side, lines: &[(u32, ConnRole, Fact, u32, i64, Fields)], early: Option<i64>) -> Fed {
        let mut t = Tracker::new(side);
        if let Some(ms) = early {
            t = t.keep_early_until(ms);
        }
        let mut fed = Fed { episodes: vec![], activity: vec![], unclaimed: vec![] };
        let mut sink = |o: Out<u32>| match o {
            Out::Episode(e) => fed.episodes.push((e.hits, e.opened, e.concluded)),
            Out::Activity { hit, peer } => fed.activity.push((hit, peer)),
            Out::Unclaimed(h) => fed.unclaimed.push(h),
        };
        for (id, role, fact, seq, ms, f) in lines {
            t.push(Line { role: *role, fact: *fact, seq: Some(*seq), t_ms: Some(*ms), fields: f }, *id, &mut sink);
        }
        t.finish(&mut sink);
        for e in &mut fed.episodes {
            e.0.sort_unstable();
        }
        fed.episodes.sort();
        fed
    }

    fn f(ip: Option<&str>, port: Option<u16>, pid: Option<[u32; 4]>) -> Fields {
        Fields { peer_ip: ip.map(String::from), peer_port: port, pid, ..Fields::default() }
    }

    use ConnRole::{Concludes as C, Opens as O, Supports as S};

    #[test]
    fn lone_supporting_lines_are_activity() {
        let none = Fields::default();
        let lines: Vec<_> =
            (0..50).map(|i| (i, S, Fact::PasswordOk, 100 + i, i64::from(i) * 10, none.clone())).collect();
        let fed = feed(Side::Hub, &lines, None);
        assert!(fed.episodes.is_empty());
        assert_eq!(fed.activity.len(), 50);
    }

    #[test]
    fn technote_method_1_hub_join_takes_its_record_decrypt_lines_only() {
        let conn = f(Some("10.0.0.2"), Some(37816), Some([1, 600, 13, 5]));
        let none = Fields::default();
        let lines = vec![
            (0, S, Fact::PasswordOk, 7, 0, none.clone()), // routine, another record
            (1, O, Fact::ConnectionAccepted, 10, 10, conn.clone()),
            (2, O, Fact::ConnectIndication, 10, 10, conn.clone()),
            (3, S, Fact::PasswordOk, 11, 11, none.clone()),
            (4, S, Fact::PasswordOk, 11, 11, none.clone()),
            (5, C, Fact::Established, 11, 12, f(Some("10.0.0.2"), Some(37816), Some([1, 600, 13, 5]))),
            (6, S, Fact::PasswordOk, 12, 13, none.clone()), // routine traffic after the join
        ];
        let fed = feed(Side::Hub, &lines, None);
        assert_eq!(fed.episodes, vec![(vec![1, 2, 3, 4, 5], true, true)]);
        assert_eq!(fed.activity.iter().map(|a| a.0).collect::<Vec<_>>(), vec![0, 6]);
    }

    #[test]
    fn a_concluding_line_without_opening_claims_its_connection_lines_before_it() {
        // Technote method 3, spoke: SdlConnectRsp (pid) and Client Connection (hub address) in
        // record 64, isCertInLocalStore unkeyed in the same record, established in record 65.
        let hub = f(Some("10.0.0.1"), Some(7501), None);
        let pid = f(None, None, Some([1, 600, 17, 1]));
        let none = Fields::default();
        let est = Fields { local_port: Some(56181), ..f(Some("10.0.0.1"), Some(7501), Some([1, 600, 17, 1])) };
        let lines = vec![
            (1, S, Fact::SdlConnectResponse, 64, 0, pid),
            (2, S, Fact::CertNotInStore, 64, 0, none.clone()),
            (3, S, Fact::TransportConnected, 64, 0, hub),
            (4, C, Fact::Established, 65, 10, est),
            (5, S, Fact::CertNotInStore, 90, 500, none),
        ];
        let fed = feed(Side::Spoke, &lines, None);
        assert_eq!(fed.episodes, vec![(vec![1, 2, 3, 4], false, true)]);
        assert_eq!(fed.activity, vec![(5, None)]);
    }

    #[test]
    fn a_new_connect_request_ends_the_previous_attempt_and_failures_join_by_hub_address() {
        let hub = f(Some("10.0.0.1"), Some(7501), None);
        let lines = vec![
            (1, O, Fact::ConnectRequest, 1, 0, hub.clone()),
            (2, C, Fact::CertVerifyFailed, 2, 5, f(Some("10.0.0.1"), Some(7501), Some([1, 600, 17, 5]))),
            (3, C, Fact::ConnectFailed, 3, 9, hub.clone()),
            (4, O, Fact::ConnectRequest, 4, 500, hub.clone()),
            (5, C, Fact::Established, 5, 505, hub),
        ];
        let fed = feed(Side::Spoke, &lines, None);
        assert_eq!(fed.episodes, vec![(vec![1, 2, 3], true, true), (vec![4, 5], true, true)]);
    }

    #[test]
    fn connections_close_after_their_lifetime() {
        let a = f(Some("10.0.0.2"), Some(40000), Some([1, 600, 17, 1]));
        let lines = vec![
            (1, O, Fact::ConnectionAccepted, 1, 0, a.clone()),
            (2, S, Fact::CertNotInStore, 2, 5_000, a.clone()), // after the hub's 2 s: activity
        ];
        let fed = feed(Side::Hub, &lines, None);
        assert_eq!(fed.episodes, vec![(vec![1], true, false)]);
        assert_eq!(fed.activity, vec![(2, Some("10.0.0.2".into()))]);
    }

    #[test]
    fn only_the_latest_unconcluded_connections_per_peer_stay() {
        let lines: Vec<_> = (0..20u32)
            .map(|i| {
                (
                    i,
                    O,
                    Fact::ConnectIndication,
                    i,
                    i64::from(i) * 10_000,
                    f(Some("10.0.0.2"), Some(40000 + i as u16), None),
                )
            })
            .collect();
        let fed = feed(Side::Hub, &lines, None);
        assert_eq!(fed.episodes.len(), UNCONCLUDED_PER_PEER);
        assert_eq!(fed.episodes.last().map(|e| e.0.clone()), Some(vec![19]));
        assert_eq!(fed.activity.len(), 20 - UNCONCLUDED_PER_PEER);
    }

    #[test]
    fn early_unclaimed_keyed_lines_are_kept_for_the_trace_pass() {
        let a = f(Some("10.0.0.2"), Some(40000), Some([1, 600, 17, 1]));
        let lines = vec![(1, S, Fact::CertNotInStore, 1, 0, a.clone()), (2, S, Fact::CertNotInStore, 2, 90_000, a)];
        let fed = feed(Side::Spoke, &lines, Some(60_000));
        assert_eq!(fed.unclaimed, vec![1]);
        assert_eq!(fed.activity.len(), 1);
    }

    #[test]
    fn open_connections_are_bounded() {
        let lines: Vec<_> = (0..1000u32)
            .map(|i| {
                (
                    i,
                    O,
                    Fact::ConnectIndication,
                    i,
                    0,
                    f(Some(&format!("10.0.{}.{}", i / 250, i % 250)), Some(40000), None),
                )
            })
            .collect();
        let fed = feed(Side::Hub, &lines, None);
        assert!(fed.episodes.len() <= 1000);
        assert_eq!(fed.episodes.len() + fed.activity.len(), 1000);
    }
}
