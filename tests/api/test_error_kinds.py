"""Every error kind of docs/api-errors.md, provoked for real: the sandbox
minion where it can be (bad input, a raising function, a slow job, a big
result, limits, shutdown), a minion config with no minion behind it (bus
down, engine missing), a stand-in executor engine (a ZeroMQ ROUTER that
answers nonsense or goes away mid-job), and raw sockets for what HTTP's
grammar refuses. Each answer is checked for its status, a JSON body with
`error` and `kind`, and Retry-After exactly where the table says.

The kinds are read from docs/api-errors.md's table, so a kind documented
there and not walked here (or walked here and not documented) fails
test_every_documented_kind_is_walked.
"""
import os
import re
import signal
import socket
import threading
import time

import msgpack
import pytest
import requests
import zmq

from slow_jobs import hold_places
from test_faults import OwnMinion, Saltgw, wait_for

DOCS = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "api-errors.md")


def _env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the tests with scripts/test.sh")
    return value


def documented():
    """kind -> (status, retry_after) from the table in docs/api-errors.md."""
    kinds = {}
    for line in open(DOCS):
        m = re.match(r"^\| `([a-z_]+)` \| (\d{3})( \+ `Retry-After`)? \|", line)
        if m:
            kinds[m.group(1)] = (int(m.group(2)), bool(m.group(3)))
    assert len(kinds) > 20, f"no kind table found in {DOCS}"
    return kinds


KINDS = documented()

# Kinds no request can provoke, and why. They are in the table so a client
# knows them; the unit tests pin their status (tests/unit/error_map_test.cc).
UNREACHABLE = {
    "config": "a configuration error stops saltgw at start-up (exit 1); it never answers a request with it",
    "internal": "a bug by definition (a route the route table has and LocalApi does not serve)",
}


class Answer:
    """One HTTP answer, from requests or a raw socket."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body

    @classmethod
    def of(cls, r):
        return cls(r.status_code, dict(r.headers), r.content)


def raw_request(g, data, limit=10):
    """Sends raw bytes; the one answer before the server closes (or limit)."""
    s = socket.create_connection(("127.0.0.1", g.port), timeout=limit)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        got = b""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            got += chunk
            head, sep, body = got.partition(b"\r\n\r\n")
            if sep:
                fields = dict(l.split(":", 1) for l in head.decode().split("\r\n")[1:])
                length = int(fields.get("Content-Length", fields.get("content-length", "-1")).strip())
                if 0 <= length <= len(body):
                    break
    finally:
        s.close()
    head, _, body = got.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0].startswith("HTTP/1.1 "), got[:300]
    headers = {k.strip(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    return Answer(int(lines[0].split()[1]), headers, body)


def assert_error(answer, kind):
    """status, JSON body with error and kind, Retry-After exactly when due."""
    import json
    status, retry = KINDS[kind]
    assert answer.status == status, f"{kind}: {answer.status} {answer.body[:300]!r}"
    assert answer.headers.get("content-type", "").startswith("application/json"), (kind, answer.headers)
    body = json.loads(answer.body)
    assert isinstance(body.get("error"), str) and body["error"], (kind, body)
    assert body.get("kind") == kind, (kind, body)
    if retry:
        assert int(answer.headers["retry-after"]) >= 1, (kind, answer.headers)
    else:
        assert "retry-after" not in answer.headers, (kind, answer.headers)
    return body


# ---- a stand-in executor engine --------------------------------------------------

class StandInEngine:
    """Answers ping and the function list like the real engine; every other
    run gets `on_run(request)`'s reply, or the socket is closed when it
    returns None (the engine went away mid-job)."""

    def __init__(self, path, on_run):
        self.endpoint = f"ipc://{path}"
        self.on_run = on_run
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.bind(self.endpoint)
        self.runs = []
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _reply(self, ident, body):
        self.sock.send_multipart([ident, msgpack.packb(body, use_bin_type=True)])

    def _serve(self):
        poller = zmq.Poller()
        poller.register(self.sock, zmq.POLLIN)
        while not self.stopping:
            if not poller.poll(100):
                continue
            ident, frame = self.sock.recv_multipart()
            req = msgpack.unpackb(frame, raw=False)
            rid = req.get("id")
            if req.get("op") == "ping":
                self._reply(ident, {"id": rid, "op": "pong", "engine": "saltgw_executor", "protocol": 2,
                                    "salt_version": "3006.23", "python_version": "3.11", "pid": os.getpid()})
            elif req.get("op") == "functions":
                self._reply(ident, {"id": rid, "functions": ["test.ping", "test.sleep"]})
            elif req.get("fun") == "sys.list_functions":
                self._reply(ident, {"id": rid, "jid": req.get("jid"), "fun": req.get("fun"),
                                    "return": ["test.ping", "test.sleep"], "success": True, "retcode": 0})
            else:
                self.runs.append(req)
                reply = self.on_run(req)
                if reply is None:
                    self.sock.close(0)  # gone mid-job
                    return
                self._reply(ident, reply)

    def close(self):
        self.stopping = True
        self.thread.join(5)
        if not self.sock.closed:
            self.sock.close(0)
        self.ctx.term()


@pytest.fixture
def stand_in_engine(tmp_path):
    made = []

    def make(on_run):
        e = StandInEngine(tmp_path / f"engine-{len(made)}.ipc", on_run)
        made.append(e)
        return e

    yield make
    for e in made:
        e.close()


# ---- gateways -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One saltgw on the sandbox minion (schedule dispatch) with small limits."""
    g = Saltgw(str(tmp_path_factory.mktemp("kinds")), _env("SALTGW_MINION_CONFIG"), "--dispatch", "schedule",
               config_text="header_timeout_seconds: 1\nmax_body_bytes: 1024\nfunctions_deny: [\"cmd.shell\"]\n")
    g.wait_job_ok(30)
    yield g
    g.stop()


