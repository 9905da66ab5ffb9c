//! AXL and Serviceability over real HTTPS connections (reqwest + rustls), one test per fault.

use std::io::Read;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use mock_server::scenario::Faults;
use mock_server::{start_with, Options, PublisherInfo, Running, Scenario};
use reqwest::blocking::{Client, Response};

fn scenario(name: &str) -> Scenario {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.toml"));
    Scenario::load(&p).unwrap()
}

fn run(s: Scenario) -> (Running, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let r = start_with(
        s,
        Options { state_dir: Some(dir.path().to_path_buf()), tick: Duration::from_millis(50), ..Options::default() },
    )
    .unwrap();
    (r, dir)
}

/// A client that accepts the mock's self-signed certificate; no cookie jar.
fn insecure() -> Client {
    Client::builder().danger_accept_invalid_certs(true).timeout(Duration::from_secs(20)).build().unwrap()
}

fn axl_body(ver: &str, op: &str, inner: &str) -> String {
    format!(
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:ns=\"http://www.cisco.com/AXL/API/{ver}\"><soapenv:Header/><soapenv:Body><ns:{op} sequence=\"42\">{inner}</ns:{op}></soapenv:Body></soapenv:Envelope>"
    )
}

fn axl(c: &Client, p: &PublisherInfo, ver: &str, op: &str, inner: &str) -> Response {
    c.post(format!("https://{}/axl/", p.https))
        .basic_auth(&p.app_user, Some(&p.password))
        .header("Content-Type", "text/xml;charset=UTF-8")
        .header("SOAPAction", format!("\"CUCM:DB ver={ver} {op}\""))
        .body(axl_body(ver, op, inner))
        .send()
        .unwrap()
}

fn sql(c: &Client, p: &PublisherInfo, q: &str) -> (u16, String) {
    let r = axl(c, p, "14.0", "executeSQLQuery", &format!("<sql><![CDATA[{q}]]></sql>"));
    (r.status().as_u16(), r.text().unwrap())
}

const LOGS: &str = "logcollectionservice2/services/LogCollectionPortTypeService";

fn select_files(c: &Client, p: &PublisherInfo, from: &str, to: &str) -> String {
    let body = format!(
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:soap=\"http://schemas.cisco.com/ast/soap\"><soapenv:Header/><soapenv:Body><soap:selectLogFiles><soap:FileSelectionCriteria><soap:ServiceLogs><soap:item>Cisco Intercluster Lookup Service</soap:item></soap:ServiceLogs><soap:SystemLogs><soap:item></soap:item></soap:SystemLogs><soap:SearchStr></soap:SearchStr><soap:Frequency>OnDemand</soap:Frequency><soap:JobType>DownloadtoClient</soap:JobType><soap:ToDate>{to}</soap:ToDate><soap:FromDate>{from}</soap:FromDate><soap:TimeZone>Client: (GMT+0:0)Greenwich Mean Time-Europe/London</soap:TimeZone><soap:RelText>None</soap:RelText><soap:RelTime>0</soap:RelTime><soap:Port>0</soap:Port><soap:IPAddress></soap:IPAddress><soap:UserName></soap:UserName><soap:Password></soap:Password><soap:ZipInfo>false</soap:ZipInfo><soap:RemoteFolder></soap:RemoteFolder></soap:FileSelectionCriteria></soap:selectLogFiles></soapenv:Body></soapenv:Envelope>"
    );
    let r = c
        .post(format!("https://{}/{LOGS}", p.https))
        .basic_auth(&p.app_user, Some(&p.password))
        .header("SOAPAction", "selectLogFiles")
        .body(body)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.text().unwrap()
}

fn between<'a>(s: &'a str, a: &str, b: &str) -> Vec<&'a str> {
    s.split(a).skip(1).filter_map(|x| x.split(b).next()).collect()
}

