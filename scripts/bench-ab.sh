#!/usr/bin/env bash
# A/B of two revisions, alternated in one run: "no loss elsewhere".
# Builds each revision's saltgw (optimised, as scripts/bench.sh does) in a
# folder of its own, starts a sandbox minion per revision with that
# revision's executor engine, and runs bench/ab.py, which alternates the
# two builds round by round and prints medians per build and their ratio:
# engine test.ping p50 (bare ZeroMQ and through saltgw), test.ping req/s at 8
# clients, state.sls p50, GET / req/s at 64 connections, unknown-function
# refusal p50.
#   bash scripts/bench-ab.sh OLD_REV [NEW_REV] [--rounds N] [--seconds S] [--out FILE]
# NEW_REV defaults to this working tree as it is (uncommitted changes too).
# Other revisions are exported with git archive into $SALTGW_AB_DIR
# (default /tmp/saltgw-ab); nothing in the repository changes.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
[ $# -ge 1 ] || { sed -n '2,13p' "$0" >&2; exit 2; }
old=$1; shift
new=.
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then new=$1; shift; fi
ver=${SALT_VERSION:-$(sed -n 's/^SALT_VERSION=\${SALT_VERSION:-\([0-9.]*\)}.*/\1/p' scripts/deps.sh)}
venv=${SALTGW_VENV:-/var/cache/saltgw/venvs/salt-$ver}
[ -x "$venv/bin/python" ] || { echo "no Salt venv at $venv: run bash scripts/deps.sh --for test" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing: bash scripts/bench.sh installs it" >&2; exit 2; }
work=${SALTGW_AB_DIR:-/tmp/saltgw-ab}
mkdir -p "$work"
args=()
for side in old new; do
  rev=$old; [ "$side" = new ] && rev=$new
  if [ "$rev" = . ]; then
    src=$here
  else
    src=$work/$side-src
    rm -rf "$src" && mkdir -p "$src"
    git -C "$here" archive "$rev" | tar -x -C "$src"
  fi
  # A build folder configured for another source tree (an earlier run from
  # another checkout) would rebuild that tree: start it afresh.
  info=$work/$side-build/meson-info/meson-info.json
  if [ -f "$info" ] && ! python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["directories"]["source"] != sys.argv[2])' \
       "$info" "$(cd "$src" && pwd)"; then
    rm -rf "$work/$side-build"
  fi
  echo "building $side ($rev) in $work/$side-build ..." >&2
  SALTGW_BUILDDIR=$work/$side-build SALTGW_MESON_ARGS="-Doptimization=2 -Ddebug=false -Db_lto=true -Dtests=disabled" \
    bash "$src/scripts/build.sh" gateway/saltgw >/dev/null
  label=$rev; [ "$rev" = . ] && label="working tree ($(git rev-parse --short HEAD))"
  args+=("--$side" "$label" "$src" "$work/$side-build/gateway/saltgw")
done
exec "$venv/bin/python" bench/ab.py --venv "$venv" "${args[@]}" "$@"
