#!/usr/bin/env bash
# Installs what mock-server's fidelity tests use, if missing (idempotent):
#  - OpenSSH's client `ssh` (tests/ssh.rs: openssh_client_can_use_the_cli)
#  - python3 with zeep and netmiko (tests/fidelity.rs)
# Tests that need them skip with a printed reason when they are absent.
set -euo pipefail

if ! command -v ssh >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        # A failed install must not fail CI: the test that needs ssh skips without it.
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-client; } \
            || echo "mock-server/ci-setup.sh: installing openssh-client failed; ssh fidelity test will skip" >&2
    else
        echo "mock-server/ci-setup.sh: no apt-get; ssh fidelity test will skip" >&2
    fi
fi

if command -v python3 >/dev/null 2>&1; then
    for pkg in 'zeep>=4.2,<5' 'netmiko>=4,<5'; do
        mod="${pkg%%>*}"
        if ! python3 -c "import $mod" >/dev/null 2>&1; then
            python3 -m pip install --quiet --disable-pip-version-check "$pkg" \
                || echo "mock-server/ci-setup.sh: pip install $pkg failed; its fidelity test will skip" >&2
        fi
    done
else
    echo "mock-server/ci-setup.sh: no python3; zeep and netmiko fidelity tests will skip" >&2
fi
