#!/usr/bin/env python3
"""saltgw under qemu-user beside native amd64, in one run (scripts/bench-arm.sh).

For each binary -- the native amd64 build, and the arm64 and armhf saltgw of
the packages in build-deb/ run under qemu-aarch64 / qemu-arm -- starts saltgw
with dispatch engine against one sandbox minion (with the executor engine)
and measures, with wrk at 8 connections for --seconds each:

  * GET /                     (saltgw alone: HTTP, routing, JSON)
  * POST execute test.ping    (saltgw plus the engine round trip)

and the CPU time saltgw (for the emulated ones: the qemu process running it)
used per request, from /proc/<pid>/stat before and after. Prints one
markdown table. Figures are measurements, not pass/fail assertions.

What they mean: how much slower the same code is when every ARM
instruction is translated on this amd64 CPU. What they do not mean: how fast
a board is. A Cortex-A72 runs ARM code natively, at a different clock, with
different caches and memory; qemu-user also runs system calls natively and
has its own cost profile (atomics and thread switches are dear under
emulation). Only a run on a device says what a device does.
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def wrk(url, seconds, script=None):
    args = ["wrk", "-t", "2", "-c", "8", "-d", f"{seconds}s", "--latency"]
    if script:
        args += ["-s", script]
    out = subprocess.run(args + [url], capture_output=True, text=True, timeout=seconds + 60).stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = sum(int(x) for x in re.findall(r"(?:Non-2xx or 3xx responses|Socket errors:.*?timeout) (\d+)", out))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}
    return total, errors, float(p50.group(1)) * scale[p50.group(2)] if p50 else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", required=True, help="the Salt venv's python (sandbox minion)")
    ap.add_argument("--amd64", required=True, help="native saltgw")
    ap.add_argument("--arm", action="append", default=[], help="ARCH=QEMU:PATH of an unpacked package's saltgw")
    ap.add_argument("--seconds", type=int, default=10)
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="saltgw-armbench.")
    sandbox = os.path.join(tmp, "sandbox")
    minion_config = subprocess.run([a.python, os.path.join(ROOT, "tests/sandbox/sandbox_minion.py"), "start",
                                    sandbox, "--engine"], capture_output=True, text=True, check=True).stdout.strip()
    lua = os.path.join(tmp, "ping.lua")
    rows = []
    try:
        binaries = [("amd64 (native)", [a.amd64])]
        for spec in a.arm:
            arch, rest = spec.split("=", 1)
            q, path = rest.split(":", 1)
            binaries.append((f"{arch} (under {q})", [q, path]))
        for name, cmd in binaries:
            port = free_port()
            log = open(os.path.join(tmp, f"saltgw-{port}.log"), "wb")
            p = subprocess.Popen(cmd + ["--minion-config", minion_config, "--listen", f"127.0.0.1:{port}",
                                        "--dispatch", "engine", "--secret-file", os.path.join(tmp, "secret")],
                                 stdout=log, stderr=log)
            url = f"http://127.0.0.1:{port}"
            deadline = time.time() + 60
            unit = None
            while time.time() < deadline and unit is None:
                try:
                    with urllib.request.urlopen(url + "/", timeout=2) as r:
                        unit = json.load(r)["unit_id"]
                except OSError:
                    time.sleep(0.2)
            if unit is None:
                raise RuntimeError(f"{name}: saltgw did not answer")
            with open(lua, "w") as f:
                f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                        'wrk.body = \'{"command": "test.ping"}\'\n')
            for label, path, script in (("GET /", "/", None),
                                        ("execute test.ping", f"/dongle/{unit}/execute/", lua)):
                wrk(url + path, 2, script)  # warm up
                before = cpu_seconds(p.pid)
                total, errors, p50 = wrk(url + path, a.seconds, script)
                used = cpu_seconds(p.pid) - before
                rows.append((name, label, total / a.seconds, p50, used * 1e6 / max(total, 1), errors))
                print(f"{name:22} {label:18} {total / a.seconds:10,.0f} req/s  p50 {p50:7.2f} ms  "
                      f"{used * 1e6 / max(total, 1):8.1f} us CPU/request  errors {errors}", flush=True)
            p.terminate()
            p.wait(20)
    finally:
        subprocess.run([a.python, os.path.join(ROOT, "tests/sandbox/sandbox_minion.py"), "stop", sandbox],
                       capture_output=True)
    print()
    print(f"| binary | request | req/s @8 | p50 ms @8 | saltgw CPU us/request | errors |")
    print("|---|---|---|---|---|---|")
    for name, label, rps, p50, cpu, err in rows:
        print(f"| {name} | {label} | {rps:,.0f} | {p50:.2f} | {cpu:.1f} | {err} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