/// Downloads through DimeGetFileService; returns (content-type, body bytes).
fn get_one_file(c: &Client, p: &PublisherInfo, path: &str) -> reqwest::Result<(String, Vec<u8>)> {
    let body = format!(
        "<soapenv:Envelope xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:soap=\"http://schemas.cisco.com/ast/soap/\"><soapenv:Header/><soapenv:Body><soap:GetOneFile soapenv:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><FileName xsi:type=\"get:FileName\" xmlns:get=\"http://cisco.com/ccm/serviceability/soap/LogCollection/GetFile/\">{path}</FileName></soap:GetOneFile></soapenv:Body></soapenv:Envelope>"
    );
    let r = c
        .post(format!("https://{}/logcollectionservice/services/DimeGetFileService", p.https))
        .basic_auth(&p.app_user, Some(&p.password))
        .header("SOAPAction", "http://schemas.cisco.com/ast/soap/action/#LogCollectionPort#GetOneFile")
        .body(body)
        .send()?;
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let b = r.bytes()?;
    Ok((ct, b.to_vec()))
}

/// The second MIME part of a multipart/related body.
fn second_part(ct: &str, body: &[u8]) -> Vec<u8> {
    let boundary = ct.split("boundary=\"").nth(1).and_then(|b| b.split('"').next()).unwrap();
    let delim = format!("--{boundary}");
    let positions: Vec<usize> =
        body.windows(delim.len()).enumerate().filter(|(_, w)| *w == delim.as_bytes()).map(|(i, _)| i).collect();
    assert_eq!(positions.len(), 3, "two parts and the closing delimiter");
    let part = &body[positions[1]..positions[2]];
    let hdr_end = part.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    part[hdr_end..part.len() - 2].to_vec()
}

#[test]
fn axl_version_auth_sql_and_session_cookie() {
    let (r, _d) = run(scenario("m1-password-mismatch"));
    let p = r.publisher("hub").unwrap().clone();
    let c = insecure();
    let v = axl(&c, &p, "14.0", "getCCMVersion", "<processNodeName></processNodeName>");
    assert_eq!(v.status().as_u16(), 200);
    let cookie = v.headers().get("set-cookie").and_then(|h| h.to_str().ok()).unwrap().to_string();
    assert!(cookie.starts_with("JSESSIONIDSSO=") && cookie.contains("Secure; HttpOnly"), "{cookie}");
    let t = v.text().unwrap();
    assert!(t.contains("<ns:getCCMVersionResponse xmlns:ns=\"http://www.cisco.com/AXL/API/14.0\" sequence=\"42\"><return><componentVersion><version>14.0.1.11900(132)</version>"), "{t}");
    // Unsupported version: 599 listing the supported ones.
    let v = axl(&c, &p, "9.1", "getCCMVersion", "");
    assert_eq!(v.status().as_u16(), 599);
    assert!(v.text().unwrap().contains("Incorrect axl version. Supported axl versions are 11.x, 12.x and 14.0"));
    // Unquoted SOAPAction without the operation also works.
    let v = c
        .post(format!("https://{}/axl/", p.https))
        .basic_auth(&p.app_user, Some(&p.password))
        .header("SOAPAction", "CUCM:DB ver=12.5")
        .body(axl_body("12.5", "getCCMVersion", ""))
        .send()
        .unwrap();
    assert_eq!(v.status().as_u16(), 200);
    // Wrong password: 401 with the realm and an HTML body.
    let v = c
        .post(format!("https://{}/axl/", p.https))
        .basic_auth(&p.app_user, Some("nope"))
        .header("SOAPAction", "CUCM:DB ver=14.0 getCCMVersion")
        .body(axl_body("14.0", "getCCMVersion", ""))
        .send()
        .unwrap();
    assert_eq!(v.status().as_u16(), 401);
    assert_eq!(v.headers().get("www-authenticate").unwrap(), "Basic realm=\"Cisco AXL API\"");
    let t = v.text().unwrap();
    assert!(t.contains("<!-- custom Cisco error page -->") && t.contains("http.401"), "{t}");
    // SQL rows and Informix faults.
    let (st, t) = sql(&c, &p, "select clusterid, fullyqualifiedname from remotecluster");
    assert_eq!(st, 200);
    assert!(t.contains("<return><row><clusterid>SPOKE-CL</clusterid><fullyqualifiedname>cucm-spoke.example.com</fullyqualifiedname></row></return>"), "{t}");
    let (st, t) = sql(&c, &p, "select * from nosuch");
    assert_eq!(st, 500);
    assert!(t.contains("<axlcode>-206</axlcode>") && t.contains("<request>executeSQLQuery</request>"), "{t}");
    let (st, t) = sql(&c, &p, "select name from processnode where name = 'x'");
    assert_eq!(st, 200);
    assert!(t.contains("<return></return>"), "{t}");
    // The session cookie alone is accepted by AXL, refused (500) by another service, and an
    // unknown session without credentials gets 404.
    let id = cookie.split(';').next().unwrap().to_string();
    let v = c
        .post(format!("https://{}/axl/", p.https))
        .header("Cookie", &id)
        .header("SOAPAction", "CUCM:DB ver=14.0 getCCMVersion")
        .body(axl_body("14.0", "getCCMVersion", ""))
        .send()
        .unwrap();
    assert_eq!(v.status().as_u16(), 200);
    let v = c
        .post(format!("https://{}/{LOGS}", p.https))
        .header("Cookie", &id)
        .basic_auth(&p.app_user, Some(&p.password))
        .header("SOAPAction", "listNodeServiceLogs")
        .body("<x/>")
        .send()
        .unwrap();
    assert_eq!(v.status().as_u16(), 500);
    let v = c
        .post(format!("https://{}/axl/", p.https))
        .header("Cookie", "JSESSIONIDSSO=STALE")
        .header("SOAPAction", "CUCM:DB ver=14.0 getCCMVersion")
        .body(axl_body("14.0", "getCCMVersion", ""))
        .send()
        .unwrap();
    assert_eq!(v.status().as_u16(), 404);
    // Malformed XML is a SOAP fault, not a crash.
    let v = c
        .post(format!("https://{}/axl/", p.https))
        .basic_auth(&p.app_user, Some(&p.password))
        .header("SOAPAction", "CUCM:DB ver=14.0 executeSQLQuery")
        .body("<soapenv:Envelope><broken")
        .send()
        .unwrap();
    assert_eq!(v.status().as_u16(), 500);
    assert!(v.text().unwrap().contains("<faultstring>"));
}

