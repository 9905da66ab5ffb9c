//! The planner: both sides' facts, the method asked for and what a check found → the ordered
//! steps that make the link work, each with why and what undoes it; what cannot be known; what
//! no plan can fix. Pure: no I/O, total on any facts (fuzzed: `fuzz/fuzz_targets/join_plan.rs`).
//!
//! The configuration half of technote 200694 (docs/cucm-notes.md#join-steps):
//! - every method: the ILS role of each side and the registering side's Registration Server
//!   (the publisher of the cluster it joins), the authentication settings of the method on both
//!   sides, through AXL `updateIlsConfig` (docs/cucm-notes.md#update-ils-config). None of the
//!   settings but the role can be read back, so both sides are always written;
//! - methods 1, 3 and 4: the same password on both sides (every time: it cannot be read);
//! - method 2: each side's Tomcat certificate into the other's tomcat-trust;
//! - methods 3 and 4: CA-signed Tomcat certificates (a self-signed one is refused, with the
//!   technote's reason) and the CA chain in each tomcat-trust where missing;
//! - method 4: first the password join, verified, then the switch to TLS;
//! - a stopped ILS service is started; then ILS is restarted where it must re-read its settings
//!   or tomcat-trust (docs/cucm-notes.md#join-restart) [I].
//!
//! Certificates go first (an extra trust entry changes nothing on its own), then the settings,
//! then the (re)starts, the side registered to before the registering side.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use super::model::{Before, CertRef, Link, Operation, Plan, PlanStatus, Publisher, Refusal, Step, SCHEMA};
use crate::analyze::preflight::{self, Direction, Handshake};
use crate::analyze::Method;
use crate::connect::envelope::IlsSettings;
use crate::parse::cert::{same_name, CertInfo, Validity};
use crate::parse::facts::Facts;

/// The GUI's labels for the roles (docs/cucm-notes.md#update-ils-config) [3P].
pub const HUB_ROLE: &str = "Hub Cluster";
pub const SPOKE_ROLE: &str = "Spoke Cluster";
const ILS_PAGE: &str = "Cisco Unified CM Administration > Advanced Features > ILS Configuration";
const CERT_PAGE: &str = "Cisco Unified OS Administration > Security > Certificate Management > Upload Certificate/Certificate chain, purpose tomcat-trust";
const CONTROL_CENTER: &str =
    "Cisco Unified Serviceability > Tools > Control Center - Feature Services > Cisco Intercluster Lookup Service";
pub use crate::values::DEFAULT_SYNC_MINUTES;

/// What a check of the link found in the traces (`join --check-first`): each an inference
/// (docs/cucm-notes.md#membership), each optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// Per publisher (`host:https_port`), the address its latest decided registration attempt
    /// dialed: what its Registration Server was.
    pub dialed: BTreeMap<String, String>,
    /// The authentication method the link's latest decided attempt used.
    pub method_in_use: Option<Method>,
    /// The check judged the link OK.
    pub link_ok: Option<bool>,
}

/// Everything the planner reads.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    pub method: Method,
    /// Two hubs (the registering one joins the mesh through `registered_to`).
    pub hub_to_hub: bool,
    pub registering: &'a Facts,
    pub registered_to: &'a Facts,
    pub found: &'a Found,
    /// CA certificates the user gave (`--ca-cert`): the chains of CA-signed Tomcat certificates.
    pub ca_certs: &'a [CertInfo],
    pub sync_minutes: u32,
    /// UTC.
    pub now: NaiveDateTime,
}

/// The publisher's key in journals and run notes.
pub fn key(f: &Facts) -> String {
    format!("{}:{}", f.host, f.https_port)
}

/// What a cluster's Registration Server names to reach `f`: its publisher's FQDN as `show
/// network cluster` prints it, else its address there, else its processnode name, else the
/// address ils-doctor connects to [I: the GUI asks for "the publisher node IP address or FQDN"].
pub fn registration_address(f: &Facts) -> String {
    let node = f.node_name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let publisher = f
        .nodes
        .iter()
        .find(|(ip, fqdn, _)| node.is_some_and(|n| n.eq_ignore_ascii_case(ip) || n.eq_ignore_ascii_case(fqdn)))
        .or_else(|| f.nodes.iter().find(|(_, _, role)| role == "Publisher"));
    match publisher {
        Some((_, fqdn, _)) if !fqdn.trim().is_empty() => fqdn.trim().to_string(),
        Some((ip, _, _)) if !ip.trim().is_empty() => ip.trim().to_string(),
        _ => node.map_or_else(|| f.host.clone(), str::to_string),
    }
}

/// A CN as tomcat-trust file names spell it (docs/cucm-notes.md#cert-cli).
pub fn file_cn(cn: &str) -> String {
    cn.replace(' ', "_")
}

/// A certificate's PEM, from the DER a `show cert own` read carried.
pub fn pem_of(c: &CertInfo) -> Option<String> {
    let b64 = c.der_base64.as_deref().filter(|b| !b.is_empty())?;
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    let bytes = b64.as_bytes();
    for chunk in bytes.chunks(64) {
        out.push_str(std::str::from_utf8(chunk).ok()?);
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    Some(out)
}

fn cert_ref(c: &CertInfo, of: &str, ca: bool) -> Option<CertRef> {
    Some(CertRef {
        subject: c.subject.clone(),
        issuer: c.issuer.clone(),
        serial: c.serial.clone(),
        file_cn: file_cn(&c.subject_cn()?),
        of: of.to_string(),
        ca,
        pem: pem_of(c)?,
    })
}

/// The settings of each phase of `method`: (use TLS, use password, the password sent).
fn phases(method: Method) -> Vec<(bool, bool)> {
    match method {
        Method::Password => vec![(false, true)],
        Method::Tls => vec![(true, false)],
        Method::TlsWithPassword => vec![(true, true)],
        Method::TlsAfterPassword => vec![(false, true), (true, false)],
    }
}

/// The settings the traces' method implies [I].
fn flags_of(m: Method) -> (bool, bool) {
    match m {
        Method::Password => (false, true),
        Method::Tls | Method::TlsAfterPassword => (true, false),
        Method::TlsWithPassword => (true, true),
    }
}

struct Side<'a> {
    facts: &'a Facts,
    name: String,
    role_word: &'static str,
    /// The GUI role this plan gives it.
    role: &'static str,
}

