#!/usr/bin/env python3
"""Peak memory of saltgw for one large job result (standalone benchmark).

Starts a sandbox minion with the executor engine, then for each saltgw binary
given (alternated over --runs rounds, a fresh process each time) asks for a
`cmd.run` whose output is a known SIZE bytes of text (lines with quotes and
backslashes, so the JSON has escapes), as a plain synchronous JSON answer, and
reports, for each kind of answer asked for (--paths: the synchronous JSON
answer, the NDJSON stream, the jobs route):

- the peak RSS growth of saltgw: VmHWM (/proc/PID/status) after the answer
  minus VmHWM before the request, and that growth over SIZE;
- whether the body is byte for byte the expected JSON (sha256 of the body
  against the sha256 of the JSON text computed here from the expected output).

    python bench/large_result.py --venv VENV --saltgw new=build/gateway/saltgw \
        [--saltgw old=/path/to/old/saltgw] [--runs 3] [--size 20000000] [--paths sync,ndjson,job]

Prints a Markdown table (one row per run, then the median of each build) and
exits 1 when an answer was not byte for byte right.
"""
import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from run_bench import Saltgw, rss_kb  # noqa: E402  (same folder)

LINE = 'saltgw "large" result \\ line'  # as the shell prints it: quotes, a backslash


def command(size):
    # Single quotes keep the backslash; `yes` repeats the line with "\n".
    return f"yes '{LINE}' | head -c {size}"


def expected_text(size):
    text = (LINE + "\n") * (size // (len(LINE) + 1) + 1)
    return text[:size].rstrip()  # cmd.run strips trailing whitespace


def expected_json(size):
    # ASCII text with ", \ and \n only: json.dumps escapes exactly as saltgw.
    return json.dumps(expected_text(size)).encode()


def fetch(url, body=None, timeout=300):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, dict(r.headers), r.read()


def exact(path, status, headers, body, want):
    """Whether the answer of `path` carries the expected JSON byte for byte."""
    if status != 200:
        return False
    if path == "sync":
        return hashlib.sha256(body).digest() == hashlib.sha256(want).digest()
    if path == "ndjson":
        lines = body.split(b"\n")
        jid = json.loads(lines[0])["jid"].encode()
        line = b'{"jid":"' + jid + b'","retcode":0,"return":' + want + b',"success":true,"type":"result"}'
        return lines[-1] == b"" and hashlib.sha256(lines[-2]).digest() == hashlib.sha256(line).digest()
    i = body.find(b',"return":') + len(b',"return":')  # job
    return (hashlib.sha256(body[i:i + len(want)]).digest() == hashlib.sha256(want).digest()
            and body[i + len(want):].startswith(b',"started":'))


def measure(binary, minion_config, tmp, size, want, path):
    """One fresh saltgw, one request (`job`: the synchronous answer, then the
    jobs route's view of it)."""
    g = Saltgw(binary, minion_config, "engine", tmp)
    try:
        before = rss_kb(g.proc.pid, "VmHWM")
        job = {"command": "cmd.run", "arg": [command(size)], "kwarg": {"python_shell": True}}
        url = f"{g.url}/dongle/{g.unit}/execute/" + ("?stream=1" if path == "ndjson" else "")
        t = time.perf_counter()
        status, headers, body = fetch(url, job)
        if path == "job" and status == 200:
            status, headers, body = fetch(f"{g.url}/dongle/{g.unit}/jobs/{headers['X-Salt-Jid']}")
        ms = (time.perf_counter() - t) * 1000
        after = rss_kb(g.proc.pid, "VmHWM")
    finally:
        g.stop()
    return {"status": status, "bytes": len(body), "ms": ms, "hwm_before": before, "hwm_after": after,
            "growth_mb": (after - before) * 1024 / 1e6, "ratio": (after - before) * 1024 / size,
            "exact": exact(path, status, headers, body, want)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--saltgw", action="append", required=True, help="LABEL=PATH or PATH (repeatable)")
    ap.add_argument("--venv", required=True)
    ap.add_argument("--size", type=int, default=20_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--paths", default="sync",
                    help="comma-separated: sync (the synchronous JSON answer), ndjson (?stream=1), "
                         "job (sync, then GET .../jobs/<jid>)")
    a = ap.parse_args()
    builds = [s.split("=", 1) if "=" in s else [os.path.basename(os.path.dirname(os.path.dirname(s))) or s, s]
              for s in a.saltgw]
    py = os.path.join(a.venv, "bin", "python")
    tmp = tempfile.mkdtemp(prefix="saltgw-large.")
    sandbox = os.path.join(tmp, "minion")
    minion_config = subprocess.run([py, os.path.join(ROOT, "tests/sandbox/sandbox_minion.py"), "start", sandbox,
                                    "--engine"], capture_output=True, text=True, check=True).stdout.strip()
    want = expected_json(a.size)
    paths = a.paths.split(",")
    results = {(label, path): [] for path in paths for label, _ in builds}
    ok = True
    try:
        print(f"{a.size:,}-byte `cmd.run` result through the engine ({len(want):,} bytes of JSON)\n")
        print("| build | answer | run | HTTP | body bytes | byte for byte | VmHWM before | VmHWM after | growth | "
              "growth / result | time |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for run in range(1, a.runs + 1):
            for path in paths:
                for label, binary in builds:
                    m = measure(binary, minion_config, tmp, a.size, want, path)
                    results[(label, path)].append(m)
                    ok = ok and m["exact"] and m["status"] == 200
                    print(f"| {label} | {path} | {run} | {m['status']} | {m['bytes']:,} | {'yes' if m['exact'] else 'NO'} | "
                          f"{m['hwm_before'] / 1024:.1f} MB | {m['hwm_after'] / 1024:.1f} MB | {m['growth_mb']:.1f} MB | "
                          f"{m['ratio']:.2f}x | {m['ms']:.0f} ms |", flush=True)
        print()
        for (label, path), rs in results.items():
            runs = ", ".join("%.2fx" % r["ratio"] for r in rs)
            print(f"- {label}, {path}: median peak RSS growth {statistics.median(r['growth_mb'] for r in rs):.1f} MB, "
                  f"{statistics.median(r['ratio'] for r in rs):.2f}x the result (runs: {runs})")
    finally:
        subprocess.run([py, os.path.join(ROOT, "tests/sandbox/sandbox_minion.py"), "stop", sandbox])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
