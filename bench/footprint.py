"""The whole footprint of saltgw's fast path, read from /proc (Linux).

Memory is PSS (proportional set size, /proc/PID/smaps_rollup): a page shared
by N processes counts 1/N in each, so the figures of processes that share
pages (the minion and the engine it forked) add up to what they cost
together. Wake-ups are context switches (voluntary + involuntary) summed
over every thread of a process (/proc/PID/task/*/status): each one is the
CPU leaving idle for that process.

Used by bench/run_bench.py; also a command:

    python bench/footprint.py pss PID...            PSS of each, kB
    python bench/footprint.py wakeups SECONDS PID...  wake-ups of each in that time
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wakeups as wakeups_script  # noqa: E402


def pss_kb(pid):
    """PSS of one process in kB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def group_pids(pgid):
    """Live processes of process group PGID (a sandbox minion and all it forked)."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            pids.append(int(name))
    return sorted(pids)


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def engine_pid(pgid, name="saltgw_executor"):
    """The minion process running engine NAME: Salt titles it Engine(<module>)."""
    for pid in group_pids(pgid):
        line = cmdline(pid)
        if "Engine(" in line and name in line:
            return pid
    return None


def minion_pss_kb(pgid, without=()):
    """PSS summed over a minion's processes, leaving out the pids in WITHOUT."""
    return sum(pss_kb(p) for p in group_pids(pgid) if p not in without)


def ctx_switches(pid):
    """Voluntary + involuntary context switches of every thread of PID so far
    (bench/wakeups.py reads them)."""
    return sum(n for _, n in wakeups_script.snapshot(pid).values())


def wakeups(pids, seconds):
    """Wake-ups of each pid over the same SECONDS: {pid: count}.

    Threads that exit during the window take their counts with them, so
    measure processes at rest."""
    before = {p: ctx_switches(p) for p in pids}
    time.sleep(seconds)
    return {p: ctx_switches(p) - before[p] for p in pids}


def main(argv):
    if len(argv) >= 2 and argv[0] == "pss":
        for pid in argv[1:]:
            print(pid, pss_kb(int(pid)))
        return 0
    if len(argv) >= 3 and argv[0] == "wakeups":
        for pid, n in wakeups([int(p) for p in argv[2:]], float(argv[1])).items():
            print(pid, n)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