/// Builds the plan.
pub fn plan(input: &Input<'_>) -> Plan {
    let hub = Side { facts: input.registered_to, name: input.registered_to.label(), role_word: "hub", role: HUB_ROLE };
    let client = Side {
        facts: input.registering,
        name: input.registering.label(),
        role_word: if input.hub_to_hub { "registering hub" } else { "spoke" },
        role: if input.hub_to_hub { HUB_ROLE } else { SPOKE_ROLE },
    };
    let link = Link {
        kind: if input.hub_to_hub { "hub_to_hub" } else { "spoke_to_hub" }.into(),
        registering: publisher(&client),
        registered_to: publisher(&hub),
    };
    let mut b = Builder::default();
    prerequisites(input, &hub, &client, &mut b);
    let imports = certificates(input, &hub, &client, &mut b);
    let starts: Vec<&Side<'_>> = [&hub, &client].into_iter().filter(|s| stopped(s.facts).is_some()).collect();

    let registered = looks_joined(input, &hub, &client, &imports, &starts, &mut b);
    let status = if !b.refusals.is_empty() {
        PlanStatus::Refused
    } else if registered {
        PlanStatus::NothingToDo
    } else {
        PlanStatus::Changes
    };
    if status == PlanStatus::Changes {
        let settings_phases = phases(input.method);
        let last = settings_phases.len();
        for (i, (tls, pw)) in settings_phases.into_iter().enumerate() {
            let phase = u8::try_from(i.saturating_add(1)).unwrap_or(1);
            // Method 4 imports the CA chain for its TLS half; the others first of all.
            if i.saturating_add(1) == last {
                for (side, cert) in &imports {
                    b.import(phase, side, cert);
                }
            }
            for side in [&hub, &client] {
                b.settings(input, phase, side, &hub, tls, pw);
            }
            if i == 0 {
                for side in &starts {
                    b.start(phase, side);
                }
            }
            for side in [&hub, &client] {
                if i > 0 || !starts.iter().any(|s| key(s.facts) == key(side.facts)) {
                    b.restart(phase, side, &hub, input.hub_to_hub);
                }
            }
            let verify_method = if i.saturating_add(1) == last { input.method } else { Method::Password };
            b.verify(phase, &client, &hub, verify_method);
        }
        unknowns(input, &hub, &client, &mut b);
    }
    let summary = summary(status, input, &hub, &client, &b);
    Plan {
        schema: SCHEMA.into(),
        status,
        exit_code: status.exit_code(),
        summary,
        method: input.method,
        link,
        steps: b.steps,
        unknowns: b.unknowns,
        refusals: b.refusals,
        notes: b.notes,
    }
}

fn publisher(s: &Side<'_>) -> Publisher {
    Publisher {
        role: s.role_word.into(),
        name: s.name.clone(),
        host: s.facts.host.clone(),
        https_port: s.facts.https_port,
    }
}

#[derive(Default)]
struct Builder {
    steps: Vec<Step>,
    unknowns: Vec<String>,
    refusals: Vec<Refusal>,
    notes: Vec<String>,
}

impl Builder {
    fn refuse(&mut self, code: &str, publisher: Option<&str>, reason: String, fix: String) {
        self.refusals.push(Refusal { code: code.into(), publisher: publisher.map(str::to_string), reason, fix });
    }

    /// Adds a step; `words` are its how, GUI path, why and undo.
    fn push(&mut self, phase: u8, side: &Side<'_>, operation: Operation, words: [String; 4]) {
        let [how, gui, why, undo] = words;
        let n = self.steps.len().saturating_add(1);
        self.steps.push(Step {
            n,
            phase,
            publisher: side.name.clone(),
            host: side.facts.host.clone(),
            https_port: side.facts.https_port,
            operation,
            how,
            gui,
            why,
            undo,
        });
    }

    fn import(&mut self, phase: u8, side: &Side<'_>, cert: &CertRef) {
        let what = if cert.ca {
            format!("the CA certificate {}", cert.subject)
        } else {
            format!("the Tomcat certificate of {}", cert.of)
        };
        let serial = cert.serial.as_deref().map(|s| format!(", serial {s}")).unwrap_or_default();
        let why = if cert.ca {
            format!("{} must trust the CA that signed {}'s Tomcat certificate, for the TLS handshake (technote 200694, methods 3 and 4)", side.name, cert.of)
        } else {
            format!("{} must trust {}'s Tomcat certificate itself (technote 200694, method 2: the certificates are exchanged)", side.name, cert.of)
        };
        self.push(
            phase,
            side,
            Operation::ImportTrust { certificate: cert.clone() }, [
            format!("admin: set cert import trust tomcat, pasting {what} ({}{serial})", cert.subject),
            CERT_PAGE.into(),
            why,
            format!("set cert delete tomcat-trust <the entry the import added> (found by its name {}…); an entry of the same name that the import replaced cannot be brought back", cert.file_cn)]);
    }

