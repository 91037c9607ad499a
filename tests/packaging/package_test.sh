#!/usr/bin/env bash
# CI test of the Debian package, end to end, on a Debian 12 machine (as root):
# build it (packaging/build-deb.sh), lintian (fails on any E:), install it
# with its dependencies, run saltgw --version and --check, start saltgw the
# way the unit's ExecStart does (plus --listen on a free port, the sandbox
# minion and a temp secret, since systemd is not running in CI), answer the
# Local API spec's curl examples, stop it, purge the package and check that
# nothing it installed is left.
#
#   tests/packaging/package_test.sh [JUNIT_XML]
#
# Needs SALTGW_MINION_CONFIG: a running sandbox minion with the executor
# engine (scripts/test.sh starts one; by hand:
#   .venv/salt-3006.23/bin/python tests/sandbox/sandbox_minion.py start DIR --engine).
# Ends with the line "package: N passed, N failed"; writes a JUnit report
# with one testcase per check to JUNIT_XML (default
# /tmp/saltgw-package-junit.xml). Exit 0 only when every check passed.
#
#   SALTGW_PACKAGE_OUT   where the .deb and lintian.txt go (default: a temp dir)
#   SALTGW_PACKAGE_PREBUILT  1: the .deb is already in SALTGW_PACKAGE_OUT
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here" || exit 1
junit=${1:-/tmp/saltgw-package-junit.xml}
work=$(mktemp -d /tmp/saltgw-pkgtest.XXXXXX)
out=${SALTGW_PACKAGE_OUT:-$work/out}
mkdir -p "$out"
t_start=$(date +%s)

export DEBIAN_FRONTEND=noninteractive
# The package must not restart a minion here: the debconf default is no, and
# this vetoes a yes that some earlier preseed might have left.
export SALTGW_RESTART_MINION=0

passed=0
failed=0
cases=$work/cases.xml
: >"$cases"

xml_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g' | tr -d '\000-\010\013\014\016-\037'; }

# record NAME SECONDS OK|FAIL [DETAIL_FILE]
record() {
  local name=$1 secs=$2 status=$3 detail=${4:-}
  if [ "$status" = OK ]; then
    passed=$((passed + 1))
    echo "PASS  $name"
    printf '  <testcase classname="package" name="%s" time="%s"/>\n' "$name" "$secs" >>"$cases"
  else
    failed=$((failed + 1))
    echo "FAIL  $name"
    if [ -n "$detail" ] && [ -s "$detail" ]; then tail -n 25 "$detail" | sed 's/^/      /'; fi
    {
      printf '  <testcase classname="package" name="%s" time="%s">\n' "$name" "$secs"
      printf '    <failure message="%s failed">' "$name"
      if [ -n "$detail" ] && [ -s "$detail" ]; then tail -n 60 "$detail" | xml_escape; fi
      printf '</failure>\n  </testcase>\n'
    } >>"$cases"
  fi
}

# check NAME COMMAND...: runs the command, its output is the failure detail.
check() {
  local name=$1
  shift
  local log=$work/check-$((passed + failed)).log t0
  t0=$(date +%s)
  if "$@" >"$log" 2>&1; then record "$name" $(($(date +%s) - t0)) OK
  else record "$name" $(($(date +%s) - t0)) FAIL "$log"; return 1; fi
}

