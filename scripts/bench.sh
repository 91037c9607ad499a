#!/usr/bin/env bash
# The benchmark suite: builds saltgw (optimised), installs wrk, nginx and
# matplotlib, then runs bench/run_bench.py, which starts its own sandbox minion
# with the executor engine and measures everything side by side in one run.
# Writes docs/benchmarks.last.md and docs/bench-latency.png.
#   bash scripts/bench.sh [--quick] [--seconds N]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
venv=$(bash scripts/deps.sh | tail -n 1)
for p in wrk nginx-light; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >/dev/null; }
done
systemctl stop nginx 2>/dev/null || true
"$venv/bin/python" -c "import matplotlib" 2>/dev/null || "$venv/bin/pip" install -q matplotlib
SALTGW_BUILDDIR=${SALTGW_BENCH_BUILDDIR:-$here/build-release} SALTGW_MESON_ARGS="-Doptimization=2 -Ddebug=false -Db_lto=true -Dtests=disabled" \
  bash scripts/build.sh
"$venv/bin/python" bench/large_result.py --venv "$venv" --saltgw "${SALTGW_BENCH_BUILDDIR:-$here/build-release}/gateway/saltgw" --paths sync,ndjson,job --runs 1
exec "$venv/bin/python" bench/run_bench.py --saltgw "${SALTGW_BENCH_BUILDDIR:-$here/build-release}/gateway/saltgw" \
  --venv "$venv" "$@"
