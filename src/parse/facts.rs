//! What a publisher says about itself and its ILS network (version, cluster ID, ILS role, the
//! ILS service state, `remotecluster`, the cluster's nodes) as plain values, and the parsers of
//! the `admin:` CLI outputs they come from. `collect::facts` reads them; the analysis takes
//! them as input (docs/cucm-notes.md#axl-ils, docs/cucm-notes.md#remotecluster,
//! docs/cucm-notes.md#network-cluster, docs/cucm-notes.md#service-list).

use serde::{Deserialize, Serialize};

use crate::parse::cert::CertInfo;
use crate::parse::trust::{OwnCert, TrustEntry, TrustedCert};

pub const ILS_SERVICE: &str = "Cisco Intercluster Lookup Service";

/// The facts of one side, every one optional: a failed read is recorded, not fatal.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Facts {
    pub host: String,
    /// With `host`, identifies the publisher (several can share an address, e.g. behind NAT).
    pub https_port: u16,
    pub version: Option<String>,
    pub cluster_id: Option<String>,
    pub ils_role: Option<String>,
    pub ils_sync_status: Option<String>,
    /// `STARTED`, `STOPPED`, ... from `utils service list`, with its reason.
    pub ils_service: Option<String>,
    /// The publisher's processnode name (the key of its trace settings).
    pub node_name: Option<String>,
    /// `remotecluster` rows: (clusterid, fullyqualifiedname).
    pub remote_clusters: Vec<(String, String)>,
    /// Nodes from `show network cluster`: (ip, fqdn, role).
    pub nodes: Vec<(String, String, String)>,
    /// `utils dbreplication runtimestate` per node: (server, state code, state text). State 2,
    /// "Setup Completed", is healthy (docs/cucm-notes.md#dbreplication).
    pub db_replication: Vec<(String, u8, String)>,
    /// The Tomcat certificate's end of validity as `show cert own tomcat` prints it, and parsed
    /// (the server's local time; the zone abbreviation is ignored, a day's precision is enough).
    pub tomcat_valid_to: Option<String>,
    #[serde(skip)]
    pub tomcat_valid_to_parsed: Option<chrono::NaiveDateTime>,
    /// Serial, subject and issuer of the Tomcat certificate (what a peer must trust).
    pub tomcat_cert: Option<OwnCert>,
    /// The `tomcat-trust` entries (which peers' certificates this side accepts).
    pub tomcat_trust: Vec<TrustEntry>,
    /// The Tomcat certificate itself (from the PEM of `show cert own tomcat`, else its decoded
    /// fields): what the certificate check before the capture verifies.
    pub tomcat_certificate: Option<CertInfo>,
    /// The tomcat-trust certificates read in full: those named after a peer's certificate or
    /// one of its issuers (`collect::certs::read_trust_details`).
    pub tomcat_trust_certs: Vec<TrustedCert>,
    /// Whether `tomcat_trust_certs` was read (an empty list then means that no entry is named
    /// after the peer or its issuers).
    pub tomcat_trust_checked: bool,
    /// What could not be read, with the reason.
    pub errors: Vec<String>,
    /// The raw CLI outputs that were read, (command, output), in order: kept for support
    /// bundles, not part of the JSON contract.
    #[serde(skip)]
    pub cli_outputs: Vec<(String, String)>,
}

impl Facts {
    /// How an engineer knows this publisher: its own host name (the FQDN `show network
    /// cluster` lists for it, else its processnode name) with, in parentheses, its own address
    /// as the cluster knows it. The address ils-doctor connected to (behind a jump host, NAT or
    /// a tunnel it means nothing to the reader) only when the publisher said neither.
    pub fn label(&self) -> String {
        let node = self.node_name.as_deref().map(str::trim).filter(|n| !n.is_empty());
        let me = self
            .nodes
            .iter()
            .find(|(ip, fqdn, _)| {
                node.is_some_and(|n| {
                    n.eq_ignore_ascii_case(ip)
                        || n.eq_ignore_ascii_case(fqdn)
                        || fqdn.split('.').next().is_some_and(|h| !h.is_empty() && n.eq_ignore_ascii_case(h))
                })
            })
            .or_else(|| self.nodes.iter().find(|(_, _, role)| role == "Publisher"));
        let fqdn = me.map(|(_, f, _)| f.trim()).filter(|f| !f.is_empty());
        let ip = me.map(|(ip, _, _)| ip.trim()).filter(|ip| !ip.is_empty());
        match (fqdn.or(node), ip) {
            (Some(name), Some(ip)) if !name.eq_ignore_ascii_case(ip) => format!("{name} ({ip})"),
            (Some(name), _) => name.to_string(),
            (None, Some(ip)) => ip.to_string(),
            (None, None) => self.host.clone(),
        }
    }

