//! The ILS network a check looks at: the clusters given, the role each reports, and the links
//! expected between them, each with how its ends are known.
//!
//! In ILS a spoke registers to one hub, and hubs register to each other in a full mesh; a hub
//! joins another hub exactly as a spoke joins a hub (docs/cucm-notes.md#preconditions). So a
//! check with hubs H1..Hn and spokes S1..Sm expects one link per spoke (to its hub) and one per
//! pair of hubs. Which hub a spoke belongs to comes from evidence, strongest first
//! (docs/cucm-notes.md#membership):
//! 1. the traces: the hub address the spoke's latest attempt connects to (the spoke's own
//!    `ConnectReq`, or the hub's accepted connection from the spoke);
//! 2. the only hub given, when one was given (the user's word);
//! 3. the spoke's `remotecluster` rows when they name exactly one of the hubs given: an
//!    inference, said as such (every cluster of a network lists every other one, so rows
//!    rarely single one out).
//!
//! Pure: configuration facts and the analysis of the traces in, the links out.

use std::collections::BTreeSet;

use serde::Serialize;

use super::findings::SideConfig;
use super::model::{Analysis, Attempt};
use super::types::{Outcome, Side};
use crate::parse::facts::Facts;

/// The role a cluster reports (`getIlsConfig`), or the one it was given when it reports none
/// (an audit inventory's `role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Hub,
    Spoke,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Hub => "hub",
            Role::Spoke => "spoke",
        }
    }
}

/// What a link joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// A spoke registered (or registering) to a hub.
    SpokeToHub,
    /// One hub registered to another (the full mesh of hubs).
    HubToHub,
    /// A spoke registered to a cluster whose role is spoke: a misconfiguration.
    SpokeToSpoke,
}

impl LinkKind {
    /// How an engineer names it.
    pub fn title(self) -> &'static str {
        match self {
            LinkKind::SpokeToHub => "spoke to hub",
            LinkKind::HubToHub => "hub to hub",
            LinkKind::SpokeToSpoke => "spoke to spoke",
        }
    }
}

/// How the registering side and the side registered to are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Membership {
    /// An attempt in the traces connects the two.
    Traces,
    /// The user's word: the only hub given to `check`, or the inventory's `hub`.
    Given,
    /// The registering side's `remotecluster` rows name exactly one hub given (inferred).
    Rows,
    /// Nothing tells (several hubs, no attempt): the link is judged against every candidate.
    Unknown,
}

impl Membership {
    /// True when the link rests on a guess, which reports must mark as such.
    pub fn inferred(self) -> bool {
        matches!(self, Membership::Rows | Membership::Unknown)
    }
}

/// One cluster given to the check.
#[derive(Debug, Clone)]
pub struct Member {
    /// Index into the configuration list.
    pub index: usize,
    /// As given on the command line (or in the config file).
    pub given: Side,
    /// As the cluster reports it; the given role when it reports none.
    pub role: Role,
    /// Whether the role was read from the cluster (rather than taken from how it was given).
    pub role_read: bool,
    /// Every address and name it is known by (lower case).
    pub ids: BTreeSet<String>,
    /// How an engineer knows it: `cucm-hub.example.com (10.1.1.1)`.
    pub label: String,
}

/// A link the check expects, or one the traces show between clusters given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedLink {
    /// The registering side (the spoke, or the hub that registers to another).
    pub client: usize,
    /// The side registered to; `None` when no cluster given can be told to be it.
    pub server: Option<usize>,
    /// The address the client's attempts connect to when it is none of the clusters given.
    pub server_address: Option<String>,
    pub kind: LinkKind,
    pub membership: Membership,
    /// For a hub-to-hub link without attempts: the direction is unknown (either hub may be the
    /// one that registered), and the link is judged both ways.
    pub direction_known: bool,
}

/// The clusters of a check and the links expected between them.
#[derive(Debug, Clone, Default)]
pub struct Network {
    pub members: Vec<Member>,
    pub links: Vec<ExpectedLink>,
}

/// Reads a role from `getIlsConfig`'s text ("Hub Cluster", "Spoke Cluster").
pub fn role_of(facts: &Facts) -> Option<Role> {
    let r = facts.ils_role.as_deref()?.to_ascii_lowercase();
    if r.contains("hub") {
        Some(Role::Hub)
    } else if r.contains("spoke") {
        Some(Role::Spoke)
    } else {
        None
    }
}

