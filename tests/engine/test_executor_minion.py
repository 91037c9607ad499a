"""Integration tests of the saltgw_executor engine in a real salt-minion.

One sandbox minion (tests/sandbox/sandbox_minion.py) for the module, with the
engine copied into its extension_modules and enabled through --set.
"""
import json
import os
import shutil
import statistics
import stat
import subprocess
import sys
import time

import pytest
import salt.version

from conftest import ENGINE_FILES, ROOT

SANDBOX = os.path.join(ROOT, "tests", "sandbox", "sandbox_minion.py")

# An execution module that reports what a function running in an engine
# worker thread sees of the loader's dunders.
PROBE_MODULE = '''
import sys
import threading

def imported():
    """Execution modules imported in this (the engine's) process."""
    return sorted(m.rsplit(".", 1)[1] for m in list(sys.modules)
                  if m.startswith(("salt.loaded.int.module.", "salt.loaded.ext.module.")))

def frozen():
    """Objects the engine's process froze out of the garbage collector's scans."""
    import gc
    return gc.get_freeze_count()

def dunders():
    return {"thread": threading.current_thread().name,
            "nested_ping": __salt__["test.ping"](),
            "grain_id": __grains__["id"],
            "opts_id": __opts__["id"],
            "context_type": type(__context__).__name__}
'''


