"""Limits on jobs in flight and the function allow/deny policy, against the
real sandbox minion."""
import concurrent.futures
import time

import pytest
import requests

from slow_jobs import hold_places


def test_per_client_limit_is_429_with_retry_after(gateway_factory):
    g = gateway_factory(config_text="max_jobs: 10\nmax_jobs_per_client: 2\n")
    r, held = hold_places(g, 2, 4, lambda: requests.post(f"{g.url}/dongle/{g.unit_id}/execute/",
                                                         json={"command": "test.ping"}, timeout=10), 429)
    assert r.headers["Retry-After"] == "1"
    assert "max_jobs_per_client" in r.json()["error"]
    assert all(job.last()["type"] == "result" for job in held)
    # Places are given back when jobs end.
    assert g.execute("test.ping").json() is True


def test_total_limit_is_503_overloaded(gateway_factory):
    g = gateway_factory(config_text="max_jobs: 1\nmax_jobs_per_client: 1\n")
    r, held = hold_places(g, 1, 4, lambda: requests.post(f"{g.url}/dongle/{g.unit_id}/execute_raw/",
                                                         json={"command": "test.ping"}, timeout=10), 503)
    assert r.json()["kind"] == "overloaded"
    assert "Retry-After" in r.headers
    assert held[0].last()["type"] == "result"


def test_a_client_that_sends_its_next_job_on_the_answer_is_never_refused(gateway_factory):
    # The place is free before the answer goes out: one job at a time under
    # max_jobs_per_client 1 is never 429/503, plain, streamed or async.
    g = gateway_factory(config_text="max_jobs: 1\nmax_jobs_per_client: 1\n")
    u = f"{g.url}/dongle/{g.unit_id}"
    with requests.Session() as s:
        for i in range(60):
            r = s.post(f"{u}/execute/", json={"command": "test.ping"}, timeout=30)
            assert r.status_code == 200 and r.json() is True, (i, r.status_code, r.text)
        for i in range(20):
            r = s.post(f"{u}/execute/?stream=1", json={"command": "test.ping"}, timeout=30)
            assert r.status_code == 200, (i, r.status_code, r.text)
            assert _json.loads(r.text.rstrip("\n").split("\n")[-1])["type"] == "result", r.text


def test_deny_list_applies_to_every_job_route(gateway_factory):
    g = gateway_factory(config_text='functions_deny: ["cmd.*", "state.sls"]\n')
    u = f"{g.url}/dongle/{g.unit_id}"
    attempts = [
        requests.post(f"{u}/execute/", json={"command": "cmd.run", "arg": ["id"]}),
        requests.post(f"{u}/execute/", json=["cmd.run_all", "id"]),
        requests.post(f"{u}/execute_raw/", json={"command": "cmd.run id"}),
        requests.post(f"{u}/execute/?stream=1", json={"command": "cmd.run", "arg": ["id"]}),
        requests.post(f"{u}/execute/?async=1", json={"command": "state.sls", "arg": ["gwtest"]}),
    ]
    for r in attempts:
        assert r.status_code == 403, r.text
        assert "not allowed" in r.json()["error"]
    assert g.execute("test.ping").json() is True
    assert g.execute("state.sls_exists", ["gwtest"]).status_code == 200


def test_allow_list(gateway_factory):
    g = gateway_factory(config_text='functions_allow: ["test.*", "grains.get"]\n')
    assert g.execute("test.echo", ["ok"]).json() == "ok"
    assert g.execute("grains.get", ["id"]).status_code == 200
    r = g.execute("grains.set", ["x", "y"])
    assert r.status_code == 403