    /// Fills what the JSON form does not carry (the parsed certificate end date) after reading
    /// facts back from a bundle.
    pub fn reparse(&mut self) {
        self.tomcat_valid_to_parsed =
            self.tomcat_valid_to.as_deref().and_then(|t| cert_valid_to(&format!("To: {t}"))).and_then(|(_, p)| p);
    }
}

/// The `To:` of `show cert own tomcat` (`Validity From: Sun Jul 08 13:05:19 BST 2018` then
/// `To:   Fri Jul 07 13:05:18 BST 2023`, docs/cucm-notes.md#cert-cli), or an OpenSSL-style `Not After :` line.
pub fn cert_valid_to(output: &str) -> Option<(String, Option<chrono::NaiveDateTime>)> {
    let line = output.lines().find_map(|l| {
        let t = l.trim_start();
        t.strip_prefix("To:").or_else(|| t.strip_prefix("Not After :")).or_else(|| t.strip_prefix("Not After:"))
    })?;
    let text = line.trim().to_string();
    // Drop the weekday and the zone abbreviation: `Jul 07 13:05:18 2023`.
    let words: Vec<&str> = text.split_whitespace().collect();
    let parsed = match words.as_slice() {
        [_, mon, day, time, _zone, year] => {
            chrono::NaiveDateTime::parse_from_str(&format!("{mon} {day} {time} {year}"), "%b %d %H:%M:%S %Y").ok()
        }
        [mon, day, time, year, _zone] => {
            chrono::NaiveDateTime::parse_from_str(&format!("{mon} {day} {time} {year}"), "%b %d %H:%M:%S %Y").ok()
        }
        _ => None,
    };
    Some((text, parsed))
}

/// The per-node rows of `utils dbreplication runtimestate`: `SERVER IP (msec) DbMon? QUEUE
/// Group (RTMT) & Details`, ending in a state like `(2) Setup Completed`.
pub fn replication(output: &str) -> Vec<(String, u8, String)> {
    output
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let server = words.next()?;
            let ip = words.next()?;
            ip.parse::<std::net::IpAddr>().ok()?;
            // The last "(n)" on the line is the RTMT replication state.
            let at = l.rfind('(')?;
            let (code, text) = l.get(at..)?.strip_prefix('(')?.split_once(')')?;
            let code: u8 = code.trim().parse().ok()?;
            Some((server.to_string(), code, text.trim().to_string()))
        })
        .collect()
}

/// The state of one service in `utils service list` output: `STARTED`, or `STOPPED  Service Not
/// Activated`. Tolerates spaces inside and before the brackets (docs/cucm-notes.md#service-list).
pub fn service_state(output: &str, service: &str) -> Option<String> {
    output.lines().find_map(|l| {
        let (name, rest) = l.split_once('[')?;
        if name.trim() != service {
            return None;
        }
        let (state, reason) = rest.split_once(']')?;
        let reason = reason.trim();
        Some(if reason.is_empty() { state.trim().to_string() } else { format!("{} ({reason})", state.trim()) })
    })
}

/// The node lines of `show network cluster`: `<ip> <fqdn> <hostname> <role> <product> ...`,
/// with an empty FQDN when no domain is set (docs/cucm-notes.md#network-cluster).
pub fn network_cluster(output: &str) -> Vec<(String, String, String)> {
    output
        .lines()
        .take_while(|l| !l.starts_with("Server Table"))
        .filter_map(|l| {
            let parts: Vec<&str> = l.split(' ').collect();
            let ip = *parts.first()?;
            if ip.parse::<std::net::IpAddr>().is_err() {
                return None;
            }
            let role = parts.iter().find(|p| **p == "Publisher" || **p == "Subscriber")?;
            Some((ip.to_string(), parts.get(1).copied().unwrap_or("").to_string(), role.to_string()))
        })
        .collect()
}

