//! The `admin:` CLI commands and their CUCM output formats.
//!
//! Formats: `show version active` (docs/cucm-notes.md#show-version), `show network cluster`
//! (docs/cucm-notes.md#network-cluster; the publisher's own line has no "using TCP since"),
//! `run sql` (docs/cucm-notes.md#run-sql, `=`-underlined columns), `utils service list`
//! (docs/cucm-notes.md#service-list), `utils ils showpeerinfo` (docs/cucm-notes.md#showpeerinfo: no real sample
//! exists [NF], the text here is invented unless the scenario supplies one), `utils dbreplication
//! runtimestate` (docs/cucm-notes.md#dbreplication), `file list activelog <dir> [detail]`
//! (docs/cucm-notes.md#file-list), `show cert own tomcat` and `show cert list own|trust`
//! (docs/cucm-notes.md#cert-cli; trust-line descriptions are unknown [NF]), `set cli pagination off|on`
//! (docs/cucm-notes.md#cli-dialog). Unknown commands get "Executed command unsuccessfully" / "No valid
//! command entered" [I: from memory of VOS, docs/cucm-notes.md#vos-misc].

use chrono::{Duration, Utc};

use super::trust::{ca_file, cert_file};
use crate::db::{World, ILS_SERVICE};
use crate::scenario::{CertKind, ServiceState};
use crate::sql;
use crate::tls::serial_hex;

/// What a command does to the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Print this text (lines separated by `\n`) and show the prompt.
    Print(String),
    /// Set pagination and print the confirmation.
    Pagination(bool, String),
    /// End the session.
    Quit,
    /// Print nothing, never return a prompt (fault).
    Hang,
    /// Print this prompt and read a pasted certificate (`set cert import trust tomcat`),
    /// which [`crate::ssh::trust::import`] then takes.
    Paste(String),
    /// Print this question and read the answer; `yes` deletes this tomcat-trust file.
    ConfirmDelete { question: String, file: String },
}

fn unknown() -> Effect {
    Effect::Print("Executed command unsuccessfully\nNo valid command entered".into())
}

