//! Renders catalog lines ([`crate::decision::Line`]) into the literal payloads of technote 200694.
//!
//! The text is copied from the technote (docs/cucm-notes.md#technote-lines) with only the variable
//! parts substituted (IPs, ports, PeerIds, FQDNs, TCPPids, counters). The technote's quirks are kept
//! on purpose: the double space in `starting  to PeerId`, `succedded`, `decryptData failed .`, the
//! missing `]` at the end of the `Close Req.` line, the trailing `.` of the spoke's P22 variant, the
//! two TCPPid notations (`[1.600.13.5]` and `([1, 600, 13, 5])`). This module deliberately shares
//! no code with ils-doctor's parser.

use crate::decision::{Line, Side};

/// The SDL tag column of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// `AppInfo`
    AppInfo,
    /// `SdlSig`
    SdlSig,
    /// `SdlStat`
    SdlStat,
}

impl Tag {
    /// The tag text.
    pub fn as_str(self) -> &'static str {
        match self {
            Tag::AppInfo => "AppInfo",
            Tag::SdlSig => "SdlSig",
            Tag::SdlStat => "SdlStat",
        }
    }
}

/// Variable parts of one attempt.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Hub (registered-to) IP.
    pub hub_ip: String,
    /// Spoke IP.
    pub spoke_ip: String,
    /// 7501 (TLS) or 7502.
    pub hub_port: u16,
    /// The spoke's ephemeral source port.
    pub spoke_port: u16,
    /// TLS in use.
    pub tls: bool,
    /// Hub peer id (32 hex).
    pub hub_peer_id: String,
    /// Spoke peer id.
    pub spoke_peer_id: String,
    /// Hub FQDN.
    pub hub_fqdn: String,
    /// Spoke FQDN.
    pub spoke_fqdn: String,
    /// SDL node id of the hub.
    pub hub_node: u32,
    /// SDL node id of the spoke.
    pub spoke_node: u32,
    /// Instance number of the TCP connection process.
    pub instance: u32,
    /// `appCorr(n)`.
    pub app_corr: u32,
    /// `mAlarmedConnections count= n` for alarms raised by this attempt.
    pub alarm_count: u32,
}

const ZERO_PEER: &str = "00000000000000000000000000000000";

fn verify_text(code: u32) -> &'static str {
    match code {
        18 => "self signed certificate",
        // Standard OpenSSL texts, not seen in ILS traces [I] (docs/cucm-notes.md#verify-codes).
        10 => "certificate has expired",
        9 => "certificate is not yet valid",
        19 => "self signed certificate in certificate chain",
        20 => "unable to get local issuer certificate",
        _ => "certificate verify failed",
    }
}