/// The publisher's name in the `Server Table (processnode) Entries` list of `show network
/// cluster`: the entry equal to the publisher's address, FQDN or host name, else the only entry.
pub fn publisher_processnode(output: &str, nodes: &[(String, String, String)]) -> Option<String> {
    let entries: Vec<&str> = output
        .lines()
        .skip_while(|l| !l.starts_with("Server Table"))
        .skip(1)
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('-') && !l.eq_ignore_ascii_case("EnterpriseWideData"))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let publisher = nodes.iter().find(|(_, _, role)| role == "Publisher");
    let names: Vec<String> = publisher
        .map(|(ip, fqdn, _)| {
            let host = fqdn.split('.').next().unwrap_or("").to_string();
            vec![ip.clone(), fqdn.clone(), host]
        })
        .unwrap_or_default();
    entries
        .iter()
        .find(|e| names.iter().any(|n| !n.is_empty() && n.eq_ignore_ascii_case(e)))
        .or(if entries.len() == 1 { entries.first() } else { None })
        .map(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_publisher_is_named_by_its_own_name_and_address() {
        let mut f = Facts { host: "127.0.0.1".into(), ..Facts::default() };
        assert_eq!(f.label(), "127.0.0.1", "nothing read: the connection address");
        f.nodes = vec![
            ("10.1.1.2".into(), "sub1.example.com".into(), "Subscriber".into()),
            ("10.1.1.1".into(), "cucm-hub.example.com".into(), "Publisher".into()),
        ];
        assert_eq!(f.label(), "cucm-hub.example.com (10.1.1.1)");
        f.node_name = Some("sub1".into());
        assert_eq!(f.label(), "sub1.example.com (10.1.1.2)", "the node it says it is");
        f.nodes.clear();
        assert_eq!(f.label(), "sub1");
    }

    #[test]
    fn service_lines() {
        let out = "Requesting service status, please wait...\nCisco AMC Service[STARTED]\nCisco Intercluster Lookup Service[STOPPED]  Service Not Activated\nSystem SSH [STARTED]\n";
        assert_eq!(service_state(out, ILS_SERVICE).as_deref(), Some("STOPPED (Service Not Activated)"));
        assert_eq!(service_state(out, "System SSH").as_deref(), Some("STARTED"));
        assert_eq!(service_state(out, "Cisco Tftp"), None);
    }

    #[test]
    fn certificate_validity() {
        let out = "[\n  Version: V3\n  Validity From: Sun Jul 08 13:05:19 BST 2018\n           To:   Fri Jul 07 13:05:18 BST 2023\n";
        let (text, parsed) = cert_valid_to(out).unwrap();
        assert_eq!(text, "Fri Jul 07 13:05:18 BST 2023");
        assert_eq!(parsed.unwrap().to_string(), "2023-07-07 13:05:18");
        let (_, parsed) = cert_valid_to("  Not After : Mar 30 02:19:31 2021 GMT\n").unwrap();
        assert_eq!(parsed.unwrap().date().to_string(), "2021-03-30");
        assert_eq!(cert_valid_to("no certificate here"), None);
    }

    #[test]
    fn replication_rows() {
        let out = "Server Time: Mon Nov 24 10:00:00 CET 2026\n\nCluster Replication State: Replication status command COMPLETED 681 tables checked out of 681\nNo Errors or Mismatches found.\n\nDB Version: ccm14_0_1\nRepltimeout set to: 300s\n\nSERVER-NAME  IP ADDRESS  (msec) DbMon? QUEUE Group ID  (RTMT) & Details\n-----------  ----------  ------ ------ ----- -----------  ------------------\nCUCM10  10.1.89.20  0.013  Y/Y/Y  0  (g_2)  (2) Setup Completed\nCUCM11  10.1.89.30  0.200  Y/Y/Y  0  (g_3)  (4) Setup Failed\n";
        let r = replication(out);
        assert_eq!(
            r,
            vec![("CUCM10".into(), 2, "Setup Completed".into()), ("CUCM11".into(), 4, "Setup Failed".into())]
        );
    }

    #[test]
    fn cluster_nodes() {
        let out = "192.168.125.10 cucm15-cluster1.calltelemetry.local cucm15-cluster1 Publisher callmanager DBPub authenticated\n10.106.61.120 CUCMPUB  Publisher callmanager DBPub authenticated\n\nServer Table (processnode) Entries\n----------------------------------\n10.1.1.1 Publisher\n";
        let n = network_cluster(out);
        assert_eq!(n.len(), 2);
        assert_eq!(n[0], ("192.168.125.10".into(), "cucm15-cluster1.calltelemetry.local".into(), "Publisher".into()));
        assert_eq!(n[1].1, "CUCMPUB");
    }

    #[test]
    fn processnode_of_the_publisher() {
        let out = "10.1.1.1 pub.example.com pub Publisher callmanager DBPub authenticated
10.1.1.2 sub.example.com sub Subscriber callmanager DBSub authenticated

Server Table (processnode) Entries
----------------------------------
sub.example.com
pub.example.com
";
        let nodes = network_cluster(out);
        assert_eq!(publisher_processnode(out, &nodes).as_deref(), Some("pub.example.com"));
        let single = "10.0.0.5 a.b a Publisher callmanager DBPub authenticated

Server Table (processnode) Entries
---
10.0.0.5
";
        assert_eq!(publisher_processnode(single, &network_cluster(single)).as_deref(), Some("10.0.0.5"));
        assert_eq!(publisher_processnode("nothing", &[]), None);
    }
}
