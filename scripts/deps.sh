#!/usr/bin/env bash
# Installs everything saltgw needs to build, run and test on a fresh Debian 12
# machine: the C++ toolchain and libraries from Debian's packages, and a Python
# virtual environment with Salt from PyPI for the sandbox minion.
#
#   SALT_VERSION   Salt release for the sandbox (default: 3006 LTS, pinned;
#                  3007.16 and 3008.4 also install here, see scripts/test-matrix.sh)
#   SALTGW_VENV    where the virtual environment goes (default: .venv/salt-$SALT_VERSION)
#
#   scripts/deps.sh [--for run|test]   run (default): building and running;
#                                      test: and everything scripts/test.sh uses
#
# Idempotent: packages already present are not installed again.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
SALT_VERSION=${SALT_VERSION:-3006.23}

for_what=run
while [ $# -gt 0 ]; do
  case "$1" in
    --for) for_what=$2; shift 2 ;;
    --for=*) for_what=${1#*=}; shift ;;
    *) echo "usage: scripts/deps.sh [--for run|test]" >&2; exit 2 ;;
  esac
done

# --for run: what building and running saltgw needs.
apt_pkgs=(build-essential meson ninja-build pkgconf ccache
  libzmq3-dev cppzmq-dev libmsgpack-cxx-dev libsodium-dev libpistache-dev
  rapidjson-dev libgtest-dev libgmock-dev libyaml-cpp-dev
  curl wrk python3-venv)
# --for test: and what the whole test run needs besides (scripts/test.sh),
# installed in the same apt call: clang and its sanitizer/libFuzzer runtime
# (the shared ASan+UBSan build), the package build's tools (Build-Depends of
# packaging/debian/control) and lintian, stress-ng (load for the progress
# stress test).
if [ "$for_what" = test ]; then
  apt_pkgs+=(clang libclang-rt-14-dev debhelper po-debconf dpkg-dev lintian fakeroot stress-ng
    chromium chromium-driver)  # the configuration page's browser tests (tests/ui/)
fi

missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "deps: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq -o DPkg::Lock::Timeout=600
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null
fi

# Salt 3006 is built and tested on Python 3.10; newer releases run on 3.11+.
pick_python() {
  local major=${SALT_VERSION%%.*}
  local cands=()
  if [ "$major" -le 3006 ]; then cands=(python3.10 python3.11 python3); else cands=(python3.11 python3.12 python3.10 python3); fi
  for c in "${cands[@]}"; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import venv, ensurepip' >/dev/null 2>&1; then
      command -v "$c"; return 0
    fi
    for root in /root/.pyenv/versions "$HOME/.pyenv/versions"; do
      for p in "$root"/${c#python}*/bin/python3; do
        [ -x "$p" ] && "$p" -c 'import venv, ensurepip' >/dev/null 2>&1 && { echo "$p"; return 0; }
      done
    done
  done
  command -v python3
}

# Virtual environments live outside the checkout (built once per machine and
# Salt release, shared by every clone): /var/cache/saltgw/venvs when writable,
# else .venv/ in the checkout. SALTGW_VENV names one explicitly.
if [ -z "${SALTGW_VENV_ROOT:-}" ]; then
  if mkdir -p /var/cache/saltgw/venvs 2>/dev/null && [ -w /var/cache/saltgw/venvs ]; then
    SALTGW_VENV_ROOT=/var/cache/saltgw/venvs
  else
    SALTGW_VENV_ROOT=$here/.venv
  fi
fi
venv=${SALTGW_VENV:-$SALTGW_VENV_ROOT/salt-$SALT_VERSION}
reqs=$here/scripts/salt-requirements.txt
reqs_sum=$(sha256sum "$reqs" | cut -d' ' -f1)
if [ -x "$venv/bin/salt-minion" ] && [ "$(cat "$venv/.saltgw-requirements" 2>/dev/null)" != "$reqs_sum" ] &&
   "$venv/bin/python" -c "import salt.version,sys; sys.exit(0 if salt.version.__version__=='$SALT_VERSION' else 1)" 2>/dev/null; then
  # A venv made from an older requirements list: add what is new.
  echo "deps: updating $venv to $reqs" >&2
  "$venv/bin/pip" install -q -r "$reqs" >&2 && echo "$reqs_sum" > "$venv/.saltgw-requirements"
fi
if [ ! -x "$venv/bin/salt-minion" ] || ! "$venv/bin/python" -c "import salt.version,sys; sys.exit(0 if salt.version.__version__=='$SALT_VERSION' else 1)" 2>/dev/null; then
  py=$(pick_python)
  echo "deps: creating $venv with $py ($("$py" --version 2>&1)) and salt==$SALT_VERSION" >&2
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip wheel >/dev/null
  # Salt's PyPI wheels do not always declare their requirements: install them
  # explicitly (scripts/salt-requirements.txt), then Salt itself.
  "$venv/bin/pip" install -q -r "$reqs" >&2
  if ! "$venv/bin/pip" install -q "salt==$SALT_VERSION" >&2; then
    # The newest releases pin a certifi newer than the package index here has.
    echo "deps: salt==$SALT_VERSION did not install; releases known to install here:" \
      "3006.23, 3007.16, 3008.4 (e.g. 3007.17 and 3008.5 need certifi>=2026.10.23)" >&2
    rm -rf "$venv"
    exit 1
  fi
  echo "$reqs_sum" > "$venv/.saltgw-requirements"
fi
# --for test: the configuration page's browser tests (tests/ui/): Selenium
# into the same virtual environment, and axe-core (the accessibility check run
# in the browser) from the npm registry into $SALTGW_VENV_ROOT/ui-node.
if [ "$for_what" = test ]; then
  if ! "$venv/bin/python" -c "import selenium" 2>/dev/null; then
    echo "deps: installing scripts/ui-requirements.txt into $venv" >&2
    "$venv/bin/pip" install -q -r "$here/scripts/ui-requirements.txt" >&2
  fi
  axe_dir=$SALTGW_VENV_ROOT/ui-node
  if [ ! -f "$axe_dir/node_modules/axe-core/axe.min.js" ]; then
    echo "deps: installing axe-core into $axe_dir" >&2
    if ! command -v npm >/dev/null 2>&1; then
      SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends npm >/dev/null
    fi
    mkdir -p "$axe_dir"
    npm install --silent --no-audit --no-fund --prefix "$axe_dir" axe-core@4.14.1 >&2
  fi
fi
echo "$venv"