/// The payload(s) written for `line` on `side`. Most lines are one record; P23 is four.
pub fn render(side: Side, line: Line, c: &Ctx) -> Vec<(Tag, String)> {
    let tf = if c.tls { "t" } else { "f" };
    let tfl = if c.tls { "true" } else { "false" };
    let ptype = if c.tls { 17 } else { 13 };
    let node = match side {
        Side::Hub => c.hub_node,
        Side::Spoke => c.spoke_node,
    };
    let pid_dot = format!("[{node}.600.{ptype}.{}]", c.instance);
    let pid_list = format!("[{node}, 600, {ptype}, {}]", c.instance);
    let (hub, hp, sp, spk) = (&c.hub_ip, c.hub_port, c.spoke_port, &c.spoke_ip);
    let peer = match side {
        Side::Hub => format!("{spk}:{sp}"),
        Side::Spoke => format!("{hub}:{hp}"),
    };
    let ai = |s: String| vec![(Tag::AppInfo, s)];
    match line {
        Line::P1NewConnectionAccepted => ai(format!(
            "IlsD IlsHandler: Ils::wait_SdlConnectionInd(): New connection accepted. DeviceName=, TCPPid = {pid_dot}, IPAddr={spk}, Port={sp}, Controller=[1,20,1]"
        )),
        Line::P2ConnectInd => ai(format!(
            "IlsD Ils::ConnectInd TCPPid({pid_list}), PeerIP/Port({spk}:{sp}), LocalIP/Port({hub}:{hp}) ({spk}:{sp})"
        )),
        Line::P3ServerEstablished => ai(format!(
            "IlsD ::ConnectIndInner Server Connection to PeerId({}), TCPPid({pid_list}), PeerIP/Port({spk}:{sp}), LocalIP/Port({hub}:{hp}) TLSReq({tf}) established",
            c.spoke_peer_id
        )),
        Line::P4ConnectReq => ai(format!(
            "IlsD Ils::ConnectReq(): Requesting Connection to IpAddr({hub}), IpPort({hp}), TLSReq({tf})"
        )),
        Line::P5ConnectReqPub => ai(format!(
            "IlsD Ils::ConnectReq() Pub IP/Port({hub}:{hp}) Pri IP/Port(:{hp}) TLSReq({tfl})"
        )),
        Line::P6InitiatingNonTls => ai("IlsD Ils::processConnectReq Initiating non-TLS Connection".into()),
        Line::P7ConnectRes => ai(format!(
            "IlsD Ils::ConnectRes() appCorr({}) TCPPid({pid_list}), PeerIP/Port({hub}:{hp}), LocalIP/Port({spk}:{sp}) TLSReq({tf}) found",
            c.app_corr
        )),
        Line::P8ClientSucceeded => {
            // The technote shows DEBUG(0000FA0E) for the non-TLS and DEBUG(00000407) for the TLS case.
            let code = if c.tls { "00000407" } else { "0000FA0E" };
            ai(format!(
                "IlsD DEBUG({code}): Client Connection to peerId({ZERO_PEER}) ipAddr({hub}) ipPort({hp}) TLSReq({tf}) succeeded"
            ))
        }
        Line::P9ClientEstablished => ai(format!(
            "IlsD ::ConnectIndInner starting  to PeerId({}), TCPPid({pid_list}), PeerIP/Port({hub}:{hp}), LocalIP/Port({spk}:{sp}) TLSReq({tf}) established",
            c.hub_peer_id
        )),
        Line::P10DecryptFailed => ai(format!(
            "IlsD IlsHandler: wait_SdlDataInd EncrUtil:: decryptData failed . DeviceName=, TCPPid = {pid_dot}, IPAddr={spk}, Port={sp}, Controller=[1,20,1]"
        )),
        Line::P11PwdAlarm => ai(format!(
            "IlsD wait_SdlDataInd sending ILSPwdAuthenticationFailed alarm with IPAddress= {spk}; mAlarmedConnections count= {}",
            c.alarm_count
        )),
        Line::P12CertInStore => {
            ai("IlsD Ils::VerifyCertificateInfo(): peer certificates are in certificate store".into())
        }
        Line::P13SslVerifyDetail(code) => ai(format!(
            "{pid_list}: HandleSSLError - Certificate verification failed:(Verification error:{code})- {} for {peer}",
            verify_text(code)
        )),
        Line::P14SslVerifyFailed => ai(format!(
            "{pid_list}: HandleSSLError - Certificate verification failed for {peer}"
        )),
        Line::P15TlsProtocolError => match side {
            Side::Hub => ai(format!(
                "{pid_list}: HandleSSLError - TLS protocol error(ssl reason code=internal error [68]),lib=SSL routines [20],fun=SSL_clear [164], errno=0 for {peer}"
            )),
            Side::Spoke => ai(format!(
                "{pid_list}: HandleSSLError - TLS protocol error(ssl reason code=bad message type [114]),lib=SSL routines [20],fun=ssl3_get_server_hello [146], errno=0 for {peer}"
            )),
        },
        Line::P16TlsAlarmSpoke => ai(format!(
            "IlsD Ils::wait_SdlConnectErrRsp sending ILSTLSAuthenticationFailed alarm with Cluster1 = {hub}; mAlarmedConnections count= {}",
            c.alarm_count
        )),
        Line::P17ConnectionFailed(reason) => ai(format!(
            "IlsD ERROR(000005C9): Connection to peerId({ZERO_PEER}) ipAddr({hub}) ipPort({hp}) TLSReq({tf}) failed, ConnReason({reason})"
        )),
        Line::P18NotInLocalStore => {
            ai("CertUtil Ils::isCertInLocalStore X509_STORE_get_by_subject failed.".into())
        }
        Line::P19NotInStoreNorPiv => {
            let fqdn = match side {
                Side::Hub => &c.spoke_fqdn,
                Side::Spoke => &c.hub_fqdn,
            };
            ai(format!(
                "IlsD Ils::VerifyCertificateInfo(): certificate is not in the local store and the FQDN ({fqdn}) is not in the peer info vector, closing the connection"
            ))
        }
        Line::P20TlsAlarmHub => ai(format!(
            "IlsD Ils::VerifyCertificateInfo(): sending ILSTLSAuthenticationFailed alarm for Cluster1= {}; mAlarmedConnections count= {}",
            c.spoke_fqdn, c.alarm_count
        )),
        // The missing `]` after `Controller=[1,20,1` is in the technote.
        Line::P21CloseReq => ai(format!(
            "IlsD IlsHandler: Close Req. DeviceName=, TCPPid = {pid_dot}, IPAddr={spk}, Port={sp}, Controller=[1,20,1"
        )),
        Line::P22RootCaUploaded => {
            let dot = if side == Side::Spoke { "." } else { "" };
            ai(format!(
                "IlsD Ils::VerifyCertificateInfo(): peer certificates are not in certificate store but Root CA signed certs are uploaded locally{dot}"
            ))
        }
        Line::P23DecryptSucceeded => vec![
            (Tag::AppInfo, "EncrUtil Function: decryptData at line 163 succedded".into()),
            (Tag::AppInfo, "EncrUtil Function: decryptData at line 165 succedded".into()),
            (Tag::AppInfo, "EncrUtil Function: decryptData at line 168 succedded".into()),
            (Tag::AppInfo, "EncrUtil decryptData: inlen 1956, outlen 1949 succeed".into()),
        ],
        Line::P24FqdnInPiv => ai("IlsD Ils::VerifyCertificateInfo(): FQDN is in PeerInfoVector".into()),
        Line::P25SdlConnectRsp => vec![(
            Tag::SdlSig,
            format!(
                "{:<39}|{:<31}|{:<32}|{:<33}|{:<41}|*TraceFlagOverrode",
                "SdlConnectRsp",
                "wait",
                format!("Ils({node},600,20,1)"),
                format!("SdlSSLTCPConnection({node},600,17,{})", c.instance),
                format!("{node},600,16,1.1^*^*"),
            ),
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The technote's lab values (docs/cucm-notes.md#technote-lines).
    fn lab(tls: bool, port: u16, instance: u32) -> Ctx {
        Ctx {
            hub_ip: "10.106.104.220".into(),
            spoke_ip: "10.106.104.201".into(),
            hub_port: if tls { 7501 } else { 7502 },
            spoke_port: port,
            tls,
            hub_peer_id: "77c59d0960cc4fdc959168a3d686a6de".into(),
            spoke_peer_id: "f7f885dcaca845f18f3b7e583ff6c457".into(),
            hub_fqdn: "cucm1150.adfs.ucce.com".into(),
            spoke_fqdn: "cucm11.adfs.ucce.com".into(),
            hub_node: 1,
            spoke_node: 1,
            instance,
            app_corr: 1029,
            alarm_count: 1,
        }
    }

    fn one(side: Side, line: Line, c: &Ctx) -> String {
        let v = render(side, line, c);
        assert_eq!(v.len(), 1);
        v.into_iter().next().map(|(_, s)| s).unwrap_or_default()
    }

    #[test]
    fn method1_lines_match_the_technote() {
        let c = lab(false, 37816, 5);
        assert_eq!(one(Side::Hub, Line::P1NewConnectionAccepted, &c), "IlsD IlsHandler: Ils::wait_SdlConnectionInd(): New connection accepted. DeviceName=, TCPPid = [1.600.13.5], IPAddr=10.106.104.201, Port=37816, Controller=[1,20,1]");
        assert_eq!(one(Side::Hub, Line::P2ConnectInd, &c), "IlsD Ils::ConnectInd TCPPid([1, 600, 13, 5]), PeerIP/Port(10.106.104.201:37816), LocalIP/Port(10.106.104.220:7502) (10.106.104.201:37816)");
        assert_eq!(one(Side::Hub, Line::P3ServerEstablished, &c), "IlsD ::ConnectIndInner Server Connection to PeerId(f7f885dcaca845f18f3b7e583ff6c457), TCPPid([1, 600, 13, 5]), PeerIP/Port(10.106.104.201:37816), LocalIP/Port(10.106.104.220:7502) TLSReq(f) established");
        assert_eq!(
            one(Side::Spoke, Line::P4ConnectReq, &c),
            "IlsD Ils::ConnectReq(): Requesting Connection to IpAddr(10.106.104.220), IpPort(7502), TLSReq(f)"
        );
        assert_eq!(
            one(Side::Spoke, Line::P5ConnectReqPub, &c),
            "IlsD Ils::ConnectReq() Pub IP/Port(10.106.104.220:7502) Pri IP/Port(:7502) TLSReq(false)"
        );
        assert_eq!(one(Side::Spoke, Line::P7ConnectRes, &c), "IlsD Ils::ConnectRes() appCorr(1029) TCPPid([1, 600, 13, 5]), PeerIP/Port(10.106.104.220:7502), LocalIP/Port(10.106.104.201:37816) TLSReq(f) found");
        assert_eq!(one(Side::Spoke, Line::P8ClientSucceeded, &c), "IlsD DEBUG(0000FA0E): Client Connection to peerId(00000000000000000000000000000000) ipAddr(10.106.104.220) ipPort(7502) TLSReq(f) succeeded");
        assert_eq!(one(Side::Spoke, Line::P9ClientEstablished, &c), "IlsD ::ConnectIndInner starting  to PeerId(77c59d0960cc4fdc959168a3d686a6de), TCPPid([1, 600, 13, 5]), PeerIP/Port(10.106.104.220:7502), LocalIP/Port(10.106.104.201:37816) TLSReq(f) established");
        let c = lab(false, 40592, 7);
        assert_eq!(one(Side::Hub, Line::P10DecryptFailed, &c), "IlsD IlsHandler: wait_SdlDataInd EncrUtil:: decryptData failed . DeviceName=, TCPPid = [1.600.13.7], IPAddr=10.106.104.201, Port=40592, Controller=[1,20,1]");
        assert_eq!(one(Side::Hub, Line::P11PwdAlarm, &c), "IlsD wait_SdlDataInd sending ILSPwdAuthenticationFailed alarm with IPAddress= 10.106.104.201; mAlarmedConnections count= 1");
    }

    #[test]
    fn tls_lines_match_the_technote() {
        let c = lab(true, 60938, 5);
        assert_eq!(one(Side::Spoke, Line::P13SslVerifyDetail(18), &c), "[1, 600, 17, 5]: HandleSSLError - Certificate verification failed:(Verification error:18)- self signed certificate for 10.106.104.220:7501");
        assert_eq!(
            one(Side::Spoke, Line::P14SslVerifyFailed, &c),
            "[1, 600, 17, 5]: HandleSSLError - Certificate verification failed for 10.106.104.220:7501"
        );
        assert_eq!(one(Side::Spoke, Line::P16TlsAlarmSpoke, &c), "IlsD Ils::wait_SdlConnectErrRsp sending ILSTLSAuthenticationFailed alarm with Cluster1 = 10.106.104.220; mAlarmedConnections count= 1");
        assert_eq!(one(Side::Spoke, Line::P17ConnectionFailed(1), &c), "IlsD ERROR(000005C9): Connection to peerId(00000000000000000000000000000000) ipAddr(10.106.104.220) ipPort(7501) TLSReq(t) failed, ConnReason(1)");
        let c = lab(true, 39267, 16);
        assert_eq!(one(Side::Hub, Line::P19NotInStoreNorPiv, &c), "IlsD Ils::VerifyCertificateInfo(): certificate is not in the local store and the FQDN (cucm11.adfs.ucce.com) is not in the peer info vector, closing the connection");
        assert_eq!(one(Side::Hub, Line::P20TlsAlarmHub, &c), "IlsD Ils::VerifyCertificateInfo(): sending ILSTLSAuthenticationFailed alarm for Cluster1= cucm11.adfs.ucce.com; mAlarmedConnections count= 1");
        assert_eq!(one(Side::Hub, Line::P21CloseReq, &c), "IlsD IlsHandler: Close Req. DeviceName=, TCPPid = [1.600.17.16], IPAddr=10.106.104.201, Port=39267, Controller=[1,20,1");
        let c = lab(true, 52124, 1);
        assert_eq!(one(Side::Hub, Line::P15TlsProtocolError, &c), "[1, 600, 17, 1]: HandleSSLError - TLS protocol error(ssl reason code=internal error [68]),lib=SSL routines [20],fun=SSL_clear [164], errno=0 for 10.106.104.201:52124");
        assert_eq!(one(Side::Spoke, Line::P15TlsProtocolError, &c), "[1, 600, 17, 1]: HandleSSLError - TLS protocol error(ssl reason code=bad message type [114]),lib=SSL routines [20],fun=ssl3_get_server_hello [146], errno=0 for 10.106.104.220:7501");
        assert_eq!(one(Side::Spoke, Line::P22RootCaUploaded, &c), "IlsD Ils::VerifyCertificateInfo(): peer certificates are not in certificate store but Root CA signed certs are uploaded locally.");
        assert_eq!(one(Side::Hub, Line::P22RootCaUploaded, &c), "IlsD Ils::VerifyCertificateInfo(): peer certificates are not in certificate store but Root CA signed certs are uploaded locally");
        assert_eq!(one(Side::Spoke, Line::P25SdlConnectRsp, &c), "SdlConnectRsp                          |wait                           |Ils(1,600,20,1)                 |SdlSSLTCPConnection(1,600,17,1)  |1,600,16,1.1^*^*                         |*TraceFlagOverrode");
        assert_eq!(one(Side::Spoke, Line::P8ClientSucceeded, &c), "IlsD DEBUG(00000407): Client Connection to peerId(00000000000000000000000000000000) ipAddr(10.106.104.220) ipPort(7501) TLSReq(t) succeeded");
        let v = render(Side::Hub, Line::P23DecryptSucceeded, &c);
        assert_eq!(v.len(), 4);
        assert_eq!(v[0].1, "EncrUtil Function: decryptData at line 163 succedded");
        assert_eq!(v[3].1, "EncrUtil decryptData: inlen 1956, outlen 1949 succeed");
    }
}