#[test]
fn raising_the_trace_level_then_listing_and_downloading_the_ils_traces() {
    let mut s = scenario("m1-password-mismatch");
    for cl in &mut s.clusters {
        cl.ils.retry_interval_s = 1;
    }
    let (r, _d) = run(s);
    let hub = r.publisher("hub").unwrap().clone();
    let c = insecure();
    let get = axl(
        &c,
        &hub,
        "14.0",
        "getProcessNodeService",
        "<processNodeName>cucm-hub.example.com</processNodeName><service>Cisco Intercluster Lookup Service</service>",
    );
    let t = get.text().unwrap();
    assert!(t.contains("<traceLevel>15</traceLevel>"), "{t}");
    let up = axl(&c, &hub, "14.0", "updateProcessNodeService", "<processNodeName>cucm-hub.example.com</processNodeName><service>Cisco Intercluster Lookup Service</service><traceLevel>127</traceLevel><enable>true</enable>");
    assert_eq!(up.status().as_u16(), 200);
    // The trace-level join now reads Detailed.
    let (_, t) = sql(&c, &hub, "select ts.nameforcontrol as service, ttlg.name as trace_level from typeservice as ts, typetracelevelgrouping as ttlg, processnodeservice as pns where ts.enum=pns.tkservice and ttlg.tktracelevelgroups=ts.tktracelevelgroups and pns.tracelevel=ttlg.value and ts.name = 'Cisco Intercluster Lookup Service'");
    assert!(t.contains("<trace_level>Detailed</trace_level>"), "{t}");
    // Wait for the spoke's retries to write the hub's decryptData lines.
    let written = |w: &mock_server::db::World| w.engine.attempts().iter().filter(|a| a.written_hub).count() >= 2;
    assert!(r.wait_for(Duration::from_secs(10), written), "no attempt written");
    let now = chrono::Utc::now();
    let from = (now - chrono::Duration::minutes(10)).format("%m/%d/%y %I:%M %p").to_string();
    let to = (now + chrono::Duration::minutes(10)).format("%m/%d/%y %I:%M %p").to_string();
    let list = select_files(&c, &hub, &from, &to);
    let paths = between(&list, "<ns1:absolutepath>", "</ns1:absolutepath>");
    assert!(!paths.is_empty(), "{list}");
    assert!(paths[0].starts_with("/var/log/active/cm/trace/ils/sdl/SDL001_600_0000"), "{list}");
    assert!(list.contains("<ns1:modifiedDate>"));
    // A window in the past selects nothing.
    let empty = select_files(&c, &hub, "01/01/20 10:00 AM", "01/01/20 11:00 AM");
    assert!(empty.contains("<ns1:SetOfFiles></ns1:SetOfFiles>"), "{empty}");
    // Download the active file: multipart/related, SOAP part first, gzip second.
    let (ct, body) = get_one_file(&c, &hub, paths.last().unwrap()).unwrap();
    assert!(ct.starts_with("multipart/related; type=\"text/xml\"; start=\"<"), "{ct}");
    let gz = second_part(&ct, &body);
    let mut text = String::new();
    // The .gzo stream has no trailer yet: read what decodes.
    let _ = flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut text);
    assert!(text.contains("|FileHead |UTC:+01:00"), "{text}");
    assert!(text.contains("EncrUtil:: decryptData failed . DeviceName="), "{text}");
    // A missing file is a fault.
    let r2 = c
        .post(format!("https://{}/logcollectionservice/services/DimeGetFileService", hub.https))
        .basic_auth(&hub.app_user, Some(&hub.password))
        .body("<Envelope><Body><GetOneFile><FileName>/nope</FileName></GetOneFile></Body></Envelope>")
        .send()
        .unwrap();
    assert_eq!(r2.status().as_u16(), 500);
    assert!(r2.text().unwrap().contains("FileName /nope do not exist"));
    // listNodeServiceLogs names the ILS service; the WSDL is served with this host's address.
    let l = c
        .post(format!("https://{}/{LOGS}", hub.https))
        .basic_auth(&hub.app_user, Some(&hub.password))
        .header("SOAPAction", "listNodeServiceLogs")
        .body("<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:soap=\"http://schemas.cisco.com/ast/soap\"><soapenv:Body><soap:listNodeServiceLogs><soap:ListRequest></soap:ListRequest></soap:listNodeServiceLogs></soapenv:Body></soapenv:Envelope>")
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        l.contains("<ns1:item>Cisco Intercluster Lookup Service</ns1:item>")
            && l.contains("<ns1:name>cucm-hub</ns1:name>")
    );
    let w = c.get(format!("https://{}/{LOGS}?wsdl", hub.https)).send().unwrap().text().unwrap();
    assert!(w.contains(&format!("location=\"https://{}/logcollectionservice2", hub.https)), "{}", &w[w.len() - 400..]);
}

