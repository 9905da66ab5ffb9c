//! `ils-doctor audit --discover HOST`: the ILS networks found from one or more publishers.
//!
//! Breadth first from the start hosts: each publisher's facts are read (`collect::facts::read`:
//! its cluster ID, ILS role and `remotecluster` rows), and every row names a cluster to visit
//! next, up to `--discover-depth` hops and `--discover-max` clusters. A level's publishers are
//! read at once, at most `--jobs`, each bounded by `--host-timeout`. Where a name is contacted
//! is decided by [`resolve`] (`--resolve`, `--discover-follow-names`); a cluster that is not
//! contacted or not reached is kept, with where it was seen and why, never dropped. [`plan`]
//! turns what was seen into networks, [`write`] into an inventory. Changes nothing on the
//! clusters.
//!
//! Credentials go only to hosts the user named (docs/security.md, "Discovery"): a start host or
//! a `--resolve` mapping gets the default credentials; a followed name only those its own
//! `[host."NAME"]` entry lists, else it is not contacted. `--accept-new-host-key` and
//! `--insecure` apply to the start hosts only.

pub mod credentials;
pub mod plan;
pub mod resolve;
pub mod write;

use std::collections::HashMap;
use std::time::Duration;

use futures_util::StreamExt;

use self::credentials::{Credentials, Settings};
use self::plan::{Plan, Seen, State};
use self::resolve::{Resolver, Route};
use super::gather;
use super::inventory::{Cluster, CredentialRef};
use super::model::Role;
use crate::collect::facts;
use crate::collect::publisher::{open_soap, Publisher};
use crate::parse::facts::Facts;
use crate::pipeline::live::{ConnOptions, HostSpec};

pub use crate::values::{DEFAULT_DEPTH, DEFAULT_MAX};

pub struct Options {
    /// The start hosts, as the user gave them (mapped by `resolver` when a mapping names them).
    pub starts: Vec<String>,
    /// Hops from a start host.
    pub depth: usize,
    /// Clusters recorded at most (contacted or not).
    pub max: usize,
    pub resolver: Resolver,
    pub credentials: Credentials,
    pub conn: ConnOptions,
    pub jobs: usize,
    pub host_timeout: Duration,
}

/// What discovery found.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub seen: Vec<Seen>,
    /// Where each was (or would have been) contacted.
    pub targets: Vec<Option<HostSpec>>,
    pub settings: Vec<Settings>,
    pub plan: Plan,
    /// Rows not followed because the count limit was reached.
    pub left_out: usize,
    pub starts: Vec<String>,
    /// RFC 3339, UTC.
    pub at: String,
    pub depth: usize,
    pub max: usize,
    pub defaults: Settings,
}

impl Discovery {
    /// `seen from A, B` or `discovery start`.
    pub fn seen_from_text(&self, i: usize) -> String {
        let Some(s) = self.seen.get(i) else { return String::new() };
        let start = if s.depth == 0 { "discovery start" } else { "" };
        if s.seen_from.is_empty() {
            return start.to_string();
        }
        let names: Vec<&str> =
            s.seen_from.iter().take(3).filter_map(|&f| self.seen.get(f)).map(|f| f.name.as_str()).collect();
        let more = s.seen_from.len().saturating_sub(3);
        let tail = if more > 0 { format!(" and {more} more") } else { String::new() };
        let sep = if start.is_empty() { "" } else { "; " };
        format!("{start}{sep}seen from {}{tail}", names.join(", "))
    }

    /// Whether `c` (from the inventory discovery wrote) is one of the start hosts the user
    /// named: the only clusters `--accept-new-host-key` and `--insecure` extend to.
    pub fn is_start(&self, c: &Cluster, conn: &ConnOptions) -> bool {
        self.seen.iter().zip(&self.targets).zip(&self.settings).any(|((s, t), set)| {
            s.depth == 0
                && t.as_ref().is_some_and(|spec| {
                    let start = cluster_for(&s.name, spec, set, conn);
                    (start.host.as_str(), start.ssh_port, start.https_port)
                        == (c.host.as_str(), c.ssh_port, c.https_port)
                })
        })
    }

    pub fn inventory_text(&self) -> String {
        write::inventory(self)
    }

    /// Counts for a one-line summary: networks, hubs, spokes, clusters not reached.
    pub fn summary(&self) -> String {
        let members = self.plan.networks.iter().flat_map(|n| &n.members);
        let hubs = members.clone().filter(|m| m.role == Role::Hub).count();
        let spokes = members.clone().filter(|m| m.role == Role::Spoke).count();
        let unreached = members.filter(|m| write::skip_reason(self, m.seen).is_some()).count();
        format!(
            "discovery: {} network(s), {hubs} hub(s), {spokes} spoke(s); {unreached} cluster(s) seen but not reached{}",
            self.plan.networks.len(),
            if self.left_out > 0 {
                format!("; {} row(s) over --discover-max not followed", self.left_out)
            } else {
                String::new()
            }
        )
    }
}

