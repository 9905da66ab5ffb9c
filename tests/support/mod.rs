//! Test support: writing SDL traces of the technote's shapes with other addresses, ports, times
//! and noise, so the analyzer is tested on traces it has never seen.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use ils_doctor::analyze::Analysis;
use ils_doctor::pipeline::offline::{run, Request};

pub mod audit;
pub mod browser;
pub mod join;
pub mod live;

/// A time of day in milliseconds.
pub fn t(h: u32, m: u32, s: u32, ms: u32) -> u32 {
    ((h * 60 + m) * 60 + s) * 1000 + ms
}

fn fmt(ms: u32) -> String {
    format!("{:02}:{:02}:{:02}.{:03}", ms / 3_600_000 % 24, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
}

/// Builds one trace file: FileHead, then records in the order they are added.
pub struct Trace {
    lines: Vec<String>,
    seq: u32,
}

impl Trace {
    pub fn new(date: &str, offset: &str, host: &str, ip: &str, start: u32) -> Trace {
        let head = format!(
            "00000001.000 |{} |FileHead |UTC:{offset},Date: {date}, AppName: Cisco Intercluster Lookup Service, AppId: 600, AppNodeId: 1, HostName: {host}, HostIPAddress: {ip}, FileNumber: 1, TraceVer: 3.0",
            fmt(start)
        );
        Trace { lines: vec![head], seq: 100 }
    }

    /// A file that continues a trace (no FileHead), as a cut or later file would.
    pub fn headless() -> Trace {
        Trace { lines: Vec::new(), seq: 100 }
    }

    pub fn line(&mut self, at: u32, tag: &str, payload: &str) -> &mut Self {
        self.seq += 1;
        self.lines.push(format!("{:08}.001 |{} |{tag:<8} |{payload}", self.seq, fmt(at)));
        self
    }

    pub fn app(&mut self, at: u32, payload: &str) -> &mut Self {
        self.line(at, "AppInfo", payload)
    }

    /// One SDL record: lines that share a record number (`NNNNNNNN.001`, `.002`, ...), as the
    /// lines of one processing step do.
    pub fn record(&mut self, at: u32, payloads: &[&str]) -> &mut Self {
        self.seq += 1;
        for (i, p) in payloads.iter().enumerate() {
            self.lines.push(format!("{:08}.{:03} |{} |AppInfo  |{p}", self.seq, i + 1, fmt(at)));
        }
        self
    }

    /// Routine traffic on a registered hub at Detailed level: one decrypted ILS message (the
    /// technote's P23 lines, which CUCM writes for every encrypted message, not only at a join).
    pub fn hub_decrypts(&mut self, at: u32) -> &mut Self {
        self.record(
            at,
            &[
                "EncrUtil Function: decryptData at line 163 succedded",
                "EncrUtil Function: decryptData at line 165 succedded",
                "EncrUtil decryptData: inlen 1956, outlen 1949 succeed",
            ],
        )
    }

    /// `n` noise lines from `from`, 300 ms apart.
    pub fn noise(&mut self, from: u32, n: u32) -> &mut Self {
        for i in 0..n {
            self.app(from + i * 300, "IlsD Ils::sendHeartbeat(): peer keepalive sent");
        }
        self
    }

    pub fn text(&self) -> String {
        self.lines.join("\n") + "\n"
    }

    pub fn write(&self, dir: &Path, name: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, self.text()).unwrap();
        p
    }
}

/// Method 1 success, hub side (technote P1, P2, P3).
pub fn hub_password_ok(tr: &mut Trace, at: u32, hub: &str, spoke: &str, port: u16) {
    tr.app(at, &format!("IlsD IlsHandler: Ils::wait_SdlConnectionInd(): New connection accepted. DeviceName=, TCPPid = [1.600.13.5], IPAddr={spoke}, Port={port}, Controller=[1,20,1]"));
    tr.app(at, &format!("IlsD Ils::ConnectInd TCPPid([1, 600, 13, 5]), PeerIP/Port({spoke}:{port}), LocalIP/Port({hub}:7502) ({spoke}:{port})"));
    tr.app(at + 1, &format!("IlsD ::ConnectIndInner Server Connection to PeerId(f7f885dcaca845f18f3b7e583ff6c457), TCPPid([1, 600, 13, 5]), PeerIP/Port({spoke}:{port}), LocalIP/Port({hub}:7502) TLSReq(f) established"));
}

