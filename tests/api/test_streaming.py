"""Streamed execute, async jobs, the jobs route and live events, against the
real sandbox minion through both dispatches."""
import json
import os
import threading
import time

import requests


def ndjson(resp):
    for raw in resp.iter_lines():
        if raw:
            yield json.loads(raw)


def stream_execute(gw, body, route="execute", **kw):
    return requests.post(f"{gw.url}/dongle/{gw.unit_id}/{route}/", json=body,
                         headers={"Accept": "application/x-ndjson"}, stream=True, timeout=120, **kw)


def test_streamed_state_run_reports_each_state_before_the_result(gw):
    r = stream_execute(gw, {"command": "state.sls", "arg": ["gwmulti"], "kwarg": {"queue": True}})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/x-ndjson"
    assert r.headers.get("Transfer-Encoding") == "chunked"
    lines = list(ndjson(r))
    assert lines[0]["type"] == "accepted" and len(lines[0]["jid"]) == 20
    assert lines[-1]["type"] == "result"
    states = lines[-1]["return"]
    assert len(states) == 8 and all(s["result"] for s in states.values())
    progress = [l for l in lines[1:-1] if l["type"] == "progress"]
    if gw.dispatch == "engine":
        # One line per state, in run order, before the final line.
        assert len(progress) == 8, lines
        assert [p["data"]["ret"]["__run_num__"] for p in progress] == list(range(8))
        assert all(p["tag"].startswith(f"salt/job/{lines[0]['jid']}/prog/") for p in progress)
    # The stream's jid fetches the same result from the jobs route.
    job = requests.get(f"{gw.url}/dongle/{gw.unit_id}/jobs/{lines[0]['jid']}").json()
    assert job["status"] == "finished"
    assert job["return"] == states


def test_streamed_execute_raw_and_error_line(gw):
    r = stream_execute(gw, {"command": 'test.echo "hi there"'}, route="execute_raw")
    lines = list(ndjson(r))
    assert lines[0]["type"] == "accepted"
    assert lines[-1] == {"type": "result", "jid": lines[0]["jid"], "return": "hi there", "success": True, "retcode": 0}
    r = stream_execute(gw, {"command": "test.exception", "arg": ["nope"]})
    last = list(ndjson(r))[-1]
    assert last["type"] == "error" and last["kind"] == "function_failed" and last["status"] == 500


def test_stream_lines_end_at_newline_only(gw):
    # Text with Unicode line breaks other than "\n" (NEL, LINE SEPARATOR) and
    # control characters stays inside its JSON line: a reader that splits
    # the body at b"\n" gets exactly the accepted line and the result line.
    text = "a\u0085b\u2028c\u2029d\re\x1ef\x0bg"
    r = stream_execute(gw, {"command": "test.echo", "arg": [text]})
    body = r.content
    assert body.endswith(b"\n")
    lines = [json.loads(raw) for raw in body[:-1].split(b"\n")]
    assert [l["type"] for l in lines] == ["accepted", "result"], body[:500]
    assert lines[-1]["return"] == text


def test_stream_query_parameter_works_without_accept_header(gw):
    r = requests.post(f"{gw.url}/dongle/{gw.unit_id}/execute/?stream=1", json={"command": "test.ping"}, stream=True)
    lines = list(ndjson(r))
    assert [l["type"] for l in lines] == ["accepted", "result"]
    assert lines[-1]["return"] is True


def test_plain_execute_unchanged_by_streaming(gw):
    r = gw.execute("test.ping")
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() is True


def test_every_job_is_retrievable_by_its_jid(gw):
    r = gw.execute("test.echo", ["remember me"])
    jid = r.headers["X-Salt-Jid"]
    job = requests.get(f"{gw.url}/dongle/{gw.unit_id}/jobs/{jid}").json()
    assert job["status"] == "finished" and job["return"] == "remember me" and job["fun"] == "test.echo"


def test_unknown_job_is_404(gw):
    r = requests.get(f"{gw.url}/dongle/{gw.unit_id}/jobs/20000101000000000000")
    assert r.status_code == 404 and "error" in r.json()


