#!/usr/bin/env python3
"""The sandbox minion: a real, unmodified, masterless salt-minion in a folder.

Run with the Python of the Salt virtual environment (scripts/deps.sh makes it):

    sandbox_minion.py start  DIR [--id ID] [--ipc-mode tcp] [--engine] [--autopi] [--set key=yaml ...]
    sandbox_minion.py stop   DIR
    sandbox_minion.py restart DIR
    sandbox_minion.py status DIR

`start` writes DIR/etc/salt/minion (its own root_dir, sock_dir, cachedir,
pki_dir, log file, a UUID-style id, file_roots with the test states of
tests/sandbox/states; with --engine also the saltgw executor engine from
packaging/salt/engines), starts salt-minion in its own session, and returns only
when the minion has run a job: a test.ping pushed through its event bus with
the schedule mechanism came back. It prints the config path. With --autopi the
minion is changed the way AutoPi devices are (autopi_patch.py: `minion_job`
events run as jobs; the `event_result` returner fires salt/job/<jid>/ret), and
stays so across `restart`. `stop` sends
SIGTERM, waits, then SIGKILL; no process or socket is left behind.

Every command is bounded: `start` and `restart` give up after --timeout
seconds (a watchdog ends the script even when a Salt call blocks, as an event
bus connect to a dead TCP minion does on Salt 3008), and `stop` after about
20 seconds. An exited process that nobody has reaped yet (a zombie; an init
that reaps lazily leaves orphans so for minutes) counts as gone, and the
minion's own pid files are removed after a SIGKILL, so the next start is not
refused with "An instance is already running".
"""
import argparse
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))


def conf_path(d):
    return os.path.join(d, "etc", "salt", "minion")


def pid_path(d):
    return os.path.join(d, "sandbox.pid")


def write_config(d, minion_id, ipc_mode, extra):
    os.makedirs(os.path.join(d, "etc", "salt", "minion.d"), exist_ok=True)
    states = os.path.join(d, "states")
    if not os.path.isdir(states):
        shutil.copytree(os.path.join(HERE, "states"), states)
    os.makedirs(os.path.join(d, "log"), exist_ok=True)
    os.makedirs(os.path.join(d, "extmods"), exist_ok=True)
    lines = [
        f"id: {minion_id}",
        "master_type: disable",
        "file_client: local",
        f"root_dir: {d}",
        f"sock_dir: {d}/run/minion",
        f"pki_dir: {d}/pki/minion",
        f"cachedir: {d}/cache/minion",
        f"extension_modules: {d}/extmods",
        f"log_file: {d}/log/minion",
        "log_level_logfile: info",
        f"pidfile: {d}/run/salt-minion.pid",
        "file_roots:",
        "  base:",
        f"    - {states}",
        "pillar_roots:",
        "  base:",
        f"    - {d}/pillar",
        "enable_fqdns_grains: false",
        "grains_cache: false",
        "cache_jobs: true",
        f"ipc_mode: {ipc_mode}",
    ]
    if ipc_mode == "tcp":
        lines += [f"tcp_pub_port: {extra.pop('tcp_pub_port', 45100)}",
                  f"tcp_pull_port: {extra.pop('tcp_pull_port', 45101)}"]
    for k, v in extra.items():
        lines.append(f"{k}: {v}")
    with open(conf_path(d), "w") as f:
        f.write("\n".join(lines) + "\n")
    # Salt also keeps the id in minion_id beside the config.
    with open(os.path.join(d, "etc", "salt", "minion_id"), "w") as f:
        f.write(minion_id + "\n")
    os.makedirs(os.path.join(d, "pillar"), exist_ok=True)