    fn settings(&mut self, input: &Input<'_>, phase: u8, side: &Side<'_>, hub: &Side<'_>, tls: bool, pw: bool) {
        let is_hub = key(side.facts) == key(hub.facts);
        let registration_server = if is_hub {
            input.found.dialed.get(&key(side.facts)).cloned().unwrap_or_default()
        } else {
            registration_address(hub.facts)
        };
        let settings = IlsSettings {
            role: side.role.into(),
            registration_server: registration_server.clone(),
            sync_minutes: input.sync_minutes,
            use_tls: tls,
            use_password: pw,
        };
        let before = before(input, side.facts);
        let reg_words =
            if registration_server.is_empty() { "(empty)".to_string() } else { format!("\"{registration_server}\"") };
        let how = format!(
            "AXL updateIlsConfig: role \"{}\", registrationServer {reg_words}, useTls {tls}, enableUsePassword {pw}, usePassword {}, synchronizeClustersEvery {}, activateIls true",
            side.role,
            if pw { "(the ILS password)" } else { "(empty)" },
            input.sync_minutes
        );
        // The window's words: two checkboxes, and the password in the Password and Confirm
        // Password fields (analyze::vocabulary).
        let auth = match (tls, pw) {
            (true, true) => {
                "select the Use TLS Certificates and Use Password checkboxes, the password in Password and Confirm Password"
            }
            (true, false) => "select the Use TLS Certificates checkbox, clear the Use Password checkbox",
            (false, _) => {
                "select the Use Password checkbox, clear the Use TLS Certificates checkbox, the password in Password and Confirm Password"
            }
        };
        let gui = format!(
            "{ILS_PAGE}: Role {}, Registration Server {reg_words}; ILS Authentication: {auth}; Save",
            side.role
        );
        let mut why = if is_hub && !input.hub_to_hub {
            format!("{} is the hub the spoke registers to", side.name)
        } else if is_hub {
            format!("{} is the hub the other hub registers to", side.name)
        } else {
            format!("{} registers to {} (its Registration Server)", side.name, hub.name)
        };
        why.push_str(&format!(
            "; both sides must use {} and neither setting can be read back",
            match (tls, pw) {
                (true, true) => "TLS and the same password",
                (true, false) => "TLS certificates",
                (false, _) => "the same password",
            }
        ));
        let mut cannot = Vec::new();
        if before.registration_server.is_none() {
            cannot.push("the Registration Server");
        }
        if before.use_tls.is_none() {
            cannot.push("Use TLS / Use Password");
        }
        if pw {
            cannot.push("the password");
        }
        cannot.push("Synchronize Clusters Every");
        let undo = format!(
            "updateIlsConfig with the role read before ({}){}; not readable before, so not put back: {}",
            before.role.as_deref().unwrap_or("unknown: left as set"),
            if before.registration_server.is_some() || before.use_tls.is_some() {
                " and the settings the traces showed".to_string()
            } else {
                String::new()
            },
            cannot.join(", ")
        );
        self.push(phase, side, Operation::SetIlsConfig { settings, password: pw, before }, [how, gui, why, undo]);
    }

    fn start(&mut self, phase: u8, side: &Side<'_>) {
        let state = side.facts.ils_service.clone().unwrap_or_default();
        self.push(
            phase,
            side,
            Operation::StartIls { state_before: state.clone() }, [
            "admin: utils service start Cisco Intercluster Lookup Service".into(),
            format!("{CONTROL_CENTER} > Start"),
            format!("the Cisco Intercluster Lookup Service on {} is {state}: nothing registers to or from a stopped service; starting it also reads the new settings", side.name),
            "utils service stop Cisco Intercluster Lookup Service".into()]);
    }

    fn restart(&mut self, phase: u8, side: &Side<'_>, hub: &Side<'_>, hub_to_hub: bool) {
        let is_hub = key(side.facts) == key(hub.facts);
        let others = if is_hub && !hub_to_hub { "; the hub's other spokes re-register after it" } else { "" };
        self.push(
            phase,
            side,
            Operation::RestartIls,
            [
                "admin: utils service restart Cisco Intercluster Lookup Service".into(),
                format!("{CONTROL_CENTER} > Restart"),
                format!("ILS reads its settings and tomcat-trust when it starts{others}"),
                "nothing to undo (undo restarts ILS after its own changes)".into(),
            ],
        );
    }

    fn verify(&mut self, phase: u8, client: &Side<'_>, hub: &Side<'_>, method: Method) {
        self.push(
            phase,
            client,
            Operation::Verify { method }, [
            "ils-doctor check --force-registration (the ILS trace level raised and restored; ILS restarted on the registering side)".into(),
            String::new(),
            format!("the link {} -> {} must register with {}", client.name, hub.name, method.title()),
            "changes nothing to undo".into()]);
    }
}

/// The settings before, as far as anything tells.
fn before(input: &Input<'_>, f: &Facts) -> Before {
    let mut b = Before { role: f.ils_role.clone().filter(|r| !r.trim().is_empty()), ..Before::default() };
    if let Some(addr) = input.found.dialed.get(&key(f)) {
        b.registration_server = Some(addr.clone());
        b.basis
            .push(format!("Registration Server {addr}: the address its latest registration attempt dialed (traces)"));
    }
    if let Some(m) = input.found.method_in_use {
        let (tls, pw) = flags_of(m);
        b.use_tls = Some(tls);
        b.use_password = Some(pw);
        b.basis.push(format!("Use TLS {tls}, Use Password {pw}: the link's traces show {}", m.title()));
    }
    b
}

fn stopped(f: &Facts) -> Option<&str> {
    f.ils_service.as_deref().filter(|s| !s.trim().to_ascii_uppercase().starts_with("STARTED"))
}