#[test]
fn ca_signed_certificate_verifies_and_expired_does_not() {
    let (r, _d) = run(scenario("m3-tls-password-success"));
    let p = r.publisher("hub").unwrap().clone();
    let ca = reqwest::Certificate::from_pem(p.ca_pem.as_ref().unwrap().as_bytes()).unwrap();
    let strict = Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca.clone())
        .resolve(&p.fqdn, p.https)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let url = format!("https://{}:{}/cucm-uds/version", p.fqdn, p.https.port());
    let v = strict.get(&url).send().unwrap();
    assert_eq!(v.status().as_u16(), 200);
    assert!(v.text().unwrap().contains("<version>14.0.1</version>"));
    drop(r);
    let mut s = scenario("m3-tls-password-success");
    s.faults.https_cert = Some("expired".into());
    let (r, _d) = run(s);
    let p = r.publisher("hub").unwrap().clone();
    let ca = reqwest::Certificate::from_pem(p.ca_pem.as_ref().unwrap().as_bytes()).unwrap();
    let strict = Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca)
        .resolve(&p.fqdn, p.https)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let err = strict.get(format!("https://{}:{}/cucm-uds/version", p.fqdn, p.https.port())).send().unwrap_err();
    let chain = format!("{err:?}");
    assert!(chain.contains("Expired") || chain.contains("expired"), "{chain}");
}

#[test]
fn fault_throttle_every_nth_request() {
    let (r, _d) = run(scenario("m1-password-success"));
    let p = r.publisher("hub").unwrap().clone();
    r.set_faults(Faults { throttle_every_nth: Some(3), ..Faults::default() });
    let c = insecure();
    let codes: Vec<u16> = (0..6).map(|_| axl(&c, &p, "14.0", "getCCMVersion", "").status().as_u16()).collect();
    assert_eq!(codes, [200, 200, 503, 200, 200, 503]);
    r.set_faults(Faults { throttle_every_nth: Some(2), throttle_status: Some(599), ..Faults::default() });
    let codes: Vec<u16> = (0..2).map(|_| axl(&c, &p, "14.0", "getCCMVersion", "").status().as_u16()).collect();
    assert!(codes.contains(&599), "{codes:?}");
}

