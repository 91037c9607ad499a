"""Shared helpers for the saltgw_executor engine tests."""
import importlib.util
import itertools
import os

import msgpack
import pytest
import zmq

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENGINE_PY = os.path.join(ROOT, "packaging", "salt", "engines", "saltgw_executor.py")
# The engine loads its sibling from its own directory: copy both, always.
ENGINE_FILES = (ENGINE_PY,) + tuple(os.path.join(ROOT, "packaging", "salt", "engines", name)
                                 for name in ("saltgw_function_index.py", "saltgw_job_runtime.py"))


def load_engine_module(name="saltgw_executor_under_test"):
    """Import the engine file as a plain module (no Salt loader)."""
    spec = importlib.util.spec_from_file_location(name, ENGINE_PY)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class Client:
    """A DEALER, as the C++ gateway uses: one msgpack map per frame."""

    def __init__(self, path):
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.linger = 0
        self.sock.connect(f"ipc://{path}")
        self._ids = itertools.count(1)

    def send(self, req):
        req = dict(req)
        req.setdefault("id", f"r{next(self._ids)}")
        self.sock.send(msgpack.packb(req, use_bin_type=True))
        return req["id"]

    def send_raw(self, *frames):
        self.sock.send_multipart(list(frames))

    def recv(self, timeout=10.0):
        if not self.sock.poll(int(timeout * 1000)):
            raise TimeoutError(f"no reply within {timeout} s")
        return msgpack.unpackb(self.sock.recv(), raw=False)

    def call(self, req, timeout=10.0):
        rid = self.send(req)
        reply = self.recv(timeout)
        assert reply.get("id") == rid, reply
        return reply

    def close(self):
        self.sock.close()
        self.ctx.term()


@pytest.fixture
def client_factory():
    clients = []

    def make(path):
        c = Client(path)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()
