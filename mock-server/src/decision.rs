//! The simulator's decision table: which SDL lines one registration attempt writes on which side.
//!
//! [`decide`] is a pure function of the two sides' ILS configuration ([`Link`]). It returns the
//! attempt's [`Outcome`] and the ordered lines ([`Emit`]) as catalog entries P1..P25
//! (docs/cucm-notes.md#catalog-lines); [`crate::lines`] renders them into the technote text. This is the
//! ground truth ils-doctor's tests compare against.
//!
//! The rules, in the order CUCM meets them (each reproduces a technote case, docs/cucm-notes.md#technote-lines):
//!
//! | step | condition | lines |
//! |---|---|---|
//! | 0 | hub does not answer on 7501/7502 (ILS stopped, port dropped) | spoke P4 P5 (P6) P17 `ConnReason(2)` — **[I]**, no sample exists (docs/cucm-notes.md#undocumented-failures) |
//! | 0 | hub and spoke disagree on Use TLS / Use Password, or neither is set | spoke P4 P5 (P6) only — **[NF]** |
//! | 1 | password only (method 1), port 7502 | spoke P4 P5 P6 P7 P8; then hub P10 P11 if the passwords differ (spoke P7 P8 and hub P1 P2 before them are [I]); else hub P1 P2 P3, spoke P9 |
//! | 2 | TLS: the spoke checks the hub's certificate during the handshake | expired → error 10 [I]; not imported and self-signed → error 18; not imported, CA-signed, CA not trusted → error 20 [I]: spoke P13 P14 then P15 (method 3) / P16 P17 `ConnReason(1)` (method 2) / nothing (method 4) |
//! | 3 | the hub checks the spoke's certificate | expired → error 10 [I]; not imported and untrusted: method 3 → hub P13 P14 P15, method 4 → hub P13 P14, method 2 → hub P18 P19 P20 P21 (app level: the technote's method 2 case) |
//! | 4 | application check, spoke then hub (`VerifyCertificateInfo`) | imported → P12; else P18 then FQDN in PeerInfoVector → P24 (method 4), password used → P22 (method 3), else hub P19 P20 P21 / spoke P18 P19 P17 [I] |
//! | 5 | password check on the hub (method 3) | equal → P23; else P10 P11 |
//! | 6 | established | spoke P8 (method 3), hub P3, spoke P9; method 4 writes hub P1 then P3, spoke P9 (P3/P9 [I]: the technote excerpt stops before them) |
//!
//! Why method 2 fails at the application level on the hub while methods 3 and 4 fail in the TLS
//! handshake is not explained by the technote; the rule above is the simplest one that yields every
//! technote case [I]. Each [`Emit`] says whether the technote shows the line for that case
//! ([`Source::Technote`]) or the mock infers it ([`Source::Inferred`]).

/// How a side's Tomcat certificate looks to its peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cert {
    /// Self-signed, valid.
    SelfSigned,
    /// Signed by an enterprise CA, valid.
    CaSigned,
    /// Expired (either kind).
    Expired,
}

/// One side's view: its own configuration and what it trusts of the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SideConfig {
    /// "Use TLS Certificates".
    pub use_tls: bool,
    /// "Use Password".
    pub use_password: bool,
    /// This side's own Tomcat certificate.
    pub cert: Cert,
    /// The peer's Tomcat certificate itself is in this side's tomcat-trust.
    pub trusts_peer_cert: bool,
    /// The root CA that signed the peer's certificate is in this side's tomcat-trust.
    pub trusts_peer_ca: bool,
    /// The peer's FQDN is in this side's PeerInfoVector (earlier password join).
    pub peer_fqdn_in_piv: bool,
}

/// The two sides of one registration attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Link {
    /// The cluster registered to (normally a hub).
    pub hub: SideConfig,
    /// The cluster registering.
    pub spoke: SideConfig,
    /// Both ILS passwords are equal.
    pub passwords_equal: bool,
    /// The hub's ILS answers on 7501/7502.
    pub hub_reachable: bool,
}

/// The authentication method the technote would call this configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// 1: password only, port 7502.
    Password,
    /// 2: TLS only, certificates exchanged.
    Tls,
    /// 3: TLS with password.
    TlsPassword,
    /// 4: TLS only, peer FQDN already in the PeerInfoVector after a password join.
    SwitchToTls,
}