def proc_stat(pid):
    """(state, pgrp) of a process from /proc/PID/stat, or None when there is none."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return fields[0], int(fields[2])
    except (OSError, IndexError, ValueError):
        return None


def alive(pid):
    """True while PID is a live process; a zombie (exited, not yet reaped) is not."""
    st = proc_stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def live_group_members(pgrp):
    """Live processes of process group PGRP (the minion and every worker it forked)."""
    members = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = proc_stat(int(name))
            if st and st[1] == pgrp and st[0] not in ("Z", "X"):
                members.append(int(name))
    return members


def running_pid(d):
    try:
        pid = int(open(pid_path(d)).read().strip())
    except (OSError, ValueError):
        return None
    return pid if alive(pid) else None


def watchdog(seconds, what):
    """Ends this script with a message when WHAT has not finished in SECONDS.

    A Salt call can block for good (Salt 3008's TCP event client retries its
    connect forever when no minion listens), so a deadline checked between
    calls is not enough. Cancel the returned timer when WHAT is done."""
    def fire():
        sys.stderr.write(f"sandbox: {what} did not finish in {seconds:.0f}s; giving up\n")
        sys.stderr.flush()
        os._exit(1)
    t = threading.Timer(seconds, fire)
    t.daemon = True
    t.start()
    return t


def wait_ready(d, timeout, proc=None):
    """Ready = a test.ping through the scheduler over the bus came back.

    PROC, when given, is the salt-minion this script launched: its exit ends
    the wait at once (it stays a zombie child of ours until then)."""
    import salt.config

    opts = salt.config.minion_config(conf_path(d))
    deadline = time.time() + timeout
    dog = watchdog(timeout + 10, f"waiting for the minion in {d} (see {d}/log/minion)")
    try:
        _wait_ready(d, opts, deadline, timeout, proc)
    finally:
        dog.cancel()


def _wait_ready(d, opts, deadline, timeout, proc):
    import salt.utils.event

    last = "sockets not there yet"
    while time.time() < deadline:
        if (proc is not None and proc.poll() is not None) or running_pid(d) is None:
            raise SystemExit(f"sandbox: salt-minion exited; see {d}/log/minion and {d}/minion.out")
        try:
            with salt.utils.event.get_event("minion", opts=opts, listen=True,
                                            raise_errors=True) as ev:
                name = f"sandbox_ready_{uuid.uuid4().hex}"
                sched = {name: {"function": "test.ping", "enabled": False,
                                "jid_include": True, "maxrunning": 1, "name": name}}
                ev.fire_event({"func": "add", "persist": False, "schedule": sched},
                              "manage_schedule")
                ev.fire_event({"func": "run_job", "name": name}, "manage_schedule")
                end = time.time() + 5
                while time.time() < end:
                    ret = ev.get_event(wait=1, tag="__schedule_return")
                    if ret and ret.get("schedule") == name:
                        ev.fire_event({"func": "delete", "name": name, "persist": False},
                                      "manage_schedule")
                        return
                last = "no answer to test.ping yet"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready yet
            last = repr(exc)
        time.sleep(0.3)
    raise SystemExit(f"sandbox: minion not ready after {timeout}s ({last}); see {d}/log/minion")


ENGINES_DIR = os.path.join(HERE, "..", "..", "packaging", "salt", "engines")
# The engine and the sibling module it loads from its own directory.
ENGINE_FILES = ("saltgw_executor.py", "saltgw_function_index.py", "saltgw_job_runtime.py")
AUTOPI_PATCH = os.path.join(HERE, "autopi_patch.py")
AUTOPI_RETURNER = os.path.join(HERE, "event_result_returner.py")


def autopi_marker(d):
    return os.path.join(d, "autopi")


def launch(d):
    """Starts salt-minion (patched when DIR was started with --autopi)."""
    bindir = os.path.dirname(sys.executable)
    if os.path.exists(autopi_marker(d)):
        cmd = [sys.executable, AUTOPI_PATCH]
    else:
        cmd = [os.path.join(bindir, "salt-minion")]
    cmd += ["-c", os.path.dirname(conf_path(d)), "--log-level=quiet"]
    out = open(os.path.join(d, "minion.out"), "ab")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                            start_new_session=True)
    with open(pid_path(d), "w") as f:
        f.write(str(proc.pid))
    return proc


def start(d, minion_id, ipc_mode, extra, timeout, engine=False, autopi=False):
    d = os.path.abspath(d)
    os.makedirs(d, exist_ok=True)
    if autopi:
        os.makedirs(os.path.join(d, "extmods", "returners"), exist_ok=True)
        shutil.copy(AUTOPI_RETURNER, os.path.join(d, "extmods", "returners", "event_result.py"))
        open(autopi_marker(d), "w").close()
    if engine:
        os.makedirs(os.path.join(d, "extmods", "engines"), exist_ok=True)
        for name in ENGINE_FILES:
            shutil.copy(os.path.join(ENGINES_DIR, name), os.path.join(d, "extmods", "engines", name))
        extra.setdefault("engines", "[{saltgw_executor: {workers: 4}}]")
    if running_pid(d):
        print(conf_path(d))
        return
    if minion_id is None:
        existing = os.path.join(d, "etc", "salt", "minion_id")
        minion_id = open(existing).read().strip() if os.path.exists(existing) else uuid.uuid4().hex
    write_config(d, minion_id, ipc_mode, extra)
    wait_ready(d, timeout, launch(d))
    print(conf_path(d))


def salt_pidfiles(d):
    """The pid files salt-minion itself writes: its pidfile and, from Salt
    3007, process_responsibility_<pidfile> (pid and start time of its process
    manager, checked with psutil, which counts a zombie as running)."""
    run = os.path.join(d, "run")
    try:
        names = os.listdir(run)
    except OSError:
        return []
    return [os.path.join(run, n) for n in names
            if n == "salt-minion.pid" or n.startswith("process_responsibility_")]


def wait_group_gone(pgrp, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if not live_group_members(pgrp):
            return True
        time.sleep(0.1)
    return not live_group_members(pgrp)


def stop(d, grace=15):
    """Stops the minion of D: SIGTERM to the minion, then to its whole process
    group if any of it is left, SIGKILL after GRACE s."""
    d = os.path.abspath(d)
    try:
        pid = int(open(pid_path(d)).read().strip())
    except (OSError, ValueError):
        return
    # The minion runs in a session of its own: its pid is the process group
    # of the minion and of every process it forked.
    # The minion first, as Salt's own systemd unit does (KillMode=process): it
    # stops its engines and workers itself. A SIGTERM to the whole group at
    # once let the minion's process manager restart an engine that had already
    # exited, and that new engine was then killed before it could remove its
    # socket (seen on Salt 3007.16).
    if live_group_members(pid):
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    if not wait_group_gone(pid, grace * 2 / 3) and live_group_members(pid):
        try:
            os.killpg(pid, signal.SIGTERM)  # whatever it left behind
        except OSError:
            pass
    if not wait_group_gone(pid, grace / 3):
        # Salt 3008 in ipc_mode tcp sometimes never finishes its SIGTERM
        # shutdown; nothing is left to save by then.
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        wait_group_gone(pid, 5)
    try:
        os.waitpid(pid, os.WNOHANG)  # reaps it when this script launched it
    except ChildProcessError:
        pass
    if not live_group_members(pid):
        # A clean shutdown removes these; a SIGKILL leaves them, and the
        # next salt-minion would refuse to start while the dead process
        # stays unreaped.
        for f in salt_pidfiles(d):
            try:
                os.unlink(f)
            except OSError:
                pass
    try:
        os.unlink(pid_path(d))
    except OSError:
        pass


def autopi_minion_id(cpu_serial):
    """An AutoPi unit's minion id: the md5 of its CPU serial (as in
    /proc/cpuinfo's Serial line), 32 lowercase hex digits, no dashes."""
    return hashlib.md5(cpu_serial.strip().encode()).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["start", "stop", "restart", "status"])
    ap.add_argument("dir")
    ap.add_argument("--id")
    ap.add_argument("--cpu-serial", metavar="SERIAL",
                    help="name the minion as an AutoPi unit is named: md5(SERIAL) as 32 hex digits")
    ap.add_argument("--ipc-mode", default="ipc", choices=["ipc", "tcp"])
    ap.add_argument("--set", action="append", default=[], help="extra minion option key=yaml")
    ap.add_argument("--timeout", type=float, default=90)
    ap.add_argument("--grace", type=float, default=15,
                    help="stop: seconds the minion has to stop itself (2/3) and its process group (1/3) before SIGKILL")
    ap.add_argument("--engine", action="store_true", help="enable the saltgw executor engine")
    ap.add_argument("--autopi", action="store_true",
                    help="patch the minion as AutoPi devices are (minion_job events, event_result returner)")
    a = ap.parse_args()
    extra = dict(s.split("=", 1) for s in a.set)
    if a.cpu_serial:
        if a.id:
            ap.error("--id and --cpu-serial name the minion twice")
        a.id = autopi_minion_id(a.cpu_serial)
    if a.command == "start":
        start(a.dir, a.id, a.ipc_mode, extra, a.timeout, a.engine, a.autopi)
    elif a.command == "stop":
        dog = watchdog(a.grace + 45, f"stopping the minion in {a.dir}")
        stop(a.dir, a.grace)
        dog.cancel()
    elif a.command == "restart":
        d = os.path.abspath(a.dir)
        dog = watchdog(a.timeout + 40, f"restarting the minion in {d}")
        stop(d)
        # Keep the config as written, including extra options.
        wait_ready(d, a.timeout, launch(d))
        dog.cancel()
        print(conf_path(d))
    else:
        pid = running_pid(os.path.abspath(a.dir))
        print("running" if pid else "stopped")
        sys.exit(0 if pid else 1)


if __name__ == "__main__":
    main()
