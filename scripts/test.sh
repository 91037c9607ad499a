#!/usr/bin/env bash
# Runs every saltgw test on this machine, from nothing:
#   1. installs dependencies (scripts/deps.sh) and builds with warnings as errors;
#   2. unit tests (GoogleTest, no minion);
#   3. starts a sandbox minion (real salt-minion, Salt from PyPI, with the saltgw
#      executor engine enabled) in a temp dir;
#   4. integration tests against it: C++ (salt_ipc), Python (HTTP API,
#      streaming, limits, faults, OpenAPI conformance, engine, saltgw-call);
#   5. the execute_raw differential test against Salt's own parser;
#   6. with SALTGW_TEST_LEVEL=ci (the default, what CI runs): the Debian
#      package test, the fuzzers, API fuzzing against docs/openapi.yaml with
#      Schemathesis (tests/schema/, its own venv: scripts/schemathesis-deps.sh),
#      steps 2-5 again under ASan+UBSan and under TSan (scripts/sanitize.sh),
#      and the Salt release matrix;
#   7. prints one summary line per suite and, last, "N passed, N failed".
#
#   SALT_VERSION        Salt release for the sandbox (default: the pinned 3006 LTS)
#   SALTGW_TEST_LEVEL   ci (default; "full" is the same) or core (steps 1-5)
#   SALTGW_TEST_BUDGET  seconds the whole run may take (default 4800: CI stops
#                       .ci/run at 90 minutes, and the summary must come first)
#
# Time limits: every stage runs under `timeout`, with the smaller of its own
# cap and what is left of the budget, and every Python test has a limit of
# its own (pytest-timeout). A stage that runs out of time is reported and
# counts as failed, never as skipped, and the summary line is still printed.
# Nested runs (scripts/sanitize.sh calls this script) share the deadline.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
level=${SALTGW_TEST_LEVEL:-ci}
if [ -z "${SALTGW_DEADLINE:-}" ]; then
  SALTGW_DEADLINE=$(( $(date +%s) + ${SALTGW_TEST_BUDGET:-4800} ))
  export SALTGW_DEADLINE
fi

stage() { echo; echo "== $* ($(date +%H:%M:%S))"; }

# capped SECONDS CMD...: runs CMD under timeout(1) (which signals CMD's whole
# process group) for at most SECONDS or what is left of the budget.
capped() {
  local cap=$1; shift
  local left=$(( SALTGW_DEADLINE - $(date +%s) ))
  [ "$left" -lt "$cap" ] && cap=$left
  if [ "$cap" -le 10 ]; then
    echo "test: TIMEOUT: no time left in the budget for: $*" >&2
    return 124
  fi
  timeout -k 20 "$cap" "$@"
  local rc=$?
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "test: TIMEOUT: stopped after ${cap}s: $*" >&2
  fi
  return "$rc"
}

stage "dependencies and build"
venv=$(capped 1200 bash scripts/deps.sh | tail -n 1) || { echo "test: dependency install failed"; echo "0 passed, 1 failed"; exit 1; }
py=$venv/bin/python
export SALTGW_BUILDDIR=${SALTGW_BUILDDIR:-$here/build}
b=$SALTGW_BUILDDIR
if ! capped 1800 bash scripts/build.sh; then
  echo "test: build failed"; echo "0 passed, 1 failed"; exit 1
fi

results=${SALTGW_RESULTS:-$(mktemp -d /tmp/saltgw-results.XXXXXX)}
mkdir -p "$results"
sandbox=$(mktemp -d /tmp/saltgw-sandbox.XXXXXX)
cleanup() { "$py" tests/sandbox/sandbox_minion.py stop "$sandbox" >/dev/null 2>&1 || true; }
trap cleanup EXIT
trap 'cleanup; exit 143' TERM INT
expected=(unit integration pytest differential)

stage "unit tests"
capped 600 "$b"/tests/unit/unit_tests --gtest_output="xml:$results/unit.xml" 2>&1 | tail -n 3

stage "starting the sandbox minion (Salt $("$venv/bin/salt-call" --version | awk '{print $2}')) in $sandbox"
if ! minion_config=$("$py" tests/sandbox/sandbox_minion.py start "$sandbox" --engine); then
  echo "test: the sandbox minion did not start; see $sandbox/log/minion"
  tail -n 30 "$sandbox/log/minion" 2>/dev/null
  echo "0 passed, 1 failed"; exit 1
fi
export SALTGW_MINION_CONFIG=$minion_config SALTGW_SANDBOX_DIR=$sandbox SALTGW_SANDBOX_PY=$py
export SALTGW_SANDBOX_SCRIPT=$here/tests/sandbox/sandbox_minion.py SALTGW_BIN=$b/gateway/saltgw
export SALTGW_VENV=$venv

stage "integration tests (C++, salt_ipc against the sandbox minion)"
capped 900 "$b"/tests/integration/integration_tests --gtest_output="xml:$results/integration.xml" 2>&1 | tail -n 3