#[test]
fn fault_soap_fault_and_query_too_large_and_wrong_password() {
    let (r, _d) = run(scenario("m1-password-success"));
    let p = r.publisher("hub").unwrap().clone();
    let c = insecure();
    r.set_faults(Faults { query_too_large_rows: Some(2), ..Faults::default() });
    let (st, t) = sql(&c, &p, "select * from typeservice");
    assert_eq!(st, 500);
    assert!(
        t.contains("Query request too large. Total rows matched: 6 rows. Suggestive Row Fetch: less than 2 rows"),
        "{t}"
    );
    assert!(t.contains("<axlcode>-1</axlcode>"));
    r.set_faults(Faults { soap_fault_operations: vec!["getCCMVersion".into()], ..Faults::default() });
    assert_eq!(axl(&c, &p, "14.0", "getCCMVersion", "").status().as_u16(), 500);
    r.set_faults(Faults { wrong_password: true, ..Faults::default() });
    assert_eq!(axl(&c, &p, "14.0", "getCCMVersion", "").status().as_u16(), 401);
}

/// The first closed trace file of the hub: (absolute path, gzip length).
fn closed_file(r: &Running) -> (String, usize) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let f = r.with_world(|w| {
            let files = w.engine.files("hub");
            files.iter().find(|f| !f.active).map(|f| (f.absolute_path(), f.bytes().len()))
        });
        if let Some(f) = f {
            return f;
        }
        assert!(Instant::now() < deadline, "no closed file");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn fault_drop_download_and_slow_transfer() {
    let mut s = scenario("m1-password-mismatch");
    s.simulation.roll_size_bytes = 2048;
    for cl in &mut s.clusters {
        cl.ils.trace_level = mock_server::scenario::TraceLevel::Detailed;
        cl.ils.retry_interval_s = 1;
    }
    let (r, _d) = run(s);
    let p = r.publisher("hub").unwrap().clone();
    let (path, len) = closed_file(&r);
    assert!(len > 300, "{len}");
    let c = insecure();
    let (ct, body) = get_one_file(&c, &p, &path).unwrap();
    assert_eq!(second_part(&ct, &body).len(), len);
    r.set_faults(Faults { drop_download_after_bytes: Some(100), ..Faults::default() });
    assert!(get_one_file(&c, &p, &path).is_err(), "the body must end early");
    let bps = 1000;
    r.set_faults(Faults { download_bytes_per_sec: Some(bps), ..Faults::default() });
    let t0 = Instant::now();
    get_one_file(&c, &p, &path).unwrap();
    let want = Duration::from_millis(len as u64 * 1000 / bps);
    assert!(t0.elapsed() + Duration::from_millis(150) >= want, "{:?} < {want:?}", t0.elapsed());
}

#[test]
fn certmgr_snapshot_lists_the_pems_in_use() {
    let (r, _d) = run(scenario("m2-tls-success"));
    let hub = r.publisher("hub").unwrap().clone();
    let spoke = r.publisher("spoke").unwrap().clone();
    let c = insecure();
    let t = c
        .get(format!("https://{}/platformcom/api/v1/certmgr/config/snapshot/server", hub.https))
        .basic_auth(&hub.admin_user, Some(&hub.password))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let esc = |p: &str| p.trim_end().replace('\n', "\\n");
    assert!(t.contains(&format!("\"certificate\":\"{}", esc(&hub.tomcat_pem))), "{t}");
    assert!(t.contains("\"filename\":\"cucm-spoke.example.com_"), "{t}");
    assert!(t.contains(&esc(&spoke.tomcat_pem)), "{t}");
}

