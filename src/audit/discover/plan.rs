//! From what discovery saw to ILS networks: roles, each spoke's hub, and which clusters form one
//! network. Pure.
//!
//! `remotecluster` rows alone do not prove a registration and may list more than a cluster's
//! direct peers (docs/cucm-notes.md#remotecluster), so the rules are:
//! - a cluster's role is its own ILS role when it was read; a cluster that was not read is
//!   guessed: a hub when it is a start host or a spoke that was read lists it (a spoke lists its
//!   hub), else a spoke;
//! - a spoke's hub: the one hub its own rows list; else, of the hubs its rows list (all hubs
//!   when none), the one hub whose rows list the spoke; when several remain, the first
//!   discovered, and the inventory says so (set `hub` by hand if it is wrong). Every such choice
//!   is a guess (`hub_inferred`): the audit reads the spoke's traces, which confirm or correct
//!   it (docs/cucm-notes.md#membership);
//! - a network is a set of clusters connected by rows; its name is its first hub's.
//!
//! A cluster whose own role is neither hub nor spoke (a stand-alone cluster) is left out of
//! the networks, with the reason.

use std::collections::HashMap;

use crate::audit::model::Role;

/// How discovery ended for one cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Its facts were read.
    Reached,
    /// Contacting it failed: why.
    Unreachable(String),
    /// It was not contacted: why (not mapped, beyond the depth).
    NotContacted(String),
    /// The same cluster as another entry (two start hosts naming one cluster).
    Duplicate(usize),
}

/// One cluster as discovery saw it, in discovery order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// Its cluster ID (from its own facts or a `remotecluster` row), else the name reported.
    pub name: String,
    /// The name it was given as: a start host, or a row's fully qualified name.
    pub reported_as: String,
    pub state: State,
    /// Its ILS role as it reported it (`Hub Cluster`, ...), when read.
    pub role_text: Option<String>,
    /// The clusters its `remotecluster` rows list (indices into the discovery's list).
    pub lists: Vec<usize>,
    /// The clusters whose rows listed it, first first.
    pub seen_from: Vec<usize>,
    pub depth: usize,
}

