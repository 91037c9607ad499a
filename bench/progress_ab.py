"""A/B of streamed state progress: two saltgw binaries against one minion.

    progress_ab.py --a BIN_A --b BIN_B --minion-config PATH [--runs N]

Starts both binaries (dispatch engine) against the same minion and runs the
8-state streamed state.sls (gwmulti) alternately through A and B, first with
the machine otherwise idle, then with every core kept busy by stress-ng, then
with the cores busy and the minion's event bus flooded (FLOOD processes
firing 1 MB events on it as fast as the minion takes them), which puts the
minion's event publisher behind, as on a busy device. For
each run it notes the time to the first progress line, to the result line,
and how many progress lines came before the result. Prints a markdown table
(median and max per side and condition). A measurement, not a test.
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import requests


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gateway:
    def __init__(self, binary, minion_config, tmp):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(tmp, f"saltgw-{self.port}.log"), "wb")
        self.proc = subprocess.Popen(
            [binary, "--minion-config", minion_config, "--listen", f"127.0.0.1:{self.port}",
             "--dispatch", "engine", "--secret-file", os.path.join(tmp, f"secret-{self.port}"),
             "--log-level", "warning"], stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        while True:
            try:
                self.unit = requests.get(self.url + "/", timeout=1).json()["unit_id"]
                if requests.post(f"{self.url}/dongle/{self.unit}/execute/", json={"command": "test.ping"},
                                 timeout=10).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"{binary} did not start")
            time.sleep(0.1)

    def run(self):
        t0 = time.monotonic()
        first, progress, result = None, 0, None
        with requests.post(f"{self.url}/dongle/{self.unit}/execute/",
                           json={"command": "state.sls", "arg": ["gwmulti"], "kwarg": {"queue": True}},
                           headers={"Accept": "application/x-ndjson"}, stream=True, timeout=120) as r:
            for raw in r.iter_lines():
                if not raw:
                    continue
                kind = json.loads(raw)["type"]
                if kind == "progress":
                    progress += 1
                    if first is None:
                        first = time.monotonic() - t0
                elif kind in ("result", "error"):
                    result = time.monotonic() - t0
        return first, result, progress

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()


FLOOD = 4
FLOOD_SCRIPT = """
import sys, salt.config, salt.utils.event
opts = salt.config.minion_config(sys.argv[1])
with salt.utils.event.get_event("minion", sock_dir=opts["sock_dir"], opts=opts, listen=False) as ev:
    pad = "x" * 1000000
    while True:
        ev.fire_event({"pad": pad}, "saltgw/bench/flood")
"""


def flood(minion_config):
    return [subprocess.Popen([sys.executable, "-c", FLOOD_SCRIPT, minion_config], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True) for _ in range(FLOOD)]


def summary(rows):
    firsts = [f for f, _, _ in rows if f is not None]
    results = [r for _, r, _ in rows]
    full = sum(1 for _, _, p in rows if p == 8)
    fmt = lambda xs, f: f"{f(xs) * 1000:.0f}" if xs else "-"  # noqa: E731
    return (f"{fmt(firsts, statistics.median)} | {fmt(firsts, max)} | {fmt(results, statistics.median)} | "
            f"{fmt(results, max)} | {full}/{len(rows)} | {sum(p for _, _, p in rows) / len(rows):.1f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--a", required=True)
    ap.add_argument("--b", required=True)
    ap.add_argument("--minion-config", required=True)
    ap.add_argument("--runs", type=int, default=20)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="progress-ab-")
    gws = {"A": Gateway(a.a, a.minion_config, tmp), "B": Gateway(a.b, a.minion_config, tmp)}
    out = ["| condition | build | first progress p50 ms | max ms | result p50 ms | max ms | runs with all 8 progress lines | progress lines per run (mean) |",
           "|---|---|---|---|---|---|---|---|"]
    try:
        for condition in ("idle", "2 cores busy (stress-ng --cpu 2)", f"2 cores busy + bus flood ({FLOOD} x 1 MB events)"):
            load, flooding = None, []
            if "flood" in condition:
                flooding = flood(a.minion_config)
            if condition != "idle":
                load = subprocess.Popen(["stress-ng", "--cpu", str(os.cpu_count() or 2), "--timeout", "600s",
                                         "--quiet"], start_new_session=True)
                time.sleep(1)
            rows = {"A": [], "B": []}
            for _ in range(a.runs):
                for side in ("A", "B"):  # alternate
                    rows[side].append(gws[side].run())
            for p in flooding + ([load] if load else []):
                os.killpg(p.pid, 15)
                p.wait(10)
            for side in ("A", "B"):
                out.append(f"| {condition} | {side} | {summary(rows[side])} |")
    finally:
        for g in gws.values():
            g.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("\n".join(out))


if __name__ == "__main__":
    sys.exit(main())
