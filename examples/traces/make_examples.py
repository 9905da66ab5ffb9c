#!/usr/bin/env python3
"""Writes the example traces the README analyses (synthetic, in the technote's line formats).

Hub 10.10.0.1 (cucm-hub) with two spokes, 2026-11-24, UTC+01:00:
- spoke A 10.20.0.2 (cucm-spoke-a), TLS certificates (method 2): every 60 s from 09:00 it rejects
  the hub's self-signed Tomcat certificate (Verification error 18), because the hub's certificate
  was never imported into spoke A's tomcat-trust;
- spoke B 10.30.0.3 (cucm-spoke-b), password (method 1): registers at 09:00:20; its clock runs
  1.8 s ahead of the hub's.
The hub's traces are two files as CUCM writes them: a closed .txt.gz and the .txt.gzo still being
written. Lines are those of Cisco technote 200694 (docs/cucm-notes.md#technote-lines).
"""
import gzip, os

def fmt(ms):
    return "%02d:%02d:%02d.%03d" % (ms // 3600000 % 24, ms // 60000 % 60, ms // 1000 % 60, ms % 1000)

def t(h, m, s, ms=0):
    return ((h * 60 + m) * 60 + s) * 1000 + ms

NOISE = ["AppInfo  |IlsD Ils::sendHeartbeat(): peer keepalive sent",
         "SdlSig   |IlsTimerTick                           |wait                           |Ils(1,600,20,1)                 |Ils(1,600,20,1)                  |1,600,16,1.1^*^*                         |*TraceFlagOverrode",
         "SdlStat  |Period: 6s #Lines: 60 #Bytes: 9670 Total Number of Buffers: 10000 Free LWM: 9955 Free LWM(total): 9537"]

class Trace:
    def __init__(self, host, ip, start, filenum=1):
        self.lines, self.seq = [], 1000
        self.lines.append((start, "00000001.000 |%s |FileHead |UTC:+01:00,Date: 2026/11/24, AppName: Cisco Intercluster Lookup Service, AppId: 600, AppNodeId: 1, AppVersion: CUCM Install=14.0.1.13900-155, HostName: %s, HostIPAddress: %s, AppStartTime: 2026/11/20 07:00:00, FileNumber: %d, TraceVer: 3.0" % (fmt(start), host, ip, filenum)))
    def add(self, at, tag_payload):
        self.seq += 1
        self.lines.append((at, "%08d.%03d |%s |%s" % (self.seq, 1, fmt(at), tag_payload)))
    def noise(self, a, b, step=250):
        for i, at in enumerate(range(a, b, step)):
            self.add(at, NOISE[i % len(NOISE)])
    def text(self):
        return "\n".join(l for _, l in sorted(self.lines, key=lambda x: x[0])) + "\n"

HUB, A, B = "10.10.0.1", "10.20.0.2", "10.30.0.3"
here = os.path.dirname(os.path.abspath(__file__))

hub1 = Trace("cucm-hub", HUB, t(8, 59, 0))
hub2 = Trace("cucm-hub", HUB, t(9, 2, 0), 2)
spoke_a = Trace("cucm-spoke-a", A, t(8, 59, 0))
spoke_b = Trace("cucm-spoke-b", B, t(8, 59, 0) + 1800)
hub1.noise(t(8, 59, 0, 100), t(9, 2, 0))
hub2.noise(t(9, 2, 0, 100), t(9, 4, 30))
spoke_a.noise(t(8, 59, 0, 100), t(9, 4, 30), 700)
spoke_b.noise(t(8, 59, 0, 100) + 1800, t(9, 4, 30), 900)

for i in range(5):
    at = t(9, 0, 0) + i * 60000
    spoke_a.add(at, "AppInfo  |IlsD Ils::ConnectReq(): Requesting Connection to IpAddr(%s), IpPort(7501), TLSReq(t)" % HUB)
    spoke_a.add(at, "AppInfo  |IlsD Ils::ConnectReq() Pub IP/Port(%s:7501) Pri IP/Port(:7501) TLSReq(true)" % HUB)
    spoke_a.add(at + 12, "AppInfo  |[1, 600, 17, 5]: HandleSSLError - Certificate verification failed:(Verification error:18)- self signed certificate for %s:7501" % HUB)
    spoke_a.add(at + 12, "AppInfo  |[1, 600, 17, 5]: HandleSSLError - Certificate verification failed for %s:7501" % HUB)
    spoke_a.add(at + 13, "AppInfo  |IlsD Ils::wait_SdlConnectErrRsp sending ILSTLSAuthenticationFailed alarm with Cluster1 = %s; mAlarmedConnections count= %d" % (HUB, i + 1))
    spoke_a.add(at + 17, "AppInfo  |IlsD ERROR(000005C9): Connection to peerId(00000000000000000000000000000000) ipAddr(%s) ipPort(7501) TLSReq(t) failed, ConnReason(1)" % HUB)

at_b, port = t(9, 0, 20) + 1800, 45122
spoke_b.add(at_b, "AppInfo  |IlsD Ils::ConnectReq(): Requesting Connection to IpAddr(%s), IpPort(7502), TLSReq(f)" % HUB)
spoke_b.add(at_b, "AppInfo  |IlsD Ils::ConnectReq() Pub IP/Port(%s:7502) Pri IP/Port(:7502) TLSReq(false)" % HUB)
spoke_b.add(at_b + 1, "AppInfo  |IlsD Ils::processConnectReq Initiating non-TLS Connection")
spoke_b.add(at_b + 3, "AppInfo  |IlsD Ils::ConnectRes() appCorr(1029) TCPPid([1, 600, 13, 5]), PeerIP/Port(%s:7502), LocalIP/Port(%s:%d) TLSReq(f) found" % (HUB, B, port))
spoke_b.add(at_b + 3, "AppInfo  |IlsD DEBUG(0000FA0E): Client Connection to peerId(00000000000000000000000000000000) ipAddr(%s) ipPort(7502) TLSReq(f) succeeded" % HUB)
spoke_b.add(at_b + 19, "AppInfo  |IlsD ::ConnectIndInner starting  to PeerId(77c59d0960cc4fdc959168a3d686a6de), TCPPid([1, 600, 13, 5]), PeerIP/Port(%s:7502), LocalIP/Port(%s:%d) TLSReq(f) established" % (HUB, B, port))
at_h = t(9, 0, 20, 9)
hub1.add(at_h, "AppInfo  |IlsD IlsHandler: Ils::wait_SdlConnectionInd(): New connection accepted. DeviceName=, TCPPid = [1.600.13.5], IPAddr=%s, Port=%d, Controller=[1,20,1]" % (B, port))
hub1.add(at_h, "AppInfo  |IlsD Ils::ConnectInd TCPPid([1, 600, 13, 5]), PeerIP/Port(%s:%d), LocalIP/Port(%s:7502) (%s:%d)" % (B, port, HUB, B, port))
hub1.add(at_h + 1, "AppInfo  |IlsD ::ConnectIndInner Server Connection to PeerId(f7f885dcaca845f18f3b7e583ff6c457), TCPPid([1, 600, 13, 5]), PeerIP/Port(%s:%d), LocalIP/Port(%s:7502) TLSReq(f) established" % (B, port, HUB))

os.makedirs(os.path.join(here, "hub"), exist_ok=True)
os.makedirs(os.path.join(here, "spoke-a"), exist_ok=True)
os.makedirs(os.path.join(here, "spoke-b"), exist_ok=True)
with open(os.path.join(here, "hub/SDL001_600_000001.txt.gz"), "wb") as f:
    f.write(gzip.compress(hub1.text().encode(), mtime=0))
# The file CUCM is still writing: a gzip stream without its end.
packed = gzip.compress(hub2.text().encode(), mtime=0)
with open(os.path.join(here, "hub/SDL001_600_000002.txt.gzo"), "wb") as f:
    f.write(packed[: len(packed) - 200])
with open(os.path.join(here, "spoke-a/SDL001_600_000001.txt.gz"), "wb") as f:
    f.write(gzip.compress(spoke_a.text().encode(), mtime=0))
with open(os.path.join(here, "spoke-b/SDL001_600_000001.txt"), "w") as f:
    f.write(spoke_b.text())
