#!/usr/bin/env bash
# Runs every saltgw test on this machine, from nothing, and ends with the line
# "N passed, N failed".
#
#   SALTGW_TEST_LEVEL=core   the core suite: build, unit tests, C++ and Python
#                            integration tests against real sandbox minions,
#                            the differential test against Salt's own parser
#   SALTGW_TEST_LEVEL=ci     (default; "full" is the same) the core suite, then
#                            the Debian package, the fuzzers, Schemathesis, the
#                            core suite again under ASan+UBSan and under TSan,
#                            the Salt release matrix and the ARM builds under
#                            qemu-user (when scripts/test-arm.sh exists)
#   SALT_VERSION             Salt release for the sandbox (default: the pinned 3006 LTS)
#   SALTGW_PYTEST_ARGS       more pytest arguments for the Python tests (scripts/sanitize.sh)
#   SALTGW_TEST_BUDGET       seconds the whole run may take (default 4800: CI stops
#                            .ci/run at 90 minutes, and the summary must come first)
#
# How the time is spent (README, "What the test run costs"): every compile
# goes through ccache (/var/cache/saltgw/ccache), so a second run on a
# machine recompiles only what changed. Work that does not compete for the
# same minion runs side by side:
#   - the C++ integration tests get a sandbox minion of their own and run
#     beside the Python tests (both mostly wait on the minion);
#   - at level ci, a background lane (nice 10) compiles the ASan+UBSan build
#     (shared by the fuzzers and the ASan suite), the TSan build, the Debian
#     package and the ARM builds while the core suite runs;
#   - then two lanes run at once: the sanitizer suites (each starts its own
#     minions) and, beside them, Schemathesis, the package test, the fuzzers,
#     the release matrix and the ARM tests.
#   - the Python tests run on two pytest-xdist workers, each with a minion of
#     its own (tests/conftest.py);
# Each stage's output goes to <results>/<stage>.log; its summary lines are
# printed when it ends, and a table of every stage's time comes before the
# closing line.
#
# Time limits: every stage runs under `timeout`, with the smaller of its own
# cap and what is left of the budget, and every Python test has a limit of
# its own (pytest-timeout). A stage that runs out of time is reported and
# counts as failed, never as skipped, and the summary line is still printed.
# Nested runs (scripts/sanitize.sh calls this script at level core) share the
# deadline.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
level=${SALTGW_TEST_LEVEL:-ci}
[ "$level" = full ] && level=ci
[ -n "${SALTGW_NESTED:-}" ] && level=core
if [ -z "${SALTGW_DEADLINE:-}" ]; then
  SALTGW_DEADLINE=$(( $(date +%s) + ${SALTGW_TEST_BUDGET:-4800} ))
  export SALTGW_DEADLINE
fi
run_start=$(date +%s)
results=${SALTGW_RESULTS:-$(mktemp -d /tmp/saltgw-results.XXXXXX)}
mkdir -p "$results"
: > "$results/times.tsv"