/// Every address and name a publisher is known by (lower case): the address used, its own
/// name, and the nodes of `show network cluster`. The traces name a peer by these.
pub fn identities(f: &Facts) -> BTreeSet<String> {
    let mut ids = BTreeSet::from([f.host.to_ascii_lowercase()]);
    for (ip, fqdn, _) in &f.nodes {
        ids.insert(ip.trim().to_ascii_lowercase());
        if !fqdn.trim().is_empty() {
            ids.insert(fqdn.trim().to_ascii_lowercase());
        }
    }
    ids.extend(f.node_name.iter().map(|n| n.trim().to_ascii_lowercase()));
    ids.retain(|s| !s.is_empty());
    ids
}

fn named(ids: &BTreeSet<String>, addr: Option<&str>) -> bool {
    addr.is_some_and(|a| ids.contains(&a.trim().to_ascii_lowercase()))
}

impl Network {
    /// The clusters of `config` and the links the traces and the configuration imply.
    pub fn build(config: &[SideConfig], a: &Analysis) -> Network {
        let members: Vec<Member> = config
            .iter()
            .enumerate()
            .map(|(index, c)| {
                let read = role_of(&c.facts);
                let given = match c.side {
                    Side::Hub => Role::Hub,
                    Side::Spoke => Role::Spoke,
                };
                Member {
                    index,
                    given: c.side,
                    role: read.unwrap_or(given),
                    role_read: read.is_some(),
                    ids: identities(&c.facts),
                    label: c.facts.label(),
                }
            })
            .collect();
        let mut net = Network { members, links: Vec::new() };
        let hubs: Vec<usize> = net.members.iter().filter(|m| m.role == Role::Hub).map(|m| m.index).collect();
        // Clusters registered to: hubs by role, and whatever cluster given a spoke's traces
        // show it registering to (a misconfigured spoke acting as a hub).
        for m in net.members.iter().filter(|m| m.role == Role::Spoke) {
            net.links.push(net.spoke_link(m, &hubs, config, a));
        }
        for (i, &h1) in hubs.iter().enumerate() {
            for &h2 in hubs.iter().skip(i.saturating_add(1)) {
                net.links.push(net.hub_link(h1, h2, a));
            }
        }
        net
    }

    /// The member with index `i`.
    pub fn member(&self, i: usize) -> Option<&Member> {
        self.members.get(i)
    }

    /// The member an address names.
    pub fn member_named(&self, addr: Option<&str>) -> Option<&Member> {
        self.members.iter().find(|m| named(&m.ids, addr))
    }

