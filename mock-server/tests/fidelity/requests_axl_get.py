"""Checks AXL credentials the way public AXL libraries do: python-requests GETs /axl/.

Usage: requests_axl_get.py HTTPS_ADDR USER PASSWORD NO_ROLE_USER TOMCAT_PEM

The mock's Tomcat certificate is pinned as the only trust anchor (verification stays on).
Prints one "OK <what>" line per check and exits non-zero on the first failure.
"""
import sys

import requests
from requests.auth import HTTPBasicAuth

addr, user, password, no_role, pem = sys.argv[1:6]
base = f"https://{addr}/axl/"


def session():
    s = requests.Session()
    s.trust_env = False  # REQUESTS_CA_BUNDLE must not replace the pin
    s.verify = pem
    return s


s = session()
r = s.get(base, auth=HTTPBasicAuth(user, password), timeout=20)
assert r.status_code == 200, (r.status_code, r.text)
assert r.headers["Content-Type"] == "text/html;charset=ISO-8859-1", r.headers
assert "The AXL Web Service is working and accepting requests." in r.text, r.text
assert "<title>Cisco CallManager: AXL Web Service</title>" in r.text, r.text
paths = {c.name: c.path for c in s.cookies}
assert paths.get("JSESSIONIDSSO") == "/" and paths.get("JSESSIONID") == "/axl", paths
assert all(c.secure for c in s.cookies), list(s.cookies)
print("OK valid credentials: 200 and the AXL page")

# The session cookie alone (no credentials) is accepted.
r = s.get(base, timeout=20)
assert r.status_code == 200, (r.status_code, r.text)
print("OK session cookie reused")

r = session().get(base, auth=HTTPBasicAuth(user, password + "x"), timeout=20)
assert r.status_code == 401, r.status_code
assert r.headers["WWW-Authenticate"] == 'Basic realm="Cisco AXL API"', r.headers
assert "http.401" in r.text and "custom Cisco error page" in r.text, r.text
print("OK wrong password: 401 with realm Cisco AXL API")

r = session().get(base, timeout=20)
assert r.status_code == 401, r.status_code
print("OK no credentials: 401")

r = session().get(base, auth=HTTPBasicAuth(no_role, password), timeout=20)
assert r.status_code == 403, r.status_code
assert "http.403" in r.text, r.text
print("OK user without the AXL role: 403")

r = session().get(base[:-1], auth=HTTPBasicAuth(user, password), timeout=20, allow_redirects=False)
assert r.status_code == 302 and r.headers["Location"].endswith("/axl/"), (r.status_code, r.headers)
r = session().get(base[:-1], auth=HTTPBasicAuth(user, password), timeout=20)
assert r.status_code == 200 and "accepting requests" in r.text, r.status_code
print("OK /axl without the slash: redirected to /axl/")
