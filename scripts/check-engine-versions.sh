#!/usr/bin/env bash
# Checks the executor engine (packaging/salt/engines/saltgw_executor.py and
# saltgw_function_index.py, which it loads) against the oldest Python it
# states (MIN_PYTHON, in saltgw_executor.py: 3.7):
#   1. vermin (from PyPI, in a venv of its own under /var/cache/saltgw/venvs)
#      finds no construct or standard-library use newer than that;
#   2. every Python installed here (python3, pyenv's versions) from the
#      minimum up compiles both files and imports each standard-library
#      module they import; every Python below the minimum (2.7, 3.6 when
#      present) fails to, so the stated minimum is the real one and not a guess.
# The Salt minimum (MIN_SALT, 3006) is checked by the engine's own unit
# tests and the release matrix (3006, 3007, 3008); a Salt 2017.7 minion falls
# back to schedule dispatch (salt_ipc/engine_support.h, tests/unit).
# Ends with "engine-versions: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
engine=$here/packaging/salt/engines/saltgw_executor.py
files=("$engine" "$here/packaging/salt/engines/saltgw_function_index.py" "$here/packaging/salt/engines/saltgw_job_runtime.py")
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

min=$(sed -n 's/^MIN_PYTHON = (\([0-9]*\), \([0-9]*\)).*/\1.\2/p' "$engine")
[ -n "$min" ] || { echo "FAIL the engine states no MIN_PYTHON"; echo "engine-versions: 0 passed, 1 failed"; exit 1; }
grep -q "^MIN_SALT = [0-9]" "$engine" && ok "engine states MIN_PYTHON $min and $(grep '^MIN_SALT' "$engine")" ||
  bad "the engine states no MIN_SALT"

root=/var/cache/saltgw/venvs
mkdir -p "$root" 2>/dev/null && [ -w "$root" ] || root=$here/.venv
venv=$root/vermin-1.9
if [ ! -x "$venv/bin/vermin" ]; then
  python3 -m venv "$venv" && "$venv/bin/pip" install -q "vermin==1.9.2" >/dev/null 2>&1 || rm -rf "$venv"
fi
if [ -x "$venv/bin/vermin" ]; then
  out=$("$venv/bin/vermin" --no-tips --violations -t="$min-" "${files[@]}" 2>&1)
  rc=$?
  need=$("$venv/bin/vermin" --no-tips "${files[@]}" 2>&1 | sed -n 's/^Minimum required versions: *//p')
  if [ "$rc" -eq 0 ]; then ok "vermin: needs Python $need, within the stated $min"
  else bad "vermin: the engine needs more than Python $min: $out"; fi
else
  bad "vermin could not be installed into $venv"
fi

# The standard-library modules the engine's files import (salt and zmq are
# the minion's, not checked here).
mods=$(sed -n 's/^import \([a-z_.]*\)$/\1/p' "${files[@]}" | grep -vE '^(zmq|salt)(\.|$)' | sort -u | tr '\n' ' ')
pys=()
command -v python3 >/dev/null && pys+=("$(command -v python3)")
for p in /root/.pyenv/versions/*/bin/python "$HOME"/.pyenv/versions/*/bin/python; do [ -x "$p" ] && pys+=("$p"); done
for p in $(printf '%s\n' "${pys[@]}" | sort -u); do
  v=$("$p" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
  if "$p" - "${files[@]}" -- $mods >/dev/null 2>&1 <<'PY'
import importlib, sys
sep = sys.argv.index("--")
for path in sys.argv[1:sep]:
    compile(open(path).read(), path, "exec")
for m in sys.argv[sep + 1:]:
    importlib.import_module(m)
PY
  then works=1; else works=0; fi
  if [ "$(printf '%s\n%s\n' "$min" "$v" | sort -V | head -n 1)" = "$min" ]; then
    [ "$works" = 1 ] && ok "Python $v compiles the engine and has its modules" ||
      bad "Python $v (>= $min) cannot compile the engine or lacks a module"
  else
    [ "$works" = 0 ] && ok "Python $v (below $min) cannot load the engine, as stated" ||
      bad "Python $v loads the engine: the stated minimum $min is too high"
  fi
done
echo "engine-versions: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