finish() {
  local total=$((passed + failed))
  {
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    printf '<testsuite name="package" tests="%d" failures="%d" errors="0" skipped="0" time="%d">\n' \
      "$total" "$failed" $(($(date +%s) - t_start))
    cat "$cases"
    echo '</testsuite>'
  } >"$junit"
  echo "package_test: took $(($(date +%s) - t_start)) s; JUnit report: $junit; package: $out"
  echo "package: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

gw_pid=
stop_gw() {
  if [ -n "$gw_pid" ] && kill -0 "$gw_pid" 2>/dev/null; then
    kill -TERM "$gw_pid"
    for _ in $(seq 1 100); do kill -0 "$gw_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$gw_pid" 2>/dev/null && kill -KILL "$gw_pid"
  fi
}
installed_here=0
on_exit() {
  stop_gw
  rm -rf "$work/run"
  # An interrupted or aborted run must not leave the package behind (the next
  # run's preconditions would refuse to start).
  if [ "$installed_here" = 1 ]; then
    echo "package_test: purging the saltgw this run installed"
    dpkg --purge saltgw >/dev/null 2>&1 || true
  fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# Every path the package installs or creates; none may be left after purge.
installed_paths=(/etc/saltgw /etc/saltgw/saltgw.yaml /usr/sbin/saltgw /usr/bin/saltgw-call
                 /usr/share/saltgw /usr/share/saltgw/engines/saltgw_executor.py
                 /usr/share/saltgw/engines/saltgw_function_index.py /usr/share/saltgw/engines/saltgw_job_runtime.py
                 /etc/salt/minion.d/saltgw.conf /var/lib/saltgw /lib/systemd/system/saltgw.service
                 /usr/share/man/man8/saltgw.8.gz /usr/share/man/man1/saltgw-call.1.gz
                 /usr/share/doc/saltgw)

# --- preconditions -------------------------------------------------------------
preconditions() {
  [ "$(id -u)" = 0 ] || { echo "run as root (dpkg -i, apt-get)"; return 1; }
  [ -n "${SALTGW_MINION_CONFIG:-}" ] && [ -f "$SALTGW_MINION_CONFIG" ] ||
    { echo "SALTGW_MINION_CONFIG must name a running sandbox minion's config (see the header)"; return 1; }
  if dpkg-query -W -f='${Status}' saltgw 2>/dev/null | grep -q 'install ok installed'; then
    echo "saltgw is already installed here; this test purges it at the end. Remove it first: dpkg --purge saltgw"
    return 1
  fi
  local left=0
  for p in "${installed_paths[@]}"; do
    if [ -e "$p" ]; then echo "already present before the install: $p"; left=1; fi
  done
  [ "$left" = 0 ]
}
check preconditions preconditions || finish

command -v lintian >/dev/null || apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends lintian >/dev/null 2>&1

# --- build and lint ------------------------------------------------------------
export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-"parallel=2 nocheck"}
# SALTGW_PACKAGE_PREBUILT=1: scripts/test.sh's background lane has already
# run packaging/build-deb.sh into SALTGW_PACKAGE_OUT (its log is build.log there).
build() {
  if [ -n "${SALTGW_PACKAGE_PREBUILT:-}" ]; then
    echo "built beforehand by packaging/build-deb.sh into $out:"; ls -l "$out"
    tail -n 5 "$out/build.log"
    ls "$out"/saltgw_*.deb >/dev/null 2>&1 && [ -f "$out/lintian.txt" ]
  else
    SALTGW_INSTALL_BUILD_DEPS=1 bash packaging/build-deb.sh "$out"
  fi
}
check build build || finish
version=$(sed -n "s/^[[:space:]]*version[[:space:]]*:[[:space:]]*'\([^']*\)'.*/\1/p" meson.build | head -n 1)
arch=$(dpkg --print-architecture)
deb=$out/saltgw_${version}_${arch}.deb
check deb-file-named-from-meson-version test -f "$deb"

lintian_clean() {
  command -v lintian >/dev/null || { echo "lintian is not installed"; return 1; }
  cat "$out/lintian.txt"
  echo "--- $(grep -c '^E:' "$out/lintian.txt") errors, $(grep -c '^W:' "$out/lintian.txt") warnings"
  ! grep -q '^E:' "$out/lintian.txt"
}
check lintian-no-errors lintian_clean
grep -E '^[EW]:' "$out/lintian.txt" | sed 's/^/      lintian: /'

contents() {
  dpkg-deb -c "$deb" >"$work/contents"
  cat "$work/contents"
  for p in ./usr/sbin/saltgw ./usr/bin/saltgw-call ./etc/saltgw/saltgw.yaml ./etc/salt/minion.d/saltgw.conf \
           ./usr/share/saltgw/engines/saltgw_executor.py ./usr/share/saltgw/engines/saltgw_function_index.py \
           ./usr/share/saltgw/engines/saltgw_job_runtime.py \
           ./lib/systemd/system/saltgw.service \
           ./usr/share/man/man8/saltgw.8.gz ./usr/share/man/man1/saltgw-call.1.gz \
           ./usr/share/doc/saltgw/operator-guide.md.gz; do
    grep -q " $p\$" "$work/contents" || { echo "missing from the package: $p"; return 1; }
  done
  dpkg-deb -f "$deb" Depends | grep -qw python3 || { echo "Depends lacks python3"; return 1; }
  dpkg-deb -I "$deb" conffiles | tee /dev/stderr | grep -qx /etc/salt/minion.d/saltgw.conf
}
check package-contents contents

# --- install -------------------------------------------------------------------
sandbox_dir=$(cd "$(dirname "$SALTGW_MINION_CONFIG")/../.." && pwd)
minion_pid_before=$(cat "$sandbox_dir/sandbox.pid" 2>/dev/null || echo none)
install_pkg() {
  apt-get install -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$deb"
}
installed_here=1
check install install_pkg || finish

installed_files() {
  for p in "${installed_paths[@]}"; do [ -e "$p" ] || { echo "not installed: $p"; return 1; }; done
  [ -x /usr/bin/saltgw-call ] || { echo "saltgw-call is not executable"; return 1; }
  [ "$(stat -c %a /var/lib/saltgw)" = 700 ] || { echo "/var/lib/saltgw is $(stat -c %a /var/lib/saltgw), not 700"; return 1; }
  dpkg-query -W -f='${Conffiles}\n' saltgw | grep -q /etc/saltgw/saltgw.yaml
}
check installed-files installed_files

no_minion_restart() {
  echo "debconf: $(debconf-show saltgw 2>&1)"
  local now
  now=$(cat "$sandbox_dir/sandbox.pid" 2>/dev/null || echo none)
  echo "sandbox minion pid before install: $minion_pid_before, after: $now"
  [ "$now" = "$minion_pid_before" ] && kill -0 "$now"
  debconf-show saltgw | grep -q 'saltgw/restart-minion: false'
}
check install-did-not-restart-minion no_minion_restart

check saltgw-version bash -c "/usr/sbin/saltgw --version | tee /dev/stderr | grep -qx 'saltgw $version'"
check saltgw-call-version bash -c "/usr/bin/saltgw-call --version | tee /dev/stderr | grep -qx 'saltgw-call $version'"
check saltgw-check /usr/sbin/saltgw --check --minion-config "$SALTGW_MINION_CONFIG"

# --- run it as the unit would ----------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
mkdir -p "$work/run"
start_gw() {
  local exec_start
  exec_start=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/saltgw.service)
  echo "ExecStart=$exec_start"
  [ "$exec_start" = "/usr/sbin/saltgw --config /etc/saltgw/saltgw.yaml" ] || return 1
  # shellcheck disable=SC2086 # the unit's command line, split as systemd would
  $exec_start --listen "127.0.0.1:$port" --minion-config "$SALTGW_MINION_CONFIG" \
    --secret-file "$work/run/secret" >"$work/run/saltgw.log" 2>&1 &
  gw_pid=$!
  for _ in $(seq 1 200); do
    curl -sf -m 5 "$url/" >/dev/null && break
    kill -0 "$gw_pid" 2>/dev/null || { cat "$work/run/saltgw.log"; return 1; }
    sleep 0.1
  done
  curl -sf -m 5 "$url/" >/dev/null || { cat "$work/run/saltgw.log"; return 1; }
  # Jobs go through once the bus is connected (in the background).
  local deadline=$(($(date +%s) + 30))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    [ "$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X POST "$url/dongle/$(unit)/execute/" \
          -H 'Content-Type: application/json' -d '{"command": "test.ping", "arg": [], "kwarg": {}}')" = 200 ] && break
    sleep 0.2
  done
  cat "$work/run/saltgw.log"
  [ "$(stat -c %a "$work/run/secret")" = 600 ]
}
unit() { curl -s -m 5 "$url/" | python3 -c 'import json, sys; print(json.load(sys.stdin)["unit_id"])'; }
check start-as-exec-start start_gw || { stop_gw; finish; }
unit_id=$(unit)