def test_async_job_runs_and_finishes(gw):
    r = requests.post(f"{gw.url}/dongle/{gw.unit_id}/execute/?async=1", json={"command": "test.arg", "arg": ["x"]})
    assert r.status_code == 202
    jid = r.json()["jid"]
    assert r.headers["Location"].endswith(f"/jobs/{jid}")
    deadline = time.time() + 30
    while time.time() < deadline:
        job = requests.get(f"{gw.url}/dongle/{gw.unit_id}/jobs/{jid}").json()
        if job["status"] != "running":
            break
        time.sleep(0.1)
    assert job["status"] == "finished", job
    assert job["return"]["args"] == ["x"]


def test_delete_stops_a_long_job_within_seconds(gw):
    r = requests.post(f"{gw.url}/dongle/{gw.unit_id}/execute/?async=1", json={"command": "test.sleep", "arg": [60]})
    jid = r.json()["jid"]
    assert requests.get(f"{gw.url}/dongle/{gw.unit_id}/jobs/{jid}").json()["status"] == "running"
    time.sleep(1.5)  # let the minion start the job's process
    t = time.time()
    d = requests.delete(f"{gw.url}/dongle/{gw.unit_id}/jobs/{jid}", timeout=30)
    assert d.status_code == 200, d.text
    assert d.json()["stopped"] is True
    assert "kill_job" in d.json()["how"]
    assert time.time() - t < 10
    job = requests.get(f"{gw.url}/dongle/{gw.unit_id}/jobs/{jid}").json()
    assert job["status"] == "failed" and job["kind"] == "cancelled"
    # Nothing of it runs on the minion any more.
    running = gw.execute("saltutil.running").json()
    assert not [p for p in running if p.get("schedule") == f"saltgw_{jid}"]
    again = requests.delete(f"{gw.url}/dongle/{gw.unit_id}/jobs/{jid}")
    assert again.status_code == 409


def listen_events(url, until):
    """Reads the event stream at `url` in a thread, collecting each event, until
    until(events so far) is true. Returns (thread, events, response headers) once the
    stream is open."""
    got, headers, ready = [], {}, threading.Event()

    def listen():
        with requests.get(url, stream=True, timeout=30) as r:
            headers.update(r.headers)
            ready.set()
            for raw in r.iter_lines():
                if raw.startswith(b"data: "):
                    ev = json.loads(raw[6:])
                    got.append(ev)
                    if until(got):
                        return

    t = threading.Thread(target=listen, daemon=True)
    t.start()
    assert ready.wait(10)
    time.sleep(0.3)
    return t, got, headers


def test_sse_client_sees_the_event_its_grains_set_caused(gw):
    t, seen, headers = listen_events(
        f"{gw.url}/dongle/{gw.unit_id}/events",
        lambda evs: evs[-1]["tag"].startswith("saltgw/job/") and evs[-1]["data"].get("fun") == "grains.set")
    assert headers["Content-Type"] == "text/event-stream"
    r = gw.execute("grains.set", ["saltgw_sse", "x"], {"force": True})
    assert r.status_code == 200
    t.join(20)
    assert not t.is_alive(), [e["tag"] for e in seen]
    ev = seen[-1]
    assert ev["tag"] == f"saltgw/job/{r.headers['X-Salt-Jid']}/ret"
    assert ev["data"]["success"] is True and ev["data"]["status"] == "finished"


def test_sse_tag_filter(gw):
    t, got, _ = listen_events(f"{gw.url}/dongle/{gw.unit_id}/events?tag=saltgw/ssetest/",
                              lambda evs: len(evs) == 2)
    gw.execute("event.fire", [{"n": 0}, "saltgw/other/x"])
    gw.execute("event.fire", [{"n": 1}, "saltgw/ssetest/a"])
    gw.execute("event.fire", [{"n": 2}, "saltgw/ssetest/b"])
    t.join(20)
    assert [e["tag"] for e in got] == ["saltgw/ssetest/a", "saltgw/ssetest/b"]
    assert got[0]["data"]["n"] == 1