def test_listen_list_serves_each_address_and_only_those(tmp_path):
    import os
    import socket
    import subprocess

    def port():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    p1, p2 = port(), port()
    cfg = tmp_path / "saltgw.yaml"
    cfg.write_text(f"listen: [127.0.0.1:{p1}, 127.0.0.2:{p2}]\n")
    proc = subprocess.Popen([os.environ["SALTGW_BIN"], "--config", str(cfg), "--minion-config",
                             os.environ["SALTGW_MINION_CONFIG"], "--secret-file", str(tmp_path / "secret")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for url in (f"http://127.0.0.1:{p1}/", f"http://127.0.0.2:{p2}/"):
            for _ in range(100):
                try:
                    assert "unit_id" in requests.get(url, timeout=1).json()
                    break
                except requests.ConnectionError:
                    time.sleep(0.05)
            else:
                raise AssertionError(f"{url} never answered")
        # Not on an address it was not given.
        try:
            requests.get(f"http://127.0.0.2:{p1}/", timeout=1)
            raise AssertionError("answered on an address outside the listen list")
        except requests.ConnectionError:
            pass
    finally:
        proc.terminate()
        proc.wait(15)
    assert proc.returncode == 0


# --- connections, headers and slow clients -----------------------------------

import json as _json
import socket as _socket


def _connect(g):
    s = _socket.create_connection(("127.0.0.1", g.port), timeout=5)
    s.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
    return s


def _read_response(s, limit=10):
    """One HTTP response from a raw socket: (status, headers, body) or None at EOF."""
    s.settimeout(limit)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    n = int(headers.get("content-length", "0"))
    while len(body) < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


def test_connection_over_max_connections_gets_503_json_then_is_closed(gateway_factory):
    g = gateway_factory(config_text="max_connections: 6\n")
    held = []
    refused = None
    try:
        for _ in range(12):  # the fixture's own connections may still be closing
            s = _connect(g)
            s.settimeout(0.5)
            try:
                first = s.recv(65536, _socket.MSG_PEEK)
            except _socket.timeout:
                held.append(s)  # accepted and waiting for a request
                continue
            refused = s
            break
        assert refused is not None, "no connection was refused"
        assert len(held) <= 6
        r = _read_response(refused)
        assert r is not None
        status, headers, body = r
        assert status == 503
        assert headers["retry-after"] == "1"
        assert headers["content-type"] == "application/json"
        doc = _json.loads(body)
        assert doc["kind"] == "overloaded" and "max_connections" in doc["error"]
        assert refused.recv(1) == b""  # and the server closed it
        refused.close()
        # The held connections are served normally.
        held[0].sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _read_response(held[0])[0] == 200
    finally:
        for s in held:
            s.close()
    # Closing them gives the places back.
    deadline = time.time() + 5
    while True:
        try:
            if requests.get(g.url + "/", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        assert time.time() < deadline, "places were not given back"
        time.sleep(0.1)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        assert all(r.status_code == 200 for r in pool.map(lambda _: requests.get(g.url + "/", timeout=5), range(4)))


def test_too_many_header_fields_is_431(gateway_factory):
    g = gateway_factory(config_text="max_header_count: 20\n")
    ok = requests.get(g.url + "/", headers={f"X-H{i}": "v" for i in range(10)}, timeout=5)
    assert ok.status_code == 200
    r = requests.get(g.url + "/", headers={f"X-H{i}": "v" for i in range(30)}, timeout=5)
    assert r.status_code == 431, r.text
    assert "max_header_count" in r.json()["error"]
    # The connection and the server carry on.
    assert requests.get(g.url + "/", timeout=5).status_code == 200


def test_oversized_headers_are_431_on_every_route(gateway_factory):
    g = gateway_factory(config_text="max_header_bytes: 4096\n")
    big = {"X-Big": "a" * 5000}
    for method, path in [("GET", "/"), ("POST", f"/dongle/{g.unit_id}/execute/"), ("GET", "/logs/")]:
        r = requests.request(method, g.url + path, headers=big, json={"command": "test.ping"}, timeout=5)
        assert r.status_code == 431, (method, path, r.status_code, r.text)
        assert "max_header_bytes" in r.json()["error"]
    # A long typed header (User-Agent) counts too.
    r = requests.get(g.url + "/", headers={"User-Agent": "u" * 5000}, timeout=5)
    assert r.status_code == 431
    assert g.execute("test.ping").json() is True


def _assert_cut_off(s, within, what):
    """The server ends the connection (408 or a plain close) within `within` s."""
    started = time.time()
    r = _read_response(s, limit=10)
    waited = time.time() - started
    assert waited < within, f"{what} held for {waited:.1f} s"
    assert r is None or r[0] == 408
    s.close()


def test_slow_client_is_cut_off_after_header_timeout(gateway_factory):
    g = gateway_factory(config_text="header_timeout_seconds: 1\nbody_timeout_seconds: 2\n")
    # A connection that never sends a whole request ...
    s = _connect(g)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    _assert_cut_off(s, 5, "a request line and half the headers")
    # ... also after a first request on the same keep-alive connection.
    s = _connect(g)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert _read_response(s)[0] == 200
    s.sendall(b"GET / HTTP/1.1\r\nHo")
    _assert_cut_off(s, 5, "half a request after a first one")
    # A client that trickles a body slower than body_timeout allows.
    s = _connect(g)
    s.sendall(f"POST /dongle/{g.unit_id}/execute/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              "Content-Length: 100\r\n\r\n{".encode())
    _assert_cut_off(s, 6, "a body")
    assert g.execute("test.ping").json() is True


def test_request_over_the_buffer_ceiling_gets_json_413_and_is_closed(gateway_factory):
    # max_body_bytes 4 KiB: Pistache's own buffer ceiling is 16 MiB; above it
    # saltgw answers (not Pistache's plain-text 413) and stops reading.
    g = gateway_factory(config_text="max_body_bytes: 4096\n")
    s = _connect(g)
    size = 20 << 20
    s.sendall(f"POST /dongle/{g.unit_id}/execute/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              f"Content-Length: {size}\r\n\r\n".encode())
    sent = 0
    chunk = b"x" * (1 << 20)
    try:
        while sent < size:
            s.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    r = _read_response(s, limit=20)
    assert r is not None, "closed without an answer"
    status, headers, body = r
    assert status == 413
    assert headers["content-type"] == "application/json"
    assert "max_body_bytes" in _json.loads(body)["error"]
    s.close()
    # The server is not left busy with the rest of the body.
    started = time.time()
    assert requests.get(g.url + "/", timeout=5).status_code == 200
    assert time.time() - started < 1
    assert g.execute("test.ping").json() is True


def test_endless_headers_get_431_before_they_end(gateway_factory):
    g = gateway_factory(config_text="max_header_bytes: 4096\n")
    s = _connect(g)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    try:
        for i in range(2000):  # 100 KB of headers, never finished
            s.sendall(f"X-Pad-{i}: {'p' * 40}\r\n".encode())
    except (BrokenPipeError, ConnectionResetError):
        pass
    r = _read_response(s, limit=10)
    assert r is not None
    assert r[0] == 431
    assert "max_header_bytes" in _json.loads(r[2])["error"]
    s.close()
    assert requests.get(g.url + "/", timeout=5).status_code == 200


def test_unknown_method_gets_json_501_and_its_body_is_never_parsed(gateway_factory):
    g = gateway_factory()
    s = _connect(g)
    s.sendall(f"QUERY /dongle/{g.unit_id}/execute_raw/ HTTP/1.1\r\nHost: x\r\nContent-Length: 15\r\n\r\n".encode())
    time.sleep(0.2)
    try:
        s.sendall(b'{"command": ""}')
    except (BrokenPipeError, ConnectionResetError):
        pass
    r = _read_response(s)
    assert r is not None
    status, headers, body = r
    assert status == 501
    assert headers["content-type"] == "application/json"
    assert "QUERY" in _json.loads(body)["error"]
    # Exactly one answer, then the connection ends: nothing stale is left for a next request.
    s.settimeout(5)
    rest = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    assert rest == b"", rest
    s.close()


def test_trace_is_405_not_501(gateway_factory):
    g = gateway_factory()
    r = requests.request("TRACE", f"{g.url}/dongle/{g.unit_id}/execute/", timeout=5)
    assert r.status_code == 405, r.text
    assert "Allow" in r.headers and "error" in r.json()
    r = requests.request("QUERY", f"{g.url}/", timeout=5)
    assert r.status_code == 501 and "QUERY" in r.json()["error"]


def _all_until_closed(s, limit=5):
    s.settimeout(limit)
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


# Requests HTTP's grammar (RFC 9110/9112) or the parser behind cannot take.
# Each gets saltgw's JSON error (not Pistache's plain text), exactly one
# answer, and the end of the connection: its body is never read as a request.
MALFORMED = [
    ("version", b"POST / HTTP/7.5\r\nHost: x\r\n", 505, "HTTP/1.1"),
    ("version-garbage", b"POST / HTTP/x\r\nHost: x\r\n", 400, "request line"),
    ("double-space", b"POST  / HTTP/1.1\r\nHost: x\r\n", 400, "request line"),
    ("bare-lf", b"POST / HTTP/1.1\nHost: x\n", 400, "CRLF"),
    ("control-byte-target", b"POST /a\x01b HTTP/1.1\r\nHost: x\r\n", 400, "request target"),
    ("space-before-colon", b"POST / HTTP/1.1\r\nHost : x\r\n", 400, "field name"),
    ("obs-fold", b"POST / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n", 400, "folding"),
    ("no-colon", b"POST / HTTP/1.1\r\nHost x\r\n", 400, "no ':'"),
    ("content-length-nan", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n", 400, "Content-Length"),
    ("content-length-twice", b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n", 400,
     "Content-Length"),
    ("te-and-cl", b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n", 400,
     "Transfer-Encoding"),
    ("te-gzip", b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n", 501, "Transfer-Encoding"),
    ("typed-header", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: \r\n", 400, "Content-Type"),
]


@pytest.mark.parametrize("name,head,status,words", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_request_gets_one_json_error_and_the_connection_ends(gateway_factory, name, head, status,
                                                                         words):
    g = gateway_factory()
    s = _connect(g)
    nl = b"\n" if name == "bare-lf" else b"\r\n"
    inner = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"  # must never be answered
    try:
        s.sendall(head + nl + inner)
    except (BrokenPipeError, ConnectionResetError):
        pass
    data = _all_until_closed(s)
    s.close()
    assert data.count(b"HTTP/1.1 ") == 1, data  # one answer, not one for the body too
    head_bytes, _, body = data.partition(b"\r\n\r\n")
    assert head_bytes.startswith(b"HTTP/1.1 %d " % status), data
    assert b"Content-Type: application/json" in head_bytes, data
    assert b"Connection: close" in head_bytes, data
    error = _json.loads(body)["error"]
    assert words in error, error
    assert requests.get(g.url + "/", timeout=5).status_code == 200


def test_a_bad_chunked_body_ends_its_connection(gateway_factory):
    """A bad chunk size gets a JSON 400 that quotes it, then the connection
    ends, so what follows is never read as a request."""
    g = gateway_factory()
    s = _connect(g)
    inner = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n" + inner)
    data = _all_until_closed(s)
    assert data.count(b"HTTP/1.1 ") == 1, data
    assert data.startswith(b"HTTP/1.1 400 "), data
    assert b"chunk size 'ZZ' is not hexadecimal" in data, data
    s.close()
    assert requests.get(g.url + "/", timeout=5).status_code == 200


# --- idle keep-alive connections ---------------------------------------------

def _eof_after(s, limit):
    """Seconds until the server ends the connection (None: still open after `limit`)."""
    t0 = time.monotonic()
    s.settimeout(limit)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return time.monotonic() - t0
    except ConnectionResetError:
        return time.monotonic() - t0
    except _socket.timeout:
        return None


def test_an_idle_keepalive_connection_is_closed_after_keepalive_timeout(gateway_factory):
    g = gateway_factory(config_text="keepalive_timeout_seconds: 5\n")
    s = _connect(g)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    r = _read_response(s)
    assert r is not None and r[0] == 200
    assert r[1].get("connection", "").lower() == "keep-alive"
    idle = _eof_after(s, 20)
    s.close()
    assert idle is not None, "the idle connection was never closed"
    assert 3.5 <= idle <= 9, idle


def test_a_job_longer_than_keepalive_timeout_gets_its_answer_and_the_connection_lives_on(gateway_factory):
    g = gateway_factory(config_text="keepalive_timeout_seconds: 5\n")
    s = _connect(g)
    body = _json.dumps({"command": "test.sleep", "arg": [8]}).encode()
    t0 = time.monotonic()
    s.sendall(f"POST /dongle/{g.unit_id}/execute/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    r = _read_response(s, limit=40)
    assert r is not None, "connection closed while the job ran"
    assert r[0] == 200, r
    assert time.monotonic() - t0 >= 7.5
    assert _json.loads(r[2]) is True, r[2]
    # The same connection serves the next request, and is idle-closed afterwards.
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    r = _read_response(s)
    assert r is not None and r[0] == 200
    idle = _eof_after(s, 20)
    s.close()
    assert idle is not None and 3.5 <= idle <= 9, idle


def test_a_quiet_stream_outlives_keepalive_timeout_and_ends_at_its_maximum(gateway_factory):
    # answer_max = max(stream_max_seconds, job_timeout + 30 s) = 31 s here.
    g = gateway_factory(config_text="keepalive_timeout_seconds: 5\nstream_max_seconds: 10\njob_timeout: 1\n")
    s = _connect(g)
    s.sendall(f"GET /dongle/{g.unit_id}/events?tag=saltgw/nothing-ever/ HTTP/1.1\r\nHost: x\r\n"
              f"Accept: text/event-stream\r\n\r\n".encode())
    s.settimeout(5)
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        assert chunk, head
        head += chunk
    assert head.startswith(b"HTTP/1.1 200"), head
    t0 = time.monotonic()
    closed = _eof_after(s, 45)
    s.close()
    assert closed is not None, "the stream was never ended"
    assert 28 <= closed <= 36, closed  # not at 5 s (idle), but at answer_max
