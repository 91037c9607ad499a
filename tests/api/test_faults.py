"""Fault tests: saltgw against a minion that is missing, killed, restarted or
replaced, a bus that speaks garbage, a broken log root, and signals.

Destructive tests use their OWN sandbox minions (tests/sandbox/sandbox_minion.py
in short temp dirs: unix socket paths are limited to 107 bytes) and always kill
them in a finalizer; the shared minion of scripts/test.sh is only used by the
signal tests, which do not harm it. Fake buses and non-Salt listeners are
served from this process at the socket paths Salt would use. Every wait has a
deadline; no test should take more than about 20 s.
"""
import hashlib
import importlib.util
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid

import msgpack
import pytest
import requests

JOB_ROUTE_KINDS_DOWN = {"minion_unreachable", "engine_unavailable"}


def _env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the tests with scripts/test.sh")
    return value


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, predicate, timeout, interval=0.05):
    """predicate() until it returns something truthy; fails naming `what`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except (requests.ConnectionError, requests.Timeout) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def job_until(g, what, cond, timeout):
    """Runs test.ping through g until cond(response); returns that response.
    (A requests.Response is falsy for 4xx/5xx, so it is wrapped for wait_for.)"""
    def attempt():
        assert g.alive(), g.log()[-3000:]
        r = g.execute("test.ping", timeout=15)
        return [r] if cond(r) else None
    return wait_for(what, attempt, timeout, interval=0.1)[0]


def _sandbox_module():
    spec = importlib.util.spec_from_file_location("sandbox_minion", _env("SALTGW_SANDBOX_SCRIPT"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def bus_paths(sock_dir, minion_id):
    """Salt's rule (salt.utils.event.SaltEvent): minion_event_<sha256(id)[:10]>_{pub,pull}.ipc."""
    h = hashlib.sha256(minion_id.encode()).hexdigest()[:10]
    return (os.path.join(sock_dir, f"minion_event_{h}_pub.ipc"),
            os.path.join(sock_dir, f"minion_event_{h}_pull.ipc"))


# ---- an own sandbox minion -------------------------------------------------------