/// Method 1 success, spoke side (technote P4..P9).
pub fn spoke_password_ok(tr: &mut Trace, at: u32, hub: &str, spoke: &str, port: u16) {
    spoke_connect(tr, at, hub, false);
    tr.app(at + 1, "IlsD Ils::processConnectReq Initiating non-TLS Connection");
    tr.app(at + 3, &format!("IlsD Ils::ConnectRes() appCorr(1029) TCPPid([1, 600, 13, 5]), PeerIP/Port({hub}:7502), LocalIP/Port({spoke}:{port}) TLSReq(f) found"));
    tr.app(at + 3, &format!("IlsD DEBUG(0000FA0E): Client Connection to peerId(00000000000000000000000000000000) ipAddr({hub}) ipPort(7502) TLSReq(f) succeeded"));
    tr.app(at + 18, &format!("IlsD ::ConnectIndInner starting  to PeerId(77c59d0960cc4fdc959168a3d686a6de), TCPPid([1, 600, 13, 5]), PeerIP/Port({hub}:7502), LocalIP/Port({spoke}:{port}) TLSReq(f) established"));
}

/// The start of any attempt on the spoke (P4, P5).
pub fn spoke_connect(tr: &mut Trace, at: u32, hub: &str, tls: bool) {
    let (port, t, tl) = if tls { (7501, "t", "true") } else { (7502, "f", "false") };
    tr.app(at, &format!("IlsD Ils::ConnectReq(): Requesting Connection to IpAddr({hub}), IpPort({port}), TLSReq({t})"));
    tr.app(at, &format!("IlsD Ils::ConnectReq() Pub IP/Port({hub}:{port}) Pri IP/Port(:{port}) TLSReq({tl})"));
}

/// Password mismatch on the hub (P10, P11).
pub fn hub_password_mismatch(tr: &mut Trace, at: u32, spoke: &str, port: u16) {
    tr.app(at, &format!("IlsD IlsHandler: wait_SdlDataInd EncrUtil:: decryptData failed . DeviceName=, TCPPid = [1.600.13.7], IPAddr={spoke}, Port={port}, Controller=[1,20,1]"));
    tr.app(at, &format!("IlsD wait_SdlDataInd sending ILSPwdAuthenticationFailed alarm with IPAddress= {spoke}; mAlarmedConnections count= 1"));
}

/// The spoke side of a password attempt the hub refused: transport up, then nothing more.
pub fn spoke_password_transport(tr: &mut Trace, at: u32, hub: &str, spoke: &str, port: u16) {
    spoke_connect(tr, at, hub, false);
    tr.app(at + 1, "IlsD Ils::processConnectReq Initiating non-TLS Connection");
    tr.app(at + 3, &format!("IlsD Ils::ConnectRes() appCorr(1029) TCPPid([1, 600, 13, 5]), PeerIP/Port({hub}:7502), LocalIP/Port({spoke}:{port}) TLSReq(f) found"));
}

/// The spoke rejects the hub's certificate (P13, P14, P16, P17) with an OpenSSL code.
pub fn spoke_rejects_hub(tr: &mut Trace, at: u32, hub: &str, code: u32, text: &str) {
    tr.app(at, &format!("[1, 600, 17, 5]: HandleSSLError - Certificate verification failed:(Verification error:{code})- {text} for {hub}:7501"));
    tr.app(at, &format!("[1, 600, 17, 5]: HandleSSLError - Certificate verification failed for {hub}:7501"));
    tr.app(at + 1, &format!("IlsD Ils::wait_SdlConnectErrRsp sending ILSTLSAuthenticationFailed alarm with Cluster1 = {hub}; mAlarmedConnections count= 1"));
    tr.app(at + 5, &format!("IlsD ERROR(000005C9): Connection to peerId(00000000000000000000000000000000) ipAddr({hub}) ipPort(7501) TLSReq(t) failed, ConnReason(1)"));
}

