//! The ILS simulator: turns a scenario into registration attempts over time and SDL lines.
//!
//! Every cluster that has a `registration_server` (a spoke, or a hub joining another hub) and a
//! running ILS service tries to register every `retry_interval_s` seconds until it succeeds
//! (docs/cucm-notes.md#technote-lines; the retry interval itself is a scenario setting, the real one is unknown).
//! Each attempt is decided by [`crate::decision::decide`] from the live state (configuration,
//! trust stores, PeerInfoVectors) and written on each side by that side's
//! [`crate::sdl_writer::TraceWriter`], but only while that side's ILS trace level is Detailed.
//! Noise (`SdlStat` lines always, an invented `IlsD` timer line at Detailed) is written between
//! attempts so that analyzers meet lines that are not signatures, and routine traffic on
//! registered links (the hub's decrypt lines for each message) so that they meet catalog lines
//! that are not attempts.
//!
//! A successful join adds each side's FQDN to the other's PeerInfoVector, which is what makes a
//! later switch to TLS (method 4) succeed. The same [`Engine`] backs [`crate::simulate`] (offline,
//! no servers) and the running mock (driven by the wall clock).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};

use crate::decision::{decide, Cert, Line, Link, Outcome, Side, SideConfig, Source};
use crate::lines::{render, Ctx, Tag};
use crate::scenario::{CertKind, Cluster, Scenario, ServiceState, TraceLevel};
use crate::sdl_writer::{TraceFile, TraceWriter, WriterIdentity};

/// The records of one SDL step, as the trace writer takes them.
type Records = Vec<(Tag, String)>;

/// How many TCP handler process instances a cluster cycles through (`TCPPid = [1.600.17.N]`).
pub const HANDLER_INSTANCES: u32 = 3;

/// One registration attempt, the ground truth for analyzers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// True (UTC) time the spoke started it.
    pub time: DateTime<Utc>,
    /// Registering cluster (`name`).
    pub spoke: String,
    /// Cluster registered to (`name`).
    pub hub: String,
    /// The decided outcome.
    pub outcome: Outcome,
    /// TLS (7501) or not (7502).
    pub tls: bool,
    /// The spoke's ephemeral source port in the lines.
    pub spoke_port: u16,
    /// Lines were written on the hub (its trace level was Detailed and it had lines).
    pub written_hub: bool,
    /// Lines were written on the spoke.
    pub written_spoke: bool,
    /// Every line the attempt implies, rendered, on both sides (written or not).
    pub lines: Vec<AttemptLine>,
}

/// One rendered line of an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptLine {
    /// Hub or spoke.
    pub side: Side,
    /// Catalog entry ([`Line::id`] gives `"P1"`..`"P25"`).
    pub line: Line,
    /// Shown by the technote for this case, or inferred.
    pub source: Source,
    /// The payload after `|AppInfo  |` (or `|SdlSig   |`).
    pub payload: String,
}

#[derive(Debug, Clone)]
struct State {
    cfg: Cluster,
    level: TraceLevel,
    service: ServiceState,
    piv: BTreeSet<String>,
    registered: bool,
    next_attempt: Option<DateTime<Utc>>,
    instance: u32,
    pwd_alarms: u32,
    tls_alarms: u32,
    app_corr: u32,
    writer: TraceWriter,
}

/// Simulation state for a whole scenario.
#[derive(Debug, Clone)]
pub struct Engine {
    states: Vec<State>,
    now: DateTime<Utc>,
    next_noise: DateTime<Utc>,
    noise_interval: Duration,
    port_seed: u32,
    attempts: Vec<Attempt>,
    max_attempts_kept: usize,
}

fn cert_of(c: &Cluster) -> Cert {
    match (c.tomcat.expired, c.tomcat.kind) {
        (true, _) => Cert::Expired,
        (false, CertKind::SelfSigned) => Cert::SelfSigned,
        (false, CertKind::CaSigned) => Cert::CaSigned,
    }
}

fn side_config(me: &Cluster, my_piv: &BTreeSet<String>, peer: &Cluster) -> SideConfig {
    SideConfig {
        use_tls: me.ils.use_tls,
        use_password: me.ils.use_password,
        cert: cert_of(me),
        trusts_peer_cert: me.trust.tomcat_certs.iter().any(|n| n == &peer.name),
        trusts_peer_ca: peer.tomcat.kind == CertKind::CaSigned
            && me.trust.ca_roots.iter().any(|ca| ca == &peer.tomcat.ca),
        peer_fqdn_in_piv: my_piv.contains(&peer.fqdn.to_ascii_lowercase()),
    }
}