def test_large_result_complete_or_clear_error(gw):
    size = 5_000_000
    r = gw.execute("cmd.run", [f"head -c {size} /dev/zero | tr '\\000' a"], {"python_shell": True})
    if r.status_code == 200:
        assert r.json() == "a" * size  # complete, never trimmed
    else:
        assert r.status_code == 502
        assert r.json()["kind"] == "result_trimmed"
        assert "max_event_size" in r.json()["error"]
    if gw.dispatch == "engine":
        assert r.status_code == 200


def test_result_of_20_mb(gw):
    # AutoPi units return big results (logs, obd dumps). Through the engine
    # the whole 20 MB comes back; through the scheduler the minion's
    # max_event_size decides, and a trimmed result is a clear 502, never a
    # short answer passed off as the result.
    size = 20_000_000
    r = gw.execute("cmd.run", [f"head -c {size} /dev/zero | tr '\\000' b"], {"python_shell": True}, timeout=300)
    if gw.dispatch == "engine":
        assert r.status_code == 200, r.text[:500]
    if r.status_code == 200:
        body = r.json()
        assert len(body) == size and body == "b" * size
    else:
        assert (r.status_code, r.json()["kind"]) == (502, "result_trimmed"), r.text[:500]


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_client_disconnect_mid_job_keeps_the_job_and_leaks_nothing(gw):
    gw.execute("test.ping")
    before = fd_count(gw.proc.pid)
    jids = []
    for _ in range(5):
        r = stream_execute(gw, {"command": "test.sleep", "arg": [2]})
        first = json.loads(next(r.iter_lines()))
        jids.append(first["jid"])
        r.close()  # the phone lost WiFi
    deadline = time.time() + 60
    for jid in jids:
        while time.time() < deadline:
            job = requests.get(f"{gw.url}/dongle/{gw.unit_id}/jobs/{jid}").json()
            if job["status"] != "running":
                break
            time.sleep(0.2)
        assert job["status"] == "finished" and job["return"] is True, job
    time.sleep(0.5)
    assert fd_count(gw.proc.pid) <= before + 2


def test_job_longer_than_pistache_header_timeout_still_answered(gw):
    # Pistache would close a busy connection with a 408 after header_timeout
    # (10 s); a job may take longer than that.
    r = gw.execute("test.sleep", [11], timeout=60)
    assert r.status_code == 200 and r.json() is True


def test_announce_jobs_false_publishes_no_job_events(gateway_factory):
    g = gateway_factory(config_text="announce_jobs: false\n")
    t, events, _ = listen_events(f"{g.url}/dongle/{g.unit_id}/events?tag=saltgw/",
                                 lambda evs: evs[-1]["tag"] == "saltgw/marker/end")
    r = g.execute("grains.get", ["id"])
    assert r.status_code == 200
    # The marker's own job is not announced either; the marker event itself is.
    assert g.execute("event.fire", [{}, "saltgw/marker/end"]).status_code == 200
    t.join(20)
    got = [ev["tag"] for ev in events]
    assert not t.is_alive(), got
    assert got == ["saltgw/marker/end"], got


def test_results_past_jobs_keep_bytes_are_answered_but_not_remembered(gateway_factory):
    g = gateway_factory(config_text="jobs_keep_bytes: 100000\n")
    text = "x" * 200000
    big = requests.post(f"{g.url}/dongle/{g.unit_id}/execute/", json={"command": "test.echo", "arg": [text]},
                        timeout=30)
    assert big.status_code == 200 and big.json() == text
    gone = requests.get(f"{g.url}/dongle/{g.unit_id}/jobs/{big.headers['X-Salt-Jid']}", timeout=5)
    assert gone.status_code == 404, gone.text
    assert "error" in gone.json()
    small = requests.post(f"{g.url}/dongle/{g.unit_id}/execute/", json={"command": "test.echo", "arg": ["hi"]},
                          timeout=30)
    kept = requests.get(f"{g.url}/dongle/{g.unit_id}/jobs/{small.headers['X-Salt-Jid']}", timeout=5)
    assert kept.status_code == 200, kept.text
    assert kept.json()["return"] == "hi" and kept.json()["status"] == "finished"
