#!/usr/bin/env bash
# Installs promtool from Debian's prometheus package when it is missing: the metrics test in
# src/audit/prometheus.rs runs `promtool check metrics` (under CI=true a missing promtool fails
# it), and .ci/package.sh checks and tests the alert rules with it. Only the promtool binary is
# taken from the package: installing the package would also start a Prometheus server and pull
# in its web interface's libraries.
set -euo pipefail

if command -v promtool >/dev/null 2>&1; then
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
apt-get update -qq
(cd "$tmp" && apt-get download -qq prometheus 2>/dev/null)
dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -x -C "$tmp" ./usr/bin/promtool
install -m 0755 "$tmp/usr/bin/promtool" /usr/local/bin/promtool
promtool --version | head -1