impl Engine {
    /// A fresh simulation starting at true time `start`.
    pub fn new(scenario: &Scenario, start: DateTime<Utc>) -> Engine {
        let set = &scenario.simulation;
        let states = scenario
            .clusters
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let id = WriterIdentity {
                    node_id: c.node_id,
                    host: c.hostname().to_string(),
                    ip: c.ip.clone(),
                    version: c.version.clone(),
                    offset_min: c.offset_minutes(),
                    skew_ms: c.clock.skew_ms,
                };
                let first = start + Duration::seconds(2 + i as i64);
                State {
                    level: c.ils.trace_level,
                    service: c.ils.service,
                    piv: c.ils.peer_info_vector.iter().map(|f| f.to_ascii_lowercase()).collect(),
                    registered: false,
                    next_attempt: c.ils.registration_server.as_ref().map(|_| first),
                    instance: 0,
                    pwd_alarms: 0,
                    tls_alarms: 0,
                    app_corr: 1028,
                    writer: TraceWriter::new(id, set.roll_size_bytes, 250, start - Duration::hours(20)),
                    cfg: c.clone(),
                }
            })
            .collect();
        let port_seed =
            scenario.name.bytes().fold(2_166_136_261u32, |h, b| (h ^ u32::from(b)).wrapping_mul(16_777_619));
        Engine {
            states,
            now: start,
            next_noise: start,
            noise_interval: Duration::seconds(set.noise_interval_s.max(1) as i64),
            port_seed,
            attempts: Vec::new(),
            max_attempts_kept: 10_000,
        }
    }

    /// Current simulated true time.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Index of the cluster named `name`.
    fn idx(&self, name: &str) -> Option<usize> {
        self.states.iter().position(|s| s.cfg.name == name)
    }

    /// Current ILS trace level of a cluster.
    pub fn trace_level(&self, cluster: &str) -> Option<TraceLevel> {
        self.idx(cluster).and_then(|i| self.states.get(i)).map(|s| s.level)
    }

    /// Changes a cluster's ILS trace level from now on (what updateProcessNodeService does).
    pub fn set_trace_level(&mut self, cluster: &str, level: TraceLevel) -> bool {
        match self.idx(cluster).and_then(|i| self.states.get_mut(i)) {
            Some(s) => {
                s.level = level;
                true
            }
            None => false,
        }
    }

    /// Current service state of a cluster's ILS.
    pub fn service(&self, cluster: &str) -> Option<ServiceState> {
        self.idx(cluster).and_then(|i| self.states.get(i)).map(|s| s.service)
    }

    /// Starts, stops or restarts a cluster's ILS service (`utils service ...`). A stopped service
    /// neither registers nor answers; a (re)start drops the cluster's registrations (its own and
    /// those of clusters registered to it), which then retry: the spoke at once, as after a
    /// restart of the real service [I].
    pub fn control_service(&mut self, cluster: &str, state: ServiceState) -> bool {
        let Some(i) = self.idx(cluster) else { return false };
        let now = self.now;
        let name = cluster.to_string();
        for (k, s) in self.states.iter_mut().enumerate() {
            let registers_here = s.cfg.ils.registration_server.as_deref() == Some(name.as_str());
            if (k == i || registers_here) && s.cfg.ils.registration_server.is_some() {
                s.registered = false;
                s.next_attempt = Some(now + Duration::seconds(1));
            }
            if k == i {
                s.service = state;
            }
        }
        true
    }

    /// Changes a cluster's configuration at run time (e.g. the ILS Authentication settings after a
    /// password join: technote method 4), as saving the ILS Configuration page would. Like a
    /// restart, it makes the cluster and those registered to it register again [I]. The
    /// PeerInfoVector learned so far is kept.
    pub fn reconfigure(&mut self, cluster: &str, change: impl FnOnce(&mut Cluster)) -> bool {
        let Some(s) = self.idx(cluster).and_then(|i| self.states.get_mut(i)) else {
            return false;
        };
        change(&mut s.cfg);
        let state = s.service;
        self.control_service(cluster, state)
    }

    /// Replaces what a cluster's running ILS service knows of its configuration (ILS settings,
    /// role, tomcat-trust) with `cfg`: what the service reads when it starts
    /// (docs/cucm-notes.md#join-restart) [I]. The PeerInfoVector learned so far is kept.
    pub fn reload(&mut self, cluster: &str, cfg: &Cluster) -> bool {
        match self.idx(cluster).and_then(|i| self.states.get_mut(i)) {
            Some(s) => {
                s.cfg = cfg.clone();
                true
            }
            None => false,
        }
    }

    /// True once `cluster` has registered to its registration server.
    pub fn is_registered(&self, cluster: &str) -> bool {
        self.idx(cluster).and_then(|i| self.states.get(i)).is_some_and(|s| s.registered)
    }

    /// The cluster's PeerInfoVector (lower-case FQDNs).
    pub fn peer_info_vector(&self, cluster: &str) -> Vec<String> {
        self.idx(cluster).and_then(|i| self.states.get(i)).map(|s| s.piv.iter().cloned().collect()).unwrap_or_default()
    }

    /// Trace files of a cluster, oldest first.
    pub fn files(&self, cluster: &str) -> &[TraceFile] {
        self.idx(cluster).and_then(|i| self.states.get(i)).map(|s| s.writer.files()).unwrap_or(&[])
    }

    /// Attempts so far (the most recent 10,000).
    pub fn attempts(&self) -> &[Attempt] {
        &self.attempts
    }

    /// Runs the simulation up to true time `t` (no-op if `t` is in the past).
    pub fn advance_to(&mut self, t: DateTime<Utc>) {
        loop {
            let next_attempt =
                self.states.iter().enumerate().filter_map(|(i, s)| s.next_attempt.map(|at| (at, i))).min();
            let noise = self.next_noise;
            match next_attempt {
                Some((at, i)) if at <= t && at < noise => {
                    self.now = at;
                    self.attempt(i);
                }
                _ if noise <= t => {
                    self.now = noise;
                    self.noise();
                    self.next_noise = noise + self.noise_interval;
                }
                _ => break,
            }
        }
        if t > self.now {
            self.now = t;
        }
    }

    fn noise(&mut self) {
        let t = self.now;
        self.routine_traffic(t);
        for s in &mut self.states {
            // SdlStat format from a CCM trace [3P: docs/cucm-notes.md#sdl-line]; numbers are made up.
            let lines = 40 + (s.instance % 30);
            s.writer.write(
                t,
                &[(
                    Tag::SdlStat,
                    format!(
                        "Period: 6s #Lines: {lines} #Bytes: {} Total Number of Buffers: 10000 Free LWM: 9955 Free LWM(total): 9537",
                        lines * 161
                    ),
                )],
            );
            if s.level == TraceLevel::Detailed && s.service == ServiceState::Started {
                // Invented noise in the SdlSig layout of the technote's P25 and an AppInfo line; neither is
                // a technote line [I].
                let node = s.cfg.node_id;
                let pid = format!("Ils({node},600,20,1)");
                s.writer.write(
                    t,
                    &[
                        (
                            Tag::SdlSig,
                            format!(
                                "{:<39}|{:<31}|{:<32}|{:<33}|{:<41}|*TraceFlagOverrode",
                                "SdlTimerExpired",
                                "ready",
                                pid,
                                pid,
                                format!("{node},600,20,1.{}^*^*", s.instance + 1)
                            ),
                        ),
                        (
                            Tag::AppInfo,
                            format!(
                                "IlsD Ils::wait_SdlTimerInd(): ILS sync timer expired, peers known={}",
                                s.piv.len()
                            ),
                        ),
                    ],
                );
            }
        }
    }

    /// Routine traffic on registered links, as a busy healthy ILS network writes it at
    /// Detailed level: the hub decrypts each encrypted message from a spoke that uses the ILS
    /// password (the technote's P23 lines, which CUCM writes for every such message, not only
    /// at a join). One message per spoke per noise interval is an invented rate [I]; that the
    /// lines appear outside joins is a field observation, not a technote statement.
    fn routine_traffic(&mut self, t: DateTime<Utc>) {
        let links: Vec<usize> = self
            .states
            .iter()
            .filter(|s| s.registered && s.cfg.ils.use_password && s.service == ServiceState::Started)
            .filter_map(|s| s.cfg.ils.registration_server.as_deref().and_then(|n| self.idx(n)))
            .collect();
        for hi in links {
            let Some(h) = self.states.get_mut(hi) else { continue };
            if h.level != TraceLevel::Detailed || h.service != ServiceState::Started {
                continue;
            }
            let len = 300 + (h.instance % 7) * 64;
            h.writer.write(
                t,
                &[
                    (Tag::AppInfo, "EncrUtil Function: decryptData at line 163 succedded".to_string()),
                    (Tag::AppInfo, "EncrUtil Function: decryptData at line 165 succedded".to_string()),
                    (Tag::AppInfo, format!("EncrUtil decryptData: inlen {}, outlen {} succeed", len + 7, len)),
                ],
            );
        }
    }

    fn attempt(&mut self, si: usize) {
        let t = self.now;
        let Some(spoke) = self.states.get(si).map(|s| s.cfg.clone()) else {
            return;
        };
        let hi = spoke.ils.registration_server.as_deref().and_then(|n| self.idx(n));
        let (Some(hi), true) = (hi, self.states.get(si).is_some_and(|s| s.service == ServiceState::Started)) else {
            // Spoke's ILS not running (or no such hub): try again later.
            if let Some(s) = self.states.get_mut(si) {
                s.next_attempt = Some(t + Duration::seconds(spoke.ils.retry_interval_s as i64));
            }
            return;
        };
        let (Some(s_state), Some(h_state)) = (self.states.get(si), self.states.get(hi)) else {
            return;
        };
        let hub = h_state.cfg.clone();
        let link = Link {
            hub: side_config(&hub, &h_state.piv, &spoke),
            spoke: side_config(&spoke, &s_state.piv, &hub),
            passwords_equal: hub.ils.password == spoke.ils.password,
            hub_reachable: h_state.service == ServiceState::Started && hub.ils.listening,
        };
        let d = decide(&link);
        self.port_seed = self.port_seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let spoke_port = 32_768 + ((self.port_seed >> 8) % 28_000) as u16;
        let has = |l: fn(&Line) -> bool| d.lines.iter().any(|e| l(&e.line));
        // SDL reuses the instances of its TCP handler processes once a connection ends, so a
        // spoke that retries writes the same few TCPPids again and again [I: the technote shows
        // instances 1 to 16; none from a long retry storm].
        let instance = self.states.get(si).map_or(1, |s| s.instance % HANDLER_INSTANCES + 1);
        let app_corr = self.states.get(si).map_or(1029, |s| s.app_corr + 1);
        let alarm_count = {
            let mut count = 0;
            if has(|l| *l == Line::P11PwdAlarm) {
                if let Some(h) = self.states.get_mut(hi) {
                    h.pwd_alarms += 1;
                    count = h.pwd_alarms;
                }
            } else if has(|l| *l == Line::P20TlsAlarmHub) {
                if let Some(h) = self.states.get_mut(hi) {
                    h.tls_alarms += 1;
                    count = h.tls_alarms;
                }
            } else if has(|l| *l == Line::P16TlsAlarmSpoke) {
                if let Some(s) = self.states.get_mut(si) {
                    s.tls_alarms += 1;
                    count = s.tls_alarms;
                }
            }
            count
        };
        let ctx = Ctx {
            hub_ip: hub.ip.clone(),
            spoke_ip: spoke.ip.clone(),
            hub_port: if d.tls { 7501 } else { 7502 },
            spoke_port,
            tls: d.tls,
            hub_peer_id: hub.peer_id(),
            spoke_peer_id: spoke.peer_id(),
            hub_fqdn: hub.fqdn.clone(),
            spoke_fqdn: spoke.fqdn.clone(),
            hub_node: hub.node_id,
            spoke_node: spoke.node_id,
            instance,
            app_corr,
            alarm_count,
        };
        let hub_detailed = self.states.get(hi).is_some_and(|s| s.level == TraceLevel::Detailed);
        let spoke_detailed = self.states.get(si).is_some_and(|s| s.level == TraceLevel::Detailed);
        let mut rendered = Vec::new();
        let (mut wh, mut ws) = (false, false);
        // The hub's password decryption and the established line it leads to are one SDL record
        // in the technote's method 3 (records 212.001 to 212.012): held, then written together.
        let mut held: Option<(DateTime<Utc>, Records)> = None;
        // Each line a few ms after the previous one, as in the technote (hub and spoke interleaved).
        for (k, e) in d.lines.iter().enumerate() {
            let at = t + Duration::milliseconds(3 * k as i64 + 1);
            let mut recs = render(e.side, e.line, &ctx);
            for (_, p) in &recs {
                rendered.push(AttemptLine { side: e.side, line: e.line, source: e.source, payload: p.clone() });
            }
            let (idx, on) = match e.side {
                Side::Hub => (hi, hub_detailed),
                Side::Spoke => (si, spoke_detailed),
            };
            if !on {
                continue;
            }
            let mut at = at;
            if e.side == Side::Hub {
                if e.line == Line::P23DecryptSucceeded {
                    held = Some((at, recs));
                    wh = true;
                    continue;
                }
                if let Some((held_at, mut first)) = held.take() {
                    if e.line == Line::P3ServerEstablished {
                        first.append(&mut recs);
                        recs = first;
                        at = held_at;
                    } else if let Some(st) = self.states.get_mut(idx) {
                        st.writer.write(held_at, &first);
                    }
                }
            }
            if let Some(st) = self.states.get_mut(idx) {
                st.writer.write(at, &recs);
            }
            match e.side {
                Side::Hub => wh = true,
                Side::Spoke => ws = true,
            }
        }
        if let (Some((held_at, recs)), Some(st)) = (held, self.states.get_mut(hi)) {
            st.writer.write(held_at, &recs);
        }
        let registered = d.outcome.is_registered();
        if let Some(s) = self.states.get_mut(si) {
            s.instance = instance;
            s.app_corr = app_corr;
            s.registered = registered;
            s.next_attempt =
                if registered { None } else { Some(t + Duration::seconds(spoke.ils.retry_interval_s as i64)) };
            if registered {
                s.piv.insert(hub.fqdn.to_ascii_lowercase());
            }
        }
        if registered {
            if let Some(h) = self.states.get_mut(hi) {
                h.piv.insert(spoke.fqdn.to_ascii_lowercase());
            }
        }
        if self.attempts.len() >= self.max_attempts_kept {
            self.attempts.remove(0);
        }
        self.attempts.push(Attempt {
            time: t,
            spoke: spoke.name.clone(),
            hub: hub.name.clone(),
            outcome: d.outcome,
            tls: d.tls,
            spoke_port,
            written_hub: wh,
            written_spoke: ws,
            lines: rendered,
        });
    }
}