#[test]
fn mtom_get_one_file_on_logcollectionservice2() {
    let mut s = scenario("m1-password-mismatch");
    for cl in &mut s.clusters {
        cl.ils.trace_level = mock_server::scenario::TraceLevel::Detailed;
    }
    let (r, _d) = run(s);
    let p = r.publisher("hub").unwrap().clone();
    let path = {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(f) = r.with_world(|w| w.engine.files("hub").first().map(|f| f.absolute_path())) {
                break f;
            }
            assert!(Instant::now() < deadline);
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let c = insecure();
    let resp = c
        .post(format!("https://{}/{LOGS}", p.https))
        .basic_auth(&p.app_user, Some(&p.password))
        .header("SOAPAction", "GetOneFile")
        .body(format!("<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:soap=\"http://schemas.cisco.com/ast/soap\"><soapenv:Body><soap:FileName>{path}</soap:FileName></soapenv:Body></soapenv:Envelope>"))
        .send()
        .unwrap();
    let ct = resp.headers().get("content-type").unwrap().to_str().unwrap().to_string();
    assert!(ct.starts_with("multipart/related; type=\"application/xop+xml\""), "{ct}");
    let body = resp.bytes().unwrap();
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("<xop:Include"), "{text}");
    let gz = second_part(&ct, &body);
    assert_eq!(&gz[..2], &[0x1f, 0x8b], "gzip magic");
}

#[test]
fn list_remote_cluster_and_get_ils_config() {
    let (r, _d) = run(scenario("m1-password-success"));
    let p = r.publisher("spoke").unwrap().clone();
    let c = insecure();
    let t = axl(&c, &p, "14.0", "listRemoteCluster", "<searchCriteria><clusterId>%</clusterId></searchCriteria><returnedTags><clusterId/><fullyQualifiedName/></returnedTags>").text().unwrap();
    assert!(t.contains("<clusterId>HUB-CL</clusterId><description></description><fullyQualifiedName>cucm-hub.example.com</fullyQualifiedName><emcc><enabled>true</enabled></emcc>"), "{t}");
    let t = axl(&c, &p, "14.0", "listRemoteCluster", "<searchCriteria><clusterId>NOPE%</clusterId></searchCriteria>")
        .text()
        .unwrap();
    assert!(t.contains("<return></return>"), "{t}");
    let t = axl(&c, &p, "14.0", "getIlsConfig", "<returnedTags><role/></returnedTags>").text().unwrap();
    assert!(t.contains("<clusterId>SPOKE-CL</clusterId>") && t.contains("<role>Spoke Cluster</role>"), "{t}");
}

#[test]
fn control_center_reports_and_controls_the_ils_service() {
    let (r, _d) = run(scenario("hc-ils-stopped"));
    let p = r.publisher("hub").unwrap().clone();
    let c = insecure();
    let post = |body: &str, action: &str| {
        c.post(format!("https://{}/controlcenterservice2/services/ControlCenterServices", p.https))
            .basic_auth(&p.app_user, Some(&p.password))
            .header("SOAPAction", action)
            .body(format!("<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:soap=\"http://schemas.cisco.com/ast/soap\"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"))
            .send()
            .unwrap()
            .text()
            .unwrap()
    };
    let t = post("<soap:soapGetServiceStatus><soap:ServiceStatus>Cisco Intercluster Lookup Service</soap:ServiceStatus></soap:soapGetServiceStatus>", "soapGetServiceStatus");
    assert!(t.contains("<ns1:ServiceName>Cisco Intercluster Lookup Service</ns1:ServiceName><ns1:ServiceStatus>Stopped</ns1:ServiceStatus>"), "{t}");
    let t = post("<soap:soapDoControlServices><soap:ControlServiceRequest><soap:NodeName>cucm-hub.example.com</soap:NodeName><soap:ControlType>Start</soap:ControlType><soap:ServiceList><soap:item>Cisco Intercluster Lookup Service</soap:item></soap:ServiceList></soap:ControlServiceRequest></soap:soapDoControlServices>", "soapDoControlServices");
    assert!(t.contains("<ns1:ServiceStatus>Started</ns1:ServiceStatus>"), "{t}");
    assert_eq!(r.with_world(|w| w.engine.service("hub")), Some(mock_server::scenario::ServiceState::Started));
}

#[test]
fn results_over_8_mb_get_the_query_too_large_fault() {
    let mut s = scenario("m1-password-success");
    let big = "x".repeat(1000);
    s.clusters[0].tables.insert(
        "bigtable".into(),
        mock_server::scenario::Table {
            columns: vec!["v".into()],
            rows: (0..9000).map(|_| vec![big.clone()]).collect(),
        },
    );
    let (r, _d) = run(s);
    let p = r.publisher("hub").unwrap().clone();
    let c = insecure();
    let (st, t) = sql(&c, &p, "select v from bigtable");
    assert_eq!(st, 500);
    assert!(
        t.contains("Query request too large. Total rows matched: 9000 rows. Suggestive Row Fetch: less than 8"),
        "{}",
        &t[..t.len().min(500)]
    );
    let (st, _) = sql(&c, &p, "select first 100 v from bigtable");
    assert_eq!(st, 200);
}

