#!/usr/bin/env bash
# Builds saltgw and runs it for real on this machine.
#
# With a minion on the machine (/etc/salt/minion and its bus sockets), saltgw
# serves it. Without one, a sandbox minion (real salt-minion from the Salt
# virtual environment, in .sandbox/) is started first and stopped on exit.
#
#   SALTGW_LISTEN   address to serve on (default 127.0.0.1:9000)
#   SALTGW_ARGS     extra saltgw flags
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
listen=${SALTGW_LISTEN:-127.0.0.1:9000}

venv=$(bash scripts/deps.sh | tail -n 1)
# Only the daemon (not every test and fuzz binary), with the build's progress.
SALTGW_BUILD_PROGRESS=1 bash scripts/build.sh gateway/saltgw >&2

minion_config=/etc/salt/minion
sandbox=
if [ -n "${SALTGW_MINION_CONFIG:-}" ]; then
  minion_config=$SALTGW_MINION_CONFIG
elif ! { [ -r /etc/salt/minion ] && ls /var/run/salt/minion/minion_event_*_pull.ipc >/dev/null 2>&1; }; then
  sandbox=$here/.sandbox/run
  echo "run: no minion running on this machine; starting the sandbox minion in $sandbox" >&2
  minion_config=$("$venv/bin/python" tests/sandbox/sandbox_minion.py start "$sandbox" --engine)
  trap '"$venv/bin/python" tests/sandbox/sandbox_minion.py stop "$sandbox"' EXIT
fi
mkdir -p "$here/.sandbox"
secret=$here/.sandbox/secret
[ -n "$sandbox" ] || secret=/var/lib/saltgw/secret

port=${listen##*:}
host=${listen%:*}
case "$host" in 0.0.0.0|'[::]'|::) host=127.0.0.1 ;; esac
echo "run: starting saltgw on $listen (Ctrl-C stops it)..." >&2
# shellcheck disable=SC2086
"${SALTGW_BUILDDIR:-build}"/gateway/saltgw --minion-config "$minion_config" --listen "$listen" \
  --log-root "${SALTGW_LOG_ROOT:-/var/log}" --secret-file "$secret" ${SALTGW_ARGS:-} &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; [ -n "$sandbox" ] && "$venv/bin/python" tests/sandbox/sandbox_minion.py stop "$sandbox"' EXIT INT TERM
for _ in $(seq 1 150); do
  curl -s -o /dev/null "http://$host:$port/" && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.2
done
if ! kill -0 $pid 2>/dev/null; then
  wait $pid; rc=$?
  echo "run: saltgw exited ($rc) before it answered; see its messages above" >&2
  exit "$rc"
fi
cat >&2 <<MSG

saltgw is up. Open the configuration page in a browser:

  http://$host:$port/

(from a phone on the device's hotspot: http://<the device's address>:$port/). Or try curl:
  curl http://$host:$port/
  curl -X POST http://$host:$port/dongle/\$(curl -s http://$host:$port/ | sed 's/.*"unit_id":"\([^"]*\)".*/\1/')/execute/ \\
       -H 'Content-Type: application/json' -d '{"command": "test.ping", "arg": [], "kwarg": {}}'

MSG
wait $pid