/// Analyzes files through the same entry point as the CLI.
pub fn analyze(hub: &[&Path], spoke: &[&Path]) -> Analysis {
    analyze_with(Request {
        hub: hub.iter().map(|p| p.to_path_buf()).collect(),
        spoke: spoke.iter().map(|p| p.to_path_buf()).collect(),
        ..Request::default()
    })
}

pub fn analyze_with(req: Request) -> Analysis {
    run(&req).expect("analysis")
}

pub fn fixture(scenario: &str) -> (PathBuf, PathBuf) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sdl").join(scenario);
    (dir.join("hub.txt"), dir.join("spoke.txt"))
}

/// The ILS trace level a publisher reports now (for asserting it was restored).
pub async fn ils_trace_level(a: &ils_doctor::collect::publisher::Access, node: &str) -> String {
    let c = ils_doctor::connect::soap::SoapClient::new(&ils_doctor::connect::soap::HttpsTarget {
        host: a.host.clone(),
        port: a.https_port,
        user: a.app_user.clone(),
        password: a.app_password.clone(),
        tls: a.tls.clone(),
        connect_timeout: std::time::Duration::from_secs(5),
        request_timeout: std::time::Duration::from_secs(20),
    })
    .unwrap();
    c.trace_settings(node, "Cisco Intercluster Lookup Service").await.unwrap().trace_level
}

/// Method 3 (TLS with password) success on the hub, as the technote shows it: the certificate
/// check in one record, the decrypt lines and the established line in the next.
pub fn hub_tls_password_ok(tr: &mut Trace, at: u32, hub: &str, spoke: &str, port: u16) {
    tr.record(at, &[
        "CertUtil Ils::isCertInLocalStore X509_STORE_get_by_subject failed.",
        "IlsD Ils::VerifyCertificateInfo(): peer certificates are not in certificate store but Root CA signed certs are uploaded locally",
    ]);
    let est = format!("IlsD ::ConnectIndInner Server Connection to PeerId(f7f885dcaca845f18f3b7e583ff6c457), TCPPid([1, 600, 17, 1]), PeerIP/Port({spoke}:{port}), LocalIP/Port({hub}:7501) TLSReq(t) established");
    tr.record(
        at + 5,
        &[
            "EncrUtil Function: decryptData at line 163 succedded",
            "EncrUtil Function: decryptData at line 165 succedded",
            "EncrUtil Function: decryptData at line 168 succedded",
            "EncrUtil decryptData: inlen 1956, outlen 1949 succeed",
            &est,
        ],
    );
}

/// Method 3 success on the spoke (technote P4, P25, P18, P22, P8, P9).
pub fn spoke_tls_password_ok(tr: &mut Trace, at: u32, hub: &str, spoke: &str, port: u16) {
    spoke_connect(tr, at, hub, true);
    tr.line(at + 2, "SdlSig", "SdlConnectRsp                          |wait                           |Ils(1,600,20,1)                 |SdlSSLTCPConnection(1,600,17,1)  |1,600,16,1.1^*^*                         |*TraceFlagOverrode");
    tr.record(at + 2, &[
        "CertUtil Ils::isCertInLocalStore X509_STORE_get_by_subject failed.",
        "IlsD Ils::VerifyCertificateInfo(): peer certificates are not in certificate store but Root CA signed certs are uploaded locally.",
        &format!("IlsD DEBUG(00000407): Client Connection to peerId(00000000000000000000000000000000) ipAddr({hub}) ipPort(7501) TLSReq(t) succeeded"),
    ]);
    tr.app(at + 12, &format!("IlsD ::ConnectIndInner starting  to PeerId(77c59d0960cc4fdc959168a3d686a6de), TCPPid([1, 600, 17, 1]), PeerIP/Port({hub}:7501), LocalIP/Port({spoke}:{port}) TLSReq(t) established"));
}

/// Every file under `dir`, recursively (none when it cannot be read).
pub fn all_files_under(dir: &Path) -> Vec<PathBuf> {
    let mut todo = vec![dir.to_path_buf()];
    let mut out = Vec::new();
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                todo.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}
