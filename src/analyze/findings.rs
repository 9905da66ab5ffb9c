//! Configuration findings: what each side's facts (read over AXL and the CLI) say about ILS
//! before any trace does (docs/cucm-notes.md#preconditions), and how they
//! fold into the verdict. Pure: facts in, findings out.

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::model::Analysis;
use super::types::{Side, Status};
use crate::parse::facts::Facts;
use crate::parse::trust::{self as certs, TrustMatch};

/// A configuration finding.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub severity: Status,
    pub code: &'static str,
    pub host: String,
    pub message: String,
    pub fix: String,
    /// The pair it concerns (`spoke <name> -> hub <name>`), when it concerns one link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pair: Option<String>,
    /// When it matters only under some authentication methods, which: such a finding does not
    /// count toward the verdict, and reports show it after the diagnosis.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// It is the pair's cause, already said with the pair (reports do not repeat it; it does
    /// not count twice toward the verdict).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub part_of_cause: bool,
    /// The cluster it is about (index into the configuration list): `host` alone does not tell
    /// publishers apart behind one address.
    #[serde(skip)]
    pub cluster: Option<usize>,
}

impl Finding {
    /// A finding of `code` about `host`, for no particular pair and under every method.
    pub fn new(severity: Status, code: &'static str, host: String, message: String, fix: String) -> Finding {
        Finding { severity, code, host, message, fix, pair: None, condition: None, part_of_cause: false, cluster: None }
    }

    /// Whether it counts toward the verdict.
    pub fn counts(&self) -> bool {
        self.condition.is_none() && !self.part_of_cause
    }
}

/// What a side's trace level was and became.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LevelChange {
    pub host: String,
    pub https_port: u16,
    pub before: String,
    pub during: String,
    pub restored: Option<bool>,
    /// The publisher's level names for the ILS service (empty when it listed none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<crate::parse::levels::LevelName>,
}

impl LevelChange {
    /// A level of this publisher by name, with its number: `Significant (15)`.
    pub fn describe(&self, value: &str) -> String {
        crate::parse::levels::describe(value, &self.names)
    }