# expect_json NAME PYTHON_ASSERTION CURL_ARGS...: the body (as `b`) and status
# (as `status`) must satisfy the assertion.
expect_json() {
  local name=$1 assertion=$2
  shift 2
  local body=$work/body-$name
  local status
  status=$(curl -s -m 60 -o "$body" -w '%{http_code}' "$@")
  echo "curl $*"
  echo "-> $status $(head -c 600 "$body")"
  STATUS=$status python3 -c "
import json, os, sys
status = int(os.environ['STATUS'])
b = json.load(open(sys.argv[1]))
assert $assertion, 'assertion failed: ' + sys.argv[2]
" "$body" "$assertion"
}

# The Local API overview's curl examples.
check api-get-root expect_json get-root \
  "status == 200 and b['unit_id'] == '$unit_id'" "$url/"
check api-auth-login expect_json auth-login \
  "status == 200 and b['token'].count('.') == 2 and b['user']['devices'][0]['unit_id'] == '$unit_id'" \
  -X POST "$url/auth/login/"
check api-dongle-devices expect_json devices \
  "status == 200 and b == [{'unit_id': '$unit_id', 'display': 'Local device'}]" "$url/dongle/devices/"
check api-execute-test-ping expect_json execute-ping \
  "status == 200 and b is True" \
  -X POST "$url/dongle/$unit_id/execute/" -H "Content-Type: application/json" \
  -d '{"command": "test.ping", "arg": [], "kwarg": {}}'