/// The connection options for a cluster seen at `depth`: past the start hosts, never
/// `--accept-new-host-key` nor `--insecure` (a publisher's row is not the user's trust decision).
pub fn conn_at(conn: &ConnOptions, depth: usize) -> ConnOptions {
    let mut c = conn.clone();
    if depth > 0 {
        c.accept_new_host_key = false;
        c.insecure = false;
    }
    c
}

/// The inventory cluster that discovery contacts at `spec`.
fn cluster_for(name: &str, spec: &HostSpec, s: &Settings, conn: &ConnOptions) -> Cluster {
    Cluster {
        name: name.to_string(),
        role: Role::Hub,
        host: spec.host.clone(),
        ssh_port: spec.ssh_port.or(s.ssh_port).unwrap_or(conn.ssh_port),
        https_port: spec.https_port.or(s.https_port).unwrap_or(conn.https_port),
        admin_user: s.admin_user.clone().unwrap_or_else(|| conn.admin_user.clone()),
        app_user: s.app_user.clone().unwrap_or_else(|| conn.app_user.clone()),
        admin_credential: s.admin_credential.clone().unwrap_or(CredentialRef::Auto),
        app_credential: s.app_credential.clone().unwrap_or(CredentialRef::Auto),
        hub: None,
        hub_inferred: false,
        method: None,
        tls_pin: s.tls_pin.clone(),
        skip: None,
        discovered: false,
    }
}

/// Reads one publisher's facts within the host timeout.
/// What discovery reads of a publisher: its Cluster ID, ILS role and `remotecluster` rows, over
/// AXL alone, so that each publisher has one CLI session in the whole run (the audit's; a CLI
/// session's start takes seconds on a real publisher, docs/cucm-notes.md#latency). Where AXL
/// refuses the table, the CLI's `run sql` reads it, as the audit's full read does.
async fn read_facts(c: Cluster, conn: &ConnOptions, limit: Duration) -> Result<Facts, String> {
    let work = async {
        let access = gather::access(&c, conn)?;
        let soap = open_soap(&access).await.map_err(|e| e.to_string())?;
        let mut f = Facts { host: access.host.clone(), https_port: access.https_port, ..Facts::default() };
        match facts::read_identity(&soap, &mut f).await {
            Ok(rows) => {
                f.remote_clusters = facts::remote_rows(&rows);
                Ok::<Facts, String>(f)
            }
            Err(_) => {
                let mut p = Publisher::open(access).await.map_err(|e| e.to_string())?;
                let f = facts::read(&mut p).await;
                p.close().await;
                Ok(f)
            }
        }
    };
    match tokio::time::timeout(limit, work).await {
        Ok(r) => r,
        Err(_) => Err(format!("{}: no answer within {} s (--host-timeout)", c.host, limit.as_secs())),
    }
}

