//! The publisher's database tables, built from the scenario, and the live world state.
//!
//! Tables (docs/cucm-notes.md#remotecluster, docs/cucm-notes.md#trace-level): `processnode`
//! (columns from technote 215013),
//! `processconfig` (the `ClusterID` enterprise parameter), `typeservice`,
//! `typetracelevelgrouping`, `processnodeservice` (the ILS row follows the simulator's live trace
//! level), `remotecluster` (columns **inferred** from the AXL RemoteCluster object [I]; the real
//! column list is unknown [NF]), plus any `[cluster.tables]` of the scenario, which override.
//! Service enums and pkids are made up [I].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::scenario::{Cluster, Faults, Role, Scenario, TraceLevel};
use crate::sim::Engine;
use crate::sql::{Db, Rows, Value};

/// Name of the ILS service (docs/cucm-notes.md#ils-service).
pub const ILS_SERVICE: &str = "Cisco Intercluster Lookup Service";

/// Made-up `typeservice.enum` values [I].
const SERVICES: &[(&str, &str, TraceLevel)] = &[
    ("0", "Cisco CallManager", TraceLevel::Detailed),
    ("1", "Cisco Tftp", TraceLevel::Significant),
    ("5", "Cisco AXL Web Service", TraceLevel::Significant),
    ("13", "Cisco CTIManager", TraceLevel::Detailed),
    ("20", "Cisco User Data Services", TraceLevel::Significant),
    ("48", ILS_SERVICE, TraceLevel::Significant),
];

/// `typeservice.enum` of the ILS service [I].
pub const ILS_ENUM: &str = "48";

fn s(v: &str) -> Value {
    Some(v.to_string())
}

/// A stable lower-case UUID for `seed` and `n` (DB pkids are lower case without braces).
pub fn pkid(seed: &str, n: u32) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(n);
    for b in seed.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let x = format!("{h:016x}{:016x}", h.rotate_left(17) ^ 0x9e37_79b9_7f4a_7c15);
    format!("{}-{}-{}-{}-{}", &x[0..8], &x[8..12], &x[12..16], &x[16..20], &x[20..32])
}

fn table(cols: &[&str], rows: Vec<Vec<Value>>) -> Rows {
    Rows { columns: cols.iter().map(|c| c.to_string()).collect(), rows }
}

/// The tables of `c`'s publisher at start.
pub fn initial_tables(scenario: &Scenario, c: &Cluster) -> Db {
    let mut db = Db::new();
    let pub_pkid = pkid(&c.fqdn, 1);
    db.insert(
        "processnode".into(),
        table(
            &[
                "pkid",
                "name",
                "mac",
                "systemnode",
                "description",
                "isactive",
                "nodeid",
                "tknodeusage",
                "ipv6name",
                "fklbmhubgroup",
                "tkprocessnoderole",
                "tkssomode",
            ],
            vec![
                vec![
                    s("00000000-1111-0000-0000-000000000000"),
                    s("EnterpriseWideData"),
                    s(""),
                    s("t"),
                    s(""),
                    s("t"),
                    s("1"),
                    s("1"),
                    s(""),
                    None,
                    s("1"),
                    s("0"),
                ],
                vec![
                    s(&pub_pkid),
                    s(&c.fqdn),
                    s(""),
                    s("f"),
                    s(""),
                    s("t"),
                    s("2"),
                    s("0"),
                    s(""),
                    None,
                    s("1"),
                    s("0"),
                ],
            ],
        ),
    );
    db.insert(
        "processconfig".into(),
        table(
            &["pkid", "paramname", "paramvalue", "tkservice", "fkprocessnode"],
            vec![vec![
                s(&pkid(&c.fqdn, 2)),
                s("ClusterID"),
                s(&c.cluster_id),
                s("11"),
                s("00000000-1111-0000-0000-000000000000"),
            ]],
        ),
    );
    db.insert(
        "typeservice".into(),
        table(
            &["enum", "name", "nameforcontrol", "tktracelevelgroups"],
            SERVICES.iter().map(|(e, n, _)| vec![s(e), s(n), s(n), s("1")]).collect(),
        ),
    );
    db.insert(
        "typetracelevelgrouping".into(),
        table(
            &["enum", "tktracelevelgroups", "name", "value"],
            TraceLevel::ALL
                .iter()
                .enumerate()
                .map(|(i, l)| vec![s(&i.to_string()), s("1"), s(l.name()), s(&l.value().to_string())])
                .collect(),
        ),
    );
    db.insert(
        "processnodeservice".into(),
        table(
            &[
                "pkid",
                "fkprocessnode",
                "tkservice",
                "servername",
                "tracelevel",
                "enable",
                "numfiles",
                "maxfilesize",
                "usercategories",
            ],
            SERVICES
                .iter()
                .enumerate()
                .map(|(i, (e, _, l))| {
                    let level = if *e == ILS_ENUM { c.ils.trace_level } else { *l };
                    vec![
                        s(&pkid(&c.fqdn, 10 + i as u32)),
                        s(&pub_pkid),
                        s(e),
                        s(c.hostname()),
                        s(&level.value().to_string()),
                        s("t"),
                        s("250"),
                        s("1"),
                        s("0"),
                    ]
                })
                .collect(),
        ),
    );
    let remote: Vec<Vec<Value>> = if c.role == Role::StandAlone {
        Vec::new()
    } else {
        scenario
            .clusters
            .iter()
            .filter(|o| o.name != c.name && o.role != Role::StandAlone)
            .map(|o| vec![s(&pkid(&o.fqdn, 3)), s(&o.cluster_id), s(""), s(&o.fqdn)])
            .collect()
    };
    db.insert("remotecluster".into(), table(&["pkid", "clusterid", "description", "fullyqualifiedname"], remote));
    for (name, t) in &c.tables {
        db.insert(
            name.to_ascii_lowercase(),
            Rows {
                columns: t.columns.iter().map(|c| c.to_ascii_lowercase()).collect(),
                rows: t
                    .rows
                    .iter()
                    .map(|r| r.iter().map(|v| if v == "NULL" { None } else { Some(v.clone()) }).collect())
                    .collect(),
            },
        );
    }
    db
}

