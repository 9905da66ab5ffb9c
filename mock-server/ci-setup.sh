#!/usr/bin/env bash
# Installs what mock-server's fidelity tests use, if missing (idempotent):
#  - OpenSSH's client `ssh` (tests/ssh_profiles.rs: openssh_client_can_use_the_cli, openssh_client_reads_and_uses_the_legacy_offer)
#  - python3 with requests, zeep and netmiko (tests/fidelity.rs), lxml (tests/axl_schema.rs)
# Outside CI, tests that need them skip with a printed reason when they are absent; under
# CI=true a missing client fails those tests, so a failed install fails here, at once.
set -euo pipefail

failed() {
    echo "mock-server/ci-setup.sh: $1" >&2
    if [ "${CI:-}" = "true" ]; then
        exit 1
    fi
}

if ! command -v ssh >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-client; } \
            || failed "installing openssh-client failed; the ssh fidelity test cannot run"
    else
        failed "no apt-get; the ssh fidelity test cannot run"
    fi
fi

if command -v python3 >/dev/null 2>&1; then
    for pkg in 'requests>=2,<3' 'zeep>=4.2,<5' 'netmiko>=4,<5' 'lxml>=4'; do
        mod="${pkg%%>*}"
        if ! python3 -c "import $mod" >/dev/null 2>&1; then
            python3 -m pip install --quiet --disable-pip-version-check "$pkg" \
                || failed "pip install $pkg failed; its fidelity test cannot run"
        fi
    done
else
    failed "no python3; the requests, zeep and netmiko fidelity tests cannot run"
fi
