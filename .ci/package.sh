#!/usr/bin/env bash
# CI: the Debian package (docs/packaging.md). Packages the binary `cargo test` built (no second
# build), installs it with dpkg -i, and checks what it installed: the installed binary runs,
# its man pages and completions are those it prints, the systemd units verify, an audit's
# metrics pass promtool and get published, the alert rules check and pass their tests, and the
# README's set-up lines work. Runs as root on Debian, after .ci/promtool.sh and the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

missing=()
for tool in dpkg-shlibdeps:dpkg-dev strip:binutils xz:xz-utils systemd-analyze:systemd; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# cargo-deb only copies, strips (binutils' strip) and compresses (xz, --compress-system): its
# debug build without the bundled liblzma compiles in about a minute.
if ! cargo deb --version >/dev/null 2>&1; then
    cargo install cargo-deb --locked --quiet --debug --no-default-features
fi

echo "== package: build"
bin=target/debug/ils-doctor
if [ ! -x "$bin" ]; then
    cargo build --locked -p ils-doctor
fi
packaging/build-deb.sh "$bin" --compress-system --fast
deb=$(ls -t target/debian/ils-doctor_*.deb | head -1)
dpkg-deb --info "$deb" | sed -n '/Package:/,/Description:/p'

echo "== package: dpkg -i"
dpkg -i "$deb"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
out=$(/usr/bin/ils-doctor --version)
echo "$out"
[[ $out == "ils-doctor $version"* ]] || { echo "unexpected --version: $out" >&2; exit 1; }
code=0
/usr/bin/ils-doctor demo --format json >/tmp/ils-doctor-demo.json 2>/dev/null || code=$?
# The default scenario's spoke rejects the hub's certificate: critical. The code is JSON's (the
# terminal answer says it in words).
if [ "$code" -ne 2 ] || ! grep -q '"root_cause": *"spoke_rejects_hub_certificate"' /tmp/ils-doctor-demo.json; then
    head -c 4000 /tmp/ils-doctor-demo.json
    echo "ils-doctor demo --format json: exit $code, expected 2 and root cause spoke_rejects_hub_certificate" >&2
    exit 1
fi
echo "demo: exit 2, root cause spoke_rejects_hub_certificate"

echo "== package: man pages and completions are the installed binary's"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/ils-doctor man "$work/man" >/dev/null
installed=$(ls /usr/share/man/man1/ils-doctor*.1.gz | wc -l)
generated=$(ls "$work"/man/*.1 | wc -l)
[ "$installed" -eq "$generated" ] || { echo "$installed man pages installed, the binary writes $generated" >&2; exit 1; }
for page in "$work"/man/*.1; do
    zcat "/usr/share/man/man1/$(basename "$page").gz" | cmp - "$page"
done
cmp <(/usr/bin/ils-doctor completions bash) /usr/share/bash-completion/completions/ils-doctor
cmp <(/usr/bin/ils-doctor completions zsh) /usr/share/zsh/vendor-completions/_ils-doctor
cmp <(/usr/bin/ils-doctor completions fish) /usr/share/fish/vendor_completions.d/ils-doctor.fish
echo "$installed man pages, bash, zsh and fish completions"

echo "== package: systemd-analyze verify"
units=(/usr/lib/systemd/system/ils-doctor-audit.service /usr/lib/systemd/system/ils-doctor-audit.timer
    /usr/lib/systemd/system/ils-doctor-audit-deep.service /usr/lib/systemd/system/ils-doctor-audit-deep.timer)
# verify exits 0 on some findings (an unknown setting is only a warning): any line about these
# units fails the step.
findings=$(systemd-analyze verify "${units[@]}" 2>&1 | grep -F ils-doctor || true)
if [ -n "$findings" ]; then
    echo "$findings" >&2
    exit 1
fi
echo "verified: ${units[*]}"

echo "== package: an audit's metrics pass promtool and are published"
# One cluster whose publisher listens nowhere (port 1): an audit in a second.
port=1
cat >"$work/inventory.toml" <<INV
[defaults]
admin_credential = "env:ILS_DOCTOR_CI_NONE"
app_credential = "env:ILS_DOCTOR_CI_NONE"
[[network]]
name = "ci"
[[network.cluster]]
name = "hub"
role = "hub"
host = "127.0.0.1"
ssh_port = $port
https_port = $port
INV
code=0
ILS_DOCTOR_CI_NONE=x /usr/bin/ils-doctor audit --inventory "$work/inventory.toml" --format prometheus \
    -o "$work/ils-doctor.prom" --no-history --cache-dir "$work/cache" --journal "$work/journal.json" \
    --known-hosts "$work/known_hosts" --host-timeout 20s || code=$?
[ "$code" -eq 3 ] || { echo "audit of an unreachable cluster: exit $code, expected 3" >&2; exit 1; }
promtool check metrics <"$work/ils-doctor.prom"
mkdir "$work/textfile"
ILS_DOCTOR_TEXTFILE_DIR="$work/textfile" /usr/lib/ils-doctor/publish-textfile "$work/ils-doctor.prom"
grep -q '^ils_doctor_cluster_up{network="ci",cluster="hub",role="hub",host="127.0.0.1"} 0$' "$work/textfile/ils-doctor.prom"
echo "published: ils_doctor_cluster_up 0 for the unreachable cluster"

echo "== package: alert rules"
(cd /usr/share/ils-doctor/prometheus && promtool check rules ils-doctor.rules.yml && promtool test rules ils-doctor.rules.test.yml)

echo "== package: the README's set-up"
install -D -m 0644 /usr/share/doc/ils-doctor/examples/inventory.toml /etc/ils-doctor/inventory.toml
systemctl enable ils-doctor-audit.timer
[ "$(systemctl is-enabled ils-doctor-audit.timer)" = enabled ]
install -m 0600 /usr/share/doc/ils-doctor/examples/credentials.env /etc/ils-doctor/credentials.env
[ "$(stat -c %a /etc/ils-doctor/credentials.env)" = 600 ]

echo "== package: done in $((SECONDS - started)) s"