/// Side of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The cluster registered to.
    Hub,
    /// The registering cluster.
    Spoke,
}

/// Result of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Registered (both sides write their `established` line).
    Registered(Method),
    /// The hub could not decrypt the spoke's data: ILS passwords differ.
    PasswordMismatch(Method),
    /// The spoke rejected the hub's certificate (OpenSSL verify code, or 0 at application level).
    HubCertRejected(Method, u32),
    /// The hub rejected the spoke's certificate (verify code, or 0 at application level).
    SpokeCertRejected(Method, u32),
    /// No answer on 7501/7502.
    HubUnreachable,
    /// The two sides' ILS authentication settings do not match (no documented lines, [NF]).
    ConfigMismatch,
}

impl Outcome {
    /// True for [`Outcome::Registered`].
    pub fn is_registered(self) -> bool {
        matches!(self, Outcome::Registered(_))
    }
}

/// Catalog entries (docs/cucm-notes.md#catalog-lines) that the simulator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Line {
    /// P1 `New connection accepted` (hub).
    P1NewConnectionAccepted,
    /// P2 `Ils::ConnectInd` (hub).
    P2ConnectInd,
    /// P3 `ConnectIndInner Server Connection to PeerId(..) .. established` (hub).
    P3ServerEstablished,
    /// P4 `Ils::ConnectReq(): Requesting Connection` (spoke).
    P4ConnectReq,
    /// P5 `Ils::ConnectReq() Pub IP/Port` (spoke).
    P5ConnectReqPub,
    /// P6 `Initiating non-TLS Connection` (spoke).
    P6InitiatingNonTls,
    /// P7 `Ils::ConnectRes() appCorr` (spoke).
    P7ConnectRes,
    /// P8 `DEBUG(..): Client Connection .. succeeded` (spoke).
    P8ClientSucceeded,
    /// P9 `ConnectIndInner starting  to PeerId(..) .. established` (spoke).
    P9ClientEstablished,
    /// P10 `decryptData failed .` (hub).
    P10DecryptFailed,
    /// P11 `ILSPwdAuthenticationFailed` alarm (hub).
    P11PwdAlarm,
    /// P12 `peer certificates are in certificate store`.
    P12CertInStore,
    /// P13 `HandleSSLError - Certificate verification failed:(Verification error:N)- ..`.
    P13SslVerifyDetail(u32),
    /// P14 `HandleSSLError - Certificate verification failed for ..`.
    P14SslVerifyFailed,
    /// P15 `HandleSSLError - TLS protocol error(..)` (text differs per side).
    P15TlsProtocolError,
    /// P16 `wait_SdlConnectErrRsp sending ILSTLSAuthenticationFailed` (spoke).
    P16TlsAlarmSpoke,
    /// P17 `ERROR(..): Connection to peerId(..) .. failed, ConnReason(N)` (spoke).
    P17ConnectionFailed(u32),
    /// P18 `X509_STORE_get_by_subject failed.`
    P18NotInLocalStore,
    /// P19 `certificate is not in the local store and the FQDN (..) is not in the peer info vector`.
    P19NotInStoreNorPiv,
    /// P20 `VerifyCertificateInfo(): sending ILSTLSAuthenticationFailed alarm for Cluster1=` (hub).
    P20TlsAlarmHub,
    /// P21 `IlsHandler: Close Req.` (hub; the missing `]` is the technote's).
    P21CloseReq,
    /// P22 `peer certificates are not in certificate store but Root CA signed certs are uploaded locally`.
    P22RootCaUploaded,
    /// P23 the four `EncrUtil ... succedded` / `succeed` lines (hub).
    P23DecryptSucceeded,
    /// P24 `FQDN is in PeerInfoVector`.
    P24FqdnInPiv,
    /// P25 `SdlSig |SdlConnectRsp` (spoke, method 3).
    P25SdlConnectRsp,
}