fn prerequisites(input: &Input<'_>, hub: &Side<'_>, client: &Side<'_>, b: &mut Builder) {
    if key(hub.facts) == key(client.facts) {
        b.refuse(
            "same_cluster",
            Some(&hub.name),
            "the two publishers given are the same one".into(),
            "give the publisher of each cluster once".into(),
        );
    }
    let ids = [(hub, hub.facts.cluster_id.as_deref()), (client, client.facts.cluster_id.as_deref())];
    for (side, id) in ids {
        match id.map(str::trim) {
            Some(id) if id.eq_ignore_ascii_case("StandAloneCluster") => b.refuse(
                "cluster_id_default",
                Some(&side.name),
                format!("the Cluster ID of {} is still the default StandAloneCluster: ILS does not work with it (docs/cucm-notes.md#preconditions)", side.name),
                format!("on {}: Cisco Unified CM Administration > System > Enterprise Parameters > Cluster ID: a name unique in the ILS network; ils-doctor does not change enterprise parameters", side.name),
            ),
            None | Some("") => b.unknowns.push(format!("the Cluster ID of {} could not be read: it must be unique in the ILS network and not StandAloneCluster", side.name)),
            _ => {}
        }
    }
    if let (Some(a), Some(c)) = (hub.facts.cluster_id.as_deref(), client.facts.cluster_id.as_deref()) {
        if !a.trim().is_empty() && a.trim().eq_ignore_ascii_case(c.trim()) {
            b.refuse(
                "duplicate_cluster_id",
                None,
                format!("{} and {} have the same Cluster ID {a}: every cluster of an ILS network needs its own", hub.name, client.name),
                "on one of them: Cisco Unified CM Administration > System > Enterprise Parameters > Cluster ID; ils-doctor does not change enterprise parameters".into(),
            );
        }
    }
    for side in [hub, client] {
        match stopped(side.facts) {
            Some(state) if state.to_ascii_lowercase().contains("not activated") => b.refuse(
                "ils_not_activated",
                Some(&side.name),
                format!("the Cisco Intercluster Lookup Service is not activated on {} ({state}); AXL's activateIls does nothing (docs/cucm-notes.md#update-ils-config)", side.name),
                format!("on {}: Cisco Unified Serviceability > Tools > Service Activation, check Cisco Intercluster Lookup Service, Save; then plan again", side.name),
            ),
            _ => {}
        }
        if side.facts.ils_service.is_none() {
            b.unknowns.push(format!("the state of the Cisco Intercluster Lookup Service on {} could not be read (utils service list): it is restarted, not started", side.name));
        }
    }
    match hub.facts.ils_role.as_deref() {
        Some(r) if r.eq_ignore_ascii_case(SPOKE_ROLE) => b.notes.push(format!(
            "{} is a Spoke Cluster now: the plan makes it a Hub Cluster, so it stops registering to its own hub",
            hub.name
        )),
        _ => {}
    }
    match client.facts.ils_role.as_deref() {
        Some(r) if r.eq_ignore_ascii_case(HUB_ROLE) && !input.hub_to_hub => b.notes.push(format!(
            "{} is a Hub Cluster now: the plan makes it a Spoke Cluster; spokes registered to it lose their hub",
            client.name
        )),
        _ => {}
    }
}

/// The certificate imports the method needs, each (the side it goes to, the certificate).
fn certificates<'a, 's>(
    input: &Input<'_>,
    hub: &'s Side<'a>,
    client: &'s Side<'a>,
    b: &mut Builder,
) -> Vec<(&'s Side<'a>, CertRef)> {
    if input.method == Method::Password {
        return Vec::new();
    }
    let Some(pair) = preflight::predict(hub.facts, &[client.facts], input.now).pop() else { return Vec::new() };
    let mut out = Vec::new();
    for (verifier, peer, dir) in [(client, hub, &pair.spoke_checks_hub), (hub, client, &pair.hub_checks_spoke)] {
        out.extend(direction(input, verifier, peer, dir, b).into_iter().map(|c| (verifier, c)));
    }
    out
}

/// What `verifier` needs to accept `peer`'s certificate under the method.
fn direction(
    input: &Input<'_>,
    verifier: &Side<'_>,
    peer: &Side<'_>,
    dir: &Direction,
    b: &mut Builder,
) -> Vec<CertRef> {
    let Some(leaf) = peer.facts.tomcat_certificate.as_ref() else {
        b.refuse(
            "certificate_unreadable",
            Some(&peer.name),
            format!("the Tomcat certificate of {} could not be read (show cert own tomcat)", peer.name),
            format!("check that the OS administrator can run `show cert own tomcat` on {}", peer.name),
        );
        return Vec::new();
    };
    if let Some(Validity::Expired(t)) = leaf.valid_at(input.now) {
        b.refuse(
            "tomcat_expired",
            Some(&peer.name),
            format!("the Tomcat certificate of {} expired on {}: every TLS method refuses it", peer.name, t.format("%Y-%m-%d")),
            format!("on {}: Cisco Unified OS Administration > Security > Certificate Management > tomcat > Regenerate (or a new CA-signed one), restart the Cisco Tomcat and Cisco Intercluster Lookup services, then plan again", peer.name),
        );
        return Vec::new();
    }
    let tls_password = matches!(input.method, Method::TlsWithPassword | Method::TlsAfterPassword);
    if tls_password && leaf.self_issued() {
        b.refuse(
            "self_signed_tomcat",
            Some(&peer.name),
            format!(
                "the Tomcat certificate of {} is self-signed: {} needs Tomcat certificates signed by a CA whose root both tomcat-trust stores hold, and does not exchange the certificates themselves (technote 200694; docs/cucm-notes.md#auth-methods)",
                peer.name,
                input.method.title()
            ),
            format!("use method 2 (`--method tls`: the Tomcat certificates are exchanged), or have {}'s Tomcat certificate signed by the enterprise CA (Certificate Management > Generate CSR, purpose tomcat) and plan again", peer.name),
        );
        return Vec::new();
    }
    let mut wanted = Vec::new();
    if input.method == Method::Tls && dir.imported != Some(true) {
        match cert_ref(leaf, &peer.name, false) {
            Some(c) => wanted.push(c),
            None => {
                b.refuse(
                    "certificate_unreadable",
                    Some(&peer.name),
                    format!("`show cert own tomcat` on {} printed no PEM to import", peer.name),
                    format!(
                        "on {}: Certificate Management > tomcat.pem > Download, then import it on {} by hand",
                        peer.name, verifier.name
                    ),
                );
                return Vec::new();
            }
        }
        if !dir.stale.is_empty() {
            b.notes.push(format!(
                "{} holds an older certificate of {} ({}): the import replaces the entry of the same name, and undo cannot bring it back",
                verifier.name,
                peer.name,
                dir.stale.join(", ")
            ));
        }
        if dir.imported.is_none() {
            b.unknowns.push(format!(
                "whether {} already trusts {}'s Tomcat certificate could not be read: it is imported",
                verifier.name, peer.name
            ));
        }
    }
    let needs_chain = !leaf.self_issued() && !dir.handshake.accepted() && (tls_password || input.method == Method::Tls);
    if needs_chain {
        let chain = ca_chain(leaf, input.ca_certs);
        let missing: Vec<&CertInfo> = chain
            .iter()
            .copied()
            .filter(|ca| {
                let cn = ca.subject_cn().map(|cn| file_cn(&cn).to_ascii_lowercase()).unwrap_or_default();
                !verifier.facts.tomcat_trust.iter().any(|e| e.cn.to_ascii_lowercase() == cn)
            })
            .collect();
        match (chain.is_empty(), tls_password) {
            (true, true) => b.refuse(
                "ca_certificate_needed",
                Some(&verifier.name),
                format!(
                    "{} does not trust the CA that signed {}'s Tomcat certificate (issuer {}){}",
                    verifier.name,
                    peer.name,
                    leaf.issuer,
                    handshake_words(&dir.handshake)
                ),
                format!("give that CA's certificate (root, and intermediates) with --ca-cert FILE (PEM): ils-doctor imports it into {}'s tomcat-trust", verifier.name),
            ),
            (true, false) => b.unknowns.push(format!(
                "{}'s Tomcat certificate is CA-signed and its CA is not in {}'s tomcat-trust: the certificate imported alone is accepted only where ILS's TLS allows partial chains [I]; --ca-cert FILE imports its CA too",
                peer.name, verifier.name
            )),
            (false, _) => {
                for ca in missing {
                    if let Some(c) = cert_ref(ca, "the CA", true) {
                        wanted.push(c);
                    }
                }
            }
        }
    }
    wanted
}

