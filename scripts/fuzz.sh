#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs each against its seed corpus.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [--junitxml PATH] [--only TARGET]
#
# SECONDS_PER_TARGET defaults to 30. Prints one line per target and, last,
# `fuzz: N passed, N failed`; exits 1 when any target found something (crash,
# leak, sanitizer report, timeout, out-of-memory) or did not build. The
# targets come from the shared ASan+UBSan build (scripts/sanitizer-build.sh
# asan, build-asan/, also used by scripts/sanitize.sh asan). Reports and
# reproducers go to $SALTGW_FUZZ_BUILDDIR/fuzz-out/<target>/ (default build
# dir: build-asan). Reproduce one with:
#   build-asan/tests/fuzz/<target> build-asan/fuzz-out/<target>/crash-...
# The committed seed corpus (tests/fuzz/corpus/<target>/) is read, never
# written: new inputs go to fuzz-out/<target>/corpus/.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

seconds=30
junit=
only=
while [ $# -gt 0 ]; do
  case "$1" in
    --junitxml) junit=$2; shift 2 ;;
    --junitxml=*) junit=${1#*=}; shift ;;
    --only) only=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) seconds=$1; shift ;;
  esac
done
case "$seconds" in ''|*[!0-9]*) echo "fuzz: SECONDS_PER_TARGET must be a whole number" >&2; exit 2 ;; esac

targets=(fuzz_frame_decoder fuzz_event_codec fuzz_msgpack_decode fuzz_msgpack_json fuzz_cli_args fuzz_json_request
  fuzz_log_file fuzz_request_head fuzz_http_request)
[ -n "$only" ] && targets=("$only")
b=${SALTGW_FUZZ_BUILDDIR:-$here/build-asan}
out=$b/fuzz-out

write_junit() {  # name time status message logfile ...
  [ -n "$junit" ] || return 0
  python3 - "$junit" "$@" <<'PY'
import sys
from xml.sax.saxutils import escape, quoteattr
path, rows = sys.argv[1], sys.argv[2:]
cases, failed = [], 0
for i in range(0, len(rows), 5):
    name, secs, status, msg, log = rows[i:i + 5]
    body = ""
    if status != "passed":
        failed += 1
        try:
            tail = open(log, errors="replace").read()[-20000:]
        except OSError:
            tail = ""
        body = f"<failure message={quoteattr(msg)}>{escape(tail)}</failure>"
    cases.append(f'  <testcase classname="fuzz" name="{name}" time="{secs}">{body}</testcase>')
with open(path, "w") as f:
    f.write('<?xml version="1.0" encoding="utf-8"?>\n')
    f.write(f'<testsuite name="fuzz" tests="{len(cases)}" failures="{failed}" errors="0">\n')
    f.write("\n".join(cases) + "\n</testsuite>\n")
PY
}

give_up() {
  echo "fuzz: $1"
  rows=()
  for t in "${targets[@]}"; do rows+=("$t" 0 failed "$1" "${2:-/dev/null}"); done
  write_junit "${rows[@]}"
  echo "fuzz: 0 passed, ${#targets[@]} failed"
  exit 1
}

mkdir -p "$out"
build_log=$out/build.log
: >"$build_log"
# The shared ASan+UBSan build (scripts/sanitizer-build.sh asan: clang, the
# libraries with libFuzzer's coverage instrumentation); scripts/sanitize.sh
# asan runs the whole suite from the same folder. Only the fuzz targets are
# built here.
ninja_targets=()
for t in "${targets[@]}"; do ninja_targets+=("tests/fuzz/$t"); done
if ! SALTGW_SANITIZE_BUILDDIR=$b bash scripts/sanitizer-build.sh asan "${ninja_targets[@]}" >>"$build_log" 2>&1; then
  grep -v '^\[' "$build_log" | tail -n 40
  give_up "build failed (see $build_log)" "$build_log"
fi

export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0:print_stacktrace=1:symbolize=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$here/tests/sanitizers/ubsan.supp

passed=0 failed=0
rows=()
for t in "${targets[@]}"; do
  d=$out/$t
  rm -rf "$d"
  mkdir -p "$d/corpus"
  log=$d/fuzz.log
  start=$(date +%s.%N)
  # -error_exitcode/-timeout_exitcode: any finding is exit 1. -timeout: one
  # input taking 10 s is a hang. rss/malloc limits: a decoder that lets a small
  # input allocate a gigabyte is a finding (DecodeLimits should prevent it).
  "$b/tests/fuzz/$t" "$d/corpus" "tests/fuzz/corpus/$t" \
      -max_total_time="$seconds" -error_exitcode=1 -timeout_exitcode=1 -timeout=10 \
      -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 \
      -artifact_prefix="$d/" >"$log" 2>&1
  rc=$?
  secs=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$start" "$(date +%s.%N)")
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | grep -o 'cov: [0-9]*' | grep -o '[0-9]*')
  artifact=$(ls "$d"/crash-* "$d"/leak-* "$d"/timeout-* "$d"/oom-* "$d"/slow-unit-* 2>/dev/null | head -n 1)
  # A sanitizer report without a libFuzzer artifact (e.g. in a thread) still fails.
  if [ $rc -eq 0 ] && ! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$log"; then
    passed=$((passed + 1))
    echo "$t: passed (${runs:-?} runs in ${secs}s, cov ${cov:-?})"
    rows+=("$t" "$secs" passed "" "$log")
  else
    failed=$((failed + 1))
    what=$(grep -m1 -oE 'ERROR: [A-Za-z]+: [^ ]+( [^ ]+)?|runtime error: .*|FUZZ_CHECK failed.*' "$log" | head -n 1)
    echo "$t: FAILED (rc=$rc; ${what:-see log}; log $log${artifact:+; reproducer $artifact})"
    rows+=("$t" "$secs" failed "${what:-exit code $rc}${artifact:+; reproducer $artifact}" "$log")
  fi
done
write_junit "${rows[@]}"
echo "fuzz: $passed passed, $failed failed"
[ $failed -eq 0 ]