impl Line {
    /// The catalog id (`"P1"` .. `"P25"`, docs/cucm-notes.md#catalog-lines).
    pub fn id(self) -> &'static str {
        match self {
            Line::P1NewConnectionAccepted => "P1",
            Line::P2ConnectInd => "P2",
            Line::P3ServerEstablished => "P3",
            Line::P4ConnectReq => "P4",
            Line::P5ConnectReqPub => "P5",
            Line::P6InitiatingNonTls => "P6",
            Line::P7ConnectRes => "P7",
            Line::P8ClientSucceeded => "P8",
            Line::P9ClientEstablished => "P9",
            Line::P10DecryptFailed => "P10",
            Line::P11PwdAlarm => "P11",
            Line::P12CertInStore => "P12",
            Line::P13SslVerifyDetail(_) => "P13",
            Line::P14SslVerifyFailed => "P14",
            Line::P15TlsProtocolError => "P15",
            Line::P16TlsAlarmSpoke => "P16",
            Line::P17ConnectionFailed(_) => "P17",
            Line::P18NotInLocalStore => "P18",
            Line::P19NotInStoreNorPiv => "P19",
            Line::P20TlsAlarmHub => "P20",
            Line::P21CloseReq => "P21",
            Line::P22RootCaUploaded => "P22",
            Line::P23DecryptSucceeded => "P23",
            Line::P24FqdnInPiv => "P24",
            Line::P25SdlConnectRsp => "P25",
        }
    }
}

/// Whether the technote shows a line for the case at hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Shown in technote 200694 for this case.
    Technote,
    /// Inferred by the mock (documented in this module's table).
    Inferred,
}

/// One line to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Emit {
    /// Where it is written.
    pub side: Side,
    /// What is written.
    pub line: Line,
    /// Provenance.
    pub source: Source,
}

/// The decision for one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The outcome.
    pub outcome: Outcome,
    /// Uses TLS (port 7501) rather than 7502.
    pub tls: bool,
    /// The lines in the order they happen.
    pub lines: Vec<Emit>,
}

impl Decision {
    /// The lines of one side.
    pub fn side(&self, side: Side) -> impl Iterator<Item = Line> + '_ {
        self.lines.iter().filter(move |e| e.side == side).map(|e| e.line)
    }
}

struct Out(Vec<Emit>);

impl Out {
    fn t(&mut self, side: Side, line: Line) {
        self.0.push(Emit { side, line, source: Source::Technote });
    }
    fn i(&mut self, side: Side, line: Line) {
        self.0.push(Emit { side, line, source: Source::Inferred });
    }
}

/// OpenSSL verify code when `verifier` checks `peer_cert` in the handshake, or `None` if the
/// handshake accepts it. 18 is the technote's; 10 and 20 are
/// standard OpenSSL codes [I] (docs/cucm-notes.md#verify-codes).
fn handshake_verify(verifier: &SideConfig, peer_cert: Cert) -> Option<u32> {
    match peer_cert {
        Cert::Expired => Some(10),
        _ if verifier.trusts_peer_cert => None,
        Cert::CaSigned if verifier.trusts_peer_ca => None,
        Cert::CaSigned => Some(20),
        Cert::SelfSigned => Some(18),
    }
}

