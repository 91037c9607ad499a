#!/usr/bin/env bash
# Runs the whole test suite (scripts/test.sh: unit, C++ integration, HTTP API
# and engine tests, differential) against a sanitizer build of saltgw.
#
#   scripts/sanitize.sh asan   clang, ASan+UBSan, build-asan/ (the build the
#                              fuzzers use too: scripts/sanitizer-build.sh)
#   scripts/sanitize.sh tsan   gcc, ThreadSanitizer, build-tsan/
#
# Every instrumented process (unit_tests, integration_tests, argparse_dump and
# each saltgw the Python tests start) writes its sanitizer reports to
# <builddir>/sanitizer-reports/<kind>.<pid>, whatever the tests do with its
# stderr; halt_on_error makes the process stop at its first report, so the
# test that used it fails too. The last line is
#   sanitize <mode>: N passed, N failed, R sanitizer reports
# and the exit status is 1 when a test failed or any report was written.
# Set SALTGW_SANITIZE_BUILDDIR to use another build folder, and
# SALTGW_SANITIZE_HALT=0 for a triage run: processes go on after a report, so
# one early report does not hide the others (the run still fails).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

mode=${1:-}
case "$mode" in
  asan)
    b=${SALTGW_SANITIZE_BUILDDIR:-$here/build-asan}
    ;;
  tsan)
    b=${SALTGW_SANITIZE_BUILDDIR:-$here/build-tsan}
    ;;
  *) echo "usage: scripts/sanitize.sh asan|tsan" >&2; exit 2 ;;
esac

halt=${SALTGW_SANITIZE_HALT:-1}
reports=$b/sanitizer-reports
rm -rf "$reports"
mkdir -p "$reports"
supp=$here/tests/sanitizers
# ASan + UBSan + LeakSanitizer.
export ASAN_OPTIONS="halt_on_error=$halt:detect_leaks=1:print_stacktrace=1:detect_stack_use_after_return=1:log_exe_name=1:log_path=$reports/asan"
export UBSAN_OPTIONS="halt_on_error=$halt:print_stacktrace=1:log_exe_name=1:log_path=$reports/ubsan:suppressions=$supp/ubsan.supp"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp"
# ThreadSanitizer. history_size=4 keeps the stack of the earlier access of a
# race available for longer (the default loses it in long runs).
export TSAN_OPTIONS="halt_on_error=$halt:second_deadlock_stack=1:history_size=4:log_exe_name=1:log_path=$reports/tsan:suppressions=$supp/tsan.supp"

export SALTGW_BUILDDIR=$b
unset SALTGW_MESON_ARGS
start=$(date +%s)
out=$b.test-output.txt
# The suite's binaries (not the fuzz targets: scripts/fuzz.sh builds those);
# scripts/test.sh's own build step then finds nothing left to do.
if ! SALTGW_SANITIZE_BUILDDIR=$b bash scripts/sanitizer-build.sh "$mode" \
      gateway/saltgw tests/unit/unit_tests tests/integration/integration_tests \
      tests/differential/argparse_dump > "$out" 2>&1; then
  cat "$out"
  echo "sanitize $mode: 0 passed, 1 failed, 0 sanitizer reports (the build failed)"
  exit 1
fi
# One test is left out here, by name: the non-reading client's stream
# (tests/api/test_stream_progress.py) moves 12 MB of state output through
# saltgw several times over; instrumented, that took 2 minutes under TSan in
# one run and more than 4 in the next. It runs in the core suite (plain build).
# And the peak-memory test of a large result (tests/api/test_large_result.py):
# an instrumented allocator (ASan's quarantine) measures itself, not saltgw;
# that file's byte-for-byte tests do run here.
export SALTGW_PYTEST_ARGS="--deselect tests/api/test_stream_progress.py::test_client_that_does_not_read_is_told_how_much_progress_it_missed \
  --deselect tests/api/test_large_result.py::test_peak_memory_of_a_large_result_stays_near_its_size"
bash scripts/test.sh 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
secs=$(( $(date +%s) - start ))

summary=$(tail -n 1 "$out")
passed=$(echo "$summary" | grep -oE '^[0-9]+ passed' | grep -oE '^[0-9]+')
failed=$(echo "$summary" | grep -oE '[0-9]+ failed' | grep -oE '^[0-9]+')
nreports=0
for f in "$reports"/*; do
  [ -s "$f" ] || continue
  nreports=$((nreports + 1))
  echo "== sanitizer report $f"
  # The headline and our own frames (salt_ipc/, salt_args/, rest/, gateway/, tests/) of the first stacks.
  grep -m1 -E 'ERROR: |WARNING: ThreadSanitizer|runtime error' "$f"
  grep -E '/(salt_ipc|salt_args|rest|gateway|tests)/[^ ]+:[0-9]+' "$f" | head -n 12
  grep -m1 '^SUMMARY' "$f"
done
echo "sanitize $mode: ${passed:-0} passed, ${failed:-1} failed, $nreports sanitizer reports (${secs}s; reports in $reports)"
[ "$rc" -eq 0 ] && [ "$nreports" -eq 0 ]
