#!/usr/bin/env python3
"""Idle wake-ups of a running process: voluntary + involuntary context
switches of each of its threads over a time window, from /proc.

    python3 bench/wakeups.py PID SECONDS [--json] [--threads REGEX]

Reads /proc/PID/task/*/status (voluntary_ctxt_switches and
nonvoluntary_ctxt_switches) at the start and at the end of the window and
prints, per thread (its name from /proc/PID/task/TID/comm), how many it made,
then the total. A thread that starts or ends inside the window counts from
when it is first or last seen. --threads keeps only the threads whose name
matches REGEX. --json prints one JSON object instead:
    {"pid": PID, "seconds": S, "total": N, "per_minute": N*60/S,
     "threads": [{"tid": T, "name": "...", "switches": N}, ...]}
Exit status 0; 2 when the process is gone at the start.
Standalone (Python 3 standard library only), for scripts/bench.sh and tests.
"""
import argparse
import json
import os
import re
import sys
import time


def snapshot(pid):
    """{tid: (name, switches)} of the process's threads now."""
    out = {}
    base = f"/proc/{pid}/task"
    try:
        tids = os.listdir(base)
    except FileNotFoundError:
        return out
    for tid in tids:
        try:
            with open(f"{base}/{tid}/comm") as f:
                name = f.read().strip()
            n = 0
            with open(f"{base}/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                        n += int(line.split(":", 1)[1])
            out[int(tid)] = (name, n)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return out


def measure(pid, seconds, threads=None):
    """Context switches per thread over `seconds`: a list of dicts, and the total."""
    pattern = re.compile(threads) if threads else None
    before = snapshot(pid)
    time.sleep(seconds)
    after = snapshot(pid)
    rows = []
    for tid in sorted(set(before) | set(after)):
        name = (after.get(tid) or before.get(tid))[0]
        if pattern and not pattern.search(name):
            continue
        start = before.get(tid, (name, 0))[1]
        end = after.get(tid, before.get(tid))[1]
        rows.append({"tid": tid, "name": name, "switches": end - start})
    return rows, sum(r["switches"] for r in rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pid", type=int)
    ap.add_argument("seconds", type=float)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--threads", help="only threads whose name matches this regular expression")
    a = ap.parse_args(argv)
    if not os.path.isdir(f"/proc/{a.pid}/task"):
        print(f"no process {a.pid}", file=sys.stderr)
        return 2
    rows, total = measure(a.pid, a.seconds, a.threads)
    if a.json:
        print(json.dumps({"pid": a.pid, "seconds": a.seconds, "total": total,
                          "per_minute": round(total * 60 / a.seconds, 1), "threads": rows}))
    else:
        for r in rows:
            print(f"{r['tid']:>8} {r['name']:<16} {r['switches']}")
        print(f"total {total} in {a.seconds:g} s ({total * 60 / a.seconds:.1f} per minute)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
