"""What a streamed job says about its progress, against the real sandbox
minion: the accepted line names what progress will come (per dispatch), and
progress a slow client cannot take is reported, never silently dropped."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import pytest
import requests

from test_streaming import ndjson, stream_execute


def test_accepted_line_says_what_progress_to_expect(gw):
    r = stream_execute(gw, {"command": "state.sls", "arg": ["gwtest"], "kwarg": {"queue": True}})
    lines = list(ndjson(r))
    accepted = lines[0]
    assert accepted["type"] == "accepted"
    progress = [l for l in lines if l["type"] == "progress"]
    if gw.dispatch == "engine":
        assert accepted["progress"] == "per_state"
        assert "progress_note" not in accepted
        assert len(progress) == 1  # gwtest has one state
    else:
        # Salt sends state events to a master only: the stream says so up front.
        assert accepted["progress"] == "none"
        assert "master only" in accepted["progress_note"] and gw.dispatch in accepted["progress_note"]
        assert progress == []
    assert lines[-1]["type"] == "result"
    assert not [l for l in lines if l["type"] == "progress_dropped"]


def _read_until(sock, buf, marker, limit=30):
    deadline = time.monotonic() + limit
    while marker not in buf:
        assert time.monotonic() < deadline, buf[:500]
        chunk = sock.recv(65536)
        assert chunk, "connection closed early"
        buf += chunk
    return buf


def _dechunk(raw):
    out, i = b"", 0
    while True:
        j = raw.index(b"\r\n", i)
        n = int(raw[i:j], 16)
        if n == 0:
            return out
        out += raw[j + 2:j + 2 + n]
        i = j + 2 + n + 2


def _job_ends(watcher, tags):
    """Collects the tags of saltgw job announcements (saltgw/job/<jid>/ret) seen through `watcher`."""
    ready = threading.Event()

    def listen():
        with requests.get(f"{watcher.url}/dongle/{watcher.unit_id}/events?tag=saltgw/job/", stream=True,
                          timeout=180) as r:
            ready.set()
            try:
                for raw in r.iter_lines():
                    if raw.startswith(b"data: "):
                        tags.append(json.loads(raw[6:])["tag"])
            except requests.exceptions.ChunkedEncodingError:
                pass  # the watcher stopped at the end of the test

    threading.Thread(target=listen, daemon=True).start()
    assert ready.wait(10)


def _cpu_seconds(pid):
    """User + system CPU time of a process so far, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.timeout(290)
def test_client_that_does_not_read_is_told_how_much_progress_it_missed(gateway_factory):
    gw = gateway_factory("--dispatch", "engine")  # the dispatch that sends progress
    # The job's end is watched through a second saltgw on the same minion (it
    # sees gw's announcement on the bus), so that gw itself serves only the
    # stream while its client is megabytes behind.
    ended = []
    _job_ends(gateway_factory("--dispatch", "engine"), ended)
    time.sleep(0.3)  # the SSE subscription is in place once the first bytes came; give the bus a moment
    body = json.dumps({"command": "state.sls", "arg": ["gwbig"], "kwarg": {"queue": True}}).encode()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window: the server's queue fills
    s.connect(("127.0.0.1", gw.port))
    s.sendall(b"POST /dongle/%s/execute/ HTTP/1.1\r\nHost: x\r\nAccept: application/x-ndjson\r\n"
              b"Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
              % (gw.unit_id.encode(), len(body), body))
    head = _read_until(s, b"", b"\r\n\r\n")
    jid = [l.split(b":", 1)[1].strip().decode() for l in head.split(b"\r\n") if l.lower().startswith(b"x-salt-jid")][0]
    # Stop reading until the job has ended (its progress went out meanwhile).
    # 12 MB of state output: about 10 s on the plain build (under TSan it took
    # minutes, so scripts/sanitize.sh leaves this test out).
    deadline = time.monotonic() + 240
    while f"saltgw/job/{jid}/ret" not in ended and time.monotonic() < deadline:
        time.sleep(0.1)
    assert f"saltgw/job/{jid}/ret" in ended, (jid, ended)
    # While the client still does not read, saltgw waits for its socket to
    # take more: it does not spin (Pistache's Peer::send did, a reactor
    # thread at 100 % CPU: rest/http/pistache_adapter.h, limitation 4).
    before = _cpu_seconds(gw.proc.pid)
    time.sleep(1)
    assert _cpu_seconds(gw.proc.pid) - before < 0.2
    raw = head.split(b"\r\n\r\n", 1)[1]
    s.settimeout(60)
    while not raw.endswith(b"0\r\n\r\n"):
        chunk = s.recv(1 << 20)
        assert chunk, "connection closed before the last chunk"
        raw += chunk
    s.close()
    lines = [json.loads(l) for l in _dechunk(raw).split(b"\n") if l]
    kinds = [l["type"] for l in lines]
    assert kinds[0] == "accepted" and kinds[-1] == "result", kinds
    dropped = [l for l in lines if l["type"] == "progress_dropped"]
    progress = [l for l in lines if l["type"] == "progress"]
    assert dropped, kinds  # some progress could not be queued for this client ...
    assert all(d["reason"] == "client_too_slow" and d["jid"] == jid for d in dropped)
    # ... and every state is either a progress line or counted in a dropped line.
    assert len(progress) + sum(d["count"] for d in dropped) == 8, kinds
    runs = [p["data"]["ret"]["__run_num__"] for p in progress]
    assert runs == sorted(runs)
    assert kinds.index("progress_dropped") < kinds.index("result")


def test_minion_job_dispatch_says_no_progress_will_come(gateway_factory, tmp_path):
    """AutoPi's patched minion (minion_job events): the third dispatch, on a minion of its own."""
    d = tempfile.mkdtemp(prefix="/tmp/sgp-")  # short: the minion's socket paths must fit
    cmd = [os.environ["SALTGW_SANDBOX_PY"], os.environ["SALTGW_SANDBOX_SCRIPT"]]
    try:
        out = subprocess.run(cmd + ["start", d, "--autopi", "--timeout", "60"], capture_output=True, text=True,
                             timeout=90)
        assert out.returncode == 0, out.stdout + out.stderr
        gw = gateway_factory("--dispatch", "minion_job", "--minion-config", out.stdout.strip().splitlines()[-1])
        r = stream_execute(gw, {"command": "state.sls", "arg": ["gwtest"], "kwarg": {"queue": True}})
        lines = list(ndjson(r))
        assert lines[0]["type"] == "accepted" and lines[0]["progress"] == "none"
        assert "minion_job" in lines[0]["progress_note"] and "master only" in lines[0]["progress_note"]
        assert [l["type"] for l in lines] == ["accepted", "result"], lines
        assert lines[-1]["success"] is True
    finally:
        subprocess.run(cmd + ["stop", d], capture_output=True, timeout=60)
        shutil.rmtree(d, ignore_errors=True)
