"""DELETE /dongle/<unit>/jobs/<jid> stops a running job on the minion under
every dispatch, and its answer says what happened (against real sandbox
minions): schedule and minion_job kill the job's process; the executor
engine removes a job still waiting for a worker thread, and says so when a
running one cannot be stopped (a Python thread)."""
import os
import shutil
import subprocess
import tempfile
import time

import requests

from test_streaming import ndjson, stream_execute


def start_streamed(gw, command, arg):
    """A streamed job: (its jid, the iterator over the rest of its lines)."""
    r = stream_execute(gw, {"command": command, "arg": arg})
    assert r.status_code == 200, r.text
    lines = ndjson(r)
    accepted = next(lines)
    assert accepted["type"] == "accepted"
    return accepted["jid"], lines


def delete(gw, jid):
    return requests.delete(f"{gw.url}/dongle/{gw.unit_id}/jobs/{jid}", timeout=30)


def wait_running_on_minion(gw, match, limit=20):
    """Until saltutil.running lists a process that match(entry) accepts."""
    deadline = time.time() + limit
    while time.time() < deadline:
        running = gw.execute("saltutil.running").json()
        if any(match(p) for p in running):
            return
        time.sleep(0.2)
    raise AssertionError("the job never showed up in saltutil.running")


def test_delete_of_a_running_job_says_what_happened_on_the_minion(gw):
    if gw.dispatch == "schedule":
        scheduler_kills_the_process(gw)
    else:
        engine_stops_a_queued_job_and_says_a_running_one_goes_on(gw)


def scheduler_kills_the_process(gw):
    jid, lines = start_streamed(gw, "test.sleep", [60])
    wait_running_on_minion(gw, lambda p: p.get("schedule") == f"saltgw_{jid}")
    t = time.time()
    d = delete(gw, jid)
    assert d.status_code == 200, d.text
    body = d.json()
    assert body["jid"] == jid and body["stopped"] is True and "kill_job" in body["how"], body
    assert time.time() - t < 10
    last = list(lines)[-1]
    assert last["type"] == "error" and last["kind"] == "cancelled", last
    running = gw.execute("saltutil.running").json()
    assert not [p for p in running if p.get("schedule") == f"saltgw_{jid}"]
    assert delete(gw, jid).status_code == 409


def engine_stops_a_queued_job_and_says_a_running_one_goes_on(gw):
    # The sandbox engine has 4 worker threads: four sleeps take them all, a
    # fifth waits for one.
    jobs = [start_streamed(gw, "test.sleep", [4]) for _ in range(5)]
    time.sleep(0.5)
    queued_jid, queued_lines = jobs[4]
    d = delete(gw, queued_jid)
    assert d.status_code == 200, d.text
    assert d.json()["stopped"] is True and "before it started" in d.json()["how"], d.json()
    last = list(queued_lines)[-1]
    assert last["type"] == "error" and last["kind"] == "cancelled", last
    job = requests.get(f"{gw.url}/dongle/{gw.unit_id}/jobs/{queued_jid}").json()
    assert job["status"] == "failed" and job["kind"] == "cancelled"

    running_jid, running_lines = jobs[0]
    d = delete(gw, running_jid)
    assert d.status_code == 200, d.text
    assert d.json()["stopped"] is False and "cannot be killed" in d.json()["how"], d.json()
    # It runs to its end and its result is delivered as usual.
    last = list(running_lines)[-1]
    assert last["type"] == "result" and last["return"] is True, last
    for _, lines in jobs[1:4]:
        assert list(lines)[-1]["type"] == "result"


def test_overloaded_engine_is_503_with_retry_after(gateway_factory, tmp_path):
    """An engine whose workers and queue are full answers 'overloaded': 503 + Retry-After."""
    d = tempfile.mkdtemp(prefix="/tmp/sgo-")
    cmd = [os.environ["SALTGW_SANDBOX_PY"], os.environ["SALTGW_SANDBOX_SCRIPT"]]
    try:
        out = subprocess.run(cmd + ["start", d, "--engine", "--set", "engines=[{saltgw_executor: {workers: 1, max_queue: 0}}]",
                                    "--timeout", "60"], capture_output=True, text=True, timeout=90)
        assert out.returncode == 0, out.stdout + out.stderr
        gw = gateway_factory("--dispatch", "engine", "--minion-config", out.stdout.strip().splitlines()[-1])
        # saltgw loads the minion's function list through the engine at start,
        # which takes the one place for a while: wait until saltgw itself
        # refuses an unknown function (the list is loaded).
        deadline = time.time() + 60
        while "on this minion" not in gw.execute("no_such.function").json().get("error", ""):
            assert time.time() < deadline, "saltgw never loaded the function list"
            time.sleep(0.5)
        jid, lines = start_streamed(gw, "test.sleep", [3])
        time.sleep(0.5)
        r = gw.execute("test.arg", ["x"])
        assert r.status_code == 503, r.text
        assert r.json()["kind"] == "overloaded" and "busy" in r.json()["error"]
        assert r.headers["Retry-After"] == "1"
        assert list(lines)[-1]["type"] == "result"
    finally:
        subprocess.run(cmd + ["stop", d], capture_output=True, timeout=60)
        shutil.rmtree(d, ignore_errors=True)


def test_minion_job_dispatch_delete_kills_the_jobs_process(gateway_factory, tmp_path):
    """AutoPi's patched minion: the job runs in a process listed under its own jid."""
    d = tempfile.mkdtemp(prefix="/tmp/sgk-")
    cmd = [os.environ["SALTGW_SANDBOX_PY"], os.environ["SALTGW_SANDBOX_SCRIPT"]]
    try:
        out = subprocess.run(cmd + ["start", d, "--autopi", "--timeout", "60"], capture_output=True, text=True,
                             timeout=90)
        assert out.returncode == 0, out.stdout + out.stderr
        gw = gateway_factory("--dispatch", "minion_job", "--minion-config", out.stdout.strip().splitlines()[-1])
        jid, lines = start_streamed(gw, "test.sleep", [60])
        wait_running_on_minion(gw, lambda p: p.get("jid") == jid)
        r = delete(gw, jid)
        assert r.status_code == 200, r.text
        assert r.json()["stopped"] is True and f"kill_job {jid}" in r.json()["how"], r.json()
        last = list(lines)[-1]
        assert last["type"] == "error" and last["kind"] == "cancelled", last
        running = gw.execute("saltutil.running").json()
        assert not [p for p in running if p.get("jid") == jid]
        # APN settings round trip through this dispatch too.
        body = {"apn": "internet", "user": "u", "pass": "p", "pin": "", "mtu": 1400}
        assert requests.put(f"{gw.url}/dongle/{gw.unit_id}/settings/apn/", json=body, timeout=60).json() == body
        assert requests.get(f"{gw.url}/dongle/{gw.unit_id}/settings/apn/", timeout=60).json() == body
    finally:
        subprocess.run(cmd + ["stop", d], capture_output=True, timeout=60)
        shutil.rmtree(d, ignore_errors=True)