/// The result of [`crate::simulate`].
#[derive(Debug, Clone)]
pub struct Simulation {
    /// Trace files per cluster `name`, oldest first (the last one is the active `.gzo`).
    pub files: BTreeMap<String, Vec<TraceFile>>,
    /// Every registration attempt, in time order.
    pub attempts: Vec<Attempt>,
}

impl Simulation {
    /// Writes every cluster's files into the directory `dir_of(cluster)`.
    fn write_each(&self, dir_of: impl Fn(&str) -> std::path::PathBuf) -> std::io::Result<Vec<std::path::PathBuf>> {
        let mut out = Vec::new();
        for (cluster, files) in &self.files {
            let d = dir_of(cluster);
            std::fs::create_dir_all(&d)?;
            for f in files {
                let p = d.join(&f.name);
                std::fs::write(&p, f.bytes())?;
                out.push(p);
            }
        }
        Ok(out)
    }

    /// Writes every file as `<dir>/<cluster>/<file name>` (gzip bytes, `.gzo` as written so far).
    pub fn write_flat(&self, dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
        self.write_each(|cluster| dir.join(cluster))
    }

    /// Writes every file the way an RTMT download lays it out:
    /// `<dir>/<node>/<YYYY-MM-DD_HH-MM-SS>/cm/trace/ils/sdl/<file>`, with `node` the cluster's
    /// publisher IP (docs/cucm-notes.md#download-layouts; the layout is inferred from a CCM download [I]).
    pub fn write_rtmt(
        &self,
        scenario: &Scenario,
        dir: &std::path::Path,
        download_time: DateTime<Utc>,
    ) -> std::io::Result<Vec<std::path::PathBuf>> {
        let stamp = download_time.format("%Y-%m-%d_%H-%M-%S").to_string();
        self.write_each(|cluster| {
            let node = scenario.cluster(cluster).map_or(cluster, |c| c.ip.as_str());
            dir.join(node).join(&stamp).join("cm/trace/ils/sdl")
        })
    }
}

/// Simulates `scenario` from true time `start` to `end` without starting servers.
pub fn simulate_window(scenario: &Scenario, start: DateTime<Utc>, end: DateTime<Utc>) -> Simulation {
    let mut e = Engine::new(scenario, start);
    e.advance_to(end);
    Simulation {
        files: scenario.clusters.iter().map(|c| (c.name.clone(), e.files(&c.name).to_vec())).collect(),
        attempts: e.attempts().to_vec(),
    }
}