    /// The attempts in which `client` registers (or tries to) to `server` (any cluster when
    /// `server` is `None`); an attempt that names no registering side counts as the only
    /// spoke's when one spoke was given.
    pub fn attempts_of<'a>(&self, a: &'a Analysis, client: usize, server: Option<usize>) -> Vec<&'a Attempt> {
        let Some(c) = self.member(client) else { return Vec::new() };
        let one_client = self.members.iter().filter(|m| m.role == Role::Spoke).count() == 1 && c.role == Role::Spoke;
        a.attempts
            .iter()
            .filter(|x| {
                let client_ok = named(&c.ids, x.spoke.as_deref())
                    || named(&c.ids, x.spoke_fqdn.as_deref())
                    || (one_client && x.spoke.is_none() && x.spoke_fqdn.is_none());
                let server_ok = match server.and_then(|s| self.member(s)) {
                    Some(s) => x.hub.is_none() || named(&s.ids, x.hub.as_deref()),
                    None => true,
                };
                client_ok && server_ok
            })
            .collect()
    }

    fn spoke_link(&self, m: &Member, hubs: &[usize], config: &[SideConfig], a: &Analysis) -> ExpectedLink {
        let mine = self.attempts_of(a, m.index, None);
        // 1. The traces: where the latest decided attempt (else the latest) connects to.
        let latest = mine.iter().rev().find(|x| x.outcome != Outcome::Incomplete).or(mine.last()).copied();
        if let Some(x) = latest {
            let server = self.member_named(x.hub.as_deref()).filter(|s| s.index != m.index);
            let kind = match server.map(|s| s.role) {
                Some(Role::Spoke) => LinkKind::SpokeToSpoke,
                _ => LinkKind::SpokeToHub,
            };
            match (server, &x.hub) {
                (Some(s), _) => {
                    return ExpectedLink {
                        client: m.index,
                        server: Some(s.index),
                        server_address: None,
                        kind,
                        membership: Membership::Traces,
                        direction_known: true,
                    }
                }
                (None, Some(addr)) => {
                    return ExpectedLink {
                        client: m.index,
                        server: None,
                        server_address: Some(addr.clone()),
                        kind,
                        membership: Membership::Traces,
                        direction_known: true,
                    }
                }
                (None, None) => {}
            }
        }
        // 2. The only hub given.
        if let [only] = hubs {
            return ExpectedLink {
                client: m.index,
                server: Some(*only),
                server_address: None,
                kind: LinkKind::SpokeToHub,
                membership: Membership::Given,
                direction_known: true,
            };
        }
        // 3. The spoke's rows, when they name exactly one hub given [I].
        let rows = config.get(m.index).map(|c| &c.facts.remote_clusters);
        let listed: Vec<usize> = hubs
            .iter()
            .copied()
            .filter(|&h| {
                let id = config.get(h).and_then(|c| c.facts.cluster_id.as_deref());
                rows.is_some_and(|r| r.iter().any(|(cid, _)| id.is_some_and(|i| cid.eq_ignore_ascii_case(i))))
            })
            .collect();
        let (server, membership) = match listed.as_slice() {
            [one] => (Some(*one), Membership::Rows),
            _ => (None, Membership::Unknown),
        };
        ExpectedLink {
            client: m.index,
            server,
            server_address: None,
            kind: LinkKind::SpokeToHub,
            membership,
            direction_known: true,
        }
    }

    fn hub_link(&self, h1: usize, h2: usize, a: &Analysis) -> ExpectedLink {
        let one_way = self.attempts_of(a, h1, Some(h2));
        let other_way = self.attempts_of(a, h2, Some(h1));
        let latest = |v: &[&Attempt]| v.iter().map(|x| x.id).max();
        let (client, server, direction_known) = match (latest(&one_way), latest(&other_way)) {
            (Some(x), Some(y)) if y > x => (h2, h1, true),
            (Some(_), _) => (h1, h2, true),
            (None, Some(_)) => (h2, h1, true),
            (None, None) => (h1, h2, false),
        };
        ExpectedLink {
            client,
            server: Some(server),
            server_address: None,
            kind: LinkKind::HubToHub,
            membership: if direction_known { Membership::Traces } else { Membership::Given },
            direction_known,
        }
    }
}