# The spec's own cmd.run example passes "-l" as cmd.run's second positional
# argument, cwd, so Salt itself fails it ("Specified cwd '-l' either not
# absolute or does not exist"; salt-call does the same): the answer must be
# the documented 500 function_failed. The one-word form must run.
spec_cmd_run="(status == 200 and isinstance(b, str)) or (status == 500 and b['kind'] == 'function_failed')"
check api-execute-cmd-run-spec-example expect_json execute-cmd-run \
  "$spec_cmd_run" \
  -X POST "$url/dongle/$unit_id/execute/" -H "Content-Type: application/json" \
  -d '{"command": "cmd.run", "arg": ["ls", "-l"], "kwarg": {}}'
check api-execute-cmd-run expect_json execute-cmd-run-ok \
  "status == 200 and isinstance(b, str) and 'total' in b" \
  -X POST "$url/dongle/$unit_id/execute/" -H "Content-Type: application/json" \
  -d '{"command": "cmd.run", "arg": ["ls -l /"], "kwarg": {}}'
check api-execute-raw-spec-example expect_json execute-raw \
  "$spec_cmd_run" \
  -X POST "$url/dongle/$unit_id/execute_raw/" -H "Content-Type: application/json" \
  -d '{"command": "cmd.run ls -l"}'
check api-execute-raw expect_json execute-raw-ok \
  "status == 200 and isinstance(b, str) and 'total' in b" \
  -X POST "$url/dongle/$unit_id/execute_raw/" -H "Content-Type: application/json" \
  -d "{\"command\": \"cmd.run 'ls -l /'\"}"
check api-apn-get expect_json apn-get \
  "status == 200 and isinstance(b, dict) and set(b) <= {'apn', 'user', 'pass', 'pin', 'mtu'}" \
  "$url/dongle/$unit_id/settings/apn/"
check api-wrong-unit-id expect_json wrong-unit \
  "status == 401 and 'error' in b" \
  -X POST "$url/dongle/00000000-0000-4000-8000-000000000000/execute_raw/" -H "Content-Type: application/json" \
  -d '{"command": "test.ping"}'

call_installed() {
  /usr/bin/saltgw-call --url "$url" --timeout 60 test.echo packaged | tee /dev/stderr | grep -qx packaged &&
    { /usr/bin/saltgw-call --url "$url" --timeout 60 state.sls gwfail; [ $? = 1 ]; }
}
check saltgw-call-installed call_installed

stop_cleanly() {
  kill -TERM "$gw_pid"
  wait "$gw_pid"
  local rc=$?
  gw_pid=
  tail -n 5 "$work/run/saltgw.log"
  [ "$rc" = 0 ]
}
check stop-sigterm-exit-0 stop_cleanly

# --- purge ---------------------------------------------------------------------
check purge dpkg --purge saltgw
installed_here=0
nothing_left() {
  local left=0
  for p in "${installed_paths[@]}"; do
    if [ -e "$p" ]; then echo "left after purge: $p"; left=1; fi
  done
  if dpkg-query -W saltgw >/dev/null 2>&1 && [ -n "$(dpkg-query -W -f='${Status}' saltgw 2>/dev/null | grep -v not-installed)" ]; then
    echo "dpkg still knows saltgw: $(dpkg-query -W -f='${Status}' saltgw)"; left=1
  fi
  if debconf-show saltgw 2>/dev/null | grep -q .; then echo "debconf answers left: $(debconf-show saltgw)"; left=1; fi
  [ "$left" = 0 ]
}
check purge-leaves-nothing nothing_left

finish
