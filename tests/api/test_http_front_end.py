"""The HTTP front end (rest/http/): HEAD, pipelining, a slow client beside
prompt ones, and a server that does not wake up while nothing happens."""
import json
import os
import re
import socket
import time

import requests


def _connect(g, rcvbuf=None):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", g.port))
    s.settimeout(20)
    return s


def _read_head(s, buf=b""):
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        assert chunk, buf
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    fields = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    return int(lines[0].split()[1]), fields, rest


def _read_exactly(s, buf, n):
    while len(buf) < n:
        chunk = s.recv(1 << 20)
        assert chunk, f"closed after {len(buf)} of {n} bytes"
        buf += chunk
    return buf[:n], buf[n:]


def _dechunk(s, buf):
    """A whole chunked body from socket s (buf: bytes already read)."""
    body = b""
    while True:
        while b"\r\n" not in buf:
            chunk = s.recv(1 << 20)
            assert chunk
            buf += chunk
        line, buf = buf.split(b"\r\n", 1)
        size = int(line.split(b";")[0], 16)
        data, buf = _read_exactly(s, buf, size + 2)
        if size == 0:
            return body, buf
        body += data[:-2]


def test_head_answers_every_get_route_like_the_get_without_its_body(gateway_factory):
    g = gateway_factory()
    (g.log_root / "head.log").write_bytes(b"x" * 100_000)
    jid = g.execute("test.ping").headers["X-Salt-Jid"]
    u = f"/dongle/{g.unit_id}"
    routes = [("/", {}), ("/", {"Accept": "text/html", "Accept-Encoding": "gzip"}), ("/dongle/devices/", {}),
              ("/logs/", {}), ("/info/", {}), ("/ui/", {}), ("/download_log/?file=head.log", {}),
              (f"{u}/jobs/{jid}", {}), (f"{u}/settings/apn/", {}), ("/no/such/route", {}),
              ("/download_log/?file=missing.log", {})]
    for path, headers in routes:
        get = requests.get(g.url + path, headers={"Origin": "http://o.test", **headers}, timeout=30, stream=True)
        raw = get.raw.read(decode_content=False)  # as sent (gzipped, for the page)
        head = requests.head(g.url + path, headers={"Origin": "http://o.test", **headers}, timeout=30)
        assert head.status_code == get.status_code, path
        assert head.content == b"", path
        skip = {"content-length"} if "transfer-encoding" in get.headers else set()
        want = {k.lower(): v for k, v in get.headers.items() if k.lower() not in skip}
        got = {k.lower(): v for k, v in head.headers.items()}
        assert got == want, (path, got, want)
        if "transfer-encoding" not in get.headers:
            assert int(head.headers["Content-Length"]) == len(raw), path