/// Everything that changes while the mock runs.
#[derive(Debug)]
pub struct World {
    /// The scenario as loaded.
    pub scenario: Scenario,
    /// The ILS simulator.
    pub engine: Engine,
    /// Faults in force.
    pub faults: Faults,
    /// Tables per cluster name.
    pub dbs: BTreeMap<String, Db>,
    /// HTTPS requests seen, per cluster (for `throttle_every_nth`).
    pub requests: BTreeMap<String, u64>,
    /// Tomcat certificates per cluster name (filled by the server; empty offline).
    pub tomcat: BTreeMap<String, crate::tls::ServerCert>,
    /// Connections accepted per cluster (to measure a client's reuse of sessions and pools).
    pub connections: BTreeMap<String, Connections>,
    /// ILS trace `numFiles` and `maxFileSize` per cluster as last written (250 and 1 until then).
    pub trace_file_settings: BTreeMap<String, (String, String)>,
}

/// What one publisher accepted.
#[derive(Debug, Clone, Default)]
pub struct Connections {
    /// SSH TCP connections accepted.
    pub ssh: u64,
    /// Distinct client addresses (ip:port) that sent HTTPS requests: one per TCP connection.
    pub https_peers: std::collections::BTreeSet<std::net::SocketAddr>,
    /// SSH authentication attempts refused (password or keyboard-interactive answers).
    pub failed_logins: u64,
    /// The right password was sent in a refused attempt (an answer to a prompt other than the
    /// password's, see [`crate::scenario::Faults::ki_prompt`]).
    pub password_sent_to_other_prompt: bool,
    /// Milliseconds of scenario latency this publisher imposed (CLI start, commands, requests):
    /// what a client waited for, had it asked everything one after the other.
    pub latency_ms: u64,
}

impl World {
    /// A cluster's ILS trace `numFiles` and `maxFileSize`.
    pub fn trace_files(&self, cluster: &str) -> (String, String) {
        self.trace_file_settings.get(cluster).cloned().unwrap_or_else(|| ("250".into(), "1".into()))
    }

    /// A world at true time `start`.
    pub fn new(scenario: Scenario, start: chrono::DateTime<chrono::Utc>) -> World {
        let engine = Engine::new(&scenario, start);
        let dbs = scenario.clusters.iter().map(|c| (c.name.clone(), initial_tables(&scenario, c))).collect();
        World {
            faults: scenario.faults.clone(),
            engine,
            dbs,
            requests: BTreeMap::new(),
            tomcat: BTreeMap::new(),
            connections: BTreeMap::new(),
            trace_file_settings: BTreeMap::new(),
            scenario,
        }
    }

    /// Starts, stops or restarts `cluster`'s ILS service (`utils service ...`, Control Center).
    /// A (re)start reads the configuration saved since (updateIlsConfig, imported or deleted
    /// trust entries): the running service knows only what it read when it started
    /// (docs/cucm-notes.md#join-restart) [I].
    pub fn control_ils(&mut self, cluster: &str, state: crate::scenario::ServiceState) -> bool {
        self.engine.advance_to(chrono::Utc::now());
        if state == crate::scenario::ServiceState::Started {
            if let Some(c) = self.scenario.cluster(cluster).cloned() {
                self.engine.reload(cluster, &c);
            }
        }
        self.engine.control_service(cluster, state)
    }

