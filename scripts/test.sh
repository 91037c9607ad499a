#!/usr/bin/env bash
# Runs every saltgw test on this machine, from nothing:
#   1. installs dependencies (scripts/deps.sh) and builds with warnings as errors;
#   2. unit tests (GoogleTest, no minion);
#   3. starts a sandbox minion (real salt-minion, Salt from PyPI, with the saltgw
#      executor engine enabled) in a temp dir;
#   4. integration tests against it: C++ (salt_ipc), Python (HTTP API, engine);
#   5. the execute_raw differential test against Salt's own parser;
#   6. stops the minion and prints one summary line: "N passed, N failed".
#
#   SALT_VERSION  Salt release for the sandbox (default: the pinned 3006 LTS)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

venv=$(bash scripts/deps.sh | tail -n 1) || { echo "test: dependency install failed"; echo "0 passed, 1 failed"; exit 1; }
py=$venv/bin/python
export SALTGW_BUILDDIR=${SALTGW_BUILDDIR:-$here/build}
b=$SALTGW_BUILDDIR
if ! bash scripts/build.sh; then
  echo "test: build failed"; echo "0 passed, 1 failed"; exit 1
fi

results=$(mktemp -d /tmp/saltgw-results.XXXXXX)
sandbox=$(mktemp -d /tmp/saltgw-sandbox.XXXXXX)
cleanup() { "$py" tests/sandbox/sandbox_minion.py stop "$sandbox" >/dev/null 2>&1 || true; }
trap cleanup EXIT

echo "== unit tests"
"$b"/tests/unit/unit_tests --gtest_output="xml:$results/unit.xml" 2>&1 | tail -n 3

echo "== starting the sandbox minion (Salt $("$venv/bin/salt-call" --version | awk '{print $2}')) in $sandbox"
if ! minion_config=$("$py" tests/sandbox/sandbox_minion.py start "$sandbox" --engine); then
  echo "test: the sandbox minion did not start; see $sandbox/log/minion"
  tail -n 30 "$sandbox/log/minion" 2>/dev/null
  echo "0 passed, 1 failed"; exit 1
fi
export SALTGW_MINION_CONFIG=$minion_config SALTGW_SANDBOX_DIR=$sandbox SALTGW_SANDBOX_PY=$py
export SALTGW_SANDBOX_SCRIPT=$here/tests/sandbox/sandbox_minion.py SALTGW_BIN=$b/gateway/saltgw
export SALTGW_VENV=$venv

echo "== integration tests (C++, salt_ipc against the sandbox minion)"
"$b"/tests/integration/integration_tests --gtest_output="xml:$results/integration.xml" 2>&1 | tail -n 3

echo "== integration tests (Python: HTTP API and executor engine against the sandbox minion)"
"$py" -m pytest -q -p no:cacheprovider --junitxml="$results/pytest.xml" tests/api tests/engine 2>&1 | tail -n 15

echo "== differential test: execute_raw parsing vs Salt's own parser"
"$py" tests/differential/run_differential.py --dump "$b"/tests/differential/argparse_dump \
  --python "$py" --junitxml "$results/differential.xml" 2>&1 | tail -n 5

cleanup
"$py" tests/summarize.py "$results"
