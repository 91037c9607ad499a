"""saltgw-call against a real saltgw and the sandbox minion."""
import json
import re
import subprocess
import sys
import time

import pytest

# Helpers live in gwhelpers.py, not in a conftest.py: tests/engine imports its
# own conftest by name, which a second conftest on sys.path would shadow.
from gwhelpers import SALTGW_CALL, Gateway, free_port, run_call


@pytest.fixture(scope="session")
def gateway(tmp_path_factory):
    g = Gateway(tmp_path_factory.mktemp("gw")).wait_ready()
    yield g
    g.stop()
    assert g.proc.returncode == 0, g.log_path.read_text()[-2000:]


@pytest.fixture
def call(gateway):
    def run(*args, timeout=120):
        return run_call("--url", gateway.url, *args, timeout=timeout)
    return run


def test_failing_state_prints_fail_and_exits_nonzero(call):
    r = call("state.sls", "gwfail")
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    fail = [line for line in lines if line.startswith("FAIL")]
    passed = [line for line in lines if line.startswith("PASS")]
    assert len(fail) == 1 and "gwfail-bad" in fail[0], r.stdout
    assert len(passed) == 1 and "gwfail-ok" in passed[0], r.stdout
    # run order (__run_num__): the passing state comes first
    assert lines.index(passed[0]) < lines.index(fail[0])
    assert "Succeeded: 1, Failed: 1" in r.stdout


def test_passing_state_exits_zero(call):
    r = call("state.sls", "gwtest")
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"^PASS\s+gwtest-ok", r.stdout, re.M), r.stdout
    assert "FAIL" not in r.stdout
    assert "Succeeded: 1, Failed: 0" in r.stdout


def test_json_output_parses(call):
    r = call("--json", "state.sls", "gwtest")
    assert r.returncode == 0, r.stderr
    states = json.loads(r.stdout)
    (state,) = states.values()
    assert state["result"] is True and state["__id__"] == "gwtest-ok"

    r = call("--json", "grains.item", "id")
    assert r.returncode == 0, r.stderr
    assert "id" in json.loads(r.stdout)


def test_echo_prints_text(call):
    r = call("test.echo", "hi")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "hi"


def test_arguments_are_quoted_for_execute_raw(call):
    r = call("--json", "test.arg", "two words", "n=1")
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)
    assert body["args"] == ["two words"]
    assert body["kwargs"]["n"] == 1


def test_nested_return_is_yaml_like(call):
    r = call("test.arg", "a", "k=v")
    assert r.returncode == 0, r.stderr
    assert re.search(r"^args:\n\s+- a$", r.stdout, re.M), r.stdout
    assert re.search(r"^\s+k: v$", r.stdout, re.M), r.stdout


def test_bad_function_is_an_error(call):
    r = call("no_such_module.nope")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "no_such_module.nope" in r.stderr
    assert r.stdout == ""


def test_unreachable_server_fails_after_wait(tmp_path):
    port = free_port()
    start = time.monotonic()
    r = run_call("--url", f"http://127.0.0.1:{port}", "--wait", "1", "test.ping")
    assert r.returncode == 2
    assert "not reachable" in r.stderr
    assert 0.8 < time.monotonic() - start < 10


def test_retries_until_the_server_is_up(tmp_path):
    port = free_port()
    client = subprocess.Popen([sys.executable, str(SALTGW_CALL), "--url", f"http://127.0.0.1:{port}",
                               "--wait", "20", "test.echo", "late"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    assert client.poll() is None, "saltgw-call gave up before the server started"
    gw = Gateway(tmp_path, port=port)
    try:
        out, err = client.communicate(timeout=60)
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()
        gw.stop()
    assert client.returncode == 0, out + err
    assert out.strip() == "late"
    assert "waiting" in err


def test_login_when_auth_is_required(tmp_path):
    gw = Gateway(tmp_path, extra_args=["--auth", "required"])
    try:
        r = run_call("--url", gw.url, "--wait", "20", "test.echo", "authed")
    finally:
        gw.stop()
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == "authed"


def test_progress_streams_state_results(tmp_path):
    """With --progress saltgw streams NDJSON; through the engine each state's
    result arrives as it finishes."""
    gw = Gateway(tmp_path, extra_args=["--dispatch", "engine"])
    try:
        r = run_call("--url", gw.url, "--wait", "20", "--progress", "state.sls", "gwmulti")
    finally:
        gw.stop()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "accepted, jid" in r.stderr
    progress = [line for line in r.stderr.splitlines() if re.search(r"\[\d+/8\] PASS", line)]
    assert len(progress) == 8, r.stderr
    assert "Succeeded: 8, Failed: 0" in r.stdout


def test_progress_accepts_a_plain_json_answer(call):
    r = call("--progress", "test.echo", "streamed")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "streamed"


def _stub_server(lines_for_accept):
    """A stand-in HTTP server for the streaming format, which the real saltgw
    may or may not offer: answers NDJSON when asked for it, else plain JSON."""
    import http.server
    import threading

    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            self._send(200, "application/json", b'{"unit_id": "00000000-0000-4000-8000-000000000001"}')

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            accept = self.headers.get("Accept", "")
            seen.append(accept)
            if "ndjson" in accept:
                body = b"".join(json.dumps(x).encode() + b"\n" for x in lines_for_accept)
                self._send(200, "application/x-ndjson", body)
            else:
                self._send(200, "application/json", b'"plain"')

        def _send(self, status, ctype, body):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}", seen


def test_progress_stream_is_shown_and_result_printed():
    srv, url, seen = _stub_server([
        {"type": "accepted", "jid": "20240101000000000001"},
        {"type": "progress", "message": "gwmulti-step-0 done"},
        {"type": "result", "return": {"k": "v"}},
    ])
    try:
        r = run_call("--url", url, "--progress", "state.sls", "gwmulti")
        plain = run_call("--url", url, "test.ping")
    finally:
        srv.shutdown()
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "k: v"
    assert "20240101000000000001" in r.stderr and "gwmulti-step-0 done" in r.stderr
    assert "ndjson" in seen[0]
    assert "ndjson" not in seen[1] and plain.stdout.strip() == "plain"


def test_progress_stream_error_exits_2():
    srv, url, _ = _stub_server([
        {"type": "accepted", "jid": "20240101000000000002"},
        {"type": "error", "error": "the minion went away", "kind": "connection_lost"},
    ])
    try:
        r = run_call("--url", url, "--progress", "test.ping")
    finally:
        srv.shutdown()
    assert r.returncode == 2
    assert "the minion went away" in r.stderr