    /// The database of `cluster` with the live ILS trace level filled in.
    pub fn db(&mut self, cluster: &str) -> Option<&Db> {
        let level = self.engine.trace_level(cluster)?;
        let db = self.dbs.get_mut(cluster)?;
        if let Some(t) = db.get_mut("processnodeservice") {
            let (Some(ti), Some(li)) =
                (t.columns.iter().position(|c| c == "tkservice"), t.columns.iter().position(|c| c == "tracelevel"))
            else {
                return Some(db);
            };
            for r in &mut t.rows {
                if r.get(ti).and_then(|v| v.as_deref()) == Some(ILS_ENUM) {
                    if let Some(v) = r.get_mut(li) {
                        *v = Some(level.value().to_string());
                    }
                }
            }
        }
        Some(db)
    }

    /// Runs an UPDATE on `cluster`'s tables; a change of the ILS `tracelevel` reaches the simulator.
    pub fn update(&mut self, cluster: &str, st: &crate::sql::Statement) -> Result<usize, crate::sql::SqlError> {
        let Some(db) = self.db(cluster) else {
            return Ok(0);
        };
        let (table, hits, sets) = crate::sql::plan_update(db, st)?;
        let mut new_level = None;
        if let Some(t) = self.dbs.get_mut(cluster).and_then(|d| d.get_mut(&table)) {
            let ti = t.columns.iter().position(|c| c == "tkservice");
            for &i in &hits {
                let Some(row) = t.rows.get_mut(i) else {
                    continue;
                };
                let is_ils = ti.and_then(|ti| row.get(ti)).and_then(|v| v.as_deref()) == Some(ILS_ENUM);
                for (col, val) in &sets {
                    if let Some(ci) = t.columns.iter().position(|c| c == col) {
                        if let Some(cell) = row.get_mut(ci) {
                            *cell = val.clone();
                        }
                        if table == "processnodeservice" && col == "tracelevel" && is_ils {
                            new_level = val.as_deref().and_then(|v| v.parse::<i64>().ok());
                        }
                    }
                }
            }
        }
        if let Some(v) = new_level {
            self.engine.set_trace_level(cluster, TraceLevel::from_value(v));
        }
        Ok(hits.len())
    }
}

/// The world shared by all servers of one run.
pub type Shared = Arc<Mutex<World>>;

/// Locks the world, recovering from a poisoned lock (a panicking handler must not stop the mock).
pub fn lock(w: &Shared) -> MutexGuard<'_, World> {
    w.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::{parse, query};

    fn world() -> World {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/m1-password-mismatch.toml"))
            .unwrap();
        let s = Scenario::from_toml(&text, "t").unwrap();
        World::new(s, chrono::Utc::now())
    }

    #[test]
    fn updating_the_ils_tracelevel_reaches_the_simulator() {
        let mut w = world();
        assert_eq!(w.engine.trace_level("hub"), Some(TraceLevel::Significant));
        let up = parse("update processnodeservice set tracelevel = 127 where tkservice in (select enum from typeservice where name like '%Intercluster Lookup%')").unwrap();
        assert_eq!(w.update("hub", &up).unwrap(), 1);
        assert_eq!(w.engine.trace_level("hub"), Some(TraceLevel::Detailed));
        assert_eq!(w.engine.trace_level("spoke"), Some(TraceLevel::Significant));
        // And the join of docs/cucm-notes.md#trace-level shows it by name.
        let q = parse("select ts.nameforcontrol as service, ttlg.name as trace_level, pns.enable, pns.servername from typeservice as ts, typetracelevelgrouping as ttlg, processnodeservice as pns where ts.enum=pns.tkservice and ttlg.tktracelevelgroups=ts.tktracelevelgroups and pns.tracelevel=ttlg.value").unwrap();
        let r = query(w.db("hub").unwrap(), &q).unwrap();
        assert!(r.rows.iter().any(|r| r[0].as_deref() == Some(ILS_SERVICE) && r[1].as_deref() == Some("Detailed")));
    }

    #[test]
    fn remotecluster_and_cluster_id_are_answered() {
        let mut w = world();
        let r =
            query(w.db("spoke").unwrap(), &parse("select clusterid, fullyqualifiedname from remotecluster").unwrap())
                .unwrap();
        assert_eq!(r.rows, vec![vec![Some("HUB-CL".into()), Some("cucm-hub.example.com".into())]]);
        let r = query(
            w.db("hub").unwrap(),
            &parse("select paramvalue from processconfig where paramname = 'ClusterID'").unwrap(),
        )
        .unwrap();
        assert_eq!(r.rows, vec![vec![Some("HUB-CL".into())]]);
    }
}