stage "integration tests (Python: HTTP API, engine, saltgw-call against the sandbox minion)"
pytest_dirs=(tests/api tests/engine tests/sandbox)
[ -d tests/packaging ] && ls tests/packaging/test_*.py >/dev/null 2>&1 && pytest_dirs+=(tests/packaging)
capped 1500 "$py" -m pytest -q -p no:cacheprovider --timeout=300 --junitxml="$results/pytest.xml" \
  "${pytest_dirs[@]}" 2>&1 | tail -n 15

stage "differential test: execute_raw parsing vs Salt's own parser"
capped 600 "$py" tests/differential/run_differential.py --dump "$b"/tests/differential/argparse_dump \
  --python "$py" --junitxml "$results/differential.xml" 2>&1 | tail -n 5

# A one-testcase-per-line JUnit file from a "<name>: N passed, N failed" line.
junit_from_line() {  # name file line
  python3 - "$@" <<'PY'
import re, sys
name, path, line = sys.argv[1:4]
m = re.search(r"(\d+) passed, (\d+) failed", line)
p, f = (int(m.group(1)), int(m.group(2))) if m else (0, 1)
with open(path, "w") as fh:
    fh.write(f'<testsuite name="{name}" tests="{p + f}" failures="{f}">\n')
    for i in range(p):
        fh.write(f'<testcase name="{name}-{i}"/>\n')
    for i in range(f):
        fh.write(f'<testcase name="{name}-failed-{i}"><failure message="see log"/></testcase>\n')
    fh.write("</testsuite>\n")
PY
}

if { [ "$level" = ci ] || [ "$level" = full ]; } && [ -z "${SALTGW_NESTED:-}" ]; then
  export SALTGW_NESTED=1
  if [ -f tests/packaging/package_test.sh ]; then
    stage "Debian package: build, lintian, install, run, purge"
    expected+=(package)
    capped 900 bash tests/packaging/package_test.sh "$results/package.xml" > "$results/package.log" 2>&1
    tail -n 3 "$results/package.log"
  fi
  if [ -f scripts/fuzz.sh ]; then
    stage "fuzzers (libFuzzer, ASan+UBSan)"
    expected+=(fuzz)
    capped 900 bash scripts/fuzz.sh 20 --junitxml "$results/fuzz.xml" > "$results/fuzz.log" 2>&1
    tail -n 8 "$results/fuzz.log"
  fi
  stage "API fuzzing against docs/openapi.yaml (Schemathesis, sandbox minion)"
  expected+=(schemathesis)
  if st_venv=$(capped 600 bash scripts/schemathesis-deps.sh 2> "$results/schemathesis-deps.log" | tail -n 1) &&
     [ -x "$st_venv/bin/st" ]; then
    capped 900 "$st_venv/bin/python" tests/schema/run_schemathesis.py --st "$st_venv/bin/st" \
      --junitxml "$results/schemathesis.xml" > "$results/schemathesis.log" 2>&1
    grep -E "^schemathesis: " "$results/schemathesis.log" | grep -v "^schemathesis: /" | tail -n 6
  else  # counts as a failure, never as a skip
    echo "schemathesis: could not install Schemathesis (see $results/schemathesis-deps.log)"
    tail -n 5 "$results/schemathesis-deps.log"
    junit_from_line schemathesis "$results/schemathesis.xml" "0 passed, 1 failed"
  fi
  cleanup  # the sanitizer and matrix runs start their own minions
  if [ -f scripts/sanitize.sh ]; then
    for mode in asan tsan; do
      stage "the suite under $mode"
      expected+=("$mode")
      SALTGW_RESULTS= SALTGW_TEST_LEVEL=core capped 2400 bash scripts/sanitize.sh "$mode" > "$results/$mode.log" 2>&1
      line=$(grep -E "^sanitize $mode:" "$results/$mode.log" | tail -n 1)
      echo "${line:-sanitize $mode: no summary (see $results/$mode.log)}"
      # Sanitizer reports count as failures.
      reports=$(echo "$line" | grep -oE '[0-9]+ sanitizer reports' | grep -oE '^[0-9]+')
      fixed=$(echo "$line" | sed -E "s/([0-9]+) failed/\\1 failed/")
      if [ -n "$reports" ] && [ "$reports" -gt 0 ]; then
        f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '^[0-9]+')
        fixed=$(echo "$line" | sed -E "s/[0-9]+ failed/$(( ${f:-0} + reports )) failed/")
      fi
      junit_from_line "$mode" "$results/$mode.xml" "${fixed:-0 passed, 1 failed}"
    done
  fi
  if [ -f scripts/test-matrix.sh ]; then
    stage "Salt release matrix"
    expected+=(matrix)
    mkdir -p "$results/matrix"
    capped 1500 bash scripts/test-matrix.sh "$results/matrix" > "$results/matrix.log" 2>&1
    line=$(grep -E "^matrix:" "$results/matrix.log" | tail -n 1)
    grep -E "^(release|  )" "$results/matrix.log" | tail -n 20
    echo "${line:-matrix: no summary (see $results/matrix.log)}"
    junit_from_line matrix "$results/matrix.xml" "${line:-0 passed, 1 failed}"
  fi
fi

cleanup
"$py" tests/summarize.py "$results" "${expected[@]}"
