#!/usr/bin/env python3
"""Prints the table of a test run's stages from scripts/test.sh's times.tsv.

Each row of times.tsv is: stage, lane, start (seconds after the run began),
duration (seconds), exit status. Stages of one lane ran one after another;
lanes ran side by side, so the durations add up to more than the run took.

    tests/stage_table.py TIMES_TSV TOTAL_SECONDS
"""
import sys


def fmt(secs):
    secs = int(secs)
    return f"{secs // 60}:{secs % 60:02d}"


def main():
    path, total = sys.argv[1], int(sys.argv[2])
    rows = []
    with open(path) as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 5:
                name, lane, start, secs, rc = parts
                rows.append((int(start), name, lane, int(secs), int(rc)))
    rows.sort()
    print()
    print("stage times (lanes run side by side; m:ss)")
    print(f"  {'stage':<20} {'lane':<11} {'start':>6} {'took':>6}  status")
    for start, name, lane, secs, rc in rows:
        status = "ok" if rc == 0 else ("TIMEOUT" if rc in (124, 137) else f"exit {rc}")
        print(f"  {name:<20} {lane:<11} {fmt(start):>6} {fmt(secs):>6}  {status}")
    print(f"  {'whole run':<20} {'':<11} {'':>6} {fmt(total):>6}")


if __name__ == "__main__":
    main()