#[test]
fn mtom_option_wraps_list_and_select_answers() {
    let (r, _d) = run(scenario("m1-password-success"));
    let p = r.publisher("hub").unwrap().clone();
    r.set_faults(Faults { mtom_soap: true, ..Faults::default() });
    let c = insecure();
    let resp = c
        .post(format!("https://{}/{LOGS}", p.https))
        .basic_auth(&p.app_user, Some(&p.password))
        .header("SOAPAction", "listNodeServiceLogs")
        .body("<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:soap=\"http://schemas.cisco.com/ast/soap\"><soapenv:Body><soap:listNodeServiceLogs><soap:ListRequest/></soap:listNodeServiceLogs></soapenv:Body></soapenv:Envelope>")
        .send()
        .unwrap();
    let ct = resp.headers().get("content-type").unwrap().to_str().unwrap().to_string();
    assert!(ct.starts_with("multipart/related; boundary=\"MIMEBoundaryurn_uuid_"), "{ct}");
    let body = resp.text().unwrap();
    assert!(
        body.contains("Content-Type: application/xop+xml") && body.contains("<ns1:listNodeServiceLogsResponse"),
        "{body}"
    );
    assert!(body.trim_end().ends_with("--"));
}

#[test]
fn update_ils_config_reaches_the_simulator() {
    let mut s = scenario("m1-password-mismatch");
    for cl in &mut s.clusters {
        cl.ils.retry_interval_s = 1;
    }
    let (r, _d) = run(s);
    let spoke = r.publisher("spoke").unwrap().clone();
    let c = insecure();
    assert!(r.wait_for(Duration::from_secs(10), |w| !w.engine.attempts().is_empty()));
    // Fix the spoke's password through AXL: the next attempt registers.
    let body = "<role>Spoke Cluster</role><registrationServer>cucm-hub.example.com</registrationServer><activateIls>true</activateIls><synchronizeClustersEvery>10</synchronizeClustersEvery><activatedServers></activatedServers><deactivatedServers></deactivatedServers><useTls>false</useTls><enableUsePassword>true</enableUsePassword><usePassword>ils-Secret1</usePassword>";
    let t = axl(&c, &spoke, "14.0", "updateIlsConfig", body).text().unwrap();
    assert!(t.contains("<return>true</return>"), "{t}");
    // Saved, but the running service reads it only when it restarts.
    std::thread::sleep(Duration::from_millis(2500));
    assert!(!r.with_world(|w| w.engine.is_registered("spoke")), "registered before the restart");
    r.with_world(|w| w.control_ils("spoke", mock_server::scenario::ServiceState::Started));
    assert!(r.wait_for(Duration::from_secs(10), |w| w.engine.is_registered("spoke")));
    let bad = axl(&c, &spoke, "14.0", "updateIlsConfig", &body.replace("cucm-hub.example.com", "nowhere.example.com"));
    assert_eq!(bad.status().as_u16(), 500);
    assert!(bad.text().unwrap().contains("registrationServer was not found"));
    // Eight of the nine fields: the schema refuses it.
    let short = axl(&c, &spoke, "14.0", "updateIlsConfig", &body.replace("<activateIls>true</activateIls>", ""));
    let t = short.text().unwrap();
    assert!(t.contains("cvc-complex-type.2.4.a") && t.contains("synchronizeClustersEvery"), "{t}");
}

