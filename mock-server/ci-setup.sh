#!/usr/bin/env bash
# Installs what mock-server's fidelity tests use, if missing (idempotent):
#  - OpenSSH's client `ssh` (tests/ssh.rs: openssh_client_can_use_the_cli)
#  - python3 with zeep (tests/fidelity.rs: zeep_with_ciscos_wsdls)
# Tests that need them skip with a printed reason when they are absent.
set -euo pipefail

if ! command -v ssh >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-client
    else
        echo "mock-server/ci-setup.sh: no apt-get; ssh fidelity test will skip" >&2
    fi
fi

if command -v python3 >/dev/null 2>&1; then
    if ! python3 -c 'import zeep' >/dev/null 2>&1; then
        python3 -m pip install --quiet --disable-pip-version-check 'zeep>=4.2,<5' \
            || echo "mock-server/ci-setup.sh: pip install zeep failed; zeep fidelity test will skip" >&2
    fi
else
    echo "mock-server/ci-setup.sh: no python3; zeep fidelity test will skip" >&2
fi