def test_head_on_a_stream_sends_its_head_and_the_connection_carries_on(gateway_factory):
    g = gateway_factory()
    s = _connect(g)
    s.sendall(f"HEAD /dongle/{g.unit_id}/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"
              "GET / HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    status, fields, rest = _read_head(s)
    assert status == 200 and fields["content-type"] == "text/event-stream"
    status, fields, rest = _read_head(s, rest)  # the next answer follows at once: no body came between
    assert status == 200
    body, _ = _read_exactly(s, rest, int(fields["content-length"]))
    assert json.loads(body)["unit_id"] == g.unit_id
    s.close()


def test_head_where_get_is_not_allowed_is_405_naming_head(gateway_factory):
    g = gateway_factory()
    r = requests.head(f"{g.url}/dongle/{g.unit_id}/execute/", timeout=5)
    assert r.status_code == 405 and r.headers["Allow"] == "POST, OPTIONS"
    r = requests.get(f"{g.url}/dongle/{g.unit_id}/execute/", timeout=5)
    assert "HEAD" not in r.json()["error"]
    r = requests.options(f"{g.url}/dongle/{g.unit_id}/jobs/1", timeout=5)
    assert r.headers["Allow"] == "GET, HEAD, DELETE, OPTIONS"


def test_pipelined_requests_are_answered_in_order(gateway_factory):
    g = gateway_factory()
    s = _connect(g)
    s.sendall(b"GET /info/ HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"
              b"HEAD /logs/ HTTP/1.1\r\nHost: x\r\n\r\nGET /logs/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    rest = b""
    bodies = []
    for expect_body in (True, True, False, True):
        status, fields, rest = _read_head(s, rest)
        assert status == 200
        n = int(fields["content-length"]) if expect_body else 0
        body, rest = _read_exactly(s, rest, n)
        bodies.append(body)
    assert "saltgw_version" in json.loads(bodies[0])
    assert json.loads(bodies[1]) == {"unit_id": g.unit_id}
    assert isinstance(json.loads(bodies[3]), list)
    assert fields["connection"] == "close"
    assert s.recv(10) == b"" and rest == b""
    s.close()


def _prompt_while(g, seconds, what):
    """GET / on new connections for `seconds`: each must answer within 3 s."""
    worst = 0.0
    n = 0
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        t0 = time.monotonic()
        assert requests.get(g.url + "/", timeout=10).status_code == 200
        worst = max(worst, time.monotonic() - t0)
        n += 1
    assert worst < 3.0, f"GET / took {worst:.2f} s while {what}"  # the stalls this guards against were over 10 s
    return n


def test_a_client_that_does_not_read_a_big_download_stalls_no_one(gateway_factory):
    # One reactor thread: the slow client and the others share it.
    g = gateway_factory(config_text="threads: 1\n")
    size = 16 << 20  # far more than the sockets' buffers hold
    (g.log_root / "big.log").write_bytes(os.urandom(1 << 20) * 16)
    s = _connect(g, rcvbuf=4096)
    s.sendall(b"GET /download_log/?file=big.log HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.5)  # the socket's buffers fill; the rest waits in the server, a piece at a time
    assert _prompt_while(g, 3, "a client is 16 MB behind") > 5
    status, fields, rest = _read_head(s)
    assert status == 200 and int(fields["content-length"]) == size
    body, _ = _read_exactly(s, rest, size)
    assert body == (g.log_root / "big.log").read_bytes()
    s.close()


def test_a_client_that_does_not_read_a_big_result_stalls_no_one(gateway_factory):
    g = gateway_factory("--dispatch", "engine", config_text="threads: 1\n")
    size = 8_000_000
    body = json.dumps({"command": "cmd.run", "arg": [f"head -c {size} /dev/zero | tr '\\000' c"],
                       "kwarg": {"python_shell": True}}).encode()
    s = _connect(g, rcvbuf=4096)
    s.sendall(f"POST /dongle/{g.unit_id}/execute/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    _prompt_while(g, 6, "a client does not read an 8 MB result")
    status, fields, rest = _read_head(s)
    assert status == 200 and fields["transfer-encoding"] == "chunked"
    text, _ = _dechunk(s, rest)
    assert json.loads(text) == "c" * size
    s.close()


def _switches(pid, name_pattern):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            name = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
            if not re.search(name_pattern, name):
                continue
            for line in open(f"/proc/{pid}/task/{tid}/status"):
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    total += int(line.split(":")[1])
        except FileNotFoundError:
            pass
    return total


def test_the_http_threads_do_not_wake_while_nothing_happens(gateway_factory, record_property):
    g = gateway_factory(config_text="keepalive_timeout_seconds: 5\n")
    pid = g.proc.pid
    threads = [open(f"/proc/{pid}/task/{t}/comm").read().strip() for t in os.listdir(f"/proc/{pid}/task")]
    assert threads.count("saltgw-http") == 2, threads
    time.sleep(6)  # the fixture's own connections have closed
    before = _switches(pid, "^saltgw-http$")
    time.sleep(10)
    idle = _switches(pid, "^saltgw-http$") - before
    record_property("http_thread_switches_idle_10s", idle)
    assert idle == 0, f"the HTTP threads woke {idle} times in 10 s with no client"
    # One idle keep-alive client: woken to close it at its keep-alive timeout, and not otherwise.
    s = _connect(g)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    status, fields, rest = _read_head(s)
    assert status == 200 and fields["connection"] == "keep-alive"
    before = _switches(pid, "^saltgw-http$")
    s.settimeout(10)
    t0 = time.monotonic()
    rest = rest[int(fields["content-length"]):]
    assert s.recv(10) == b"" and rest == b""
    closed_after = time.monotonic() - t0
    time.sleep(3)
    woke = _switches(pid, "^saltgw-http$") - before
    s.close()
    record_property("http_thread_switches_one_keepalive_client", woke)
    assert 4.0 < closed_after < 6.5, closed_after
    assert woke <= 3, f"{woke} wake-ups for one idle keep-alive connection"