class OwnMinion:
    """A sandbox minion in its own short temp dir, killed at the end of the test."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="/tmp/sgf-")
        self.config = os.path.join(self.dir, "etc", "salt", "minion")
        self.sock_dir = os.path.join(self.dir, "run", "minion")
        self.id = uuid.uuid4().hex

    def write_config(self):
        """The minion's config without starting it (what saltgw reads at start)."""
        _sandbox_module().write_config(self.dir, self.id, "ipc", {})
        with open(os.path.join(self.dir, "etc", "salt", "minion_id"), "w") as f:
            f.write(self.id + "\n")
        return self.config

    def start(self, engine=False):
        cmd = [_env("SALTGW_SANDBOX_PY"), _env("SALTGW_SANDBOX_SCRIPT"), "start", self.dir, "--id", self.id,
               "--timeout", "60"]
        if engine:
            cmd.append("--engine")
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
        assert out.returncode == 0, f"own sandbox minion did not start: {out.stdout}{out.stderr}"
        assert out.stdout.strip().endswith("/etc/salt/minion")
        return self.config

    def pid(self):
        try:
            return int(open(os.path.join(self.dir, "sandbox.pid")).read().strip())
        except (OSError, ValueError):
            return None

    def kill(self):
        """SIGKILL to the minion's process group (it runs in its own session)."""
        pid = self.pid()
        if pid is None:
            return
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        try:
            os.unlink(os.path.join(self.dir, "sandbox.pid"))
        except FileNotFoundError:
            pass

    def cleanup(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def own_minion():
    made = []

    def make():
        m = OwnMinion()
        made.append(m)
        return m

    yield make
    for m in made:
        m.cleanup()


# ---- a saltgw process -----------------------------------------------------------

class Saltgw:
    def __init__(self, tmp, minion_config, *extra, config_text=None, log_root=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(tmp, f"saltgw-{self.port}.log")
        self.log_root = log_root or os.path.join(tmp, "logs")
        os.makedirs(self.log_root, exist_ok=True)
        args = [_env("SALTGW_BIN"), "--minion-config", minion_config, "--listen", f"127.0.0.1:{self.port}",
                "--secret-file", os.path.join(tmp, "secret")]
        if log_root is not False:
            args += ["--log-root", self.log_root]
        if config_text is not None:
            self.config_path = os.path.join(tmp, f"saltgw-{self.port}.yaml")
            with open(self.config_path, "w") as f:
                f.write(config_text)
            args += ["--config", self.config_path]
        args += list(extra)
        self.stderr = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self.stderr, stderr=self.stderr)
        # The unit id comes from the answer that shows saltgw is up: a second
        # request could race the first one's close under max_connections: 1.
        try:
            self.unit_id = wait_for("saltgw to answer GET /", self._root_unit_id, 20)
        except BaseException:
            self.proc.kill()  # no fixture holds it yet: it would outlive the test run
            self.proc.wait()
            self.stderr.close()
            raise

    def _root_unit_id(self):
        if self.proc.poll() is not None:
            pytest.fail(f"saltgw exited with {self.proc.returncode}: {self.log()[-3000:]}")
        r = requests.get(self.url + "/", timeout=2)
        return r.json()["unit_id"] if r.status_code == 200 else None

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def execute(self, fun, arg=(), timeout=30, **kw):
        return requests.post(f"{self.url}/dongle/{self.unit_id}/execute/",
                             json={"command": fun, "arg": list(arg)}, timeout=timeout, **kw)

    def wait_job_ok(self, timeout):
        return job_until(self, "a job to go through", lambda r: r.status_code == 200, timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()
        return self.proc.returncode


@pytest.fixture
def saltgw(tmp_path):
    started = []

    def make(minion_config, *extra, **kw):
        g = Saltgw(str(tmp_path), minion_config, *extra, **kw)
        started.append(g)
        return g

    yield make
    for g in started:
        g.stop()


def assert_json_error(r, statuses, kinds=None):
    assert r.status_code in statuses, f"{r.status_code} {r.text[:500]}"
    assert r.headers["Content-Type"].startswith("application/json"), r.headers
    body = r.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    if kinds is not None:
        assert body.get("kind") in kinds, body
    return body


# ---- fake buses and non-Salt listeners ----------------------------------------------

class UnixServer:
    """Listens at `path`; hands every connection to on_conn(conn) in a thread."""

    def __init__(self, path, on_conn):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.exists(path):
            os.unlink(path)
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.on_conn = on_conn
        self.accepted = 0
        self.conns = []
        self.stopping = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted += 1
            self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            self.on_conn(conn)
        except OSError:
            pass

    def close(self):
        self.stopping = True
        self.thread.join(2)
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass
        self.sock.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def drain_forever(conn):
    while conn.recv(65536):
        pass


class FakeBus:
    """A Salt-like event bus: frames pushed into the pull socket are published
    to every pub connection (as the minion's EventPublisher does), and the test
    can publish raw bytes of its own."""

    def __init__(self, pub_path, pull_path):
        self.pubs = []
        self.lock = threading.Lock()
        self.pub = UnixServer(pub_path, self._on_pub)
        self.pull = UnixServer(pull_path, self._on_pull)

    def _on_pub(self, conn):
        with self.lock:
            self.pubs.append(conn)
        drain_forever(conn)

    def _on_pull(self, conn):
        unpacker = msgpack.Unpacker(raw=False, max_buffer_size=1 << 24)
        while True:
            data = conn.recv(65536)
            if not data:
                return
            unpacker.feed(data)
            try:
                for frame in unpacker:
                    body = frame["body"] if isinstance(frame, dict) else None
                    if body is not None:
                        self.publish(msgpack.packb({"head": {}, "body": body}, use_bin_type=True))
            except (ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError, TypeError):
                conn.close()  # not a plain frame (e.g. a length-prefixed probe): hang up, as Salt would
                return

    def publish(self, raw):
        with self.lock:
            conns = list(self.pubs)
        for c in conns:
            try:
                c.sendall(raw)
            except OSError:
                with self.lock:
                    if c in self.pubs:
                        self.pubs.remove(c)

    def close(self):
        self.pub.close()
        self.pull.close()


def fake_minion_config(tmp):
    """A minion config (no minion) in a short dir; returns (config, sock_dir, id)."""
    m = OwnMinion()
    m.write_config()
    os.makedirs(m.sock_dir, exist_ok=True)
    tmp.append(m)
    return m


@pytest.fixture
def fake_dirs():
    made = []
    yield made
    for m in made:
        m.cleanup()


# ---- the tests ------------------------------------------------------------------------

def test_minion_down_at_start_then_recovers_without_restart(own_minion, saltgw):
    m = own_minion()
    config = m.write_config()  # the minion is not running
    g = saltgw(config, "--dispatch", "auto")

    r = requests.get(g.url + "/", timeout=5)
    assert r.status_code == 200 and r.json()["unit_id"] == str(uuid.UUID(m.id))
    for r in [g.execute("test.ping"),
              requests.post(f"{g.url}/dongle/{g.unit_id}/execute_raw/", json={"command": "test.ping"}, timeout=10),
              requests.get(f"{g.url}/dongle/{g.unit_id}/settings/apn/", timeout=10)]:
        body = assert_json_error(r, {503}, {"minion_unreachable"})
        assert "Retry-After" in r.headers
        assert "minion" in body["error"].lower()

    m.start()  # same dir, same config, same id
    r = g.wait_job_ok(30)
    assert r.json() is True
    assert g.alive()


@pytest.mark.parametrize("dispatch", ["schedule", "engine"])
def test_minion_killed_mid_job_answers_error_then_recovers(own_minion, saltgw, dispatch):
    m = own_minion()
    config = m.start(engine=True)
    g = saltgw(config, "--dispatch", dispatch)
    g.wait_job_ok(20)

    results = queue.Queue()

    def plain():
        t0 = time.monotonic()
        try:
            results.put(("plain", g.execute("test.sleep", [60], timeout=40), time.monotonic() - t0))
        except Exception as exc:  # noqa: BLE001 - reported below
            results.put(("plain", exc, time.monotonic() - t0))

    threading.Thread(target=plain, daemon=True).start()
    streamed = requests.post(f"{g.url}/dongle/{g.unit_id}/execute/?stream=1",
                             json={"command": "test.sleep", "arg": [60]}, stream=True, timeout=40)
    lines = streamed.iter_lines()
    assert json.loads(next(lines))["type"] == "accepted"
    time.sleep(1.0)  # let the minion start both jobs (a schedule job forks a worker)

    m.kill()
    t_kill = time.monotonic()
    rest = [json.loads(line) for line in lines if line]
    assert rest and rest[-1]["type"] == "error", rest
    assert rest[-1]["status"] in (502, 503) and rest[-1]["kind"] in {"connection_lost", "minion_unreachable",
                                                                     "engine_unavailable"}, rest[-1]
    _, r, _ = results.get(timeout=30)
    assert not isinstance(r, Exception), r
    assert_json_error(r, {502, 503}, {"connection_lost", "minion_unreachable", "engine_unavailable"})
    assert time.monotonic() - t_kill < 15, "the in-flight jobs were not answered promptly"
    assert g.alive()
    assert requests.get(g.url + "/", timeout=5).status_code == 200

    m.start(engine=True)
    assert g.wait_job_ok(30).json() is True
    assert g.alive()


def test_engine_socket_removed_then_minion_restart(own_minion, saltgw):
    m = own_minion()
    config = m.start(engine=True)
    g = saltgw(config, "--dispatch", "engine")
    g.wait_job_ok(20)
    engine_sock = os.path.join(m.sock_dir, "saltgw.ipc")
    assert os.path.exists(engine_sock)

    os.unlink(engine_sock)
    # The established ZeroMQ connection may live on; either the job runs or it
    # gets a clear JSON error. Never a crash or a hang.
    r = g.execute("test.ping", timeout=15)
    if r.status_code != 200:
        body = assert_json_error(r, {502, 503}, {"engine_unavailable", "connection_lost"})
        assert "engine" in body["error"].lower()
    assert g.alive()

    # The engine goes away for good (minion killed): a clear 503, at once.
    m.kill()
    t0 = time.monotonic()
    r = job_until(g, "a job error once the engine is gone", lambda r: r.status_code != 200, 15)
    body = assert_json_error(r, {502, 503}, {"engine_unavailable", "connection_lost"})
    assert "engine" in body["error"].lower(), body
    assert time.monotonic() - t0 < 15
    r = job_until(g, "503 engine_unavailable", lambda r: r.status_code == 503, 10)
    body = assert_json_error(r, {503}, {"engine_unavailable"})
    assert "Retry-After" in r.headers
    assert requests.get(g.url + "/", timeout=5).status_code == 200
    assert g.alive()

    # Minion restart: the engine binds its socket again and jobs work.
    m.start(engine=True)
    assert os.path.exists(engine_sock)
    assert g.wait_job_ok(30).json() is True


@pytest.mark.parametrize("listener", ["silent", "banner"])
def test_non_salt_listener_on_bus_paths_is_never_a_minion(fake_dirs, saltgw, listener):
    m = fake_minion_config(fake_dirs)
    pub_path, pull_path = bus_paths(m.sock_dir, m.id)

    def on_pub(conn):
        if listener == "banner":
            conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
        drain_forever(conn)

    pub = UnixServer(pub_path, on_pub)
    pull = UnixServer(pull_path, drain_forever)  # swallows what saltgw pushes, never answers
    try:
        g = saltgw(m.config, "--dispatch", "schedule")
        # Two hello timeouts (2 s each) and then some: saltgw must keep refusing jobs.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            r = g.execute("test.ping", timeout=10)
            body = assert_json_error(r, {503}, {"minion_unreachable"})
            assert requests.get(g.url + "/", timeout=5).status_code == 200
            time.sleep(0.25)
        wait_for("saltgw to try the bus again", lambda: pub.accepted >= 2, 10)
        assert g.alive()
        log = g.log()
        assert "event bus: connected" not in log, log[-3000:]
        assert "event bus" in log  # the reason it is not connected is logged
        assert "bus" in body["error"].lower() or "minion" in body["error"].lower()
    finally:
        pub.close()
        pull.close()


def _frame(body):
    return msgpack.packb({"head": {}, "body": body}, use_bin_type=True)


GARBAGE = [
    # (name, bytes on the pub socket, does saltgw have to drop the connection?)
    ("never-used byte 0xc1", b"\xc1" + _frame(b"x\n\n\x80"), True),
    ("frame that is not a map", msgpack.packb([1, 2, 3]), True),
    ("frame without a body", msgpack.packb({"head": {}}), True),
    ("body neither str nor bin", msgpack.packb({"head": {}, "body": 5}), True),
    ("arrays nested 100000 deep", b"\x91" * 100000, True),
    ("map32 header claiming 4 billion pairs", b"\xdf\xff\xff\xff\xff", True),
    ("undecodable event in a good frame", _frame(b"some/tag\n\n\xc1\xc1"), False),
    ("event without a tag separator", _frame(b"short"), False),
]


def test_malformed_frames_on_the_bus_log_reconnect_and_live(fake_dirs, saltgw):
    m = fake_minion_config(fake_dirs)
    pub_path, pull_path = bus_paths(m.sock_dir, m.id)
    bus = FakeBus(pub_path, pull_path)
    try:
        g = saltgw(m.config, "--dispatch", "schedule")
        wait_for("saltgw to connect to the fake bus", lambda: "event bus: connected" in g.log(), 10)
        for name, raw, drops in GARBAGE:
            connects = g.log().count("event bus: connected")
            accepted = bus.pub.accepted
            log_before = len(g.log())
            bus.publish(raw)
            if drops:
                wait_for(f"a reconnect after: {name}",
                         lambda: g.log().count("event bus: connected") > connects and bus.pub.accepted > accepted, 10)
                said = g.log()[log_before:]
                assert "pub socket" in said or "frame" in said, f"{name}: no reason logged: {said[-1500:]}"
            else:
                wait_for(f"a warning about: {name}", lambda: "undecodable" in g.log()[log_before:], 5)
                assert bus.pub.accepted == accepted, f"{name}: saltgw dropped a healthy connection"
            assert g.alive(), g.log()[-3000:]
            assert requests.get(g.url + "/", timeout=5).status_code == 200
        # Still on the bus after all of it: an event it publishes comes back
        # (SSE shows it), so the connection works, not just exists.
        with requests.get(f"{g.url}/dongle/{g.unit_id}/events?tag=fake/after", stream=True, timeout=10) as sse:
            it = sse.iter_lines()
            next(it)  # ": saltgw events ..." comment
            time.sleep(0.2)
            bus.publish(_frame(b"fake/after/garbage\n\n" + msgpack.packb({"ok": True})))
            for line in it:
                if line.startswith(b"data: "):
                    assert json.loads(line[6:])["tag"] == "fake/after/garbage"
                    break
        assert g.alive()
    finally:
        bus.close()


def test_oversized_length_header_on_the_bus_is_refused_at_once(fake_dirs, saltgw):
    m = fake_minion_config(fake_dirs)
    pub_path, pull_path = bus_paths(m.sock_dir, m.id)
    bus = FakeBus(pub_path, pull_path)
    try:
        g = saltgw(m.config, "--dispatch", "schedule")
        wait_for("saltgw to connect to the fake bus", lambda: "event bus: connected" in g.log(), 10)
        accepted = bus.pub.accepted
        log_before = len(g.log())
        # A frame map whose body is a bin32 announcing 2 GiB; 64 bytes of it follow.
        bus.publish(b"\x82\xa4head\x80\xa4body\xc6\x7f\xff\xff\xff" + b"x" * 64)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and bus.pub.accepted == accepted:
            time.sleep(0.05)
        assert bus.pub.accepted > accepted, "saltgw kept reading a frame announced as 2 GiB"
        assert "frame" in g.log()[log_before:]
        assert g.alive()
    finally:
        bus.close()


@pytest.fixture
def tiny_tmpfs():
    """A 64 KiB tmpfs (root may mount here); None when mounting is not allowed."""
    d = tempfile.mkdtemp(prefix="/tmp/sgf-logs-")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", d],
                             capture_output=True).returncode == 0
    yield d, mounted
    if mounted:
        subprocess.run(["umount", "-l", d], capture_output=True)
    shutil.rmtree(d, ignore_errors=True)


def test_full_or_broken_log_root_gives_json_errors(saltgw, tiny_tmpfs):
    root, mounted = tiny_tmpfs
    with open(os.path.join(root, "syslog"), "w") as f:
        f.write("line one\n")
    os.mkfifo(os.path.join(root, "fifo.log"))      # opening it for reading would block
    os.mkdir(os.path.join(root, "dir.log"))
    # Fill the file system (ENOSPC); on a plain dir (no mount) write 64 KiB.
    fd = os.open(os.path.join(root, "filler.log"), os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for _ in range(64):
            os.write(fd, b"x" * 1024)
    except OSError:
        pass
    finally:
        os.close(fd)
    filler_size = os.path.getsize(os.path.join(root, "filler.log"))
    if mounted:  # really full
        with pytest.raises(OSError):
            with open(os.path.join(root, "more"), "wb") as f:
                f.write(b"y" * 65536)
        os.unlink(os.path.join(root, "more"))

    g = saltgw(_env("SALTGW_MINION_CONFIG"), "--dispatch", "schedule", log_root=root)
    get = lambda name: requests.get(f"{g.url}/download_log/", params={"file": name}, timeout=5)  # noqa: E731

    r = get("syslog")
    assert r.status_code == 200 and r.content == b"line one\n"
    r = get("filler.log")
    assert r.status_code == 200 and len(r.content) == filler_size
    for name in ["fifo.log", "dir.log", "missing.log", "more"]:
        assert_json_error(get(name), {404}, {"not_found"})

    if mounted:  # the file system goes away under saltgw
        assert subprocess.run(["umount", "-l", root]).returncode == 0
        assert_json_error(get("syslog"), {404}, {"not_found"})
    shutil.rmtree(root)  # the log root itself is gone
    assert_json_error(get("syslog"), {404}, {"not_found"})
    assert requests.get(g.url + "/", timeout=5).status_code == 200
    assert g.alive()
    assert g.stop() == 0


def test_sigterm_drains_running_jobs_answers_the_rest_and_exits_0(saltgw):
    grace = 3
    g = saltgw(_env("SALTGW_MINION_CONFIG"), "--dispatch", "schedule",
               config_text=f"shutdown_grace_seconds: {grace}\n")
    g.wait_job_ok(20)

    # The schedule path's manage_schedule run_job events show which jobs are in flight.
    runs = queue.Queue()
    sse = requests.get(f"{g.url}/dongle/{g.unit_id}/events?tag=manage_schedule", stream=True, timeout=60)

    def watch():
        try:
            for line in sse.iter_lines():
                if line.startswith(b"data: "):
                    data = json.loads(line[6:])["data"]
                    if data.get("func") == "run_job":
                        runs.put(data["name"])
        except Exception:  # noqa: BLE001 - the stream ends with saltgw
            pass

    it = sse.iter_lines()
    assert next(it).startswith(b": saltgw events")
    threading.Thread(target=watch, daemon=True).start()

    results = {}

    def job(name, seconds):
        t0 = time.monotonic()
        try:
            results[name] = (g.execute("test.sleep", [seconds], timeout=60), time.monotonic() - t0)
        except Exception as exc:  # noqa: BLE001
            results[name] = (exc, time.monotonic() - t0)

    threads = [threading.Thread(target=job, args=("short", 1)), threading.Thread(target=job, args=("long", 30))]
    for t in threads:
        t.start()
    for _ in threads:
        runs.get(timeout=10)

    g.proc.send_signal(signal.SIGTERM)
    t_term = time.monotonic()
    # The signal is handled asynchronously: saltgw logs once it refuses new jobs.
    wait_for("saltgw to start draining", lambda: "shutting down" in g.log(), 10)
    # New jobs are refused (503) or the connection is refused; never run.
    try:
        r = g.execute("test.ping", timeout=5)
        assert_json_error(r, {503}, {"cancelled"})
    except requests.ConnectionError:
        pass
    for t in threads:
        t.join(grace + 15)
    short, _ = results["short"]
    assert not isinstance(short, Exception), short
    assert short.status_code == 200 and short.json() is True, short.text
    long_, took = results["long"]
    assert not isinstance(long_, Exception), f"the running job got no answer: {long_!r}"
    assert_json_error(long_, {503}, {"cancelled"})
    assert took < 30, "the long job was not cut at the grace period"
    assert g.proc.wait(grace + 10) == 0, g.log()[-3000:]
    assert time.monotonic() - t_term < grace + 8
    sse.close()


def test_sighup_reloads_auth_and_job_timeout_and_keeps_a_good_config(saltgw):
    g = saltgw(_env("SALTGW_MINION_CONFIG"), "--dispatch", "schedule", config_text="auth: open\n")
    g.wait_job_ok(20)

    def rewrite(text):
        with open(g.config_path, "w") as f:
            f.write(text)
        n = g.log().count("SIGHUP")
        g.proc.send_signal(signal.SIGHUP)
        wait_for("saltgw to log the reload", lambda: g.log().count("SIGHUP") > n, 5)

    rewrite("auth: required\njob_timeout: 1\n")
    assert_json_error(g.execute("test.ping"), {401})
    token = requests.post(g.url + "/auth/login/", timeout=5).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert g.execute("test.ping", headers=auth).json() is True
    r = g.execute("test.sleep", [4], headers=auth)
    assert_json_error(r, {504}, {"timeout"})

    # A bad file is refused as a whole: the running configuration stays.
    rewrite("auth: maybe\n")
    assert "keeping the running configuration" in g.log()
    assert_json_error(g.execute("test.ping"), {401})
    assert g.alive()

    rewrite("auth: open\n")
    assert g.execute("test.ping").json() is True
    assert g.alive()

    # Access lines are info-level: a reload to warning stops them, info brings them back.
    def access_lines():
        return sum(1 for line in g.log().splitlines() if " access: GET /dongle/" in line)

    rewrite("log_level: warning\n")
    before = access_lines()
    for _ in range(3):
        assert requests.get(f"{g.url}/dongle/{g.unit_id}/jobs/none", timeout=5).status_code == 404
    time.sleep(0.3)
    assert access_lines() == before
    rewrite("log_level: info\n")
    assert requests.get(f"{g.url}/dongle/{g.unit_id}/jobs/none", timeout=5).status_code == 404
    wait_for("an access line", lambda: access_lines() == before + 1, 5)
    assert g.stop() == 0