def sandbox(*args, timeout=120):
    return subprocess.run([sys.executable, SANDBOX, *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


@pytest.fixture(scope="module")
def minion(tmp_path_factory):
    d = tmp_path_factory.mktemp("minion")
    os.makedirs(d / "extmods" / "engines")
    os.makedirs(d / "extmods" / "modules")
    for path in ENGINE_FILES:
        shutil.copy(path, d / "extmods" / "engines")
    (d / "extmods" / "modules" / "gwprobe.py").write_text(PROBE_MODULE)
    try:
        started = sandbox("start", str(d), "--set", "engines=[{saltgw_executor: {workers: 4}}]")
        assert started.returncode == 0, started.stdout + started.stderr
        path = d / "run" / "minion" / "saltgw.ipc"
        deadline = time.monotonic() + 30
        while not path.exists():
            assert time.monotonic() < deadline, f"no engine socket; see {d}/log/minion"
            time.sleep(0.1)
        yield {"dir": d, "path": str(path),
               "id": (d / "etc" / "salt" / "minion_id").read_text().strip()}
    finally:
        sandbox("stop", str(d))


@pytest.fixture
def client(minion, client_factory):
    return client_factory(minion["path"])


def run(client, fun, *arg, timeout=60, **kwarg):
    return client.call({"op": "run", "jid": "20240101000000000100", "fun": fun,
                        "arg": list(arg), "kwarg": kwarg}, timeout=timeout)


def test_ping_reports_real_salt(client, minion):
    reply = client.call({"op": "ping"})
    assert reply["op"] == "pong" and reply["engine"] == "saltgw_executor"
    assert reply["protocol"] == 2
    assert reply["salt_version"] == salt.version.__version__
    assert reply["pid"] != os.getpid()
    cmdline = open(f"/proc/{reply['pid']}/cmdline", "rb").read()
    assert b"salt-minion" in cmdline


def test_socket_mode(minion):
    assert stat.S_IMODE(os.stat(minion["path"]).st_mode) == 0o600


def test_functions(client):
    names = client.call({"op": "functions"}, timeout=60)["functions"]
    assert {"test.ping", "state.sls", "cmd.run", "gwprobe.dunders"} <= set(names)
    assert names == sorted(names)


def test_test_ping(client):
    reply = run(client, "test.ping")
    assert reply["return"] is True and reply["success"] is True and reply["retcode"] == 0


def test_test_arg(client):
    reply = run(client, "test.arg", 1, "two", {"three": 3}, four=4)
    assert reply["return"]["args"] == [1, "two", {"three": 3}]
    kwargs = reply["return"]["kwargs"]
    assert kwargs["four"] == 4
    assert kwargs["__pub_jid"] == "20240101000000000100" and kwargs["__pub_fun"] == "test.arg"


def test_cmd_run(client):
    assert run(client, "cmd.run", "echo hi")["return"] == "hi"
    failed = run(client, "cmd.run", "exit 3", python_shell=True)
    assert failed["success"] is False and failed["retcode"] == 3  # as salt-call


def test_grains_id(client, minion):
    assert run(client, "grains.get", "id")["return"] == minion["id"]


def test_state_sls(client):
    ok = run(client, "state.sls", "gwtest")
    assert ok["success"] is True and ok["retcode"] == 0
    (state,) = ok["return"].values()
    assert state["result"] is True
    bad = run(client, "state.sls", "gwfail")
    assert bad["success"] is False and bad["retcode"] == 2  # EX_STATE_FAILURE, as salt-call


def test_state_progress_comes_on_the_socket_before_the_reply(client, minion):
    jid = "20240101000000000101"
    rid = client.send({"op": "run", "jid": jid, "fun": "state.sls", "arg": ["gwmulti"],
                       "kwarg": {"queue": True}, "progress": True})
    got = []
    while not got or got[-1].get("op") == "progress":
        got.append(client.recv(timeout=60))
        assert got[-1]["id"] == rid, got[-1]
    progress, reply = got[:-1], got[-1]
    assert reply["success"] is True and len(reply["return"]) == 8
    assert reply["progress_sent"] == 8
    assert [p["data"]["ret"]["__run_num__"] for p in progress] == list(range(8))
    assert all(p["data"]["len"] == 8 for p in progress)
    assert [p["tag"] for p in progress] == [f"salt/job/{jid}/prog/{minion['id']}/{i}" for i in range(8)]


def test_state_run_without_progress_gets_the_reply_only(client):
    reply = run(client, "state.sls", "gwmulti", queue=True)
    assert "op" not in reply and "progress_sent" not in reply and len(reply["return"]) == 8


def test_unknown_function_is_fast(client):
    run(client, "test.ping")  # warm
    t0 = time.monotonic()
    reply = run(client, "no_such_module.fun")
    assert time.monotonic() - t0 < 0.1
    assert reply["success"] is False and reply["retcode"] == 254
    assert reply["return"] == "'no_such_module.fun' is not available."


def test_raising_function(client):
    reply = run(client, "test.raise_exception", "RuntimeError", "boom")
    assert reply["success"] is False and reply["retcode"] == 254
    assert reply["return"] == "Unhandled exception running test.raise_exception: RuntimeError: boom"


def test_loader_context_in_worker_threads(client, minion):
    reply = run(client, "gwprobe.dunders")
    assert reply["success"] is True, reply
    ret = reply["return"]
    assert ret["thread"].startswith("saltgw-worker-")
    assert ret["nested_ping"] is True
    assert ret["grain_id"] == ret["opts_id"] == minion["id"]


def test_fifty_jobs_in_flight(client, minion):
    sent = {}
    for n in range(50):
        if n % 5 == 0:  # failing commands mixed in: their retcode must not leak
            req = {"fun": "cmd.run", "arg": [f"sleep 0.05; exit {n % 7 + 1}"],
                   "kwarg": {"python_shell": True}}
            expect = ("", n % 7 + 1)
        elif n % 5 == 1:
            req = {"fun": "grains.get", "arg": ["id"]}
            expect = (minion["id"], 0)
        else:
            req = {"fun": "test.arg", "arg": [n]}
            expect = None
        rid = client.send(dict(req, op="run", id=f"job-{n}", jid=f"2024010100000000{n:04d}"))
        sent[rid] = (n, expect)
    for _ in range(50):
        reply = client.recv(timeout=60)
        n, expect = sent.pop(reply["id"])
        assert reply["jid"] == f"2024010100000000{n:04d}"
        if expect is None:
            assert reply["return"]["args"] == [n] and reply["retcode"] == 0
        else:
            assert (reply["return"], reply["retcode"]) == expect
    assert not sent


def test_ping_round_trip(client, record_property):
    """Median round trip of test.ping over the DEALER, 200 sequential calls."""
    run(client, "test.ping")
    times = []
    for _ in range(200):
        t0 = time.perf_counter()
        assert run(client, "test.ping")["return"] is True
        times.append(time.perf_counter() - t0)
    median_ms = statistics.median(times) * 1000
    record_property("test_ping_median_ms", median_ms)
    print(f"\ntest.ping round trip: median {median_ms:.3f} ms, "
          f"p90 {sorted(times)[179] * 1000:.3f} ms over 200 calls")
    assert median_ms < 50


# -- the lazy engine -----------------------------------------------------------

SALT_ORACLE = """
import json, sys
import salt.config, salt.loader
opts = salt.config.minion_config(sys.argv[1])
opts["grains"] = salt.loader.grains(opts)
funcs = salt.loader.minion_mods(opts, utils=salt.loader.utils(opts))
names = sorted(funcs)
print(json.dumps({"names": names, "modules": len(funcs.loaded_modules),
                  "missing": {f: funcs.missing_fun_string(f) for f in sys.argv[2:]}}))
"""


def salt_with_everything_loaded(minion, *missing):
    """The minion's loader with every module loaded, in a fresh Python: what
    the engine answered from before it became lazy."""
    out = subprocess.run([sys.executable, "-c", SALT_ORACLE, str(minion["dir"] / "etc" / "salt" / "minion"),
                          *missing], capture_output=True, text=True, timeout=120, check=True).stdout
    return json.loads(out)


def engine_pid(client):
    return client.call({"op": "ping"})["pid"]


def test_lazy_engine_lists_what_the_minion_has_without_importing_it(client, minion):
    oracle = salt_with_everything_loaded(minion)
    assert client.call({"op": "functions"}, timeout=60)["functions"] == oracle["names"]
    assert run(client, "sys.list_functions")["return"] == oracle["names"]
    assert run(client, "test.ping")["return"] is True
    imported = run(client, "gwprobe.imported")["return"]
    # A few modules (test, cmd, state, grains... and what they use), never all.
    print(f"\nthe engine imported {len(imported)} of {oracle['modules']} execution modules")
    assert "gwprobe" in imported and "test" in imported
    assert len(imported) < oracle["modules"] / 4, imported


@pytest.mark.parametrize("fun", ["no_such_module.fun", "test.no_such_function", "win_file.stat",
                                 "aptpkg.no_such"])
def test_lazy_engine_refuses_unknown_functions_as_salt_did(client, minion, fun):
    want = salt_with_everything_loaded(minion, fun)["missing"][fun]
    before = run(client, "gwprobe.imported")["return"]
    reply = run(client, fun)
    assert reply["success"] is False and reply["retcode"] == 254
    assert reply["return"] == want
    assert run(client, "gwprobe.imported")["return"] == before  # no search through every module


def test_lazy_engine_runs_a_module_never_loaded_before(client):
    assert "hashutil" not in run(client, "gwprobe.imported")["return"]
    reply = run(client, "hashutil.digest", "abc", checksum="sha256")
    assert reply["success"] is True
    assert reply["return"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert "hashutil" in run(client, "gwprobe.imported")["return"]


def test_state_runs_take_turns_as_in_the_minion(client, minion):
    """Salt runs one state run at a time: a second one waits with queue=True
    and is refused with Salt's conflict without it. (The engine's threads
    once ran them together; with queue=True they raced on Salt's file lock
    and failed with FileLockError.)"""
    slow = client.send({"op": "run", "jid": "20240101000000000201", "fun": "state.single",
                        "arg": ["cmd.run"], "kwarg": {"name": "sleep 1"}})
    queued = [client.send({"op": "run", "jid": f"2024010100000000021{n}", "fun": "state.sls",
                           "arg": ["gwtest"], "kwarg": {"queue": True}}) for n in range(3)]
    refused = client.send({"op": "run", "jid": "20240101000000000220", "fun": "state.sls",
                           "arg": ["gwtest"]})
    replies = [client.recv(timeout=120) for _ in range(5)]
    order = [r["id"] for r in replies]
    assert order == [refused, slow, *queued]  # the refusal at once, then in turn
    conflict = replies[0]
    assert conflict["success"] is False and conflict["retcode"] == 1
    (line,) = conflict["return"]
    assert line.startswith(f'The function "state.single" is running as PID {engine_pid(client)} ')
    assert line.endswith("with jid 20240101000000000201")
    for r in replies[1:]:
        assert r["success"] is True and r["retcode"] == 0, r
        (state,) = r["return"].values()
        assert state["result"] is True


def test_a_state_run_leaves_its_garbage_collected(client, minion):
    """After a state run the engine collects its reference cycles (and
    freezes what it keeps for good, so later collections are cheap)."""
    assert run(client, "state.sls", "gwtest")["success"] is True
    assert run(client, "gwprobe.frozen")["return"] > 10000


def sync_until_copied(client, limit=60):
    """saltutil.sync_modules until it copies something: the minion's file
    server caches its file list for up to 20 s (fileserver_list_cache_time),
    and a sync right after other jobs may not see a new file yet."""
    deadline = time.monotonic() + limit
    while True:
        synced = run(client, "saltutil.sync_modules")
        assert synced["success"] is True, synced
        if synced["return"] or time.monotonic() > deadline:
            return synced["return"]
        time.sleep(1)


def test_lazy_engine_runs_a_module_added_by_sync_modules(client, minion):
    modules = minion["dir"] / "states" / "_modules"
    modules.mkdir(exist_ok=True)
    (modules / "gwsynced.py").write_text("def hello():\n    return 'synced'\n")
    assert run(client, "gwsynced.hello")["retcode"] == 254
    assert sync_until_copied(client) == ["modules.gwsynced"]
    reply = run(client, "gwsynced.hello")
    assert reply["success"] is True and reply["return"] == "synced"
    assert "gwsynced.hello" in run(client, "sys.list_functions", "gwsynced")["return"]
    # A function added to that module once it is loaded: runnable too.
    (modules / "gwsynced.py").write_text("def hello():\n    return 'synced'\n\n"
                                         "def again():\n    return 'again'\n")
    assert sync_until_copied(client) == ["modules.gwsynced"]
    reply = run(client, "gwsynced.again")
    assert reply["success"] is True and reply["return"] == "again"
    imported = run(client, "gwprobe.imported")["return"]
    assert len(imported) < 60, imported  # a refresh imports again what is used, not everything


def pss_kb(pid):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("Pss:"))


def test_a_big_result_leaves_nothing_behind(client):
    """A 20 MB result is neither kept referenced (the worker's last reply,
    the serve loop's last frames) nor kept as free heap by glibc."""
    pid = engine_pid(client)
    assert run(client, "cmd.run", "echo warm")["return"] == "warm"
    time.sleep(0.5)
    before = pss_kb(pid)
    reply = run(client, "cmd.run", "head -c 20000000 /dev/zero | tr '\\000' a", python_shell=True)
    assert len(reply["return"]) == 20000000
    del reply
    time.sleep(0.5)
    grown = (pss_kb(pid) - before) / 1024
    print(f"\nengine PSS after a 20 MB result: {grown:+.1f} MB")
    assert grown < 8  # it was +100 MB


def ctx_switches(pid):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            total += sum(int(line.split()[1]) for line in f if "ctxt_switches" in line)
    return total


def test_idle_engine_does_not_wake_up(client):
    """Every thread of the engine's process sleeps while nothing happens (a
    count over 3 s; the serve loop used to wake every 100 ms: 30)."""
    pid = engine_pid(client)
    time.sleep(0.5)
    before = ctx_switches(pid)
    time.sleep(3)
    assert ctx_switches(pid) - before <= 3


def test_zz_minion_stop_removes_socket(minion):
    """Last: stopping the minion stops the engine and removes its socket."""
    # A loaded box (the release matrix runs two minions beside the sanitizer
    # lane) once needed more than the default 10 s before the group SIGTERM.
    stopped = sandbox("stop", str(minion["dir"]), "--grace", "60")
    assert stopped.returncode == 0, stopped.stderr
    log = (minion["dir"] / "log" / "minion").read_text()
    assert not os.path.exists(minion["path"]), log[-3000:]
    assert "saltgw_executor stopped" in log
    assert "could not be started" not in log  # the engine never crashed