/// The decision table (see the module documentation).
pub fn decide(link: &Link) -> Decision {
    use Line::*;
    use Side::{Hub, Spoke};
    let (h, s) = (&link.hub, &link.spoke);
    let tls = s.use_tls;
    let mut o = Out(Vec::new());
    let start = |o: &mut Out| {
        o.t(Spoke, P4ConnectReq);
        o.t(Spoke, P5ConnectReqPub);
        if !tls {
            o.t(Spoke, P6InitiatingNonTls);
        }
    };
    let done = |outcome, o: Out| Decision { outcome, tls, lines: o.0 };

    if !link.hub_reachable {
        start(&mut o);
        o.i(Spoke, P17ConnectionFailed(2));
        return done(Outcome::HubUnreachable, o);
    }
    if h.use_tls != s.use_tls || h.use_password != s.use_password || !(s.use_tls || s.use_password) {
        start(&mut o);
        return done(Outcome::ConfigMismatch, o);
    }

    // Method 1: password over 7502.
    if !tls {
        let m = Method::Password;
        start(&mut o);
        if link.passwords_equal {
            o.t(Spoke, P7ConnectRes);
            o.t(Spoke, P8ClientSucceeded);
            o.t(Hub, P1NewConnectionAccepted);
            o.t(Hub, P2ConnectInd);
            o.t(Hub, P3ServerEstablished);
            o.t(Spoke, P9ClientEstablished);
            return done(Outcome::Registered(m), o);
        }
        o.i(Spoke, P7ConnectRes);
        o.i(Spoke, P8ClientSucceeded);
        o.i(Hub, P1NewConnectionAccepted);
        o.i(Hub, P2ConnectInd);
        o.t(Hub, P10DecryptFailed);
        o.t(Hub, P11PwdAlarm);
        return done(Outcome::PasswordMismatch(m), o);
    }

    let m = if s.use_password {
        Method::TlsPassword
    } else if s.peer_fqdn_in_piv || h.peer_fqdn_in_piv {
        Method::SwitchToTls
    } else {
        Method::Tls
    };
    // P4/P5 with TLSReq(t) are not shown by the technote; the catalog lists them for all methods.
    o.i(Spoke, P4ConnectReq);
    o.i(Spoke, P5ConnectReqPub);

    // Step 2: the spoke (TLS client) checks the hub's certificate.
    if let Some(code) = handshake_verify(s, h.cert) {
        let src_t = code == 18;
        let push = |o: &mut Out, l| if src_t { o.t(Spoke, l) } else { o.i(Spoke, l) };
        push(&mut o, P13SslVerifyDetail(code));
        push(&mut o, P14SslVerifyFailed);
        match m {
            Method::TlsPassword => push(&mut o, P15TlsProtocolError),
            Method::Tls => {
                push(&mut o, P16TlsAlarmSpoke);
                push(&mut o, P17ConnectionFailed(1));
            }
            Method::SwitchToTls | Method::Password => {}
        }
        return done(Outcome::HubCertRejected(m, code), o);
    }

    // Step 3: the hub (TLS server) checks the spoke's certificate.
    if let Some(code) = handshake_verify(h, s.cert) {
        if m == Method::Tls && code != 10 {
            o.t(Hub, P18NotInLocalStore);
            o.t(Hub, P19NotInStoreNorPiv);
            o.t(Hub, P20TlsAlarmHub);
            o.t(Hub, P21CloseReq);
            return done(Outcome::SpokeCertRejected(m, 0), o);
        }
        let src_t = code == 18;
        let push = |o: &mut Out, l| if src_t { o.t(Hub, l) } else { o.i(Hub, l) };
        push(&mut o, P13SslVerifyDetail(code));
        push(&mut o, P14SslVerifyFailed);
        if m == Method::TlsPassword {
            push(&mut o, P15TlsProtocolError);
        }
        return done(Outcome::SpokeCertRejected(m, code), o);
    }

    // Step 4: application-level checks, spoke then hub.
    if m == Method::TlsPassword {
        o.t(Spoke, P25SdlConnectRsp);
    }
    if s.trusts_peer_cert {
        o.t(Spoke, P12CertInStore);
    } else {
        o.t(Spoke, P18NotInLocalStore);
        if s.peer_fqdn_in_piv {
            o.t(Spoke, P24FqdnInPiv);
        } else if s.use_password {
            o.t(Spoke, P22RootCaUploaded);
        } else {
            o.i(Spoke, P19NotInStoreNorPiv);
            o.i(Spoke, P17ConnectionFailed(1));
            return done(Outcome::HubCertRejected(m, 0), o);
        }
    }
    let mut hub_piv_accept = false;
    if h.trusts_peer_cert {
        o.t(Hub, P12CertInStore);
    } else {
        o.t(Hub, P18NotInLocalStore);
        if h.peer_fqdn_in_piv {
            o.t(Hub, P24FqdnInPiv);
            hub_piv_accept = true;
        } else if h.use_password {
            o.t(Hub, P22RootCaUploaded);
        } else {
            o.t(Hub, P19NotInStoreNorPiv);
            o.t(Hub, P20TlsAlarmHub);
            o.t(Hub, P21CloseReq);
            return done(Outcome::SpokeCertRejected(m, 0), o);
        }
    }

    // Step 5: password.
    if s.use_password {
        if !link.passwords_equal {
            o.t(Hub, P10DecryptFailed);
            o.t(Hub, P11PwdAlarm);
            return done(Outcome::PasswordMismatch(m), o);
        }
        o.t(Hub, P23DecryptSucceeded);
    }

    // Step 6: established.
    if hub_piv_accept {
        o.t(Hub, P1NewConnectionAccepted);
    }
    let shown = m == Method::TlsPassword || m == Method::Tls;
    if m == Method::TlsPassword {
        o.t(Spoke, P8ClientSucceeded);
    }
    if shown {
        o.t(Hub, P3ServerEstablished);
        o.t(Spoke, P9ClientEstablished);
    } else {
        o.i(Hub, P3ServerEstablished);
        o.i(Spoke, P9ClientEstablished);
    }
    done(Outcome::Registered(m), o)
}

