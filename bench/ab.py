#!/usr/bin/env python3
"""A/B of two saltgw builds, each with its own revision's executor engine,
alternated round by round in one run (started by scripts/bench-ab.sh).

Each side gets a sandbox minion started by its own revision's
tests/sandbox/sandbox_minion.py (so it runs that revision's engine) and its
saltgw with dispatch engine. Every round measures, on each side in turn
(the side that goes first alternates):

  * engine test.ping p50, bare ZeroMQ (pyzmq DEALER straight to the engine);
  * engine test.ping p50 through saltgw (wrk, 1 connection);
  * test.ping req/s at 8 clients (wrk, 8 connections);
  * state.sls gwtest p50 through saltgw (wrk, 1 connection);
  * GET / req/s at 64 connections;
  * unknown-function refusal p50 (sequential POSTs on one connection).

Prints one markdown table: the median of the rounds per side, new/old, and
each side's spread (min-max). Figures are measurements, not assertions.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run_bench  # noqa: E402

METRICS = [  # key, label, unit, higher is better
    ("zmq_p50", "engine test.ping p50, bare ZeroMQ", "ms", False),
    ("ping_p50", "engine test.ping p50 through saltgw", "ms", False),
    ("ping_rps8", "test.ping req/s, 8 clients", "req/s", True),
    ("state_p50", "engine state.sls gwtest p50 through saltgw", "ms", False),
    ("get_rps64", "GET / req/s, 64 connections", "req/s", True),
    ("unknown_p50", "unknown function refused, p50", "ms", False),
]


class Side:
    def __init__(self, name, label, src, binary, venv, tmp):
        self.name, self.label, self.src = name, label, src
        self.py = os.path.join(venv, "bin", "python")
        self.sandbox = os.path.join(tmp, f"minion-{name}")
        self.script = os.path.join(src, "tests", "sandbox", "sandbox_minion.py")
        config = subprocess.run([self.py, self.script, "start", self.sandbox, "--engine"],
                                capture_output=True, text=True, check=True).stdout.strip()
        self.sock_dir = os.path.join(self.sandbox, "run", "minion")
        self.gw = run_bench.Saltgw(binary, config, "engine", tmp)
        self.runs = {k: [] for k, *_ in METRICS}

    def measure(self, secs):
        url = self.gw.url
        ping = {"command": "test.ping", "arg": [], "kwarg": {}}
        execute = f"{url}/dongle/{self.gw.unit}/execute/"
        self.runs["zmq_p50"].append(run_bench.pct(run_bench.zmq_rtt(self.sock_dir, 1000), 50))
        self.runs["ping_p50"].append(run_bench.wrk(execute, 1, secs, ping, threads=1)["p50"])
        self.runs["ping_rps8"].append(run_bench.wrk(execute, 8, secs, ping)["rps"])
        time.sleep(1)  # jobs wrk left in flight drain
        state = {"command": "state.sls", "arg": ["gwtest"], "kwarg": {"queue": True}}
        self.runs["state_p50"].append(run_bench.wrk(execute, 1, secs, state, threads=1)["p50"])
        time.sleep(1)
        self.runs["get_rps64"].append(run_bench.wrk(url + "/", 64, secs)["rps"])
        times, statuses = run_bench.unknown_function_ms(url, self.gw.unit, 300)
        assert statuses == {400}, statuses
        self.runs["unknown_p50"].append(run_bench.pct(times, 50))

    def stop(self):
        self.gw.stop()
        subprocess.run([self.py, self.script, "stop", self.sandbox], capture_output=True)


def table(old, new, rounds, secs):
    lines = [f"old: {old.label}; new: {new.label}; {rounds} rounds alternated, {secs} s per wrk run.", "",
             "| measure | old (median) | new (median) | new / old | old min-max | new min-max |",
             "|---|---|---|---|---|---|"]
    for key, label, unit, _ in METRICS:
        o, n = old.runs[key], new.runs[key]
        if not o or not n:
            continue
        mo, mn = statistics.median(o), statistics.median(n)
        fmt = (lambda v: f"{v:,.0f}") if unit == "req/s" else (lambda v: f"{v:.3f}")
        lines.append(f"| {label} ({unit}) | {fmt(mo)} | {fmt(mn)} | {mn / mo:.2f} | "
                     f"{fmt(min(o))}-{fmt(max(o))} | {fmt(min(n))}-{fmt(max(n))} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", nargs=3, metavar=("LABEL", "SRC", "SALTGW"), required=True)
    ap.add_argument("--new", nargs=3, metavar=("LABEL", "SRC", "SALTGW"), required=True)
    ap.add_argument("--venv", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--out", help="also write the table to this file")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="saltgw-ab.")
    sides = []
    try:
        for name, (label, src, binary) in (("old", a.old), ("new", a.new)):
            sides.append(Side(name, label, src, binary, a.venv, tmp))
        for r in range(a.rounds):
            for side in (sides if r % 2 == 0 else sides[::-1]):
                print(f"round {r + 1}/{a.rounds}: {side.name} ...", file=sys.stderr)
                side.measure(a.seconds)
    finally:
        for side in sides:
            side.stop()
    text = table(sides[0], sides[1], a.rounds, a.seconds)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