/// A side of a test network: its address, role, cluster ID, remotecluster rows and service state.
#[cfg(test)]
pub(crate) fn test_side(side: Side, host: &str, role: &str, id: &str, rows: &[&str], service: &str) -> SideConfig {
    SideConfig {
        side,
        facts: Facts {
            host: host.into(),
            ils_role: Some(role.into()),
            cluster_id: Some(id.into()),
            ils_service: Some(service.into()),
            ils_sync_status: Some("Up to Date".into()),
            remote_clusters: rows.iter().map(|r| (r.to_string(), String::new())).collect(),
            ..Facts::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::model::Analysis;
    use crate::analyze::Status;

    fn side(side: Side, host: &str, role: &str, id: &str, rows: &[&str]) -> SideConfig {
        test_side(side, host, role, id, rows, "STARTED")
    }

    fn attempt(id: usize, spoke: &str, hub: &str, outcome: Outcome) -> Attempt {
        Attempt::bare(id, Some(spoke.into()), Some(hub.into()), outcome)
    }

    fn analysis(attempts: Vec<Attempt>) -> Analysis {
        let mut a = Analysis::empty(Status::Ok, String::new());
        a.attempts = attempts;
        a
    }

    #[test]
    fn a_spoke_belongs_to_the_hub_its_traces_connect_to() {
        let config = vec![
            side(Side::Hub, "10.0.0.1", "Hub Cluster", "A", &["B", "S"]),
            side(Side::Hub, "10.0.0.2", "Hub Cluster", "B", &["A", "S"]),
            side(Side::Spoke, "10.0.0.11", "Spoke Cluster", "S", &["A", "B"]),
        ];
        let a = analysis(vec![attempt(1, "10.0.0.11", "10.0.0.2", Outcome::Success)]);
        let net = Network::build(&config, &a);
        let spoke = net.links.iter().find(|l| l.client == 2).unwrap();
        assert_eq!((spoke.server, spoke.membership, spoke.kind), (Some(1), Membership::Traces, LinkKind::SpokeToHub));
        // The hubs' link has no attempt: its direction is not known.
        let hubs = net.links.iter().find(|l| l.kind == LinkKind::HubToHub).unwrap();
        assert!(!hubs.direction_known);
        assert_eq!(net.links.len(), 2);
    }

    #[test]
    fn without_traces_one_hub_is_the_users_word_and_several_hubs_need_rows() {
        let one = vec![
            side(Side::Hub, "10.0.0.1", "Hub Cluster", "A", &[]),
            side(Side::Spoke, "10.0.0.11", "Spoke Cluster", "S", &["A"]),
        ];
        let net = Network::build(&one, &analysis(vec![]));
        assert_eq!((net.links[0].server, net.links[0].membership), (Some(0), Membership::Given));

        let two = vec![
            side(Side::Hub, "10.0.0.1", "Hub Cluster", "A", &[]),
            side(Side::Hub, "10.0.0.2", "Hub Cluster", "B", &[]),
            side(Side::Spoke, "10.0.0.11", "Spoke Cluster", "S", &["B"]),
            side(Side::Spoke, "10.0.0.12", "Spoke Cluster", "T", &["A", "B"]),
        ];
        let net = Network::build(&two, &analysis(vec![]));
        let s = net.links.iter().find(|l| l.client == 2).unwrap();
        assert_eq!((s.server, s.membership), (Some(1), Membership::Rows));
        assert!(s.membership.inferred());
        let t = net.links.iter().find(|l| l.client == 3).unwrap();
        assert_eq!((t.server, t.membership), (None, Membership::Unknown));
    }

    #[test]
    fn a_spoke_given_as_spoke_that_reports_hub_is_a_hub() {
        let config = vec![
            side(Side::Hub, "10.0.0.1", "Hub Cluster", "A", &[]),
            side(Side::Spoke, "10.0.0.2", "Hub Cluster", "B", &[]),
        ];
        let a = analysis(vec![attempt(1, "10.0.0.2", "10.0.0.1", Outcome::Success)]);
        let net = Network::build(&config, &a);
        assert_eq!(net.links.len(), 1);
        let l = &net.links[0];
        assert_eq!((l.client, l.server, l.kind, l.direction_known), (1, Some(0), LinkKind::HubToHub, true));
    }

    #[test]
    fn a_spoke_registering_to_a_spoke_is_named_so() {
        let config = vec![
            side(Side::Hub, "10.0.0.1", "Hub Cluster", "H", &[]),
            side(Side::Spoke, "10.0.0.11", "Spoke Cluster", "S", &[]),
            side(Side::Spoke, "10.0.0.12", "Spoke Cluster", "T", &[]),
        ];
        let a = analysis(vec![
            attempt(1, "10.0.0.11", "10.0.0.12", Outcome::Success),
            attempt(2, "10.0.0.12", "10.0.0.1", Outcome::Success),
        ]);
        let net = Network::build(&config, &a);
        let s = net.links.iter().find(|l| l.client == 1).unwrap();
        assert_eq!((s.server, s.kind), (Some(2), LinkKind::SpokeToSpoke));
        let t = net.links.iter().find(|l| l.client == 2).unwrap();
        assert_eq!((t.server, t.kind), (Some(0), LinkKind::SpokeToHub));
    }

    #[test]
    fn a_spoke_that_moved_belongs_to_its_latest_hub() {
        let config = vec![
            side(Side::Hub, "10.0.0.1", "Hub Cluster", "A", &[]),
            side(Side::Hub, "10.0.0.2", "Hub Cluster", "B", &[]),
            side(Side::Spoke, "10.0.0.11", "Spoke Cluster", "S", &["A", "B"]),
        ];
        let a = analysis(vec![
            attempt(1, "10.0.0.11", "10.0.0.1", Outcome::Success),
            attempt(2, "10.0.0.11", "10.0.0.2", Outcome::Success),
        ]);
        let net = Network::build(&config, &a);
        let s = net.links.iter().find(|l| l.client == 2).unwrap();
        assert_eq!(s.server, Some(1));
    }
}
