#!/usr/bin/env python3
"""Soak test: mixed traffic against saltgw and a real sandbox minion for a set
time, with a bounded number of requests, then checks that nothing was lost
or mixed up and that saltgw did not grow.

    soak.py --saltgw BIN --venv VENV [--minutes 10] [--max-requests N] [--report FILE]

Starts its own sandbox minion (with the executor engine) and two saltgw
instances (dispatch engine and schedule). Workers send, at random:
execute (test.echo with a unique token, through each dispatch), execute_raw,
APN GET/PUT, download_log, SSE connect/read/disconnect, streamed execute cut
off mid-job, bad requests (malformed JSON, bad unit id, traversal). Every
accepted job must come back with exactly its own token and a unique jid.
At the end: RSS and open descriptors of each saltgw (after warm-up vs end),
leftover schedule entries on the minion, and counts by kind. Exits 1 on any
lost or mismatched answer, growth beyond tolerance, or leftover entries.
"""
import argparse
import collections
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status(pid, field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class Gw:
    def __init__(self, binary, minion_config, dispatch, tmp, log_root):
        self.dispatch = dispatch
        cfg = f"{tmp}/saltgw-{dispatch}.yaml"
        # Remember every job of the run, so that cut-off streams can be
        # checked at the end; generous limits so that only real faults fail.
        with open(cfg, "w") as f:
            f.write("jobs_keep_count: 100000\nmax_jobs: 256\nmax_jobs_per_client: 64\n")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([binary, "--minion-config", minion_config, "--listen", f"127.0.0.1:{self.port}",
                                      "--dispatch", dispatch, "--secret-file", f"{tmp}/secret-{dispatch}",
                                      "--log-root", log_root, "--log-level", "warning", "--config", cfg],
                                     stdout=subprocess.DEVNULL, stderr=open(f"{tmp}/saltgw-{dispatch}.log", "wb"))
        for _ in range(300):
            try:
                self.unit = requests.get(self.url + "/", timeout=1).json()["unit_id"]
                break
            except requests.RequestException:
                time.sleep(0.05)
        for _ in range(300):
            if requests.post(f"{self.url}/dongle/{self.unit}/execute/", json={"command": "test.ping"}).status_code == 200:
                break
            time.sleep(0.1)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = collections.Counter()
        self.outcomes = collections.Counter()
        self.problems = []
        self.jids = set()
        self.total = 0

    def count(self, kind, outcome):
        with self.lock:
            self.requests[kind] += 1
            self.outcomes[f"{kind}: {outcome}"] += 1
            self.total += 1

    def problem(self, text):
        with self.lock:
            self.problems.append(text)

    def jid(self, jid, kind, gateway):
        # jids are unique per saltgw (two processes may draw the same
        # microsecond, as two Salt masters may).
        with self.lock:
            if (gateway, jid) in self.jids:
                self.problems.append(f"{kind}: jid {jid} seen twice from saltgw ({gateway})")
            self.jids.add((gateway, jid))


def one(gws, stats, rng):
    g = rng.choice(gws)
    u = f"{g.url}/dongle/{g.unit}"
    kind = rng.choices(["execute", "execute_raw", "apn_get", "apn_put", "log", "sse", "stream_cut", "bad", "abuse"],
                       weights=[40, 15, 8, 4, 8, 5, 5, 15, 6])[0]
    kind_label = f"{kind}[{g.dispatch}]" if kind in ("execute", "execute_raw", "stream_cut") else kind
    try:
        if kind == "execute":
            token = uuid.uuid4().hex
            r = requests.post(f"{u}/execute/", json={"command": "test.echo", "arg": [token]}, timeout=120)
            if r.status_code == 200:
                if r.json() != token:
                    stats.problem(f"execute: sent {token}, got {r.text[:80]}")
                stats.jid(r.headers.get("X-Salt-Jid"), kind, g.dispatch)
            stats.count(kind_label, r.status_code)
        elif kind == "execute_raw":
            token = uuid.uuid4().hex
            r = requests.post(f"{u}/execute_raw/", json={"command": f"test.arg {token} k={token}"}, timeout=120)
            if r.status_code == 200:
                body = r.json()
                if body["args"] != [token] or body["kwargs"].get("k") != token:
                    stats.problem(f"execute_raw: sent {token}, got {r.text[:120]}")
                stats.jid(r.headers.get("X-Salt-Jid"), kind, g.dispatch)
            stats.count(kind_label, r.status_code)
        elif kind == "apn_get":
            r = requests.get(f"{u}/settings/apn/", timeout=60)
            if r.status_code == 200 and r.json() and set(r.json()) != {"apn", "user", "pass", "pin", "mtu"}:
                stats.problem(f"apn_get: {r.text[:100]}")
            stats.count(kind, r.status_code)
        elif kind == "apn_put":
            body = {"apn": "soak", "user": "u", "pass": "p", "pin": "1234", "mtu": rng.randint(500, 1500)}
            r = requests.put(f"{u}/settings/apn/", json=body, timeout=60)
            stats.count(kind, r.status_code)
        elif kind == "log":
            r = requests.get(f"{g.url}/download_log/?file=" + rng.choice(["syslog", "../etc/passwd", "nope"]), timeout=30)
            stats.count(kind, r.status_code)
        elif kind == "sse":
            with requests.get(f"{u}/events", stream=True, timeout=10) as r:
                next(r.iter_lines())
            stats.count(kind, r.status_code)
        elif kind == "stream_cut":
            r = requests.post(f"{u}/execute/?stream=1", json={"command": "test.sleep", "arg": [1]}, stream=True, timeout=60)
            first = json.loads(next(r.iter_lines()))
            r.close()
            stats.jid(first["jid"], kind, g.dispatch)
            stats.count(kind_label, "cut")
            return ("job", g, first["jid"])
        elif kind == "abuse":
            # What the connection gate stands for: an unknown method with a body,
            # too many header fields, a malformed head (a bad HTTP version, a
            # Content-Length that is no number), a request line that stops halfway.
            choice = rng.randrange(5)
            host, port = g.url.split("//")[1].split(":")
            with socket.create_connection((host, int(port)), timeout=10) as s:
                if choice == 0:
                    s.sendall(b"QUERY / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
                    want = b" 501 "
                elif choice == 1:
                    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n" +
                              b"".join(b"X-%d: v\r\n" % i for i in range(100)) + b"\r\n")
                    want = b" 431 "
                elif choice == 2:
                    s.sendall(b"GET / HTTP/2.0\r\nHost: x\r\n\r\n")
                    want = b" 505 "
                elif choice == 3:
                    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n{}")
                    want = b" 400 "
                else:
                    s.sendall(b"GET /dongle/")
                    stats.count("abuse[half]", "closed by client")
                    return None
                head = s.recv(4096)
                if want not in head.split(b"\r\n", 1)[0] or b"application/json" not in head:
                    stats.problem(f"abuse {choice}: answered {head[:60]!r}")
                label = ["method", "headers", "version", "content-length"][choice]
                stats.count(f"abuse[{label}]", int(head.split()[1]) if head else "eof")
        else:
            choice = rng.randrange(4)
            if choice == 0:
                r = requests.post(f"{u}/execute/", data=b'{"command": ', headers={"Content-Type": "application/json"})
            elif choice == 1:
                r = requests.post(f"{g.url}/dongle/3f1d2c4b-0000-4000-8000-000000000001/execute/", json={"command": "test.ping"})
            elif choice == 2:
                r = requests.post(f"{u}/execute/", json={"command": "test.ping", "arg": "nope"})
            else:
                r = requests.get(f"{g.url}/no/such/route")
            if r.status_code < 400 or "error" not in r.json():
                stats.problem(f"bad request answered {r.status_code} {r.text[:80]}")
            stats.count("bad", r.status_code)
    except (requests.RequestException, OSError) as exc:
        stats.count(kind_label, f"client error {type(exc).__name__}")
        stats.problem(f"{kind_label}: {exc!r}")
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--saltgw", required=True)
    ap.add_argument("--venv", required=True)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--max-requests", type=int, default=200000)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--report")
    a = ap.parse_args()
    py = os.path.join(a.venv, "bin", "python")
    tmp = tempfile.mkdtemp(prefix="saltgw-soak.")
    logs = os.path.join(tmp, "logs")
    os.makedirs(logs)
    open(os.path.join(logs, "syslog"), "w").write("soak\n" * 1000)
    sandbox = os.path.join(tmp, "minion")
    conf = subprocess.run([py, f"{ROOT}/tests/sandbox/sandbox_minion.py", "start", sandbox, "--engine"],
                          capture_output=True, text=True, check=True).stdout.strip()
    gws = [Gw(a.saltgw, conf, "engine", tmp, logs), Gw(a.saltgw, conf, "schedule", tmp, logs)]
    stats = Stats()
    pending_jobs = []
    stop_at = time.time() + a.minutes * 60
    warm_at = time.time() + min(30, a.minutes * 60 / 10)
    warm = {}
    try:
        def worker(seed):
            rng = random.Random(seed)
            while time.time() < stop_at and stats.total < a.max_requests:
                out = one(gws, stats, rng)
                if out:
                    with stats.lock:
                        pending_jobs.append(out)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(a.workers)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            if not warm and time.time() >= warm_at:
                warm = {g.dispatch: (status(g.proc.pid, "VmRSS"), fds(g.proc.pid)) for g in gws}
            time.sleep(1)
        for t in threads:
            t.join()
        if not warm:
            warm = {g.dispatch: (status(g.proc.pid, "VmRSS"), fds(g.proc.pid)) for g in gws}
        # Jobs whose client went away must have finished and be retrievable.
        for _, g, jid in pending_jobs:
            for _ in range(200):
                j = requests.get(f"{g.url}/dongle/{g.unit}/jobs/{jid}").json()
                if j.get("status") != "running":
                    break
                time.sleep(0.1)
            if j.get("status") != "finished" or j.get("return") is not True:
                stats.problem(f"cut stream job {jid}: {j}")
        time.sleep(2)
        end = {g.dispatch: (status(g.proc.pid, "VmRSS"), fds(g.proc.pid)) for g in gws}
        r = requests.post(f"{gws[1].url}/dongle/{gws[1].unit}/execute/",
                          json={"command": "schedule.list", "kwarg": {"return_yaml": False}})
        own = "saltgw_" + r.headers.get("X-Salt-Jid", "")  # the listing job itself is an entry while it runs
        left = [k for k in (r.json() or {}) if str(k).startswith("saltgw_") and k != own]
        if left:
            stats.problem(f"{len(left)} schedule entries left on the minion: {left[:3]}")
        for d in warm:
            rss0, fd0 = warm[d]
            rss1, fd1 = end[d]
            if rss1 > rss0 * 1.5 + 4096:
                stats.problem(f"saltgw ({d}) RSS grew from {rss0} kB to {rss1} kB")
            if fd1 > fd0 + 8:
                stats.problem(f"saltgw ({d}) descriptors grew from {fd0} to {fd1}")
    finally:
        for g in gws:
            g.proc.terminate()
            g.proc.wait(30)
        subprocess.run([py, f"{ROOT}/tests/sandbox/sandbox_minion.py", "stop", sandbox])
    exit_codes = {g.dispatch: g.proc.returncode for g in gws}
    lines = [f"Soak: {a.minutes} min, {a.workers} workers, {stats.total} requests, {len(stats.jids)} distinct jids.", "",
             "| request kind | count |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(stats.requests.items())]
    lines += ["", "| outcome | count |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(stats.outcomes.items())]
    lines += ["", "| saltgw | RSS after warm-up | RSS at end | fds after warm-up | fds at end | exit code |",
              "|---|---|---|---|---|---|"]
    for d in warm:
        lines.append(f"| {d} | {warm[d][0]} kB | {end[d][0]} kB | {warm[d][1]} | {end[d][1]} | {exit_codes[d]} |")
    lines += ["", f"Problems: {len(stats.problems)}"] + [f"- {p}" for p in stats.problems[:50]]
    text = "\n".join(lines)
    print(text)
    if a.report:
        open(a.report, "w").write(text + "\n")
    ok = not stats.problems and all(c == 0 for c in exit_codes.values())
    print(f"soak: {1 if ok else 0} passed, {0 if ok else 1} failed")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