/// Runs one command line on `cluster`'s publisher.
pub fn run(w: &mut World, cluster: &str, line: &str) -> Effect {
    let line = line.trim();
    if let Some(h) = &w.faults.hang_command {
        if !h.is_empty() && line.starts_with(h.as_str()) {
            return Effect::Hang;
        }
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    let lower: Vec<String> = words.iter().map(|s| s.to_ascii_lowercase()).collect();
    let l: Vec<&str> = lower.iter().map(String::as_str).collect();
    let Some(c) = w.scenario.cluster(cluster).cloned() else {
        return unknown();
    };
    match l.as_slice() {
        [] => Effect::Print(String::new()),
        ["quit"] | ["exit"] => Effect::Quit,
        ["set", "cli", "pagination", "off"] => Effect::Pagination(false, "Automatic pagination is turned off".into()),
        ["set", "cli", "pagination", "on"] => Effect::Pagination(true, "Automatic pagination is turned on".into()),
        ["show", "version", "active"] => Effect::Print(format!(
            "Active Master Version: {}\nActive Version Installed Software Options:\nNo Installed Software Options Found.",
            c.version
        )),
        ["show", "network", "cluster"] => Effect::Print(format!(
            "{} {} {} Publisher callmanager DBPub authenticated\n\nServer Table (processnode) Entries\n----------------------------------\n{}\n",
            c.ip,
            c.fqdn,
            c.hostname(),
            c.fqdn
        )),
        ["run", "sql", ..] => {
            // The statement is everything after "run sql", original case kept.
            let stmt = line
                .splitn(3, char::is_whitespace)
                .nth(2)
                .unwrap_or("")
                .trim();
            let parsed = match sql::parse(stmt) {
                Ok(p) => p,
                Err(e) => return Effect::Print(e.message),
            };
            if !parsed.is_query() {
                // run sql is read-only for ordinary users (docs/cucm-notes.md#run-sql); the message is [I].
                return Effect::Print("Executed command unsuccessfully\nOnly SELECT statements are allowed".into());
            }
            let Some(db) = w.db(cluster) else { return unknown() };
            match sql::query(db, &parsed) {
                Ok(rows) => Effect::Print(sql::format_table(&rows)),
                Err(e) => Effect::Print(e.message),
            }
        }
        ["utils", "service", verb @ ("start" | "stop" | "restart"), _, ..] => {
            let name = words.get(3..).map(|w| w.join(" ")).unwrap_or_default();
            Effect::Print(control(w, cluster, verb, &name))
        }
        ["utils", "service", "list"] => Effect::Print(service_list(w.engine.service(cluster).unwrap_or(ServiceState::Started))),
        ["utils", "ils", "showpeerinfo", rest @ ..] => Effect::Print(showpeerinfo(w, cluster, rest.first().copied())),
        ["utils", "dbreplication", "runtimestate"] => Effect::Print(runtimestate(&c, w)),
        ["file", "list", "activelog", dir, opts @ ..] => {
            w.engine.advance_to(Utc::now());
            Effect::Print(file_list(w, cluster, dir, opts.contains(&"detail")))
        }
        ["show", "cert", "own", unit] if unit.starts_with("tomcat") && !unit.starts_with("tomcat-ecdsa") => {
            Effect::Print(cert_own(w, &c))
        }
        ["show", "cert", "trust", _] => {
            let name = words.get(3).copied().unwrap_or("");
            Effect::Print(cert_trust(w, &c, name))
        }
        ["show", "cert", "list", "own"] => Effect::Print(cert_list_own(&c)),
        ["show", "cert", "list", "trust"] => Effect::Print(cert_list_trust(w, &c)),
        ["set", "cert", "import", "trust", "tomcat"] => Effect::Paste(super::trust::PASTE_PROMPT.into()),
        ["set", "cert", "delete", unit, _] => {
            let file = words.get(4).copied().unwrap_or("");
            match super::trust::delete_question(w, cluster, unit, file) {
                Ok(question) => Effect::ConfirmDelete { question, file: file.to_string() },
                Err(e) => Effect::Print(e),
            }
        }
        _ => unknown(),
    }
}

/// `utils service start|stop|restart <name>`: output modelled on VOS [I: no published
/// sample, docs/cucm-notes.md#vos-misc]; only the ILS service changes state.
fn control(w: &mut World, cluster: &str, verb: &str, name: &str) -> String {
    let mut out = String::new();
    if verb == "restart" {
        out.push_str("Do not press Ctrl+C while the service is restarting. If the service has not restarted properly, execute the same command again.\n");
    }
    if verb != "start" {
        out.push_str(&format!("Service Manager is running\n{name}[STOPPING]\n{name}[STOPPING]\nCommanded Out of Service\n{name}[NOTRUNNING]\n"));
    }
    if verb != "stop" {
        out.push_str(&format!("Service Manager is running\n{name}[STARTING]\n{name}[STARTING]\n{name}[STARTED]\n"));
    }
    if name.eq_ignore_ascii_case(ILS_SERVICE) {
        let state = if verb == "stop" { ServiceState::Stopped } else { ServiceState::Started };
        w.control_ils(cluster, state);
    }
    out.trim_end().to_string()
}

fn service_list(ils: ServiceState) -> String {
    let ils_line = match ils {
        ServiceState::Started => format!("{ILS_SERVICE}[STARTED]"),
        ServiceState::Stopped => format!("{ILS_SERVICE}[STOPPED]  Commanded Out of Service"),
        ServiceState::NotActivated => format!("{ILS_SERVICE}[STOPPED]  Service Not Activated"),
    };
    let mut out = String::from("Requesting service status, please wait...\nService Manager is running\nGetting list of all services\n>> Return code = 0\n");
    for s in [
        "A Cisco DB[STARTED]",
        "A Cisco DB Replicator[STARTED]",
        "Cisco AMC Service[STARTED]",
        "Cisco AXL Web Service[STARTED]",
        "Cisco Audit Event Service[STARTED]",
        "Cisco CallManager[STARTED]",
        "Cisco CallManager Serviceability[STARTED]",
        "Cisco CTIManager[STARTED]",
        "Cisco DirSync[STOPPED]  Service Not Activated",
    ] {
        out.push_str(s);
        out.push('\n');
    }
    out.push_str(&ils_line);
    out.push('\n');
    for s in [
        "Cisco Tftp[STARTED]",
        "Cisco Tomcat[STARTED]",
        "Cisco User Data Services[STARTED]",
        "SOAP -Log Collection APIs[STARTED]",
        "System Application Agent[STARTED]",
    ] {
        out.push_str(s);
        out.push('\n');
    }
    out.push_str("Primary Node =true\nCommand successful");
    out
}

fn showpeerinfo(w: &World, cluster: &str, filter: Option<&str>) -> String {
    if let Some(t) = w.scenario.cluster(cluster).and_then(|c| c.showpeerinfo.clone()) {
        return t;
    }
    // Invented layout [NF: no real sample]: clustername, cluster ID and node IPs per peer.
    let piv = w.engine.peer_info_vector(cluster);
    let mut out = String::new();
    for fqdn in piv {
        if filter.is_some_and(|f| !f.eq_ignore_ascii_case(&fqdn)) {
            continue;
        }
        if let Some(p) = w.scenario.clusters.iter().find(|c| c.fqdn.eq_ignore_ascii_case(&fqdn)) {
            out.push_str(&format!("clustername: {}\n  clusterid: {}\n  nodes: {}\n", p.fqdn, p.cluster_id, p.ip));
        }
    }
    if out.is_empty() {
        out.push_str("No peer information found");
    }
    out
}

fn server_now(c: &crate::scenario::Cluster) -> chrono::NaiveDateTime {
    (Utc::now() + Duration::milliseconds(c.clock.skew_ms) + Duration::minutes(i64::from(c.offset_minutes())))
        .naive_utc()
}

fn zone(c: &crate::scenario::Cluster) -> String {
    c.zone_abbrev()
}

fn runtimestate(c: &crate::scenario::Cluster, _w: &World) -> String {
    let now = server_now(c);
    let db_version = format!("ccm{}", c.version.replace(['.', '-'], "_"));
    format!(
        "\nServer Time: {} {} {}\n\nCluster Replication State: Replication status command started at: {}\n     Replication status command COMPLETED 681 tables checked out of 681\n     Last Completed Table: devicenumplanmapremdestmap\n     No Errors or Mismatches found.\n\nDB Version: {db_version}\nRepltimeout set to: 300s\nPROCESS option set to: 1\n\nCluster Detailed View from {} (1 Servers):\n\n                                PING      DB/RPC/   REPL.    Replication    REPLICATION SETUP\nSERVER-NAME      IP ADDRESS     (msec)    DbMon?    QUEUE    Group ID       (RTMT) & Details\n-----------      ----------     ------    -------   -----    -----------    ------------------\n{:<16} {:<14} 0.013     Y/Y/Y     0        (g_2)          (2) Setup Completed\n",
        now.format("%a %b %d %H:%M:%S"),
        zone(c),
        now.format("%Y"),
        (now - Duration::minutes(5)).format("%Y-%m-%d-%H-%M"),
        c.hostname(),
        c.hostname(),
        c.ip
    )
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn file_list(w: &World, cluster: &str, dir: &str, detail: bool) -> String {
    let d = dir.trim_end_matches('*').trim_matches('/').to_ascii_lowercase();
    let Some(c) = w.scenario.cluster(cluster) else {
        return String::new();
    };
    let off = Duration::minutes(i64::from(c.offset_minutes())) + Duration::milliseconds(c.clock.skew_ms);
    match d.as_str() {
        "cm/trace/ils/sdl" => {
            let files = w.engine.files(cluster);
            let mut out = String::new();
            if detail {
                for f in files {
                    let t = (f.last_write + off).naive_utc();
                    out.push_str(&format!(
                        " {} {:>12}  {}\n",
                        t.format("%d %b,%Y %H:%M:%S"),
                        thousands(f.bytes().len()),
                        f.name
                    ));
                }
            } else {
                for pair in files.chunks(2) {
                    let a = pair.first().map(|f| f.name.as_str()).unwrap_or("");
                    let b = pair.get(1).map(|f| f.name.as_str()).unwrap_or("");
                    out.push_str(format!("{a:<40}{b}").trim_end());
                    out.push('\n');
                }
            }
            out.push_str(&format!("dir count = 0, file count = {}", files.len()));
            out
        }
        "cm/trace/ils" => "<dir>    sdl\ndir count = 1, file count = 0".into(),
        _ => "dir count = 0, file count = 0".into(),
    }
}

fn java_date(d: chrono::NaiveDate, zone: &str) -> String {
    d.and_hms_opt(12, 0, 0)
        .map(|t| format!("{} {zone} {}", t.format("%a %b %d %H:%M:%S"), t.format("%Y")))
        .unwrap_or_default()
}

/// The decoded block of `show cert own` (docs/cucm-notes.md#cert-cli) [3P] for `cluster`'s Tomcat
/// certificate; with the PEM appended right after the closing `]` (same line) for `show cert own`, without it for
/// `show cert trust` (decoded fields without the PEM [3P]). Key and signature dumps are shortened.
fn cert_block(w: &World, cluster: &crate::scenario::Cluster, viewer: &crate::scenario::Cluster, pem: bool) -> String {
    let z = zone(viewer);
    let subject = format!("CN={}, OU=UC, O=Mock Enterprise", cluster.fqdn);
    let cert = w.tomcat.get(&cluster.name);
    let (issuer, from, to) = match cert {
        Some(c) => (
            if c.issuer_cn == cluster.fqdn {
                subject.clone()
            } else {
                format!("CN={}, O=Mock Enterprise", c.issuer_cn)
            },
            c.not_before,
            c.not_after,
        ),
        None => {
            let issuer = match cluster.tomcat.kind {
                CertKind::SelfSigned => subject.clone(),
                CertKind::CaSigned => format!("CN={}, O=Mock Enterprise", cluster.tomcat.ca),
            };
            let (a, b) = if cluster.tomcat.expired { (2019, 2021) } else { (2024, 2044) };
            (
                issuer,
                chrono::NaiveDate::from_ymd_opt(a, 1, 1).unwrap_or_default(),
                chrono::NaiveDate::from_ymd_opt(b, 1, 1).unwrap_or_default(),
            )
        }
    };
    let mut out = format!(
        "[\n  Version: V3\n  Serial Number: {}\n  SignatureAlgorithm: SHA256withECDSA (1.2.840.10045.4.3.2)\n  Issuer Name: {issuer}\n  Validity From: {}\n           To:   {}\n  Subject Name: {subject}\n  Key: EC (1.2.840.10045.2.1)\n    Key value: 3059301306072a8648ce3d020106082a8648ce3d03010703420004\n  Extensions: 2 present\n  [\n     Extension: KeyUsage (OID.2.5.29.15)\n     Critical: false\n     Usages: digitalSignature, keyEncipherment, dataEncipherment,\n  ]\n  [\n     Extension: ExtKeyUsageSyntax (OID.2.5.29.37)\n     Critical: false\n     Usage oids: 1.3.6.1.5.5.7.3.1, 1.3.6.1.5.5.7.3.2,\n  ]\n\n]",
        serial_hex(&cluster.fqdn),
        java_date(from, &z),
        java_date(to, &z),
    );
    if pem {
        if let Some(c) = cert {
            out.push_str(c.cert_pem.trim_end());
        }
    }
    out
}

/// `show cert trust` of a root CA the scenario put in tomcat-trust (`trust.ca_roots`): the
/// decoded fields of the CA `crate::tls::Ca` creates (docs/cucm-notes.md#cert-cli), with the
/// BasicConstraints block as Java prints it [I]; no PEM, as for a peer's certificate.
fn ca_block(name: &str, viewer: &crate::scenario::Cluster) -> String {
    let z = zone(viewer);
    let dn = format!("CN={name}, O=Mock Enterprise");
    let day = |y| chrono::NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or_default();
    format!(
        "[\n  Version: V3\n  Serial Number: {}\n  SignatureAlgorithm: SHA256withECDSA (1.2.840.10045.4.3.2)\n  Issuer Name: {dn}\n  Validity From: {}\n           To:   {}\n  Subject Name: {dn}\n  Key: EC (1.2.840.10045.2.1)\n    Key value: 3059301306072a8648ce3d020106082a8648ce3d03010703420004\n  Extensions: 2 present\n  [\n     Extension: KeyUsage (OID.2.5.29.15)\n     Critical: true\n     Usages: digitalSignature, keyCertSign, cRLSign,\n  ]\n  [\n     Extension: BasicConstraints (OID.2.5.29.19)\n     Critical: true\n     BasicConstraints:[\n  CA:true\n  PathLen:2147483647\n]\n  ]\n\n]",
        serial_hex(name),
        java_date(day(2020), &z),
        java_date(day(2045), &z),
    )
}

fn cert_own(w: &World, c: &crate::scenario::Cluster) -> String {
    cert_block(w, c, c, true)
}

/// `show cert trust tomcat-trust/<fqdn>_<serial>.pem`: a peer's imported Tomcat certificate.
fn cert_trust(w: &World, c: &crate::scenario::Cluster, name: &str) -> String {
    let want = name.to_ascii_lowercase();
    for peer in &c.trust.tomcat_certs {
        if let Some(p) = w.scenario.cluster(peer) {
            if want == format!("tomcat-trust/{}", cert_file(&p.fqdn)).to_ascii_lowercase() {
                return cert_block(w, p, c, false);
            }
        }
    }
    for ca in &c.trust.ca_roots {
        if want == format!("tomcat-trust/{}", ca_file(ca)).to_ascii_lowercase() {
            return ca_block(ca, c);
        }
    }
    let own = format!("tomcat-trust/{}", cert_file(&c.fqdn)).to_ascii_lowercase();
    if want == own {
        return cert_block(w, c, c, false);
    }
    // Wording not known [I].
    format!("Executed command unsuccessfully\nCertificate {name} not found")
}

fn cert_list_own(c: &crate::scenario::Cluster) -> String {
    let tomcat = match c.tomcat.kind {
        CertKind::SelfSigned => "Self-signed certificate generated by system".to_string(),
        CertKind::CaSigned => format!("Certificate Signed by {}", c.tomcat.ca),
    };
    let mut out = format!("tomcat/tomcat.pem: {tomcat}\n");
    for u in ["tomcat-ECDSA", "ipsec", "ITLRecovery", "CallManager-ECDSA", "CallManager", "CAPF", "TVS"] {
        out.push_str(&format!("{u}/{u}.pem: Self-signed certificate generated by system\n"));
    }
    out
}

fn cert_list_trust(w: &World, c: &crate::scenario::Cluster) -> String {
    // Names per docs/cucm-notes.md#cert-cli; the description after ": " is unknown [NF].
    let mut out = format!("tomcat-trust/{}: Trust Certificate\n", cert_file(&c.fqdn));
    for name in &c.trust.tomcat_certs {
        if let Some(p) = w.scenario.cluster(name) {
            out.push_str(&format!("tomcat-trust/{}: Trust Certificate\n", cert_file(&p.fqdn)));
        }
    }
    for ca in &c.trust.ca_roots {
        out.push_str(&format!("tomcat-trust/{}: Trust Certificate\n", ca_file(ca)));
    }
    out.push_str("CallManager-trust/Cisco_Root_CA_M2_01.pem: Trust Certificate\nCAPF-trust/Cisco_Root_CA_2099_019a335878ce16c1c1.pem: Trust Certificate\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> World {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/m2-spoke-cert-not-on-hub.toml"))
                .unwrap();
        World::new(crate::Scenario::from_toml(&text, "t").unwrap(), Utc::now())
    }

    fn print(e: Effect) -> String {
        match e {
            Effect::Print(s) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn formats() {
        let mut w = world();
        let v = print(run(&mut w, "hub", "show version active"));
        assert!(v.starts_with("Active Master Version: 14.0.1.11900-132\n"));
        let n = print(run(&mut w, "hub", "show network cluster"));
        assert!(
            n.starts_with("10.106.104.220 cucm-hub.example.com cucm-hub Publisher callmanager DBPub authenticated\n")
        );
        let s = print(run(&mut w, "hub", "run sql select clusterid,fullyqualifiedname from remotecluster"));
        assert_eq!(
            s,
            "clusterid fullyqualifiedname\n========= ======================\nSPOKE-CL  cucm-spoke.example.com\n"
        );
        let e = print(run(&mut w, "hub", "run sql select * from nosuch"));
        assert_eq!(e, "The specified table (nosuch) is not in the database.");
        let u = print(run(&mut w, "hub", "utils service list"));
        assert!(u.contains("\nCisco Intercluster Lookup Service[STARTED]\n"));
        assert!(u.ends_with("Primary Node =true\nCommand successful"));
        let t = print(run(&mut w, "spoke", "show cert list trust"));
        assert!(t.contains(&format!(
            "tomcat-trust/cucm-hub.example.com_{}.pem",
            serial_hex("cucm-hub.example.com").to_ascii_lowercase()
        )));
        let t = print(run(&mut w, "hub", "show cert list trust"));
        assert!(!t.contains("cucm-spoke"));
        let o = print(run(&mut w, "hub", "show cert own tomcat"));
        assert!(o.contains(&format!("Serial Number: {}", serial_hex("cucm-hub.example.com"))));
        assert!(print(run(&mut w, "hub", "show cert list own"))
            .starts_with("tomcat/tomcat.pem: Self-signed certificate generated by system\n"));
        assert_eq!(
            print(run(&mut w, "hub", "bogus command")),
            "Executed command unsuccessfully\nNo valid command entered"
        );
        assert!(print(run(&mut w, "hub", "utils dbreplication runtimestate")).contains("(2) Setup Completed"));
        assert_eq!(run(&mut w, "hub", "exit"), Effect::Quit);
        assert!(matches!(run(&mut w, "hub", "set cli pagination off"), Effect::Pagination(false, _)));
    }

    #[test]
    fn file_list_shows_the_sdl_files() {
        let mut w = world();
        w.engine.set_trace_level("hub", crate::scenario::TraceLevel::Detailed);
        w.engine.advance_to(Utc::now() + Duration::seconds(30));
        let d = print(run(&mut w, "hub", "file list activelog cm/trace/ils/sdl detail"));
        assert!(d.contains("SDL001_600_000001.txt.gzo"), "{d}");
        assert!(d.trim_end().ends_with("dir count = 0, file count = 1"));
        let p = print(run(&mut w, "hub", "file list activelog /cm/trace/ils/sdl/"));
        assert!(p.starts_with("SDL001_600_000001.txt.gzo"));
    }

    #[test]
    fn cert_own_has_the_pem_and_cert_trust_the_peer() {
        let mut w = world();
        let hub = w.scenario.cluster("hub").unwrap().clone();
        let cert = crate::tls::Pki::default().tomcat(&hub, None).unwrap();
        let pem = cert.cert_pem.clone();
        w.tomcat.insert("hub".into(), cert);
        let o = print(run(&mut w, "hub", "show cert own tomcat"));
        assert!(o.contains(&format!("]{}", pem.trim_end())), "{o}");
        let entry = format!(
            "tomcat-trust/cucm-hub.example.com_{}.pem",
            serial_hex("cucm-hub.example.com").to_ascii_lowercase()
        );
        let t = print(run(&mut w, "spoke", &format!("show cert trust {entry}")));
        assert!(t.contains("Subject Name: CN=cucm-hub.example.com"), "{t}");
        assert!(!t.contains("BEGIN CERTIFICATE"));
        assert!(print(run(&mut w, "hub", &format!("show cert trust {entry}x"))).contains("not found"));
    }

    #[test]
    fn service_stop_and_start_reach_the_simulator() {
        let mut w = world();
        let o = print(run(&mut w, "hub", "utils service stop Cisco Intercluster Lookup Service"));
        assert!(o.contains("Cisco Intercluster Lookup Service[NOTRUNNING]"));
        assert_eq!(w.engine.service("hub"), Some(ServiceState::Stopped));
        assert!(print(run(&mut w, "hub", "utils service list"))
            .contains("Lookup Service[STOPPED]  Commanded Out of Service"));
        print(run(&mut w, "hub", "utils service restart Cisco Intercluster Lookup Service"));
        assert_eq!(w.engine.service("hub"), Some(ServiceState::Started));
    }

    #[test]
    fn hang_fault_and_thousands() {
        let mut w = world();
        w.faults.hang_command = Some("utils dbreplication".into());
        assert_eq!(run(&mut w, "hub", "utils dbreplication runtimestate"), Effect::Hang);
        assert_eq!(thousands(559_502), "559,502");
        assert_eq!(thousands(12), "12");
    }
}
