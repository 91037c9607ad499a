"""A minion older than the executor engine supports (Salt < 3006; AutoPi's
older fleet runs 2017.7 on Python 2.7): saltgw must not use the engine, must
serve jobs through the minion's scheduler, and `saltgw --check` must say so.

The engine here is a stand-in: a ZeroMQ ROUTER that answers ping as the real
engine would on such a minion (salt_version "2017.7.8") and records every
request. The jobs themselves go to the real sandbox minion.
"""
import os
import subprocess
import threading

import msgpack
import pytest
import zmq



def _env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the tests with scripts/test.sh")
    return value


class OldEngine:
    def __init__(self, path, salt_version):
        self.endpoint = f"ipc://{path}"
        self.ops = []
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.ROUTER)
        self.sock.bind(self.endpoint)
        self.salt_version = salt_version
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        poller = zmq.Poller()
        poller.register(self.sock, zmq.POLLIN)
        while not self.stopping:
            if not poller.poll(100):
                continue
            ident, frame = self.sock.recv_multipart()
            req = msgpack.unpackb(frame, raw=False)
            self.ops.append(req.get("op"))
            if req.get("op") == "ping":
                reply = {"id": req.get("id"), "op": "pong", "engine": "saltgw_executor", "protocol": 1,
                         "salt_version": self.salt_version, "python_version": "2.7.18", "pid": os.getpid()}
                self.sock.send_multipart([ident, msgpack.packb(reply, use_bin_type=True)])

    def close(self):
        self.stopping = True
        self.thread.join(5)
        self.sock.close(0)
        self.ctx.term()


@pytest.fixture
def old_engine(tmp_path):
    e = OldEngine(tmp_path / "old-engine.ipc", "2017.7.8")
    yield e
    e.close()


def test_check_says_in_words_that_the_minion_is_too_old_for_the_engine(old_engine):
    r = subprocess.run([_env("SALTGW_BIN"), "--check", "--minion-config", _env("SALTGW_MINION_CONFIG"),
                        "--engine-socket", old_engine.endpoint], capture_output=True, text=True, timeout=120)
    out = r.stdout + r.stderr
    assert "ping" in old_engine.ops, out
    assert ("INFO executor engine: the minion runs Salt 2017.7.8, older than the executor engine supports "
            "(Salt 3006 or newer on Python 3.7 or newer), so saltgw dispatches jobs through the minion's "
            "scheduler (schedule)") in out, out
    assert "OK   dispatch: schedule (auto)" in out, out
    assert r.returncode == 0, out


def test_check_fails_when_engine_dispatch_is_forced_on_a_too_old_minion(old_engine):
    r = subprocess.run([_env("SALTGW_BIN"), "--check", "--minion-config", _env("SALTGW_MINION_CONFIG"),
                        "--engine-socket", old_engine.endpoint, "--dispatch", "engine"],
                       capture_output=True, text=True, timeout=120)
    out = r.stdout + r.stderr
    assert "FAIL executor engine: the minion runs Salt 2017.7.8" in out, out
    assert r.returncode == 1, out


def test_auto_dispatch_uses_the_scheduler_not_an_engine_on_a_too_old_minion(gateway_factory, old_engine):
    g = gateway_factory("--dispatch", "auto", "--engine-socket", old_engine.endpoint)
    assert g.execute("test.ping").json() is True
    r = g.execute("test.arg", ["through", "the", "scheduler"])
    assert r.status_code == 200 and r.json()["args"] == ["through", "the", "scheduler"], r.text
    assert "run" not in old_engine.ops and "ping" in old_engine.ops, old_engine.ops
    log = g.stderr_path.read_text()
    assert "older than the executor engine supports" in log, log[-1500:]
