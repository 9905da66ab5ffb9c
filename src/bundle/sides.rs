//! Which side wrote a trace, from its content, when the user did not say (`analyze` without
//! `--hub`/`--spoke`). Pure.
//!
//! Files are grouped by the FileHead host (address, else name); a file without a FileHead joins
//! the file before it in the same folder. Each group's matched lines vote: the catalog's
//! `side = "hub"` lines are written by the ILS server (ConnectInd, wait_SdlConnectionInd,
//! "Server Connection"), `side = "spoke"` lines by the client (ConnectReq, "Client
//! Connection"); a `both` line counts by its peer port (peer on 7501/7502: the writer is the
//! client). The majority decides. A group without a vote is the hub if a decided spoke
//! connects to its address, a spoke if a decided hub is connected from it; otherwise it stays
//! undecided and is analysed as a spoke, with a warning.

use std::collections::BTreeMap;
use std::path::Path;

use crate::analyze::episode::is_ils_port;
use crate::analyze::types::SideSpec;
use crate::analyze::{Catalog, ScannedFile, Side};

/// A group of files from one host, and what was decided for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub files: Vec<usize>,
    pub host_ip: Option<String>,
    pub host_name: Option<String>,
    pub server_lines: usize,
    pub client_lines: usize,
    pub side: Option<Side>,
    /// Why, in words.
    pub reason: String,
}

impl Decision {
    /// `<host> (<n> files, first <path>)`.
    pub fn label(&self, files: &[ScannedFile]) -> String {
        let host = match (&self.host_name, &self.host_ip) {
            (Some(n), Some(ip)) => format!("{n} {ip}"),
            (Some(h), None) | (None, Some(h)) => h.clone(),
            (None, None) => "no FileHead host".into(),
        };
        let first = self.files.first().and_then(|&i| files.get(i)).map_or("?", |f| f.path.as_str());
        format!("{host} ({} file(s), first {first})", self.files.len())
    }

    /// The line printed for the user.
    pub fn describe(&self, files: &[ScannedFile]) -> String {
        let side = self.side.map_or("undecided (analysed as a spoke)", |s| s.as_str());
        format!("side detection: {} → {side} ({})", self.label(files), self.reason)
    }
}

/// Groups the files and decides each group's side.
pub fn detect(catalog: &Catalog, files: &[ScannedFile]) -> Vec<Decision> {
    let mut groups: Vec<Decision> = Vec::new();
    let mut by_host: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_folder: BTreeMap<(usize, String), usize> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        let folder = (f.arg, Path::new(&f.path).parent().map(|p| p.display().to_string()).unwrap_or_default());
        let head = f.filehead.as_ref();
        let host = head.and_then(|h| h.host_ip.clone().or_else(|| h.host_name.clone()));
        let g = match host {
            Some(h) => *by_host.entry(h).or_insert_with(|| {
                groups.push(empty(head.and_then(|h| h.host_ip.clone()), head.and_then(|h| h.host_name.clone())));
                groups.len().saturating_sub(1)
            }),
            None => match by_folder.get(&folder) {
                Some(&g) => g,
                None => {
                    groups.push(empty(None, None));
                    groups.len().saturating_sub(1)
                }
            },
        };
        by_folder.insert(folder, g);
        if let Some(group) = groups.get_mut(g) {
            group.files.push(i);
        }
    }
    // The peer addresses each group's lines name, in the order of `groups`.
    let mut peers: Vec<Vec<String>> = Vec::with_capacity(groups.len());
    for d in &mut groups {
        let mut named = Vec::new();
        for &fi in &d.files {
            let Some(file) = files.get(fi) else { continue };
            for hit in &file.hits {
                let Some(sig) = catalog.get(hit.sig) else { continue };
                let client = match sig.side {
                    SideSpec::Hub => false,
                    SideSpec::Spoke => true,
                    SideSpec::Both => match hit.fields.peer_port {
                        Some(p) => is_ils_port(p),
                        None => continue,
                    },
                };
                if client {
                    d.client_lines = d.client_lines.saturating_add(1);
                } else {
                    d.server_lines = d.server_lines.saturating_add(1);
                }
                if let Some(ip) = &hit.fields.peer_ip {
                    named.push(ip.clone());
                }
            }
        }
        peers.push(named);
        let host = d.host_ip.as_deref().or(d.host_name.as_deref());
        let head = host.map_or(String::new(), |h| format!(", FileHead {h}"));
        let (s, c) = (d.server_lines, d.client_lines);
        if s > c {
            d.side = Some(Side::Hub);
            d.reason = format!("{s} server-side line(s), {c} client-side{head}");
        } else if c > s {
            d.side = Some(Side::Spoke);
            d.reason = format!("{c} client-side line(s), {s} server-side{head}");
        }
    }
    // Groups without a majority: what the decided ones say about their address.
    // Decided in order: a group decided here can name a later one.
    for g in 0..groups.len() {
        let Some(d) = groups.get(g) else { continue };
        if d.side.is_some() {
            continue;
        }
        let (side, reason) = match d.host_ip.clone() {
            None => (
                None,
                format!(
                    "{} server-side and {} client-side line(s), and no FileHead address to match with the other side",
                    d.server_lines, d.client_lines
                ),
            ),
            Some(ip) => {
                let named_by = |side: Side| {
                    groups
                        .iter()
                        .zip(&peers)
                        .enumerate()
                        .find(|&(o, (other, named))| o != g && other.side == Some(side) && named.contains(&ip))
                        .map(|(_, (other, _))| other)
                };
                if let Some(o) = named_by(Side::Spoke) {
                    (
                        Some(Side::Hub),
                        format!("no majority of lines; the spoke {} connects to its address {ip}", host_of(o)),
                    )
                } else if let Some(o) = named_by(Side::Hub) {
                    (
                        Some(Side::Spoke),
                        format!("no majority of lines; the hub {} is connected from its address {ip}", host_of(o)),
                    )
                } else {
                    (
                        None,
                        format!(
                            "{} server-side and {} client-side line(s), FileHead {ip}, named by no other trace",
                            d.server_lines, d.client_lines
                        ),
                    )
                }
            }
        };
        if let Some(d) = groups.get_mut(g) {
            d.side = side;
            d.reason = reason;
        }
    }
    groups
}

fn host_of(d: &Decision) -> String {
    d.host_ip.clone().or_else(|| d.host_name.clone()).unwrap_or_else(|| "?".into())
}

fn empty(host_ip: Option<String>, host_name: Option<String>) -> Decision {
    Decision {
        files: Vec::new(),
        host_ip,
        host_name,
        server_lines: 0,
        client_lines: 0,
        side: None,
        reason: String::new(),
    }
}

/// Gives each file its group's side, and each group its own trace (`arg` = `first_arg` + group).
pub fn assign(files: &mut [ScannedFile], decisions: &[Decision], first_arg: usize) {
    for (g, d) in decisions.iter().enumerate() {
        for &i in &d.files {
            let Some(f) = files.get_mut(i) else { continue };
            f.side = d.side.unwrap_or(Side::Spoke);
            f.arg = first_arg.saturating_add(g);
        }
    }
}