say() { echo "$*"; }
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
# stage NAME LANE CAP CMD...: one timed stage; its output goes to
# $results/NAME.log, its time and exit status to $results/times.tsv.
stage() {
  local name=$1 lane=$2 cap=$3; shift 3
  local t0 rc
  t0=$(date +%s)
  capped "$cap" "$@" > "$results/$name.log" 2>&1
  rc=$?
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$lane" "$((t0 - run_start))" "$(( $(date +%s) - t0 ))" "$rc" >> "$results/times.tsv"
  return "$rc"
}
# show NAME [LINES|PATTERN]: prints a finished stage's summary.
show() {
  local name=$1 what=${2:-3} secs
  secs=$(awk -F'\t' -v n="$name" '$1 == n {print $4}' "$results/times.tsv" | tail -n 1)
  {
    echo
    echo "== $name (${secs:-?} s; log $results/$name.log)"
    if [[ "$what" =~ ^[0-9]+$ ]]; then tail -n "$what" "$results/$name.log"
    else grep -E "$what" "$results/$name.log" | tail -n 25; fi
    grep -h "TIMEOUT" "$results/$name.log" | tail -n 2
  } | flock "$results/.print" cat
}
# junit_from_line NAME LINE: a one-testcase-per-count JUnit file from a
# "... N passed, N failed" line (a missing line counts as one failure).
junit_from_line() {
  python3 - "$1" "$results/$1.xml" "$2" <<'PY'
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
finish() {  # prints the stage table and the closing line, exits
  python3 tests/stage_table.py "$results/times.tsv" "$(( $(date +%s) - run_start ))"
  "$py" tests/summarize.py "$results" "${expected[@]}"
  exit $?
}

# --- 1. dependencies and the plain build --------------------------------------
expected=(unit integration pytest differential)
py=python3
deps_for=test; [ -n "${SALTGW_NESTED:-}" ] && deps_for=run
if ! stage deps main 1200 bash scripts/deps.sh --for "$deps_for"; then
  show deps 20; echo "test: dependency install failed"; finish
fi
venv=$(tail -n 1 "$results/deps.log")
py=$venv/bin/python
export SALTGW_BUILDDIR=${SALTGW_BUILDDIR:-$here/build}
b=$SALTGW_BUILDDIR
if ! stage build main 1800 bash scripts/build.sh; then
  show build 40; echo "test: build failed"; finish
fi
show build 0

# --- 2. the background build lane (level ci) ------------------------------------
# Each build writes <results>/built/<name> with its exit status when it ends;
# wait_built blocks until then.
mkdir -p "$results/built"
build_lane_pid=
if [ "$level" = ci ]; then
  (
    built() { local n=$1; shift; stage "build-$n" builds 2400 nice -n 10 "$@"; echo $? > "$results/built/$n"; }
    # In the order the lanes below need them.
    built asan bash scripts/sanitizer-build.sh asan
    mkdir -p "$results/deb"
    built deb env SALTGW_INSTALL_BUILD_DEPS=1 DEB_BUILD_OPTIONS="parallel=$(nproc) nocheck" \
      bash packaging/build-deb.sh "$results/deb"
    built tsan bash scripts/sanitizer-build.sh tsan gateway/saltgw tests/unit/unit_tests \
      tests/integration/integration_tests tests/differential/argparse_dump
    if [ -f scripts/test-arm.sh ]; then built arm bash scripts/test-arm.sh --build-only; fi
  ) &
  build_lane_pid=$!
fi
wait_built() {  # NAME: 0 when that background build succeeded
  while [ ! -f "$results/built/$1" ]; do
    if ! kill -0 "$build_lane_pid" 2>/dev/null && [ ! -f "$results/built/$1" ]; then return 1; fi
    sleep 2
  done
  [ "$(cat "$results/built/$1")" = 0 ]
}

# --- 3. the core suite ----------------------------------------------------------
sandboxes=()
stop_sandboxes() {
  for s in "${sandboxes[@]}"; do "$py" tests/sandbox/sandbox_minion.py stop "$s" >/dev/null 2>&1 || true; done
}
kill_tree() {  # PID: the process and everything it started
  local c
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$c"; done
  kill "$1" 2>/dev/null
}
cleanup() {
  local p
  for p in $(jobs -p); do kill_tree "$p"; done
  stop_sandboxes
}
trap cleanup EXIT
trap 'cleanup; exit 143' TERM INT
# sandbox_env DIR CONFIG: exports the environment the tests read (call it in
# a subshell).
sandbox_env() {
  export SALTGW_MINION_CONFIG="$2" SALTGW_SANDBOX_DIR="$1" SALTGW_SANDBOX_PY="$py" \
    SALTGW_SANDBOX_SCRIPT="$here/tests/sandbox/sandbox_minion.py" SALTGW_BIN="$b/gateway/saltgw" \
    SALTGW_VENV="$venv"
}

stage unit main 600 "$b"/tests/unit/unit_tests --gtest_output="xml:$results/unit.xml"
show unit 3

# Three sandbox minions: one for the C++ integration tests and one for each of
# the two pytest-xdist workers of the Python tests (tests/conftest.py hands
# each worker its own). Those tests mostly wait on their minion, so they run
# side by side.
workers=${SALTGW_PYTEST_WORKERS:-2}
echo; echo "== starting $((workers + 1)) sandbox minions (Salt $("$venv/bin/salt-call" --version | awk '{print $2}')," \
  "with the executor engine): $workers for the Python tests, 1 for the C++ integration tests"
minion_dirs=()
for _ in $(seq 0 "$workers"); do minion_dirs+=("$(mktemp -d /tmp/saltgw-sandbox.XXXXXX)"); done
sandboxes+=("${minion_dirs[@]}")
starting=()
for d in "${minion_dirs[@]}"; do
  "$py" tests/sandbox/sandbox_minion.py start "$d" --engine >"$d.config" 2>"$d.err" &
  starting+=($!)
done
wait "${starting[@]}"
for d in "${minion_dirs[@]}"; do
  if [ ! -s "$d.config" ] || [ ! -f "$(cat "$d.config")" ]; then
    echo "test: the sandbox minion in $d did not start:"; cat "$d.err"; tail -n 30 "$d/log/minion" 2>/dev/null
    echo "0 passed, 1 failed"; exit 1
  fi
done
cpp_dir=${minion_dirs[0]}
cpp_config=$(cat "$cpp_dir.config")
api_dir=${minion_dirs[1]}
api_config=$(cat "$api_dir.config")
SALTGW_SANDBOXES=
for d in "${minion_dirs[@]:1}"; do SALTGW_SANDBOXES+="$d=$(cat "$d.config") "; done
export SALTGW_SANDBOXES

pytest_dirs=(tests/api tests/engine tests/sandbox tests/structure)
ls tests/packaging/test_*.py >/dev/null 2>&1 && pytest_dirs+=(tests/packaging)
[ -d tests/ui ] && pytest_dirs+=(tests/ui)
# The C++ integration tests (their own minion) beside the Python tests.
( sandbox_env "$cpp_dir" "$cpp_config"; stage integration cpp 900 \
    "$b"/tests/integration/integration_tests --gtest_output="xml:$results/integration.xml"
  show integration 3 ) &
cpp_pid=$!
( sandbox_env "$api_dir" "$api_config"; stage pytest main 1500 "$py" -m pytest -q -p no:cacheprovider \
  -n "$workers" --dist loadfile --timeout=300 --junitxml="$results/pytest.xml" ${SALTGW_PYTEST_ARGS:-} \
  "${pytest_dirs[@]}" )
show pytest 15
stage differential main 600 "$py" tests/differential/run_differential.py \
  --dump "$b"/tests/differential/argparse_dump --python "$py" --junitxml "$results/differential.xml"
show differential 5
wait $cpp_pid

if [ "$level" != ci ]; then
  stop_sandboxes
  finish
fi

# --- 4. level ci: two lanes ------------------------------------------------------
# Lane "sanitizers": the core suite under ASan+UBSan, then under TSan (each
# run starts its own minions). Lane "checks": Schemathesis and the package
# test (on this run's API minion), the fuzzers, the release matrix, the ARM
# tests.
export SALTGW_NESTED=1
expected+=(package fuzz schemathesis asan tsan matrix)
[ -f scripts/test-arm.sh ] && expected+=(arm)

sanitizer_suite() {  # asan|tsan
  local mode=$1 line reports f fixed
  if ! wait_built "$mode"; then
    show "build-$mode" 30
    junit_from_line "$mode" "0 passed, 1 failed"; return
  fi
  SALTGW_RESULTS= SALTGW_TEST_LEVEL=core SALTGW_BUILDDIR= stage "$mode" sanitizers 2400 bash scripts/sanitize.sh "$mode"
  line=$(grep -E "^sanitize $mode:" "$results/$mode.log" | tail -n 1)
  show "$mode" "^(sanitize |== sanitizer report|unit|integration|pytest|differential):|^[0-9]+ passed"
  # Sanitizer reports count as failures.
  reports=$(echo "$line" | grep -oE '[0-9]+ sanitizer reports' | grep -oE '^[0-9]+')
  fixed=$line
  if [ -n "$reports" ] && [ "$reports" -gt 0 ]; then
    f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '^[0-9]+')
    fixed=$(echo "$line" | sed -E "s/[0-9]+ failed/$(( ${f:-0} + reports )) failed/")
  fi
  junit_from_line "$mode" "${fixed:-0 passed, 1 failed}"
}

