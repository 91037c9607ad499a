#!/usr/bin/env bash
# A quick developer loop: builds the daemon, starts one sandbox minion (with
# the executor engine) in a temporary directory, runs pytest with the
# arguments given (default: tests/api) against it, and stops the minion.
# Assumes scripts/deps.sh --for test has run once on this machine (CI and
# scripts/test.sh do that); scripts/test.sh stays the way to run everything.
#   bash scripts/dev-pytest.sh tests/api/test_local_api.py -k head
# Environment: SALTGW_BUILDDIR (default build), SALT_VERSION (default that of
# scripts/deps.sh), SALTGW_VENV (default /var/cache/saltgw/venvs/salt-$SALT_VERSION).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
b=${SALTGW_BUILDDIR:-$here/build}
ver=${SALT_VERSION:-$(sed -n 's/^SALT_VERSION=\${SALT_VERSION:-\([0-9.]*\)}.*/\1/p' scripts/deps.sh)}
venv=${SALTGW_VENV:-/var/cache/saltgw/venvs/salt-$ver}
[ -x "$venv/bin/python" ] || { echo "no Salt venv at $venv: run bash scripts/deps.sh --for test" >&2; exit 2; }
SALTGW_BUILDDIR=$b bash scripts/build.sh gateway/saltgw >/dev/null
d=$(mktemp -d /tmp/saltgw-dev.XXXXXX)
cleanup() { "$venv/bin/python" tests/sandbox/sandbox_minion.py stop "$d/sb" >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$venv/bin/python" tests/sandbox/sandbox_minion.py start "$d/sb" --engine >"$d/config"
export SALTGW_MINION_CONFIG=$(cat "$d/config") SALTGW_SANDBOX_DIR="$d/sb" SALTGW_SANDBOX_PY="$venv/bin/python" \
  SALTGW_SANDBOX_SCRIPT="$here/tests/sandbox/sandbox_minion.py" SALTGW_BIN="$b/gateway/saltgw" SALTGW_VENV="$venv"
[ $# -gt 0 ] || set -- tests/api
"$venv/bin/python" -m pytest -q -p no:cacheprovider --timeout=300 "$@"
