"""Helpers for the saltgw-call tests: a real saltgw binary (SALTGW_BIN) serving
the sandbox minion that scripts/test.sh started (SALTGW_MINION_CONFIG).

Nothing is skipped: without the environment the fixtures fail loudly.
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SALTGW_CALL = ROOT / "packaging" / "saltgw-call" / "saltgw-call"


def env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the tests with scripts/test.sh")
    return value


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gateway:
    """saltgw on 127.0.0.1:<port> against the sandbox minion."""

    def __init__(self, tmp, port=None, extra_args=()):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / f"saltgw-{self.port}.log"
        self.log = open(self.log_path, "wb")
        args = [env("SALTGW_BIN"), "--minion-config", env("SALTGW_MINION_CONFIG"),
                "--listen", f"127.0.0.1:{self.port}", "--log-root", str(tmp),
                "--secret-file", str(tmp / "secret"), *extra_args]
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log)

    def wait_ready(self, limit=30):
        """Until a job goes through (the bus connects in the background).
        On failure saltgw is stopped before the error propagates."""
        try:
            return self._wait_ready(limit)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, limit):
        deadline = time.time() + limit
        unit = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"saltgw exited: {self.log_path.read_text()}")
            try:
                if unit is None:
                    with urllib.request.urlopen(self.url + "/", timeout=2) as r:
                        unit = json.load(r)["unit_id"]
                req = urllib.request.Request(
                    f"{self.url}/dongle/{unit}/execute/", method="POST",
                    data=json.dumps({"command": "test.ping", "arg": [], "kwarg": {}}).encode(),
                    headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=10) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise RuntimeError("saltgw never reached the minion: " + self.log_path.read_text()[-2000:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def run_call(*args, timeout=120):
    """Runs saltgw-call with this Python; returns the CompletedProcess."""
    return subprocess.run([sys.executable, str(SALTGW_CALL), *args], capture_output=True,
                          text=True, timeout=timeout)