/// Every [`Link`] the table distinguishes (both sides' settings, certificates, trust, PIV,
/// password equality, reachability): 2^4 × 3^2 × 2^6 × 2 × 2 = 36,864 combinations, for tests.
pub fn all_links() -> impl Iterator<Item = Link> {
    const CERTS: [Cert; 3] = [Cert::SelfSigned, Cert::CaSigned, Cert::Expired];
    (0u32..(1 << 12)).flat_map(|bits| {
        let b = move |i: u32| bits & (1 << i) != 0;
        CERTS.into_iter().flat_map(move |hc| {
            CERTS.into_iter().map(move |sc| Link {
                hub: SideConfig {
                    use_tls: b(0),
                    use_password: b(1),
                    cert: hc,
                    trusts_peer_cert: b(2),
                    trusts_peer_ca: b(3),
                    peer_fqdn_in_piv: b(4),
                },
                spoke: SideConfig {
                    use_tls: b(5),
                    use_password: b(6),
                    cert: sc,
                    trusts_peer_cert: b(7),
                    trusts_peer_ca: b(8),
                    peer_fqdn_in_piv: b(9),
                },
                passwords_equal: b(10),
                hub_reachable: b(11),
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::Line::*;
    use super::*;

    fn side(tls: bool, pw: bool, cert: Cert) -> SideConfig {
        SideConfig {
            use_tls: tls,
            use_password: pw,
            cert,
            trusts_peer_cert: false,
            trusts_peer_ca: false,
            peer_fqdn_in_piv: false,
        }
    }

    fn link(h: SideConfig, s: SideConfig) -> Link {
        Link { hub: h, spoke: s, passwords_equal: true, hub_reachable: true }
    }

    fn lines(d: &Decision, side: Side) -> Vec<Line> {
        d.side(side).collect()
    }

    #[test]
    fn method1_success_and_mismatch() {
        let p = side(false, true, Cert::SelfSigned);
        let d = decide(&link(p, p));
        assert_eq!(d.outcome, Outcome::Registered(Method::Password));
        assert_eq!(lines(&d, Side::Hub), [P1NewConnectionAccepted, P2ConnectInd, P3ServerEstablished]);
        assert_eq!(
            lines(&d, Side::Spoke),
            [P4ConnectReq, P5ConnectReqPub, P6InitiatingNonTls, P7ConnectRes, P8ClientSucceeded, P9ClientEstablished]
        );
        let mut l = link(p, p);
        l.passwords_equal = false;
        let d = decide(&l);
        assert_eq!(d.outcome, Outcome::PasswordMismatch(Method::Password));
        let hub = lines(&d, Side::Hub);
        assert!(hub.ends_with(&[P10DecryptFailed, P11PwdAlarm]));
        assert!(!lines(&d, Side::Spoke).contains(&P9ClientEstablished));
    }

    #[test]
    fn method2_cases() {
        let mut h = side(true, false, Cert::SelfSigned);
        let mut s = h;
        h.trusts_peer_cert = true;
        s.trusts_peer_cert = true;
        let d = decide(&link(h, s));
        assert_eq!(d.outcome, Outcome::Registered(Method::Tls));
        assert_eq!(lines(&d, Side::Hub), [P12CertInStore, P3ServerEstablished]);
        assert!(lines(&d, Side::Spoke).ends_with(&[P12CertInStore, P9ClientEstablished]));

        // Hub's certificate not imported in the spoke.
        let mut s2 = s;
        s2.trusts_peer_cert = false;
        let d = decide(&link(h, s2));
        assert_eq!(d.outcome, Outcome::HubCertRejected(Method::Tls, 18));
        assert!(lines(&d, Side::Spoke).ends_with(&[
            P13SslVerifyDetail(18),
            P14SslVerifyFailed,
            P16TlsAlarmSpoke,
            P17ConnectionFailed(1)
        ]));
        assert!(lines(&d, Side::Hub).is_empty());

        // Spoke's certificate not imported in the hub.
        let mut h2 = h;
        h2.trusts_peer_cert = false;
        let d = decide(&link(h2, s));
        assert_eq!(d.outcome, Outcome::SpokeCertRejected(Method::Tls, 0));
        assert_eq!(lines(&d, Side::Hub), [P18NotInLocalStore, P19NotInStoreNorPiv, P20TlsAlarmHub, P21CloseReq]);
    }

    #[test]
    fn method3_cases() {
        let mut h = side(true, true, Cert::CaSigned);
        h.trusts_peer_ca = true;
        let s = h;
        let d = decide(&link(h, s));
        assert_eq!(d.outcome, Outcome::Registered(Method::TlsPassword));
        assert_eq!(
            lines(&d, Side::Hub),
            [P18NotInLocalStore, P22RootCaUploaded, P23DecryptSucceeded, P3ServerEstablished]
        );
        assert!(lines(&d, Side::Spoke).ends_with(&[
            P25SdlConnectRsp,
            P18NotInLocalStore,
            P22RootCaUploaded,
            P8ClientSucceeded,
            P9ClientEstablished
        ]));
        // Spoke self-signed: the hub fails the handshake.
        let mut s2 = s;
        s2.cert = Cert::SelfSigned;
        let d = decide(&link(h, s2));
        assert_eq!(d.outcome, Outcome::SpokeCertRejected(Method::TlsPassword, 18));
        assert_eq!(lines(&d, Side::Hub), [P13SslVerifyDetail(18), P14SslVerifyFailed, P15TlsProtocolError]);
        // Hub self-signed (and both self-signed): only the spoke writes.
        let mut h2 = h;
        h2.cert = Cert::SelfSigned;
        for s in [s, s2] {
            let d = decide(&link(h2, s));
            assert_eq!(d.outcome, Outcome::HubCertRejected(Method::TlsPassword, 18));
            assert!(lines(&d, Side::Hub).is_empty());
            assert!(lines(&d, Side::Spoke).ends_with(&[
                P13SslVerifyDetail(18),
                P14SslVerifyFailed,
                P15TlsProtocolError
            ]));
        }
        // Password mismatch in method 3.
        let mut l = link(h, s);
        l.passwords_equal = false;
        let d = decide(&l);
        assert_eq!(d.outcome, Outcome::PasswordMismatch(Method::TlsPassword));
        assert!(lines(&d, Side::Hub).ends_with(&[P10DecryptFailed, P11PwdAlarm]));
    }

    #[test]
    fn method4_cases() {
        let mut h = side(true, false, Cert::CaSigned);
        h.trusts_peer_ca = true;
        h.peer_fqdn_in_piv = true;
        let s = h;
        let d = decide(&link(h, s));
        assert_eq!(d.outcome, Outcome::Registered(Method::SwitchToTls));
        assert!(lines(&d, Side::Hub).starts_with(&[P18NotInLocalStore, P24FqdnInPiv, P1NewConnectionAccepted]));
        assert!(lines(&d, Side::Spoke).ends_with(&[P18NotInLocalStore, P24FqdnInPiv, P9ClientEstablished]));
        let mut h2 = h;
        h2.cert = Cert::SelfSigned;
        let d = decide(&link(h2, s));
        assert_eq!(d.outcome, Outcome::HubCertRejected(Method::SwitchToTls, 18));
        assert!(lines(&d, Side::Spoke).ends_with(&[P13SslVerifyDetail(18), P14SslVerifyFailed]));
        let mut s2 = s;
        s2.cert = Cert::SelfSigned;
        let d = decide(&link(h, s2));
        assert_eq!(d.outcome, Outcome::SpokeCertRejected(Method::SwitchToTls, 18));
        assert_eq!(lines(&d, Side::Hub), [P13SslVerifyDetail(18), P14SslVerifyFailed]);
    }

    #[test]
    fn expired_and_unreachable_and_mismatch() {
        let mut h = side(true, false, Cert::Expired);
        h.trusts_peer_cert = true;
        let mut s = side(true, false, Cert::SelfSigned);
        s.trusts_peer_cert = true;
        let d = decide(&link(h, s));
        assert_eq!(d.outcome, Outcome::HubCertRejected(Method::Tls, 10));
        assert!(d.lines.iter().all(|e| e.line != P13SslVerifyDetail(18)));
        let mut l = link(s, s);
        l.hub_reachable = false;
        let d = decide(&l);
        assert_eq!(d.outcome, Outcome::HubUnreachable);
        assert!(lines(&d, Side::Hub).is_empty());
        assert_eq!(lines(&d, Side::Spoke).last(), Some(&P17ConnectionFailed(2)));
        let d = decide(&link(side(true, false, Cert::SelfSigned), side(false, true, Cert::SelfSigned)));
        assert_eq!(d.outcome, Outcome::ConfigMismatch);
    }

    /// Invariants over every combination the table distinguishes.
    #[test]
    fn every_combination_is_consistent() {
        let mut n = 0;
        let mut seen = std::collections::HashSet::new();
        for l in all_links() {
            n += 1;
            let d = decide(&l);
            seen.insert(d.outcome);
            let hub: Vec<_> = d.side(Side::Hub).collect();
            let spoke: Vec<_> = d.side(Side::Spoke).collect();
            // Every attempt starts on the spoke with P4.
            assert_eq!(spoke.first(), Some(&P4ConnectReq), "{l:?}");
            // Registered iff both established lines, and then no failure line anywhere.
            let reg = hub.contains(&P3ServerEstablished) && spoke.contains(&P9ClientEstablished);
            assert_eq!(reg, d.outcome.is_registered(), "{l:?}");
            let failure = d.lines.iter().any(|e| {
                matches!(
                    e.line,
                    P10DecryptFailed
                        | P11PwdAlarm
                        | P13SslVerifyDetail(_)
                        | P14SslVerifyFailed
                        | P16TlsAlarmSpoke
                        | P17ConnectionFailed(_)
                        | P19NotInStoreNorPiv
                        | P21CloseReq
                )
            });
            assert_eq!(failure, !reg && d.outcome != Outcome::ConfigMismatch, "{l:?} {d:?}");
            // Side-specific lines stay on their side.
            for e in &d.lines {
                let hub_only = matches!(
                    e.line,
                    P1NewConnectionAccepted
                        | P2ConnectInd
                        | P3ServerEstablished
                        | P10DecryptFailed
                        | P11PwdAlarm
                        | P20TlsAlarmHub
                        | P21CloseReq
                        | P23DecryptSucceeded
                );
                let spoke_only = matches!(
                    e.line,
                    P4ConnectReq
                        | P5ConnectReqPub
                        | P6InitiatingNonTls
                        | P7ConnectRes
                        | P8ClientSucceeded
                        | P9ClientEstablished
                        | P16TlsAlarmSpoke
                        | P17ConnectionFailed(_)
                        | P25SdlConnectRsp
                );
                assert!(!(hub_only && e.side != Side::Hub), "{l:?} {e:?}");
                assert!(!(spoke_only && e.side != Side::Spoke), "{l:?} {e:?}");
            }
            // Port/transport: non-TLS iff P6.
            assert_eq!(!d.tls, spoke.contains(&P6InitiatingNonTls), "{l:?}");
            // A password mismatch only ever shows when a password is in use.
            if matches!(d.outcome, Outcome::PasswordMismatch(_)) {
                assert!(l.spoke.use_password && !l.passwords_equal);
            }
            // Unreachable hub: nothing on the hub.
            if !l.hub_reachable {
                assert!(hub.is_empty());
            }
            // An expired certificate never registers over TLS.
            if d.tls && (l.hub.cert == Cert::Expired || l.spoke.cert == Cert::Expired) {
                assert!(!d.outcome.is_registered() || !l.hub_reachable, "{l:?}");
            }
        }
        assert_eq!(n, 36_864);
        // Every outcome family is reachable.
        for m in [Method::Password, Method::Tls, Method::TlsPassword, Method::SwitchToTls] {
            assert!(seen.contains(&Outcome::Registered(m)), "{m:?}");
        }
        assert!(seen.contains(&Outcome::PasswordMismatch(Method::Password)));
        assert!(seen.contains(&Outcome::PasswordMismatch(Method::TlsPassword)));
        assert!(seen.contains(&Outcome::HubUnreachable));
        assert!(seen.contains(&Outcome::ConfigMismatch));
    }
}
