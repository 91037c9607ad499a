#!/usr/bin/env python3
"""The executor engine's PSS after state runs, measured in a sandbox minion.

    python bench/statemem.py [--venv V] [--at-a-time 4] [--batches 40 120]

Starts a sandbox minion with this tree's engine, asks for the function list
(as saltgw does at its start), rests 2 s and prints the engine's PSS; then
for each batch runs that many `state.sls gwtest queue=True` (N at a time,
straight to the engine's socket, as saltgw's engine dispatch does), rests
3 s and prints the PSS again. Memory, not time: the figures are absolute.
"""
import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import threading
import time

import msgpack
import zmq

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import footprint  # noqa: E402

_ids = itertools.count(1)
_ids_lock = threading.Lock()


def call(sock, fun, arg=(), kwarg=None):
    with _ids_lock:
        n = next(_ids)
    sock.send(msgpack.packb({"op": "run", "id": str(n), "jid": f"2026{n:016d}", "fun": fun,
                             "arg": list(arg), "kwarg": kwarg or {}}))
    return msgpack.unpackb(sock.recv(), raw=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--venv", default="/var/cache/saltgw/venvs/salt-3006.23")
    ap.add_argument("--at-a-time", type=int, default=4)
    ap.add_argument("--batches", type=int, nargs="+", default=[40, 120])
    a = ap.parse_args()
    py = os.path.join(a.venv, "bin", "python")
    sandbox = os.path.join(ROOT, "tests", "sandbox", "sandbox_minion.py")
    d = os.path.join(tempfile.mkdtemp(prefix="saltgw-statemem."), "minion")
    subprocess.run([py, sandbox, "start", d, "--engine"], check=True, capture_output=True)
    ctx = zmq.Context()
    try:
        path = os.path.join(d, "run", "minion", "saltgw.ipc")
        deadline = time.monotonic() + 60
        while not os.path.exists(path):
            if time.monotonic() > deadline:
                raise SystemExit(f"no engine socket; see {d}/log/minion")
            time.sleep(0.1)
        main_sock = ctx.socket(zmq.DEALER)
        main_sock.connect(f"ipc://{path}")
        main_sock.send(msgpack.packb({"op": "functions", "id": "list"}))
        main_sock.recv()
        time.sleep(2)
        engine = footprint.engine_pid(int(open(os.path.join(d, "sandbox.pid")).read()))
        print(f"engine PSS idle, after the function list: {footprint.pss_kb(engine) / 1024:.1f} MB")
        failures = []

        def client(runs):
            sock = ctx.socket(zmq.DEALER)
            sock.connect(f"ipc://{path}")
            for _ in range(runs):
                reply = call(sock, "state.sls", ["gwtest"], {"queue": True})
                if reply.get("retcode") != 0:
                    failures.append(reply)
            sock.close(0)

        total = 0
        for batch in a.batches:
            threads = [threading.Thread(target=client, args=(batch // a.at_a_time,))
                       for _ in range(a.at_a_time)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            total += batch // a.at_a_time * a.at_a_time
            time.sleep(3)
            print(f"engine PSS after {total} state runs ({a.at_a_time} at a time) and 3 s of rest: "
                  f"{footprint.pss_kb(engine) / 1024:.1f} MB")
        main_sock.close(0)
        for reply in failures[:3]:
            print("failed:", reply)
        if failures:
            raise SystemExit(f"{len(failures)} state runs failed")
    finally:
        ctx.term()
        subprocess.run([py, sandbox, "stop", d], capture_output=True)


if __name__ == "__main__":
    main()