#[test]
fn axl_get_page_realm_role_and_trailing_slash() {
    let mut s = scenario("m1-password-success");
    for c in &mut s.clusters {
        c.access.no_axl_role_user = Some("readonly".into());
    }
    let (r, _d) = run(s);
    let p = r.publisher("hub").unwrap().clone();
    let c = insecure();
    let url = format!("https://{}/axl/", p.https);
    let v = c.get(&url).basic_auth(&p.app_user, Some(&p.password)).send().unwrap();
    assert_eq!(v.status().as_u16(), 200);
    assert_eq!(v.headers().get("content-type").unwrap(), "text/html;charset=ISO-8859-1");
    assert_eq!(v.headers().get("cache-control").unwrap(), "private");
    let cookies: Vec<String> =
        v.headers().get_all("set-cookie").iter().map(|h| h.to_str().unwrap().to_string()).collect();
    assert!(cookies.iter().any(|c| c.starts_with("JSESSIONIDSSO=") && c.contains("Path=/;")), "{cookies:?}");
    assert!(cookies.iter().any(|c| c.starts_with("JSESSIONID=") && c.contains("Path=/axl;")), "{cookies:?}");
    let t = v.text().unwrap();
    assert!(t.contains("<h1>Cisco CallManager: AXL Web Service</h1><p>The AXL Web Service is working and accepting requests.\n Use HTTP POST to send a request.</p>"), "{t}");
    // Wrong password, no credentials, another user's name: 401 with AXL's realm.
    for user in [Some((&p.app_user, "nope")), None, Some((&"someone".to_string(), p.password.as_str()))] {
        let req = c.get(&url);
        let req = match user {
            Some((u, pw)) => req.basic_auth(u, Some(pw)),
            None => req,
        };
        let v = req.send().unwrap();
        assert_eq!(v.status().as_u16(), 401, "{user:?}");
        assert_eq!(v.headers().get("www-authenticate").unwrap(), "Basic realm=\"Cisco AXL API\"");
    }
    // The right password without the AXL role: 403, for GET and for a SOAP request.
    let v = c.get(&url).basic_auth("readonly", Some(&p.password)).send().unwrap();
    assert_eq!(v.status().as_u16(), 403);
    assert!(v.text().unwrap().contains("http.403"));
    let v = c
        .post(&url)
        .basic_auth("readonly", Some(&p.password))
        .header("SOAPAction", "CUCM:DB ver=14.0 getCCMVersion")
        .body(axl_body("14.0", "getCCMVersion", ""))
        .send()
        .unwrap();
    assert_eq!(v.status().as_u16(), 403);
    // A successful POST carries the security headers.
    let v = axl(&c, &p, "14.0", "getCCMVersion", "");
    assert_eq!(v.status().as_u16(), 200);
    assert_eq!(v.headers().get("x-frame-options").unwrap(), "SAMEORIGIN");
    assert_eq!(v.headers().get("x-content-type-options").unwrap(), "nosniff");
    // Without the trailing slash: a redirect to /axl/, for POST too (a client must use /axl/).
    let nofollow = Client::builder()
        .danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for post in [false, true] {
        let u = format!("https://{}/axl", p.https);
        let req = if post { nofollow.post(&u).body(axl_body("14.0", "getCCMVersion", "")) } else { nofollow.get(&u) };
        let v = req.basic_auth(&p.app_user, Some(&p.password)).send().unwrap();
        assert_eq!(v.status().as_u16(), 302, "post={post}");
        assert_eq!(v.headers().get("location").unwrap(), "/axl/");
    }
}

#[test]
fn a_read_only_axl_user_reads_but_its_writes_get_401() {
    let mut s = scenario("m1-password-mismatch");
    for c in &mut s.clusters {
        c.access.read_only_axl_user = Some("axlread".into());
    }
    let (r, _d) = run(s);
    let p = r.publisher("spoke").unwrap().clone();
    let c = insecure();
    let call = |op: &str, inner: &str| {
        c.post(format!("https://{}/axl/", p.https))
            .basic_auth("axlread", Some(&p.password))
            .header("SOAPAction", format!("\"CUCM:DB ver=14.0 {op}\""))
            .body(axl_body("14.0", op, inner))
            .send()
            .unwrap()
    };
    assert_eq!(call("getIlsConfig", "<returnedTags><role/></returnedTags>").status().as_u16(), 200);
    let body = "<role>Spoke Cluster</role><registrationServer>cucm-hub.example.com</registrationServer><activateIls>true</activateIls><synchronizeClustersEvery>10</synchronizeClustersEvery><activatedServers></activatedServers><deactivatedServers></deactivatedServers><useTls>false</useTls><enableUsePassword>true</enableUsePassword><usePassword>ils-Secret1</usePassword>";
    let w = call("updateIlsConfig", body);
    assert_eq!(w.status().as_u16(), 401);
    assert_eq!(r.with_world(|w| w.scenario.cluster("spoke").unwrap().ils.password.clone()), "wrong-Secret2");
}
