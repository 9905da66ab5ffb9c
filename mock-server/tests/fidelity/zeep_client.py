"""Drives the mock with python-zeep built from Cisco's own WSDLs (a fidelity check).

Usage: zeep_client.py HTTPS_ADDR USER PASSWORD AXL_WSDL_OR_- TOMCAT_PEM

The mock's Tomcat certificate is pinned as the only trust anchor (verification stays on).

- Log collection: the WSDL is fetched from the mock itself (`?wsdl`), as clients of real
  publishers do; listNodeServiceLogs and selectLogFiles are called and their responses are
  parsed by zeep against Cisco's schema.
- AXL: when Cisco's AXL 14.0 WSDL path is given, getCCMVersion, executeSQLQuery, the ILS
  trace settings, listProcessNode and updateIlsConfig are called through it.
Prints one "OK <what>" line per check and exits non-zero on the first failure.
"""
import sys

import requests
from requests.auth import HTTPBasicAuth
from zeep import Client, Settings
from zeep.transports import Transport

addr, user, password, axl_wsdl, pem = sys.argv[1:6]


def transport():
    s = requests.Session()
    s.trust_env = False  # REQUESTS_CA_BUNDLE must not replace the pin
    s.verify = pem
    s.auth = HTTPBasicAuth(user, password)
    return Transport(session=s, timeout=20)


settings = Settings(strict=True, xml_huge_tree=True)
logs = Client(f"https://{addr}/logcollectionservice2/services/LogCollectionPortTypeService?wsdl",
              transport=transport(), settings=settings)
svc = logs.create_service("{http://schemas.cisco.com/ast/soap}LogCollectionPortSoapBinding",
                          f"https://{addr}/logcollectionservice2/services/LogCollectionPortTypeService")
nodes = svc.listNodeServiceLogs(ListRequest="")
names = [i for n in nodes for i in (n.ServiceLog.item if n.ServiceLog else [])]
assert "Cisco Intercluster Lookup Service" in names, names
print("OK listNodeServiceLogs")
criteria = {
    "ServiceLogs": {"item": ["Cisco Intercluster Lookup Service"]},
    "SystemLogs": {"item": []},
    "SearchStr": "", "Frequency": "OnDemand", "JobType": "DownloadtoClient",
    "ToDate": "", "FromDate": "", "TimeZone": "", "RelText": "None", "RelTime": 0,
    "Port": 0, "IPAddress": "", "UserName": "", "Password": "", "ZipInfo": False, "RemoteFolder": "",
}
res = svc.selectLogFiles(FileSelectionCriteria=criteria)
# zeep unwraps single-child wrappers; accept either depth.
sfsr = getattr(res, "SchemaFileSelectionResult", None) if "SchemaFileSelectionResult" in dir(res) else res
files = sfsr.Node.ServiceList.ServiceLogs[0].SetOfFiles.File
assert files and files[0].absolutepath.startswith("/var/log/active/cm/trace/ils/sdl/SDL"), files
assert int(files[0].filesize) > 0
print(f"OK selectLogFiles {len(files)}")

if axl_wsdl != "-":
    axl = Client(axl_wsdl, transport=transport(), settings=Settings(strict=True, xml_huge_tree=True))
    a = axl.create_service("{http://www.cisco.com/AXLAPIService/}AXLAPIBinding", f"https://{addr}/axl/")
    v = a.getCCMVersion()
    assert v["return"].componentVersion.version == "14.0.1.11900(132)", v
    print("OK getCCMVersion")
    rows = a.executeSQLQuery(sql="select clusterid, fullyqualifiedname from remotecluster")
    row = rows["return"].row[0]
    values = {c.tag: c.text for c in row}
    assert values["clusterid"] == "SPOKE-CL", values
    print("OK executeSQLQuery")
    pns = a.getProcessNodeService(processNodeName="cucm-hub.example.com",
                                  service="Cisco Intercluster Lookup Service")
    assert int(pns["return"].processNodeService.traceLevel) == 127, pns
    print("OK getProcessNodeService")
    up = a.updateProcessNodeService(processNodeName="cucm-hub.example.com",
                                    service="Cisco Intercluster Lookup Service", traceLevel=15)
    assert up["return"], up
    pns = a.getProcessNodeService(processNodeName="cucm-hub.example.com",
                                  service="Cisco Intercluster Lookup Service")
    assert int(pns["return"].processNodeService.traceLevel) == 15, pns
    print("OK updateProcessNodeService")
    # Cisco's schema orders the nine children of updateIlsConfig; zeep writes them so. AXL's
    # boolean is a string (t, f, true, false, 0, 1): Python's True would be refused.
    r = a.updateIlsConfig(role="Hub Cluster", registrationServer="", activateIls="true",
                          synchronizeClustersEvery="10", activatedServers="", deactivatedServers="",
                          useTls="false", enableUsePassword="true", usePassword="ils-Secret1")
    assert r["return"] == "true", r
    print("OK updateIlsConfig")
    nodes = a.listProcessNode(searchCriteria={"name": "%"}, returnedTags={"name": "", "nodeUsage": ""})
    usages = {n.name: n.nodeUsage for n in nodes["return"].processNode}
    assert usages.get("cucm-hub.example.com") == "Publisher", usages
    print("OK listProcessNode")