/// Names compare without case and without a final dot.
fn key(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

struct Walk {
    seen: Vec<Seen>,
    targets: Vec<Option<HostSpec>>,
    settings: Vec<Settings>,
    /// By lower-case cluster ID and by lower-case reported name.
    index: HashMap<String, usize>,
    left_out: usize,
}

impl Walk {
    fn add(
        &mut self,
        name: &str,
        reported: &str,
        depth: usize,
        from: Option<usize>,
        route: Route,
        creds: &Credentials,
    ) -> usize {
        let i = self.seen.len();
        let names = [reported, name];
        let (state, target, settings) = match route {
            Route::Contact { spec, named: true } => {
                (State::NotContacted("pending".into()), Some(spec), creds.for_names(&names))
            }
            Route::Contact { spec, named: false } => match creds.for_followed(&names) {
                Some(own) => (State::NotContacted("pending".into()), Some(spec), own),
                None => (
                    State::NotContacted(
                        "no credentials listed for it (--discover-credentials [host.\"NAME\"] with admin_credential and app_credential); shared credentials never go to a name a publisher reports".into(),
                    ),
                    None,
                    creds.for_names(&names),
                ),
            },
            Route::Refused(why) => (State::NotContacted(why), None, creds.for_names(&names)),
        };
        self.seen.push(Seen {
            name: name.to_string(),
            reported_as: reported.to_string(),
            state,
            role_text: None,
            lists: Vec::new(),
            seen_from: from.into_iter().collect(),
            depth,
        });
        self.targets.push(target);
        self.settings.push(settings);
        for k in [key(name), key(reported)] {
            if !k.is_empty() {
                self.index.entry(k).or_insert(i);
            }
        }
        i
    }
}

pub async fn discover(o: &Options) -> Discovery {
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut w =
        Walk { seen: Vec::new(), targets: Vec::new(), settings: Vec::new(), index: HashMap::new(), left_out: 0 };
    let mut level: Vec<usize> = Vec::new();
    for s in &o.starts {
        if let Some(&i) = w.index.get(&key(s)) {
            level.retain(|&x| x != i);
            level.push(i);
            continue;
        }
        let i = w.add(s, s, 0, None, o.resolver.route(s, false), &o.credentials);
        level.push(i);
    }
    let mut depth = 0usize;
    while !level.is_empty() {
        // Read this level's publishers, at most `jobs` at once.
        let work: Vec<(usize, Cluster, ConnOptions)> = level
            .iter()
            .filter_map(|&i| {
                let spec = w.targets.get(i)?.as_ref()?;
                let s = w.seen.get(i)?;
                let settings = w.settings.get(i)?;
                Some((i, cluster_for(&s.name, spec, settings, &o.conn), conn_at(&o.conn, depth)))
            })
            .collect();
        let results: Vec<(usize, Result<Facts, String>)> = futures_util::stream::iter(work)
            .map(|(i, c, conn)| async move { (i, read_facts(c, &conn, o.host_timeout).await) })
            .buffer_unordered(o.jobs.max(1))
            .collect()
            .await;
        let mut results = results;
        results.sort_by_key(|(i, _)| *i);
        let mut next = Vec::new();
        for (i, r) in results {
            let f = match r {
                Ok(f) => f,
                Err(e) => {
                    if let Some(s) = w.seen.get_mut(i) {
                        s.state = State::Unreachable(e);
                    }
                    continue;
                }
            };
            // The cluster's own ID names it, unless another entry already has that name (two
            // start hosts naming one cluster).
            if let Some(id) = f.cluster_id.as_deref().map(str::trim).filter(|id| !id.is_empty()) {
                match w.index.get(&key(id)).copied() {
                    Some(j) if j != i => {
                        if let Some(s) = w.seen.get_mut(i) {
                            s.state = State::Duplicate(j);
                        }
                        continue;
                    }
                    Some(_) => {}
                    None => {
                        w.index.insert(key(id), i);
                        if let Some(s) = w.seen.get_mut(i) {
                            if s.seen_from.is_empty() {
                                s.name = id.to_string();
                            }
                        }
                    }
                }
            }
            if let Some(s) = w.seen.get_mut(i) {
                s.state = State::Reached;
                s.role_text = Some(f.ils_role.clone().unwrap_or_default()).filter(|r| !r.is_empty());
            }
            let child_depth = depth.saturating_add(1);
            for (id, fqdn) in &f.remote_clusters {
                let (id, fqdn) = (id.trim(), fqdn.trim());
                let name = if id.is_empty() { fqdn } else { id };
                if name.is_empty() {
                    continue;
                }
                let known = w.index.get(&key(name)).or_else(|| w.index.get(&key(fqdn))).copied();
                let j = match known {
                    Some(j) => {
                        if let Some(s) = w.seen.get_mut(j) {
                            if j != i && !s.seen_from.contains(&i) {
                                s.seen_from.push(i);
                            }
                        }
                        j
                    }
                    None if w.seen.len() >= o.max => {
                        w.left_out = w.left_out.saturating_add(1);
                        continue;
                    }
                    None => {
                        let route = if child_depth > o.depth {
                            Route::Refused(format!("beyond --discover-depth {}", o.depth))
                        } else if fqdn.is_empty() {
                            Route::Refused("its remotecluster row gives no host name".into())
                        } else {
                            o.resolver.route(fqdn, true)
                        };
                        let contact = matches!(route, Route::Contact { .. });
                        let reported = if fqdn.is_empty() { name } else { fqdn };
                        let j = w.add(name, reported, child_depth, Some(i), route, &o.credentials);
                        let contact = contact && w.targets.get(j).is_some_and(Option::is_some);
                        if contact {
                            next.push(j);
                        }
                        j
                    }
                };
                if j != i {
                    if let Some(s) = w.seen.get_mut(i) {
                        if !s.lists.contains(&j) {
                            s.lists.push(j);
                        }
                    }
                }
            }
        }
        level = next;
        depth = depth.saturating_add(1);
    }
    let plan = plan::plan(&w.seen);
    Discovery {
        plan,
        seen: w.seen,
        targets: w.targets,
        settings: w.settings,
        left_out: w.left_out,
        starts: o.starts.clone(),
        at,
        depth: o.depth,
        max: o.max,
        defaults: o.credentials.defaults.clone(),
    }
}