@pytest.fixture
def gw_with(tmp_path):
    started = []

    def make(*extra, minion_config=None, config_text=None, wait=True):
        g = Saltgw(str(tmp_path), minion_config or _env("SALTGW_MINION_CONFIG"), *extra, config_text=config_text)
        started.append(g)
        if wait:
            g.wait_job_ok(30)
        return g

    yield make
    for g in started:
        g.stop()


@pytest.fixture
def no_minion():
    """A minion config with nothing behind it (no bus, no engine)."""
    m = OwnMinion()
    m.write_config()
    os.makedirs(m.sock_dir, exist_ok=True)
    yield m
    m.cleanup()


def execute(g, fun, arg=(), timeout=60, **kw):
    return requests.post(f"{g.url}/dongle/{g.unit_id}/execute/", json={"command": fun, "arg": list(arg), **kw},
                         timeout=timeout)


# ---- the walk: one test per kind ------------------------------------------------------

def test_invalid_argument(shared):
    r = requests.post(f"{shared.url}/dongle/{shared.unit_id}/execute/", data="{", timeout=10)
    assert_error(Answer.of(r), "invalid_argument")
    r = requests.post(f"{shared.url}/dongle/{shared.unit_id}/execute_raw/", json={"command": "test.arg 'open"},
                      timeout=10)
    assert "cannot split" in assert_error(Answer.of(r), "invalid_argument")["error"]


def test_unknown_function(shared):
    assert_error(Answer.of(execute(shared, "nosuch.function_here")), "unknown_function")


def test_function_failed_names_the_function(shared):
    body = assert_error(Answer.of(execute(shared, "test.exception", ["it broke"])), "function_failed")
    assert "test.exception" in body["error"]


def test_timeout(gw_with):
    g = gw_with("--dispatch", "schedule", "--job-timeout", "1")
    t0 = time.monotonic()
    assert_error(Answer.of(execute(g, "test.sleep", [5])), "timeout")
    assert time.monotonic() - t0 < 4.5


def test_minion_unreachable(gw_with, no_minion):
    g = gw_with("--dispatch", "schedule", minion_config=no_minion.config, wait=False)
    assert_error(Answer.of(execute(g, "test.ping", timeout=20)), "minion_unreachable")


def test_engine_unavailable(gw_with, no_minion):
    g = gw_with("--dispatch", "engine", minion_config=no_minion.config, wait=False)
    assert_error(Answer.of(execute(g, "test.ping", timeout=20)), "engine_unavailable")


def test_connection_lost_when_the_engine_goes_away_mid_job(gw_with, stand_in_engine):
    engine = stand_in_engine(lambda req: None)
    g = gw_with("--dispatch", "engine", "--engine-socket", engine.endpoint, wait=False)
    r = execute(g, "test.sleep", [3], timeout=30)
    assert [run["fun"] for run in engine.runs] == ["test.sleep"]
    assert_error(Answer.of(r), "connection_lost")


def test_protocol_when_the_engine_answers_nonsense(gw_with, stand_in_engine):
    engine = stand_in_engine(lambda req: {"id": req.get("id"), "error": "no such op: run"})
    g = gw_with("--dispatch", "engine", "--engine-socket", engine.endpoint, wait=False)
    body = assert_error(Answer.of(execute(g, "test.ping", timeout=30)), "protocol")
    assert "no such op" in body["error"]


def test_result_trimmed_by_the_minion(shared):
    # Through the minion's scheduler the result travels as one event, which
    # the minion trims beyond max_event_size (1 MiB by default).
    r = requests.post(f"{shared.url}/dongle/{shared.unit_id}/execute/",
                      json={"command": "cmd.run", "arg": ["head -c 3000000 /dev/zero | tr '\\000' a"],
                            "kwarg": {"python_shell": True}}, timeout=120)
    body = assert_error(Answer.of(r), "result_trimmed")
    assert "max_event_size" in body["error"]


def test_overloaded_is_503_with_retry_after(gw_with):
    g = gw_with("--dispatch", "schedule", config_text="max_jobs: 1\nmax_jobs_per_client: 1\n")
    r, held = hold_places(g, 1, 4, lambda: execute(g, "test.ping", timeout=30), 503)
    body = assert_error(Answer.of(r), "overloaded")
    assert "max_jobs" in body["error"]
    assert held[0].last()["type"] == "result"