checks_lane() {
  local st_venv line
  # Schemathesis against docs/openapi.yaml, on the API minion.
  if stage schemathesis-deps checks 600 bash scripts/schemathesis-deps.sh &&
     st_venv=$(tail -n 1 "$results/schemathesis-deps.log") && [ -x "$st_venv/bin/st" ]; then
    ( sandbox_env "$api_dir" "$api_config"; stage schemathesis checks 900 "$st_venv/bin/python" \
      tests/schema/run_schemathesis.py --st "$st_venv/bin/st" --junitxml "$results/schemathesis.xml" )
    show schemathesis "^schemathesis: [^/]"
  else  # counts as a failure, never as a skip
    show schemathesis-deps 5
    junit_from_line schemathesis "0 passed, 1 failed"
  fi
  # The release matrix (its own minions, the plain build).
  mkdir -p "$results/matrix"
  stage matrix checks 1500 bash scripts/test-matrix.sh "$results/matrix"
  line=$(grep -E "^matrix:" "$results/matrix.log" | tail -n 1)
  show matrix "^(release|  Salt|matrix:)"
  junit_from_line matrix "${line:-0 passed, 1 failed}"
  # The Debian package, built by the background lane; installed, run, purged.
  if wait_built deb; then
    ( sandbox_env "$api_dir" "$api_config"; export SALTGW_PACKAGE_OUT="$results/deb" SALTGW_PACKAGE_PREBUILT=1
      stage package checks 900 bash tests/packaging/package_test.sh "$results/package.xml" )
    show package 3
  else
    show build-deb 30
    junit_from_line package "0 passed, 1 failed"
  fi
  stop_sandboxes
  # The fuzzers, from the shared ASan+UBSan build.
  if wait_built asan; then
    SALTGW_FUZZ_BUILDDIR="$here/build-asan" stage fuzz checks 900 bash scripts/fuzz.sh 20 --junitxml "$results/fuzz.xml"
    show fuzz 8
  else
    junit_from_line fuzz "0 passed, 1 failed"
  fi
  # The ARM builds under qemu-user.
  if [ -f scripts/test-arm.sh ]; then
    if wait_built arm; then
      stage arm checks 1500 bash scripts/test-arm.sh all --junitxml "$results/arm.xml"
      show arm 12
    else
      show build-arm 30
      junit_from_line arm "0 passed, 1 failed"
    fi
  fi
}

( sanitizer_suite asan; sanitizer_suite tsan ) &
san_pid=$!
checks_lane
wait $san_pid
wait "$build_lane_pid" 2>/dev/null
for n in asan tsan deb arm; do
  [ -f "$results/build-$n.log" ] && [ "$(cat "$results/built/$n" 2>/dev/null)" != 0 ] && show "build-$n" 20
done
stop_sandboxes
finish