impl Seen {
    pub fn own_role(&self) -> Option<Option<Role>> {
        let text = self.role_text.as_deref()?.to_ascii_lowercase();
        Some(if text.contains("hub") {
            Some(Role::Hub)
        } else if text.contains("spoke") {
            Some(Role::Spoke)
        } else {
            None
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Index into the discovery's list.
    pub seen: usize,
    pub role: Role,
    /// A spoke's hub (an index).
    pub hub: Option<usize>,
    /// The hub was taken from `remotecluster` rows: a guess (docs/cucm-notes.md#membership).
    pub hub_inferred: bool,
    /// What the inventory should say about the choice (a guessed role, an ambiguous hub).
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    pub name: String,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub networks: Vec<Network>,
    /// Clusters in no network, and why.
    pub outside: Vec<(usize, String)>,
}

fn find(parent: &mut [usize], i: usize) -> usize {
    let mut r = i;
    while let Some(&p) = parent.get(r) {
        if p == r {
            break;
        }
        r = p;
    }
    if let Some(slot) = parent.get_mut(i) {
        *slot = r;
    }
    r
}

fn name(seen: &[Seen], i: usize) -> &str {
    seen.get(i).map_or("?", |s| s.name.as_str())
}

pub fn plan(seen: &[Seen]) -> Plan {
    let live = |i: usize| seen.get(i).is_some_and(|s| !matches!(s.state, State::Duplicate(_)));
    // Roles.
    let mut outside = Vec::new();
    let mut roles: Vec<Option<(Role, Option<String>)>> = Vec::with_capacity(seen.len());
    for (i, s) in seen.iter().enumerate() {
        let role = match (&s.state, s.own_role()) {
            (State::Duplicate(_), _) => None,
            (_, Some(Some(r))) => Some((r, None)),
            (_, Some(None)) => {
                outside.push((
                    i,
                    format!(
                        "its ILS role is {:?}: not part of an ILS network",
                        s.role_text.as_deref().unwrap_or_default()
                    ),
                ));
                None
            }
            (_, None) => {
                let listed_by_spoke =
                    s.seen_from.iter().any(|&f| seen.get(f).and_then(Seen::own_role) == Some(Some(Role::Spoke)));
                // A start host is named as a hub (`--discover HUB`).
                let r = if listed_by_spoke || s.depth == 0 { Role::Hub } else { Role::Spoke };
                let from = if s.depth == 0 { "as a discovery start" } else { "from remotecluster rows" };
                Some((r, Some(format!("role not read: guessed {} {from}", r.as_str()))))
            }
        };
        roles.push(role);
    }
    let role_of = |i: usize| roles.get(i).and_then(|r| r.as_ref()).map(|(r, _)| *r);
    // Networks: clusters connected by rows.
    let mut parent: Vec<usize> = (0..seen.len()).collect();
    for (i, s) in seen.iter().enumerate() {
        for &j in &s.lists {
            if role_of(i).is_some() && role_of(j).is_some() {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                if let Some(slot) = parent.get_mut(a) {
                    *slot = b;
                }
            }
        }
    }
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut group_of: HashMap<usize, usize> = HashMap::new();
    for i in (0..seen.len()).filter(|&i| live(i) && role_of(i).is_some()) {
        let root = find(&mut parent, i);
        let k = *group_of.entry(root).or_insert_with(|| {
            groups.push((root, Vec::new()));
            groups.len().saturating_sub(1)
        });
        if let Some(g) = groups.get_mut(k) {
            g.1.push(i);
        }
    }
    let mut networks = Vec::new();
    for (_, members) in groups {
        let hubs: Vec<usize> = members.iter().copied().filter(|&i| role_of(i) == Some(Role::Hub)).collect();
        let lists = |a: usize, b: usize| seen.get(a).is_some_and(|s| s.lists.contains(&b));
        let mut out = Vec::new();
        for &i in &members {
            let mut notes: Vec<String> =
                roles.get(i).and_then(|r| r.as_ref()).and_then(|(_, n)| n.clone()).into_iter().collect();
            let role = role_of(i).unwrap_or(Role::Spoke);
            let hub = if role == Role::Hub {
                None
            } else {
                let own: Vec<usize> = hubs.iter().copied().filter(|&h| lists(i, h)).collect();
                if let [only] = own.as_slice() {
                    Some(*only)
                } else {
                    let pool = if own.is_empty() { &hubs } else { &own };
                    let listers: Vec<usize> = pool.iter().copied().filter(|&h| lists(h, i)).collect();
                    match listers.as_slice() {
                        [only] => Some(*only),
                        [first, ..] => {
                            let names: Vec<&str> = listers.iter().map(|&h| name(seen, h)).collect();
                            notes.push(format!(
                                "hub ambiguous: the rows of {} list it; took {} (the first discovered); set `hub` if it registers elsewhere",
                                names.join(", "),
                                name(seen, *first)
                            ));
                            Some(*first)
                        }
                        [] => pool.first().copied().inspect(|h| {
                            notes.push(format!(
                                "no hub lists it in remotecluster; took {} (the first discovered hub of its network)",
                                name(seen, *h)
                            ))
                        }),
                    }
                }
            };
            if role == Role::Spoke && hub.is_none() {
                outside.push((i, "a spoke with no hub found in its network".to_string()));
                continue;
            }
            // Rows never prove which hub a spoke registers to: every cluster of a meshed network
            // lists every other, and rows outlive a move. The audit's traces may confirm it.
            let hub_inferred = hub.is_some();
            if hub_inferred && !notes.iter().any(|n| n.contains("took")) {
                notes.push(
                    "hub inferred from remotecluster rows (they cannot prove a registration); the audit's traces confirm or correct it"
                        .into(),
                );
            }
            out.push(Member { seen: i, role, hub, hub_inferred, notes });
        }
        if out.is_empty() {
            continue;
        }
        let first = hubs.first().or(members.first()).copied().unwrap_or_default();
        networks.push(Network { name: name(seen, first).to_string(), members: out });
    }
    outside.sort_by_key(|(i, _)| *i);
    Plan { networks, outside }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(name: &str, role: Option<&str>, lists: &[usize], from: &[usize]) -> Seen {
        Seen {
            name: name.into(),
            reported_as: format!("{name}.example.com"),
            state: if role.is_some() { State::Reached } else { State::NotContacted("not mapped".into()) },
            role_text: role.map(String::from),
            lists: lists.to_vec(),
            seen_from: from.to_vec(),
            depth: usize::from(!from.is_empty()),
        }
    }

    #[test]
    fn direct_peer_rows_give_two_hubs_and_their_spokes() {
        // 0 hub-a lists 1 hub-b, 2, 3; 1 hub-b lists 0, 4; spokes list their hub; 5 unreached.
        let s = vec![
            seen("A", Some("Hub Cluster"), &[1, 2, 3, 5], &[]),
            seen("B", Some("Hub Cluster"), &[0, 4], &[0]),
            seen("a1", Some("Spoke Cluster"), &[0], &[0]),
            seen("a2", Some("Spoke Cluster"), &[0], &[0]),
            seen("b1", Some("Spoke Cluster"), &[1], &[1]),
            seen("x", None, &[], &[0]),
        ];
        let p = plan(&s);
        assert_eq!(p.networks.len(), 1);
        let n = &p.networks[0];
        assert_eq!(n.name, "A");
        let hub_of = |i: usize| n.members.iter().find(|m| m.seen == i).unwrap().hub;
        assert_eq!((hub_of(2), hub_of(3), hub_of(4), hub_of(5)), (Some(0), Some(0), Some(1), Some(0)));
        assert_eq!(n.members.iter().filter(|m| m.role == Role::Hub).count(), 2);
        assert!(n.members.iter().find(|m| m.seen == 5).unwrap().notes[0].contains("guessed spoke"));
    }

    #[test]
    fn full_directories_are_ambiguous_and_say_so_and_stand_alone_is_outside() {
        let s = vec![
            seen("A", Some("Hub Cluster"), &[1, 2], &[]),
            seen("B", Some("Hub Cluster"), &[0, 2], &[0]),
            seen("s", Some("Spoke Cluster"), &[0, 1, 4], &[0, 1]),
            seen("alone", Some("Stand Alone Cluster"), &[], &[0]),
            seen("h?", None, &[], &[2]),
        ];
        let p = plan(&s);
        let n = &p.networks[0];
        let spoke = n.members.iter().find(|m| m.seen == 2).unwrap();
        assert_eq!(spoke.hub, Some(0));
        assert!(spoke.notes[0].contains("ambiguous"), "{:?}", spoke.notes);
        assert_eq!(
            p.outside,
            vec![(3, "its ILS role is \"Stand Alone Cluster\": not part of an ILS network".to_string())]
        );
        // Listed by a spoke only: guessed to be a hub.
        assert_eq!(n.members.iter().find(|m| m.seen == 4).map(|m| m.role), Some(Role::Hub));
    }

    #[test]
    fn a_start_host_that_cannot_be_read_stays_as_a_hub() {
        let p = plan(&[seen("hq.example.com", None, &[], &[])]);
        assert_eq!(p.networks.len(), 1);
        assert_eq!(p.networks[0].members[0].role, Role::Hub);
        assert!(p.networks[0].members[0].notes[0].contains("discovery start"));
    }

    #[test]
    fn separate_networks_stay_separate() {
        let s = vec![
            seen("A", Some("Hub Cluster"), &[1], &[]),
            seen("a", Some("Spoke Cluster"), &[0], &[0]),
            seen("B", Some("Hub Cluster"), &[3], &[]),
            seen("b", Some("Spoke Cluster"), &[2], &[2]),
        ];
        let p = plan(&s);
        assert_eq!(p.networks.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(), ["A", "B"]);
    }
}