def test_overloaded_connections_too(gw_with):
    g = gw_with("--dispatch", "schedule", config_text="max_connections: 1\n")
    held = socket.create_connection(("127.0.0.1", g.port), timeout=5)
    try:
        time.sleep(0.3)
        body = assert_error(raw_request(g, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "overloaded")
        assert "max_connections" in body["error"]
    finally:
        held.close()


def test_cancelled_at_shutdown(gw_with):
    g = gw_with("--dispatch", "schedule", config_text="shutdown_grace_seconds: 2\n")
    _, (running,) = hold_places(g, 1, 30, lambda: requests.get(g.url + "/", timeout=10), 200)
    g.proc.send_signal(signal.SIGTERM)
    wait_for("saltgw to start draining", lambda: "shutting down" in g.log(), 10)
    assert_error(Answer.of(execute(g, "test.ping", timeout=10)), "cancelled")  # refused while draining
    last = running.last()  # cut at the grace period
    assert last["type"] == "error" and last["kind"] == "cancelled" and last["status"] == 503, last
    assert g.proc.wait(15) == 0


def test_not_found(shared):
    assert_error(Answer.of(requests.get(shared.url + "/no/such/route", timeout=10)), "not_found")
    r = requests.get(f"{shared.url}/dongle/{shared.unit_id}/jobs/20000101000000000000/", timeout=10)
    assert_error(Answer.of(r), "not_found")


def test_unauthorized(shared):
    other = "3f1d2c4b-0000-4000-8000-000000000001"
    r = requests.post(f"{shared.url}/dongle/{other}/execute/", json={"command": "test.ping"}, timeout=10)
    assert_error(Answer.of(r), "unauthorized")


def test_unauthorized_without_a_token(gw_with):
    g = gw_with("--dispatch", "schedule", "--auth", "required", wait=False)
    r = requests.get(g.url + "/info/", timeout=10)
    assert_error(Answer.of(r), "unauthorized")
    assert r.headers["WWW-Authenticate"] == "Bearer"


def test_forbidden(shared):
    assert_error(Answer.of(execute(shared, "cmd.shell", ["id"])), "forbidden")


def test_method_not_allowed(shared):
    r = requests.delete(shared.url + "/info/", timeout=10)
    assert_error(Answer.of(r), "method_not_allowed")
    assert r.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_request_timeout(shared):
    s = socket.create_connection(("127.0.0.1", shared.port), timeout=10)
    try:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and never the rest
        got = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    finally:
        s.close()
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), got[:300]
    fields = dict(l.split(":", 1) for l in head.decode().split("\r\n")[1:])
    assert_error(Answer(408, {k.strip(): v.strip() for k, v in fields.items()}, body), "request_timeout")


def test_conflict(shared):
    r = requests.post(f"{shared.url}/dongle/{shared.unit_id}/execute/?async=1", json={"command": "test.ping"},
                      timeout=10)
    assert r.status_code == 202
    job = f"{shared.url}/dongle/{shared.unit_id}/jobs/{r.json()['jid']}/"
    wait_for("the job to end", lambda: requests.get(job, timeout=5).json()["status"] != "running", 30)
    assert_error(Answer.of(requests.delete(job, timeout=10)), "conflict")


def test_body_too_large(shared):
    r = requests.post(f"{shared.url}/dongle/{shared.unit_id}/execute/",
                      json={"command": "test.echo", "arg": ["x" * 2000]}, timeout=10)
    assert_error(Answer.of(r), "body_too_large")


def test_too_many_requests(gw_with):
    g = gw_with("--dispatch", "schedule", config_text="max_jobs: 4\nmax_jobs_per_client: 1\n")
    r, held = hold_places(g, 1, 4, lambda: execute(g, "test.ping", timeout=30), 429)
    body = assert_error(Answer.of(r), "too_many_requests")
    assert "max_jobs_per_client" in body["error"]
    assert held[0].last()["type"] == "result"


def test_headers_too_large(shared):
    headers = {f"X-Pad-{i}": "p" for i in range(100)}
    assert_error(Answer.of(requests.get(shared.url + "/", headers=headers, timeout=10)), "headers_too_large")


def test_not_implemented(shared):
    body = assert_error(raw_request(shared, b"QUERY / HTTP/1.1\r\nHost: x\r\n\r\n"), "not_implemented")
    assert "QUERY" in body["error"]


def test_http_version_not_supported(shared):
    assert_error(raw_request(shared, b"GET / HTTP/7.5\r\nHost: x\r\n\r\n"), "http_version_not_supported")


def test_every_documented_kind_is_walked():
    walked = {name[len("test_"):] for name in globals() if name.startswith("test_")}
    for kind in KINDS:
        assert kind in UNREACHABLE or any(w == kind or w.startswith(kind + "_") for w in walked), \
            f"{kind} is documented but no test here provokes it"
    for kind in UNREACHABLE:
        assert KINDS[kind][0] == 500, kind