    /// What happened to the level, for a report: `Detailed (127), restored to Significant (15)`.
    pub fn story(&self) -> String {
        let before = self.describe(&self.before);
        if self.before == self.during {
            return format!("{before}, unchanged (it already was Detailed)");
        }
        let during = self.describe(&self.during);
        match self.restored {
            Some(true) => format!("{during}, restored to {before}"),
            Some(false) => format!("{during}, NOT restored"),
            None => format!("{during} (left on)"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SideConfig {
    pub side: Side,
    #[serde(flatten)]
    pub facts: Facts,
}

/// Configuration findings (documented preconditions: docs/cucm-notes.md#preconditions): each
/// cluster's own, the topology's (roles that do not fit), each link's (`links`: the registering
/// side, the side registered to, their certificate check), and the trace levels'.
pub fn findings(
    config: &[SideConfig],
    net: &super::network::Network,
    pre: &[Option<super::preflight::PairPreflight>],
    levels: &[LevelChange],
) -> Vec<Finding> {
    let mut out: Vec<Finding> = config
        .iter()
        .enumerate()
        .flat_map(|(i, c)| {
            side_findings(c).into_iter().map(move |mut f| {
                f.cluster = Some(i);
                f
            })
        })
        .collect();
    out.extend(topology_findings(config, net));
    for (i, link) in net.links.iter().enumerate() {
        let (Some(client), Some(server)) = (config.get(link.client), link.server.and_then(|s| config.get(s))) else {
            continue;
        };
        let label = pair_label(net, link);
        let roles = |m: Option<&super::network::Member>| m.map_or("spoke", |m| m.role.as_str());
        let client_role = roles(net.member(link.client));
        let server_role = roles(link.server.and_then(|s| net.member(s)));
        let found =
            link_findings(&server.facts, &client.facts, server_role, client_role, pre.get(i).and_then(Option::as_ref));
        out.extend(found.into_iter().map(|(side, mut f)| {
            f.pair = Some(label.clone());
            f.cluster = if side == Side::Hub { link.server } else { Some(link.client) };
            f
        }));
    }
    out.extend(level_findings(levels));
    out
}

/// How reports name a link: `spoke <name> -> hub <name>` (roles as the clusters report them).
pub fn pair_label(net: &super::network::Network, link: &super::network::ExpectedLink) -> String {
    let name = |i: Option<usize>| i.and_then(|i| net.member(i)).map(|m| format!("{} {}", m.role.as_str(), m.label));
    format!(
        "{} -> {}",
        name(Some(link.client)).unwrap_or_else(|| "spoke ?".into()),
        name(link.server).or_else(|| link.server_address.clone()).unwrap_or_else(|| "hub ?".into())
    )
}

/// Roles that do not fit the topology: a cluster given as a hub that reports the spoke role
/// (spokes accept no registrations). A cluster given as a spoke that reports the hub role is
/// not a finding: it is a hub, and its link to the other hubs is judged as a hub-to-hub link.
/// A spoke registered to another spoke is that pair's cause (`cause`), not a finding here.
pub fn topology_findings(config: &[SideConfig], net: &super::network::Network) -> Vec<Finding> {
    let mut out = Vec::new();
    for m in &net.members {
        let Some(c) = config.get(m.index) else { continue };
        if m.given == Side::Hub && m.role == super::network::Role::Spoke && m.role_read {
            out.push(Finding::new(
                Status::Critical,
                "ils_role_mismatch",
                c.facts.host.clone(),
                format!(
                    "{} was given as a hub, but its ILS role is {}: a spoke accepts no registrations",
                    m.label,
                    c.facts.ils_role.as_deref().unwrap_or("Spoke Cluster")
                ),
                "Give the hub's publisher with --hub, or, if this cluster is meant to be a hub, set Cisco Unified CM Administration > Advanced Features > ILS Configuration > Role to Hub Cluster".into(),
            ));
            if let Some(f) = out.last_mut() {
                f.cluster = Some(m.index);
            }
        }
    }
    out
}

/// What one side's own facts say (cluster ID, service, role, certificate, replication, reads).
pub fn side_findings(c: &SideConfig) -> Vec<Finding> {
    let mut out = Vec::new();
    {
        let f = &c.facts;
        let host = f.host.clone();
        // Messages name the side and the publisher as the cluster knows it.
        let name = format!("{} {}", c.side.as_str(), f.label());
        if f.cluster_id.as_deref().is_some_and(|id| id.eq_ignore_ascii_case("StandAloneCluster")) {
            out.push(Finding {
                severity: Status::Critical,
                code: "cluster_id_default",
                host: host.clone(),
                message: format!("{name}: the Cluster ID is still StandAloneCluster; ILS does not work with the default Cluster ID"),
                fix: "Cisco Unified CM Administration > System > Enterprise Parameters > Cluster ID: set a name unique in the ILS network, then restart the services the page names (including the Cisco Intercluster Lookup Service)".into(),
                pair: None,
                condition: None,
                part_of_cause: false,
                cluster: None,
            });
        }
        if let Some(state) = &f.ils_service {
            if !state.starts_with("STARTED") {
                out.push(Finding {
                    severity: Status::Critical,
                    code: "ils_service_not_running",
                    host: host.clone(),
                    message: format!("{name}: the Cisco Intercluster Lookup Service is {state}"),
                    fix: "Activate or start it on the publisher: Cisco Unified Serviceability > Tools > Service Activation (or Control Center - Feature Services)".into(),
                    pair: None,
                    condition: None,
                    part_of_cause: false,
                cluster: None,
                });
            }
        }
        if let Some(to) = f.tomcat_valid_to_parsed {
            let days = to.signed_duration_since(Utc::now().naive_utc()).num_days();
            let shown = f.tomcat_valid_to.clone().unwrap_or_default();
            if days < 0 {
                out.push(Finding {
                    severity: Status::Critical,
                    code: "tomcat_certificate_expired",
                    host: host.clone(),
                    message: format!("{name}: the Tomcat certificate expired on {shown}; ILS over TLS (7501) presents it, so peers refuse it"),
                    fix: "Cisco Unified OS Administration > Security > Certificate Management: regenerate the tomcat certificate (or have the CA sign a new CSR), import it where peers trust it, then restart Cisco Tomcat and the Cisco Intercluster Lookup Service".into(),
                    pair: None,
                    condition: None,
                    part_of_cause: false,
                cluster: None,
                });
            } else if days < 30 {
                out.push(Finding {
                    severity: Status::Warning,
                    code: "tomcat_certificate_expiring",
                    host: host.clone(),
                    message: format!("{name}: the Tomcat certificate expires in {days} day(s) ({shown})"),
                    fix: "Renew the tomcat certificate before it expires (Certificate Management), and re-import it where peers trust it".into(),
                    pair: None,
                    condition: None,
                    part_of_cause: false,
                cluster: None,
                });
            }
        }
        for (server, code, text) in f.db_replication.iter().filter(|(_, code, _)| *code != 2) {
            out.push(Finding {
                severity: Status::Warning,
                code: "db_replication_incomplete",
                host: host.clone(),
                message: format!("{name}: database replication of {server} is in state ({code}) {text}; a cluster does not write learned ILS data until replication is complete"),
                fix: "See Cisco technote 215013 (utils dbreplication runtimestate, then utils dbreplication repair/reset as it advises)".into(),
                pair: None,
                condition: None,
                part_of_cause: false,
                cluster: None,
            });
        }
        for e in &f.errors {
            out.push(Finding {
                severity: Status::Warning,
                code: "read_failed",
                host: host.clone(),
                message: format!("{name}: could not read {e}"),
                fix: String::new(),
                pair: None,
                condition: None,
                part_of_cause: false,
                cluster: None,
            });
        }
    }
    out
}

/// What a hub and one of its spokes say together (the light audit's links), with their
/// certificate check.
pub fn pair_findings(hub: &Facts, spoke: &Facts) -> Vec<(Side, Finding)> {
    let pre = super::preflight::predict(hub, &[spoke], Utc::now().naive_utc()).pop();
    link_findings(hub, spoke, "hub", "spoke", pre.as_ref())
}

/// What the two ends of a link say together, each finding with the side it concerns (`Hub`:
/// the side registered to; `Spoke`: the registering side). `pre` is the link's certificate check
/// when both certificates were read.
pub fn link_findings(
    hub: &Facts,
    spoke: &Facts,
    hub_role: &str,
    spoke_role: &str,
    pre: Option<&super::preflight::PairPreflight>,
) -> Vec<(Side, Finding)> {
    let mut out = Vec::new();
    let host = spoke.host.clone();
    let (name, hub_name) = (format!("{spoke_role} {}", spoke.label()), format!("{hub_role} {}", hub.label()));
    let (f, h) = (spoke, hub);
    if let Some(id) = &f.cluster_id {
        if h.cluster_id.as_deref() == Some(id.as_str()) {
            out.push((Side::Spoke, Finding {
                severity: Status::Critical,
                code: "duplicate_cluster_id",
                host: host.clone(),
                message: format!("{name} and the {hub_name} have the same Cluster ID {id}"),
                fix: "Cluster IDs must be unique in the ILS network: change one under System > Enterprise Parameters > Cluster ID".into(),
                pair: None,
                condition: None,
                part_of_cause: false,
                cluster: None,
            }));
        }
        let knows_hub = f.remote_clusters.iter().any(|(cid, _)| Some(cid.as_str()) == h.cluster_id.as_deref());
        if !f.remote_clusters.is_empty() && !knows_hub {
            out.push((Side::Spoke, Finding {
                severity: Status::Warning,
                code: "peer_missing_from_remotecluster",
                host: host.clone(),
                message: format!("{name}: remotecluster does not list the {hub_name}'s cluster ID {}", h.cluster_id.as_deref().unwrap_or("?")),
                fix: format!("The {spoke_role} has not (yet) learned the {hub_role}: see the registration attempts and Cisco Unified CM Administration > Advanced Features > ILS Configuration"),
                pair: None,
                condition: None,
                part_of_cause: false,
                cluster: None,
            }));
        }
    }
    // TLS (methods 2-4): the spoke verifies the hub's certificate in the handshake, and the hub
    // verifies the spoke's (docs/cucm-notes.md#auth-methods).
    // The chain check on the certificates themselves (`preflight`) where they were read; the
    // file-name reading of tomcat-trust where they were not.
    match pre {
        Some(p) => {
            if matches!(p.spoke_checks_hub.handshake, super::preflight::Handshake::Unknown { .. }) {
                out.extend(trust_finding(spoke, hub, hub_role, spoke_role).map(|f| (Side::Spoke, f)));
            }
            if matches!(p.hub_checks_spoke.handshake, super::preflight::Handshake::Unknown { .. }) {
                out.extend(trust_finding(hub, spoke, spoke_role, hub_role).map(|f| (Side::Hub, f)));
            }
            out.extend(super::preflight::findings(p, &hub.host));
        }
        None => {
            out.extend(trust_finding(spoke, hub, hub_role, spoke_role).map(|f| (Side::Spoke, f)));
            out.extend(trust_finding(hub, spoke, spoke_role, hub_role).map(|f| (Side::Hub, f)));
        }
    }
    out
}

fn level_findings(levels: &[LevelChange]) -> Vec<Finding> {
    let mut out = Vec::new();
    for l in levels {
        if l.restored == Some(false) {
            out.push(Finding {
                severity: Status::Warning,
                code: "trace_level_not_restored",
                host: l.host.clone(),
                message: format!(
                    "{}: the ILS trace level reads differently after the restore (was {})",
                    l.host,
                    l.describe(&l.before)
                ),
                fix: "Check Cisco Unified Serviceability > Trace > Configuration for the Cisco Intercluster Lookup Service; `ils-doctor restore` retries from the journal".into(),
                pair: None,
                condition: None,
                part_of_cause: false,
                cluster: None,
            });
        }
    }
    out
}

/// The verdict with the findings: the worst of both (critical > unknown > warning > ok); a
/// critical finding explains an empty capture.
pub fn fold_findings(a: &mut Analysis, findings: &[Finding]) {
    let findings: Vec<&Finding> = findings.iter().filter(|f| f.counts()).collect();
    let worst = findings.iter().map(|f| f.severity).max();
    let status = match (a.status, worst) {
        (Status::Unknown, Some(Status::Critical)) => Status::Critical,
        (s, Some(w)) => s.max(w),
        (s, None) => s,
    };
    if status != a.status {
        let first = findings.iter().find(|f| f.severity == status).map(|f| f.message.clone()).unwrap_or_default();
        a.summary = format!(
            "{}: {first}; {}",
            status.as_str().to_uppercase(),
            a.summary.split_once(": ").map_or(a.summary.as_str(), |(_, r)| r)
        );
        a.status = status;
        a.exit_code = status.exit_code();
    }
}

/// Whether `verifier` trusts `peer`'s Tomcat certificate. A warning, not critical: which
/// authentication method the clusters use cannot be read (no AXL operation is known for the
/// ILS Configuration's TLS and password settings, docs/cucm-notes.md#ils-auth-settings), and the password-only
/// method 1 needs no certificate.
fn trust_finding(verifier: &Facts, peer: &Facts, peer_role: &str, verifier_role: &str) -> Option<Finding> {
    let cert = peer.tomcat_cert.as_ref()?;
    if verifier.tomcat_trust.is_empty() {
        return None; // the list was not read (its error is a finding of its own)
    }
    let m = certs::trusts(&verifier.tomcat_trust, cert)?;
    // Named as the cluster knows them; `host` stays the connection address (it keys the finding).
    let (v, p) = (format!("{verifier_role} {}", verifier.label()), peer.label());
    let cn = cert.subject_cn.as_deref().unwrap_or("?");
    let serial = cert.serial.as_deref().unwrap_or("?");
    let fix = format!(
        "On {p}: Cisco Unified OS Administration > Security > Certificate Management, download tomcat.pem (or its CA for a CA-signed certificate); on {v}: Upload Certificate/Certificate chain as tomcat-trust; then restart the Cisco Intercluster Lookup Service on {v} (Cisco technote 200694, \"Configure and Troubleshoot Joining Clusters for ILS\")"
    );
    match m {
        TrustMatch::Missing => Some(Finding {
            severity: Status::Warning,
            code: "peer_certificate_not_trusted",
            host: verifier.host.clone(),
            message: format!(
                "{v}: tomcat-trust holds neither the {peer_role} {p}'s Tomcat certificate (CN={cn}, serial {serial}) nor its issuer's; with TLS (authentication methods 2 to 4) {v} refuses it"
            ),
            fix,
            pair: None,
            condition: None,
            part_of_cause: false,
            cluster: None,
        }),
        TrustMatch::Stale { files } => Some(Finding {
            severity: Status::Warning,
            code: "peer_certificate_stale_in_trust",
            host: verifier.host.clone(),
            message: format!(
                "{v}: tomcat-trust holds an older certificate of the {peer_role} {p} ({}), not its current one (serial {serial}): it was regenerated or renewed after the import; with TLS {v} refuses it",
                files.join(", ")
            ),
            fix,
            pair: None,
            condition: None,
            part_of_cause: false,
            cluster: None,
        }),
        _ => None,
    }
}

/// Drops the certificate-trust findings of a pair that made no attempt but whose configuration
/// shows it registered (`analyze::quiet`): it works with whatever method is configured, and had
/// that needed a certificate the peer does not trust, it would not have registered.
pub fn drop_quiet_trust_findings(found: &mut Vec<Finding>, registered_quietly: bool) {
    if registered_quietly {
        found.retain(|f| !f.code.starts_with("peer_certificate_"));
    }
}

/// Drops the certificate-trust findings when the traces show the pair registering without TLS
/// (authentication method 1, port 7502) and never trying TLS: certificates play no part then,
/// and a healthy password-only network must not warn forever. Says so in the warnings.
pub fn drop_moot_trust_findings(findings: &mut Vec<Finding>, a: &mut Analysis) {
    let plain_success = a.attempts.iter().any(|x| x.tls == Some(false) && x.outcome == super::Outcome::Success);
    let any_tls = a.attempts.iter().any(|x| x.tls == Some(true));
    if plain_success && !any_tls {
        let before = findings.len();
        findings.retain(|f| !f.code.starts_with("peer_certificate_"));
        if findings.len() != before {
            a.warnings.push(
                "certificate trust findings left out: the traces show registration without TLS (password only, port 7502)"
                    .into(),
            );
        }
    }
}
