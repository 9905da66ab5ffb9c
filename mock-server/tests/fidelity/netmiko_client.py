"""Drives the mock's admin: CLI with netmiko (a fidelity check: a real client).

Usage: netmiko_client.py PORT USER PASSWORD

netmiko has no CUCM driver (ktbyers/netmiko#1680); people use `terminal_server` with an explicit
`expect_string`, which is what this script does. Prints "OK <command>" per check.
"""
import sys

from netmiko import ConnectHandler

port, user, password = sys.argv[1:4]
conn = ConnectHandler(device_type="terminal_server", host="127.0.0.1", port=int(port),
                      username=user, password=password, timeout=20, conn_timeout=20,
                      banner_timeout=20, auth_timeout=20, allow_agent=False, use_keys=False)
conn.read_until_pattern(pattern=r"admin:", read_timeout=20)
out = conn.send_command("set cli pagination off", expect_string=r"admin:", read_timeout=20)
assert "Automatic pagination is turned off" in out, repr(out)
print("OK set cli pagination off")
out = conn.send_command("show version active", expect_string=r"admin:", read_timeout=20)
assert "Active Master Version: 14.0.1.11900-132" in out, repr(out)
print("OK show version active")
out = conn.send_command("utils service list", expect_string=r"admin:", read_timeout=20)
assert "Cisco Intercluster Lookup Service[STARTED]" in out and "Press <enter>" not in out, repr(out)
print("OK utils service list")
conn.disconnect()
