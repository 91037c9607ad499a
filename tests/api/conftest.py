"""Fixtures for the HTTP API tests: a real saltgw binary serving the real
sandbox minion that scripts/test.sh started (SALTGW_MINION_CONFIG).

Nothing is skipped: without the environment the fixtures fail loudly.
"""
import os
import socket
import subprocess
import time

import pytest
import requests


def _env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the tests with scripts/test.sh")
    return value


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gateway:
    def __init__(self, tmp, extra_args=(), config_text=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tmp = tmp
        self.token = None
        self.log_root = tmp / "logs"
        (self.log_root / "salt").mkdir(parents=True, exist_ok=True)
        (self.log_root / "syslog").write_text("line one\nline two\n")
        (self.log_root / "salt" / "minion").write_text("minion log\n")
        outside = tmp / "outside-secret.txt"
        outside.write_text("must never be served\n")
        link = self.log_root / "escape"
        if not link.exists():
            link.symlink_to(outside)
        args = [_env("SALTGW_BIN"), "--minion-config", _env("SALTGW_MINION_CONFIG"),
                "--listen", f"127.0.0.1:{self.port}", "--log-root", str(self.log_root),
                "--secret-file", str(tmp / "secret"), *extra_args]
        if config_text is not None:
            cfg = tmp / "saltgw.yaml"
            cfg.write_text(config_text)
            args += ["--config", str(cfg)]
        self.stderr_path = tmp / f"saltgw-{self.port}.log"
        self.stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self.stderr, stderr=self.stderr)
        try:
            self._wait_started()
        except BaseException:
            self.stop()  # never leave a saltgw behind
            raise

    def _wait_started(self):
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"saltgw exited: {self.stderr_path.read_text()}")
            try:
                requests.get(self.url + "/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        self.unit_id = requests.get(self.url + "/", timeout=5).json()["unit_id"]
        self.wait_bus()

    def wait_bus(self, limit=30):
        """Until a job goes through (the bus connects in the background)."""
        deadline = time.time() + limit
        while time.time() < deadline:
            r = self.execute("test.ping")
            if r.status_code == 200:
                return
            if r.status_code == 401 and self.token is None:  # auth: required
                self.token = requests.post(self.url + "/auth/login/", timeout=5).json()["token"]
                continue
            time.sleep(0.2)
        raise RuntimeError("saltgw never reached the minion: " + self.stderr_path.read_text()[-2000:])

    def wait_function_list(self, limit=60):
        """Until saltgw has its copy of the minion's function list (loaded in
        the background after start; until then unknown functions reach the
        minion, which answers for itself)."""
        deadline = time.time() + limit
        while time.time() < deadline:
            if "functions loaded" in self.stderr_path.read_text(errors="replace"):
                return
            time.sleep(0.1)
        raise RuntimeError("saltgw never loaded the function list: " + self.stderr_path.read_text()[-2000:])

    def execute(self, command, arg=(), kwarg=None, unit=None, timeout=120):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return requests.post(f"{self.url}/dongle/{unit or self.unit_id}/execute/",
                             json={"command": command, "arg": list(arg), "kwarg": kwarg or {}},
                             headers=headers, timeout=timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.stderr.close()


@pytest.fixture(scope="session", params=["engine", "schedule"])
def gw(request, tmp_path_factory):
    """saltgw with each dispatch: every API test runs through both paths."""
    g = Gateway(tmp_path_factory.mktemp("gw"), ["--dispatch", request.param])
    g.dispatch = request.param
    yield g
    g.stop()
    assert g.proc.returncode == 0, g.stderr_path.read_text()[-2000:]


@pytest.fixture
def gateway_factory(tmp_path):
    started = []

    def make(*extra_args, config_text=None):
        g = Gateway(tmp_path, extra_args, config_text)
        started.append(g)
        return g

    yield make
    for g in started:
        g.stop()


@pytest.fixture(scope="session")
def minion_id():
    path = os.path.join(os.path.dirname(_env("SALTGW_MINION_CONFIG")), "minion_id")
    return open(path).read().strip()
