#!/usr/bin/env bash
# Runs saltgw's minion-facing tests against other Salt releases than the CI
# one (3006 LTS): for each release, makes its venv (scripts/deps.sh), starts a
# sandbox minion with the executor engine, and runs
#   - the C++ integration tests (salt_ipc: schedule, engine, tcp, minion_job),
#   - the executor engine's pytest (tests/engine/test_executor_minion.py),
#   - a subset of the HTTP API tests (tests/api/test_local_api.py -k ...),
# (the releases side by side, each in its own venv with its own minion),
# then prints per release which tests ran and passed, and ends with
# `matrix: N passed, N failed`.
#
#   bash scripts/test-matrix.sh [JUNIT_DIR]
#
# JUNIT_DIR (default: a new temp dir) gets one JUnit XML file per release,
# <release>.xml, whose testsuite is named after the release.
#
#   SALT_MATRIX_RELEASES  releases to test (default: the newest 3007 and 3008
#                         that install from the PyPI index here)
#   SALT_MATRIX_API_K     pytest -k expression for the API subset
#   SALTGW_BUILDDIR       build folder (default: build/)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
releases=${SALT_MATRIX_RELEASES:-"3007.16 3008.4"}
api_k=${SALT_MATRIX_API_K:-"ping or state or arg or (apn and not flow)"}
out=${1:-$(mktemp -d /tmp/saltgw-matrix.XXXXXX)}
mkdir -p "$out"
export SALTGW_BUILDDIR=${SALTGW_BUILDDIR:-$here/build}
b=$SALTGW_BUILDDIR
started=$(date +%s)

# The 3006 venv builds saltgw's dependencies (Debian packages) too.
if ! bash scripts/deps.sh >/dev/null || ! bash scripts/build.sh; then
  echo "matrix: dependencies or build failed"; echo "matrix: 0 passed, 1 failed"; exit 1
fi

# run_release REL: one release, start to end; prints its report, and its
# "P F" counts to $out/REL.counts. The releases run side by side (each with
# its own venv and minion; they mostly wait on their minions).
run_release() {
  local rel=$1 work t0 venv py sandbox setup_error minion_config secs line p f
  echo "== Salt $rel"
  work=$(mktemp -d /tmp/saltgw-matrix-$rel.XXXXXX)
  t0=$(date +%s)
  # Each release gets its own venv (never one exported for an earlier release).
  venv=$(env -u SALTGW_VENV SALT_VERSION=$rel timeout 900 bash scripts/deps.sh 2>"$work/deps.err" | tail -n 1)
  py=$venv/bin/python
  sandbox=$work/sandbox
  setup_error=
  if [ -z "$venv" ] || [ ! -x "$py" ]; then
    setup_error="Salt $rel did not install: $(tail -n 5 "$work/deps.err" | tr '\n' ' ')"
  elif ! minion_config=$("$py" tests/sandbox/sandbox_minion.py start "$sandbox" --engine 2>"$work/start.err"); then
    setup_error="the sandbox minion did not start: $(tail -n 3 "$work/start.err" | tr '\n' ' ') $(tail -n 5 "$sandbox/log/minion" 2>/dev/null | tr '\n' ' ')"
  else
    export SALTGW_MINION_CONFIG=$minion_config SALTGW_SANDBOX_DIR=$sandbox SALTGW_SANDBOX_PY=$py
    export SALTGW_SANDBOX_SCRIPT=$here/tests/sandbox/sandbox_minion.py SALTGW_BIN=$b/gateway/saltgw
    export SALTGW_VENV=$venv
    # Time limits as in scripts/test.sh: a hung part fails (no report), the
    # other parts and releases still run.
    timeout -k 20 600 "$b"/tests/integration/integration_tests \
      --gtest_output="xml:$work/integration.xml" >"$work/integration.log" 2>&1
    timeout -k 20 600 "$py" -m pytest -q -p no:cacheprovider --timeout=300 --junitxml="$work/engine.xml" \
      tests/engine/test_executor_minion.py >"$work/engine.log" 2>&1
    timeout -k 20 600 "$py" -m pytest -q -p no:cacheprovider --timeout=300 --junitxml="$work/api.xml" \
      tests/api/test_local_api.py -k "$api_k" >"$work/api.log" 2>&1
    "$py" tests/sandbox/sandbox_minion.py stop "$sandbox" >/dev/null 2>&1
  fi
  secs=$(( $(date +%s) - t0 ))
  # One JUnit file per release (testsuite name = release) and the summary.
  line=$(python3 - "$rel" "$work" "$out/$rel.xml" "$secs" "$setup_error" <<'PY'
import os, sys, xml.etree.ElementTree as ET
rel, work, dest, secs, setup_error = sys.argv[1:6]
suite = ET.Element("testsuite", name=rel)
cases = []
def add(classname, name, status, message="", time="0"):
    c = ET.SubElement(suite, "testcase", classname=classname, name=name, time=time)
    if status == "failed":
        ET.SubElement(c, "failure", message=message[:500]).text = message
    elif status == "skipped":
        ET.SubElement(c, "skipped")
    cases.append((classname, name, status))
if setup_error:
    add(f"salt-{rel}", "setup", "failed", setup_error)
else:
    for part in ("integration", "engine", "api"):
        path = os.path.join(work, part + ".xml")
        if not os.path.exists(path):
            add(f"{part}", "report", "failed", f"{part}: no report (crashed?); see {work}/{part}.log")
            continue
        root = ET.parse(path).getroot()
        for case in root.iter("testcase"):
            f = case.find("failure")
            if f is None:
                f = case.find("error")
            status = "failed" if f is not None else (
                "skipped" if case.find("skipped") is not None or case.get("result") == "skipped" else "passed")
            msg = "" if f is None else (f.get("message") or f.text or "")
            add(f"{part}.{case.get('classname', '')}", case.get("name"), status, msg, case.get("time", "0"))
n = len(cases)
failed = sum(1 for c in cases if c[2] == "failed")
skipped = sum(1 for c in cases if c[2] == "skipped")
suite.set("tests", str(n)); suite.set("failures", str(failed)); suite.set("errors", "0")
suite.set("skipped", str(skipped)); suite.set("time", secs)
ET.ElementTree(suite).write(dest, encoding="utf-8", xml_declaration=True)
for part in ("setup", "integration", "engine", "api"):
    mine = [c for c in cases if c[0].split(".")[0] == part or (part == "setup" and c[1] == "setup")]
    if not mine:
        continue
    ok = sum(1 for c in mine if c[2] == "passed")
    print(f"  {part}: {ok}/{len(mine)} passed", file=sys.stderr)
    for c in mine:
        if c[2] != "passed":
            print(f"    {c[2].upper()}: {c[0]}.{c[1]}", file=sys.stderr)
print(n - failed - skipped, failed)
PY
)
  set -- $line
  p=${1:-0} f=${2:-1}
  echo "  Salt $rel: $p passed, $f failed in ${secs}s (logs: $work)"
  echo "$p $f" > "$out/$rel.counts"
}

pids=()
for rel in $releases; do
  rm -f "$out/$rel.counts"
  run_release "$rel" > "$out/$rel.report" 2>&1 &
  pids+=($!)
done
wait "${pids[@]}"
total_pass=0 total_fail=0
for rel in $releases; do
  cat "$out/$rel.report"
  read -r p f < "$out/$rel.counts" 2>/dev/null || { p=0; f=1; echo "  Salt $rel: no result (see $out/$rel.report)"; }
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
done
echo "matrix: JUnit XML in $out; took $(( $(date +%s) - started ))s"
echo "matrix: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