fn handshake_words(h: &Handshake) -> String {
    match h {
        Handshake::Refused { code, reason } => {
            format!(" (the TLS handshake would fail with OpenSSL error {code}: {reason})")
        }
        Handshake::Uncertain { reason } | Handshake::Unknown { reason } if !reason.is_empty() => format!(" ({reason})"),
        _ => String::new(),
    }
}

/// The CA certificates from `given` that issued `leaf`, upwards to a root, at most 8.
fn ca_chain<'c>(leaf: &CertInfo, given: &'c [CertInfo]) -> Vec<&'c CertInfo> {
    let mut chain: Vec<&CertInfo> = Vec::new();
    let mut issuer = leaf.issuer.clone();
    for _ in 0..8 {
        let Some(next) =
            given.iter().find(|c| same_name(&c.subject, &issuer) && !chain.iter().any(|k| k.same_certificate(c)))
        else {
            break;
        };
        chain.push(next);
        if next.self_issued() {
            break;
        }
        issuer = next.issuer.clone();
    }
    chain
}

/// Whether the link is joined already: only a check's traces can tell (a spoke registered to
/// another cluster of the same network reads "Up to Date" too, and the method is never readable),
/// so without `--check-first` a plan always writes the settings, and says when the configuration
/// suggests it need not.
fn looks_joined(
    input: &Input<'_>,
    hub: &Side<'_>,
    client: &Side<'_>,
    imports: &[(&Side<'_>, CertRef)],
    starts: &[&Side<'_>],
    b: &mut Builder,
) -> bool {
    if !imports.is_empty() || !starts.is_empty() {
        return false;
    }
    match (input.found.link_ok, input.found.method_in_use) {
        (Some(true), Some(m)) if m == input.method => {
            b.notes.push(format!("a check just saw {} register to {} with {}", client.name, hub.name, m.title()));
            return true;
        }
        (Some(_), _) | (None, Some(_)) => return false,
        (None, None) => {}
    }
    let role_ok = |f: &Facts, want: &str| f.ils_role.as_deref().is_some_and(|r| r.eq_ignore_ascii_case(want));
    let synced = client.facts.ils_sync_status.as_deref().is_some_and(|s| s.trim().eq_ignore_ascii_case("Up to Date"));
    let listed =
        hub.facts.cluster_id.as_deref().is_some_and(|id| {
            client.facts.remote_clusters.iter().any(|(c, _)| c.trim().eq_ignore_ascii_case(id.trim()))
        });
    if role_ok(hub.facts, HUB_ROLE) && role_ok(client.facts, client.role) && synced && listed {
        b.notes.push(format!(
            "{} reports ILS synchronization \"Up to Date\" and lists {}: the link may be joined already. To which hub and with which method cannot be read back: `--check-first` reads both from the traces, and the plan is empty when the link registers with {}",
            client.name,
            hub.name,
            input.method.title()
        ));
    }
    false
}

fn unknowns(input: &Input<'_>, hub: &Side<'_>, client: &Side<'_>, b: &mut Builder) {
    match input.found.method_in_use {
        Some(m) => b.unknowns.push(format!(
            "Use TLS Certificates / Use Password cannot be read back (getIlsConfig does not return them); the traces show {} in use [I]; both sides are written with {}'s settings",
            m.title(),
            input.method.title()
        )),
        None => b.unknowns.push(format!(
            "Use TLS Certificates / Use Password cannot be read back (getIlsConfig does not return them): both sides are written with {}'s settings, whatever they are now; undo cannot put the old ones back",
            input.method.title()
        )),
    }
    if matches!(input.method, Method::Password | Method::TlsWithPassword | Method::TlsAfterPassword) {
        b.unknowns.push("the ILS password cannot be read back: it is set on both sides, as the technote asks (the same password on every cluster of the ILS network); undo puts an old one back only if you give it".into());
        let others: Vec<String> = hub
            .facts
            .remote_clusters
            .iter()
            .map(|(id, _)| id.trim().to_string())
            .filter(|id| !id.is_empty() && Some(id.as_str()) != client.facts.cluster_id.as_deref())
            .collect();
        if !others.is_empty() {
            b.notes.push(format!(
                "{} also lists {}: every cluster of the ILS network that uses a password needs this same one (not changed by this plan)",
                hub.name,
                others.join(", ")
            ));
        }
    }
    if !input.found.dialed.contains_key(&key(client.facts)) {
        b.unknowns.push(format!(
            "the Registration Server of {} cannot be read back (docs/cucm-notes.md#membership): it is set to {}; undo leaves it so (`--check-first` reads the old one from the traces)",
            client.name,
            registration_address(hub.facts)
        ));
    }
    if !input.found.dialed.contains_key(&key(hub.facts)) {
        b.unknowns.push(format!(
            "the Registration Server of {} cannot be read back: it is written empty, as for the first hub of a network; if {} registers to another hub, `--check-first` reads that from its traces (or join it to that hub afterwards: a hub may register to any hub of the network)",
            hub.name, hub.name
        ));
    }
    b.unknowns.push(format!(
        "\"Synchronize Clusters Every\" cannot be read back: it is written as {} (minutes [I]: neither its unit nor its default is documented)",
        input.sync_minutes
    ));
}

fn summary(status: PlanStatus, input: &Input<'_>, hub: &Side<'_>, client: &Side<'_>, b: &Builder) -> String {
    let link = format!("{} -> {} with {}", client.name, hub.name, input.method.title());
    match status {
        PlanStatus::NothingToDo => format!("NOTHING TO DO: {link}: the link is registered as far as can be read"),
        PlanStatus::Changes => {
            let n = b.steps.iter().filter(|s| s.operation.changes()).count();
            let pubs: std::collections::BTreeSet<&str> =
                b.steps.iter().filter(|s| s.operation.changes()).map(|s| s.publisher.as_str()).collect();
            format!("CHANGES: {link}: {n} change(s) on {} publisher(s); nothing is changed without --apply", pubs.len())
        }
        PlanStatus::Refused => {
            format!("REFUSED: {link}: {}", b.refusals.iter().map(|r| r.reason.as_str()).collect::<Vec<_>>().join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::configure::model::PlanStatus;
    use crate::parse::cert::CertSource;
    use crate::parse::trust::{TrustEntry, TrustedCert};

    fn day(y: i32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(y, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap()
    }

    fn cert(subject_cn: &str, issuer_cn: &str, serial: &str) -> CertInfo {
        CertInfo {
            subject: format!("CN={subject_cn}, O=Example"),
            issuer: format!("CN={issuer_cn}, O=Example"),
            serial: Some(serial.into()),
            not_before: Some(day(2024)),
            not_after: Some(day(2044)),
            ca: Some(subject_cn == issuer_cn && subject_cn.contains("CA")),
            key_cert_sign: Some(subject_cn.contains("CA")),
            source: CertSource::Pem,
            der_base64: Some(format!("{serial}AAAA")),
            ..CertInfo::default()
        }
    }

    fn facts(name: &str, ip: &str, id: &str, role: &str, tomcat: CertInfo) -> Facts {
        Facts {
            host: "127.0.0.1".into(),
            https_port: if name.contains("hub") { 1001 } else { 1002 },
            cluster_id: Some(id.into()),
            ils_role: Some(role.into()),
            ils_service: Some("STARTED".into()),
            node_name: Some(name.into()),
            nodes: vec![(ip.into(), name.into(), "Publisher".into())],
            tomcat_certificate: Some(tomcat),
            tomcat_trust_checked: true,
            ..Facts::default()
        }
    }

    fn trust(f: &mut Facts, c: &CertInfo) {
        let cn = file_cn(&c.subject_cn().unwrap());
        let file = format!("tomcat-trust/{cn}.pem");
        f.tomcat_trust.push(TrustEntry { file: file.clone(), cn, serial: None });
        f.tomcat_trust_certs.push(TrustedCert { file, cert: c.clone() });
    }

    fn pair() -> (Facts, Facts) {
        let hub = facts(
            "cucm-hub.example.com",
            "10.0.0.1",
            "HUB",
            HUB_ROLE,
            cert("cucm-hub.example.com", "cucm-hub.example.com", "01"),
        );
        let spoke = facts(
            "cucm-spoke.example.com",
            "10.0.0.2",
            "SPOKE",
            SPOKE_ROLE,
            cert("cucm-spoke.example.com", "cucm-spoke.example.com", "02"),
        );
        (hub, spoke)
    }

    fn run(method: Method, hub: &Facts, spoke: &Facts, found: &Found, cas: &[CertInfo]) -> Plan {
        plan(&Input {
            method,
            hub_to_hub: false,
            registering: spoke,
            registered_to: hub,
            found,
            ca_certs: cas,
            sync_minutes: DEFAULT_SYNC_MINUTES,
            now: day(2026),
        })
    }

    fn kinds(p: &Plan) -> Vec<String> {
        p.steps
            .iter()
            .map(|s| {
                let k = match &s.operation {
                    Operation::SetIlsConfig { settings, password, .. } => {
                        format!("config({},{},{})", settings.use_tls, settings.use_password, password)
                    }
                    Operation::ImportTrust { certificate } => format!("import({})", certificate.file_cn),
                    Operation::StartIls { .. } => "start".into(),
                    Operation::RestartIls => "restart".into(),
                    Operation::Verify { method } => format!("verify({})", method.as_str()),
                };
                format!("{}:{k}", if s.https_port == 1001 { "hub" } else { "spoke" })
            })
            .collect()
    }

    /// Method 1's steps (and method 4's first phase).
    const METHOD_1: [&str; 5] = [
        "hub:config(false,true,true)",
        "spoke:config(false,true,true)",
        "hub:restart",
        "spoke:restart",
        "spoke:verify(password)",
    ];

    #[test]
    fn method_1_sets_the_password_on_both_sides_then_restarts_hub_first() {
        let (hub, spoke) = pair();
        let p = run(Method::Password, &hub, &spoke, &Found::default(), &[]);
        assert_eq!(p.status, PlanStatus::Changes);
        assert_eq!(p.exit_code, 2);
        assert_eq!(kinds(&p), METHOD_1);
        let Operation::SetIlsConfig { settings, .. } = &p.steps[1].operation else { panic!() };
        assert_eq!(settings.role, SPOKE_ROLE);
        assert_eq!(settings.registration_server, "cucm-hub.example.com");
        let Operation::SetIlsConfig { settings, .. } = &p.steps[0].operation else { panic!() };
        assert_eq!((settings.role.as_str(), settings.registration_server.as_str()), (HUB_ROLE, ""));
        assert!(p.unknowns.iter().any(|u| u.contains("password cannot be read back")), "{:?}", p.unknowns);
        assert!(p.unknowns.iter().any(|u| u.contains("Use TLS Certificates / Use Password cannot be read back")));
        assert!(!p.steps.iter().any(|s| s.how.contains("ils-Secret")), "no password in a plan");
    }

    /// The GUI words of every settings step name the ILS Configuration window's checkboxes and
    /// fields as the window does (analyze::vocabulary).
    #[test]
    fn every_settings_step_speaks_the_window_s_words() {
        let (hub, spoke) = pair();
        let mut checked = 0;
        for method in Method::ALL {
            let p = run(method, &hub, &spoke, &Found::default(), &[]);
            for s in p.steps.iter().filter(|s| matches!(s.operation, Operation::SetIlsConfig { .. })) {
                let slips = crate::analyze::vocabulary::slips(&s.gui);
                assert!(slips.is_empty(), "{method:?}: {slips:?}\n{}", s.gui);
                checked += 1;
            }
        }
        assert!(checked >= 4, "{checked} settings steps");
        let p = run(Method::Password, &hub, &spoke, &Found::default(), &[]);
        assert!(
            p.steps[0].gui.contains(
                "select the Use Password checkbox, clear the Use TLS Certificates checkbox, the password in Password and \
                 Confirm Password"
            ),
            "{}",
            p.steps[0].gui
        );
    }

    #[test]
    fn method_2_imports_what_each_side_lacks_before_the_settings() {
        let (mut hub, spoke) = pair();
        let spoke_cert = spoke.tomcat_certificate.clone().unwrap();
        trust(&mut hub, &spoke_cert);
        let p = run(Method::Tls, &hub, &spoke, &Found::default(), &[]);
        assert_eq!(
            kinds(&p),
            [
                "spoke:import(cucm-hub.example.com)",
                "hub:config(true,false,false)",
                "spoke:config(true,false,false)",
                "hub:restart",
                "spoke:restart",
                "spoke:verify(tls)"
            ]
        );
        let Operation::ImportTrust { certificate } = &p.steps[0].operation else { panic!() };
        assert!(certificate.pem.starts_with("-----BEGIN CERTIFICATE-----\n01AAAA\n"), "{}", certificate.pem);
        assert!(!serde_json::to_string(&p).unwrap().contains("BEGIN CERTIFICATE"), "no PEM in the JSON");
    }

    #[test]
    fn methods_3_and_4_refuse_a_self_signed_certificate_with_the_technotes_reason() {
        let (hub, spoke) = pair();
        for m in [Method::TlsWithPassword, Method::TlsAfterPassword] {
            let p = run(m, &hub, &spoke, &Found::default(), &[]);
            assert_eq!(p.status, PlanStatus::Refused);
            assert_eq!(p.exit_code, 3);
            assert!(p.steps.is_empty());
            let r = p.refusals.iter().find(|r| r.code == "self_signed_tomcat").unwrap();
            assert!(r.reason.contains("signed by a CA") && r.fix.contains("--method tls"), "{r:?}");
        }
    }

    fn ca_signed() -> (Facts, Facts, CertInfo) {
        let ca = cert("Corp Root CA", "Corp Root CA", "0A");
        let mut hub = facts(
            "cucm-hub.example.com",
            "10.0.0.1",
            "HUB",
            HUB_ROLE,
            cert("cucm-hub.example.com", "Corp Root CA", "01"),
        );
        let mut spoke = facts(
            "cucm-spoke.example.com",
            "10.0.0.2",
            "SPOKE",
            SPOKE_ROLE,
            cert("cucm-spoke.example.com", "Corp Root CA", "02"),
        );
        trust(&mut hub, &ca);
        trust(&mut spoke, &ca);
        (hub, spoke, ca)
    }

    #[test]
    fn method_4_is_a_verified_password_join_then_the_switch_to_tls() {
        let (hub, spoke, _) = ca_signed();
        let p = run(Method::TlsAfterPassword, &hub, &spoke, &Found::default(), &[]);
        let phase_2 = [
            "hub:config(true,false,false)",
            "spoke:config(true,false,false)",
            "hub:restart",
            "spoke:restart",
            "spoke:verify(tls_after_password)",
        ];
        assert_eq!(kinds(&p), [&METHOD_1[..], &phase_2[..]].concat());
        assert_eq!(p.steps.iter().map(|s| s.phase).collect::<Vec<_>>(), [1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
    }

    #[test]
    fn method_3_needs_the_ca_where_it_is_missing() {
        let (hub, mut spoke, ca) = ca_signed();
        spoke.tomcat_trust.clear();
        spoke.tomcat_trust_certs.clear();
        let p = run(Method::TlsWithPassword, &hub, &spoke, &Found::default(), &[]);
        assert_eq!(p.status, PlanStatus::Refused);
        assert!(p.refusals.iter().any(|r| r.code == "ca_certificate_needed" && r.fix.contains("--ca-cert")));
        let p = run(Method::TlsWithPassword, &hub, &spoke, &Found::default(), std::slice::from_ref(&ca));
        assert_eq!(p.status, PlanStatus::Changes, "{:?}", p.refusals);
        assert_eq!(kinds(&p)[0], "spoke:import(Corp_Root_CA)");
        assert_eq!(kinds(&p)[1], "hub:config(true,true,true)");
    }

    #[test]
    fn a_stopped_service_is_started_not_restarted_and_an_unactivated_one_refused() {
        let (mut hub, spoke) = pair();
        hub.ils_service = Some("STOPPED (Commanded Out of Service)".into());
        let p = run(Method::Password, &hub, &spoke, &Found::default(), &[]);
        assert_eq!(
            kinds(&p),
            [
                "hub:config(false,true,true)",
                "spoke:config(false,true,true)",
                "hub:start",
                "spoke:restart",
                "spoke:verify(password)"
            ]
        );
        assert!(p.steps[2].undo.contains("utils service stop"));
        hub.ils_service = Some("STOPPED (Service Not Activated)".into());
        let p = run(Method::Password, &hub, &spoke, &Found::default(), &[]);
        assert!(p.refusals.iter().any(|r| r.code == "ils_not_activated" && r.fix.contains("Service Activation")));
    }

    #[test]
    fn cluster_ids_must_be_unique_and_not_the_default() {
        let (mut hub, mut spoke) = pair();
        spoke.cluster_id = Some("hub".into());
        let p = run(Method::Password, &hub, &spoke, &Found::default(), &[]);
        assert!(p.refusals.iter().any(|r| r.code == "duplicate_cluster_id"));
        spoke.cluster_id = Some("StandAloneCluster".into());
        hub.cluster_id = Some("HUB".into());
        let p = run(Method::Password, &hub, &spoke, &Found::default(), &[]);
        assert_eq!(p.refusals.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(), ["cluster_id_default"]);
        assert!(p.summary.starts_with("REFUSED: "));
    }

    #[test]
    fn only_a_check_that_saw_the_link_register_with_the_method_empties_the_plan() {
        let (hub, mut spoke) = pair();
        spoke.ils_sync_status = Some("Up to Date".into());
        spoke.remote_clusters = vec![("HUB".into(), "cucm-hub.example.com".into())];
        // The configuration alone: the settings are written, and the plan says why it may not be needed.
        let p = run(Method::Password, &hub, &spoke, &Found::default(), &[]);
        assert_eq!(p.status, PlanStatus::Changes);
        assert!(
            p.notes.iter().any(|n| n.contains("may be joined already") && n.contains("--check-first")),
            "{:?}",
            p.notes
        );
        let seen = |m: Method, ok: bool| Found { method_in_use: Some(m), link_ok: Some(ok), ..Found::default() };
        let p = run(Method::Password, &hub, &spoke, &seen(Method::Password, true), &[]);
        assert_eq!((p.status, p.exit_code), (PlanStatus::NothingToDo, 0));
        assert!(p.steps.is_empty() && p.summary.starts_with("NOTHING TO DO"));
        // Registered with another method, or failing: the settings are written.
        assert_eq!(run(Method::Password, &hub, &spoke, &seen(Method::Tls, true), &[]).status, PlanStatus::Changes);
        assert_eq!(
            run(Method::Password, &hub, &spoke, &seen(Method::Password, false), &[]).status,
            PlanStatus::Changes
        );
    }

    #[test]
    fn what_the_traces_showed_is_what_undo_can_put_back() {
        let (hub, spoke) = pair();
        let found = Found {
            dialed: BTreeMap::from([(key(&spoke), "10.0.0.3".to_string())]),
            method_in_use: Some(Method::Password),
            link_ok: Some(false),
        };
        let p = run(Method::Password, &hub, &spoke, &found, &[]);
        let Operation::SetIlsConfig { before, .. } = &p.steps[1].operation else { panic!() };
        assert_eq!(before.registration_server.as_deref(), Some("10.0.0.3"));
        assert_eq!((before.use_tls, before.use_password), (Some(false), Some(true)));
        assert_eq!(before.role.as_deref(), Some(SPOKE_ROLE));
        assert!(!p.unknowns.iter().any(|u| u.contains("Registration Server of cucm-spoke")));
    }

    #[test]
    fn hub_to_hub_makes_both_hubs() {
        let (hub, mut other) = pair();
        other.ils_role = Some(HUB_ROLE.into());
        let p = plan(&Input {
            method: Method::Password,
            hub_to_hub: true,
            registering: &other,
            registered_to: &hub,
            found: &Found::default(),
            ca_certs: &[],
            sync_minutes: 10,
            now: day(2026),
        });
        assert_eq!(p.link.kind, "hub_to_hub");
        let roles: Vec<&str> = p
            .steps
            .iter()
            .filter_map(|s| match &s.operation {
                Operation::SetIlsConfig { settings, .. } => Some(settings.role.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(roles, [HUB_ROLE, HUB_ROLE]);
    }

    #[test]
    fn an_expired_certificate_stops_every_tls_method_not_the_password() {
        let (mut hub, spoke) = pair();
        if let Some(c) = hub.tomcat_certificate.as_mut() {
            c.not_after = Some(day(2021));
        }
        for m in [Method::Tls, Method::TlsWithPassword, Method::TlsAfterPassword] {
            assert!(
                run(m, &hub, &spoke, &Found::default(), &[]).refusals.iter().any(|r| r.code == "tomcat_expired"),
                "{m:?}"
            );
        }
        assert_eq!(run(Method::Password, &hub, &spoke, &Found::default(), &[]).status, PlanStatus::Changes);
    }

    proptest::proptest! {
        /// Any facts: a plan, numbered in order; refused means no step; changes end with the check.
        #[test]
        fn any_facts_give_a_consistent_plan(
            role_h in proptest::option::of("[A-Za-z ]{0,14}"),
            role_s in proptest::option::of("[A-Za-z ]{0,14}"),
            id_h in proptest::option::of("[A-Za-z]{0,12}"),
            id_s in proptest::option::of("[A-Za-z]{0,12}"),
            svc in proptest::option::of("(STARTED|STOPPED|STOPPED \\(Service Not Activated\\)|[A-Z ]{0,10})"),
            sync in proptest::option::of("(Up to Date|[a-z ]{0,8})"),
            self_signed in proptest::bool::ANY,
            trusted in proptest::bool::ANY,
            method in 0usize..4,
            link_ok in proptest::option::of(proptest::bool::ANY),
        ) {
            let (mut hub, mut spoke) = if self_signed { let (h, s) = pair(); (h, s) } else { let (h, s, _) = ca_signed(); (h, s) };
            hub.ils_role = role_h;
            spoke.ils_role = role_s;
            hub.cluster_id = id_h;
            spoke.cluster_id = id_s;
            hub.ils_service = svc;
            spoke.ils_sync_status = sync;
            if trusted {
                let c = hub.tomcat_certificate.clone().unwrap();
                trust(&mut spoke, &c);
            }
            let m = Method::ALL[method];
            let found = Found { link_ok, method_in_use: link_ok.map(|_| m), ..Found::default() };
            let p = plan(&Input { method: m, hub_to_hub: false, registering: &spoke, registered_to: &hub, found: &found, ca_certs: &[], sync_minutes: 10, now: day(2026) });
            proptest::prop_assert_eq!(p.exit_code, p.status.exit_code());
            proptest::prop_assert!(p.steps.iter().enumerate().all(|(i, s)| s.n == i + 1));
            match p.status {
                PlanStatus::Refused => proptest::prop_assert!(p.steps.is_empty() && !p.refusals.is_empty()),
                PlanStatus::NothingToDo => proptest::prop_assert!(p.steps.is_empty()),
                PlanStatus::Changes => {
                    let last_is_check = matches!(p.steps.last().map(|s| &s.operation), Some(Operation::Verify { method }) if *method == m);
                    proptest::prop_assert!(last_is_check);
                }
            }
        }
    }
}
