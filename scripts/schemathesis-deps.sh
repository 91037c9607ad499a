#!/usr/bin/env bash
# Installs Schemathesis (from PyPI) into a virtual environment of its own, not
# the Salt one (Salt pins requests, PyYAML and more), and prints that
# environment's path on its last line. Used by the schemathesis stage of
# scripts/test.sh (tests/schema/run_schemathesis.py).
#
#   SALTGW_VENV_ROOT   where environments live (default as scripts/deps.sh:
#                      /var/cache/saltgw/venvs when writable, else .venv/)
#
# Idempotent: an environment that already has the pinned version is kept.
# Exits non-zero (and prints why) when the install fails: the stage then fails,
# it is never skipped.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
ST_VERSION=4.32.5  # keep in step with scripts/schemathesis-requirements.txt
reqs=$here/scripts/schemathesis-requirements.txt

if [ -z "${SALTGW_VENV_ROOT:-}" ]; then
  if mkdir -p /var/cache/saltgw/venvs 2>/dev/null && [ -w /var/cache/saltgw/venvs ]; then
    SALTGW_VENV_ROOT=/var/cache/saltgw/venvs
  else
    SALTGW_VENV_ROOT=$here/.venv
  fi
fi
venv=$SALTGW_VENV_ROOT/schemathesis-$ST_VERSION
grep -qx "schemathesis==$ST_VERSION" "$reqs" || { echo "schemathesis-deps: $reqs does not pin schemathesis==$ST_VERSION" >&2; exit 1; }

# The requirements file's hash is kept in the environment, so a change of
# any pin rebuilds it.
want=$(sha256sum "$reqs" | cut -d' ' -f1)
if [ -x "$venv/bin/st" ] && [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" = "$want" ] &&
   "$venv/bin/python" -c "import schemathesis, sys; sys.exit(0 if schemathesis.__version__ == '$ST_VERSION' else 1)" 2>/dev/null; then
  echo "$venv"
  exit 0
fi

py=
for c in python3.11 python3.12 python3.13 python3.10 python3; do
  if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import venv, ensurepip, sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' >/dev/null 2>&1; then
    py=$(command -v "$c"); break
  fi
done
[ -n "$py" ] || { echo "schemathesis-deps: no Python >= 3.10 with venv and ensurepip (apt-get install python3-venv)" >&2; exit 1; }
echo "schemathesis-deps: creating $venv with $py ($("$py" --version 2>&1)) and schemathesis==$ST_VERSION" >&2
rm -rf "$venv"
mkdir -p "$SALTGW_VENV_ROOT"
"$py" -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip >&2
if ! "$venv/bin/pip" install -q -r "$reqs" >&2; then
  echo "schemathesis-deps: pip install -r $reqs failed" >&2
  rm -rf "$venv"
  exit 1
fi
"$venv/bin/st" --version >&2
echo "$want" > "$venv/.requirements.sha256"
echo "$venv"
