"""The sandbox script's own contract (tests/sandbox/sandbox_minion.py).

CI machines may run an init that reaps orphans late: a minion killed by
`stop` then stays a zombie for minutes. These tests hold the script to what
the suite relies on: a zombie counts as gone, a minion that ignores SIGTERM is
killed and its pid files removed (Salt 3007+ would otherwise refuse the next
start), and waiting for a minion that never answers ends at its deadline even
when a Salt call blocks.
"""
import os
import subprocess
import sys
import textwrap
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sandbox_minion as sm  # noqa: E402


def test_a_zombie_is_not_alive():
    child = subprocess.Popen(["true"])
    deadline = time.time() + 10
    while sm.proc_stat(child.pid)[0] != "Z" and time.time() < deadline:
        time.sleep(0.01)
    assert sm.proc_stat(child.pid)[0] == "Z"
    os.kill(child.pid, 0)  # signal 0 still "finds" the process
    assert not sm.alive(child.pid)
    child.wait()
    assert sm.proc_stat(child.pid) is None


def test_a_live_process_is_alive():
    assert sm.alive(os.getpid())
    assert os.getpid() in sm.live_group_members(os.getpgid(0))


def _stubborn(tmp_path):
    """A process in a session of its own that ignores SIGTERM, as salt-minion
    3008 in ipc_mode tcp sometimes does, with a forked worker."""
    code = textwrap.dedent("""
        import os, signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if os.fork() == 0:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(600)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    d = tmp_path / "sb"
    (d / "run").mkdir(parents=True)
    (d / "sandbox.pid").write_text(str(proc.pid))
    (d / "run" / "salt-minion.pid").write_text(str(proc.pid))
    (d / "run" / "process_responsibility_salt-minion.pid").write_text(
        '{"pid": %d, "name": "x", "start_time": 1}' % proc.pid)
    (d / "run" / "minion").mkdir()  # the sock_dir: left alone
    deadline = time.time() + 10
    while len(sm.live_group_members(proc.pid)) < 2 and time.time() < deadline:
        time.sleep(0.02)
    assert len(sm.live_group_members(proc.pid)) == 2
    return proc, d


def test_stop_kills_a_minion_that_ignores_sigterm_and_clears_its_pid_files(tmp_path):
    proc, d = _stubborn(tmp_path)
    t0 = time.time()
    sm.stop(str(d), grace=1)
    took = time.time() - t0
    assert sm.live_group_members(proc.pid) == []
    assert not sm.alive(proc.pid)  # killed (and reaped by stop: it is our child here)
    assert not (d / "sandbox.pid").exists()
    assert sorted(os.listdir(d / "run")) == ["minion"]
    assert took < 8, took


def test_stop_of_a_stopped_sandbox_is_quick_and_harmless(tmp_path):
    d = tmp_path / "none"
    d.mkdir()
    t0 = time.time()
    sm.stop(str(d))
    assert time.time() - t0 < 1


def test_waiting_for_a_minion_that_never_answers_ends_at_the_deadline(tmp_path):
    """sandbox.pid names a live process that is no minion, and the config
    says ipc_mode tcp on a port nobody listens on: Salt's event client would
    block; the watchdog ends the wait at timeout + 10 s with a message."""
    venv_py = os.environ.get("SALTGW_SANDBOX_PY")
    if not venv_py:
        pytest.fail("SALTGW_SANDBOX_PY is not set: run via scripts/test.sh")
    d = tmp_path / "deaf"
    sm.write_config(str(d), "deaf", "tcp", {"tcp_pub_port": "1", "tcp_pull_port": "2"})
    sleeper = subprocess.Popen(["sleep", "120"])
    try:
        (d / "sandbox.pid").write_text(str(sleeper.pid))
        t0 = time.time()
        r = subprocess.run([venv_py, "-c", f"import sys; sys.path.insert(0, {HERE!r}); "
                            f"import sandbox_minion as m; m.wait_ready({str(d)!r}, 2)"],
                           capture_output=True, text=True, timeout=60)
        took = time.time() - t0
    finally:
        sleeper.kill()
        sleeper.wait()
    assert r.returncode != 0
    assert "sandbox:" in r.stderr, r.stderr
    assert took < 30, took


def test_cpu_serial_names_the_minion_as_an_autopi_unit():
    # md5 of the serial, 32 lowercase hex digits (the value scripts/test-arm.sh's
    # serial gives, as `python3 -c 'import hashlib; print(hashlib.md5(b"00000000c0ffee42").hexdigest())'`).
    assert sm.autopi_minion_id("00000000c0ffee42") == "817ed97fe9e649e9f9ab25a7a8b0eac7"
    assert sm.autopi_minion_id("00000000c0ffee42\n") == "817ed97fe9e649e9f9ab25a7a8b0eac7"


def test_id_and_cpu_serial_together_are_refused(tmp_path):
    r = subprocess.run([sys.executable, os.path.join(HERE, "sandbox_minion.py"), "start", str(tmp_path),
                        "--id", "x", "--cpu-serial", "1"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "name the minion twice" in r.stderr
