"""Unit tests of the saltgw_executor engine, without a minion.

Most tests import the engine file as a plain module, inject a fake
``__salt__`` and ``__opts__`` and run its serve loop in a thread. The
``real loader`` tests at the end load it through Salt's own engine loader
instead, to show how the dunders behave in the engine's worker threads.
"""
import datetime
import os
import shutil
import stat
import sys
import threading
import time

import msgpack
import pytest
import salt.config
import salt.loader
import salt.loader.lazy
import salt.version

from conftest import ENGINE_FILES, load_engine_module


def _arg(*args, **kwargs):
    return {"args": list(args), "kwargs": kwargs}


def _no_kwargs(a, b=2):
    return [a, b]


def _boom():
    raise RuntimeError("boom")


def _sleep(seconds):
    time.sleep(seconds)
    return seconds


def _odd_values():
    return {"set": {1}, "tuple": (1, 2), "when": datetime.datetime(2024, 1, 2, 3, 4, 5),
            "bytes": b"\x00\xff"}


FAKE_SALT = {
    "test.ping": lambda: True,
    "test.arg": _arg,
    "test.no_kwargs": _no_kwargs,
    "test.boom": _boom,
    "test.sleep": _sleep,
    "test.false_result": lambda: {"result": False, "comment": "nope"},
    "test.odd": _odd_values,
    "test.unpackable": lambda: object(),
}


@pytest.fixture
def start_engine(tmp_path, monkeypatch, client_factory):
    """start_engine(**options) -> (engine, client); stopped at teardown."""
    mod = load_engine_module()
    monkeypatch.setattr(mod, "__salt__", FAKE_SALT, raising=False)
    monkeypatch.setattr(mod, "__opts__", {"sock_dir": str(tmp_path), "id": "unit"}, raising=False)
    monkeypatch.setattr(mod, "_frozen", [True])  # no gc.freeze() of the test process
    running = []

    def start(**options):
        engine = mod._make_engine(**options)
        thread = threading.Thread(target=engine.serve, daemon=True, name="serve-under-test")
        thread.start()
        running.append((engine, thread))
        return engine, client_factory(engine.path)

    yield start
    for engine, thread in running:
        engine.stop()
        thread.join(5)


def test_ping(start_engine):
    engine, client = start_engine()
    reply = client.call({"op": "ping", "id": "p1"})
    assert reply == {"id": "p1", "op": "pong", "engine": "saltgw_executor", "protocol": 2,
                     "salt_version": salt.version.__version__,
                     "python_version": "%d.%d.%d" % sys.version_info[:3], "pid": os.getpid()}


def test_functions(start_engine):
    engine, client = start_engine()
    assert client.call({"op": "functions"})["functions"] == sorted(FAKE_SALT)


def test_run_with_args_and_kwargs(start_engine):
    engine, client = start_engine()
    jid = "20240101000000000001"
    reply = client.call({"op": "run", "jid": jid, "fun": "test.arg",
                         "arg": [1, "two", [3]], "kwarg": {"four": 4}})
    assert reply["jid"] == jid and reply["fun"] == "test.arg"
    assert reply["success"] is True and reply["retcode"] == 0
    assert isinstance(reply["duration"], float) and reply["duration"] >= 0
    ret = reply["return"]
    assert ret["args"] == [1, "two", [3]]
    # **kwargs functions get the __pub_* data, as in a minion job
    assert ret["kwargs"] == {"four": 4, "__pub_jid": jid, "__pub_fun": "test.arg"}


def test_run_minion_argument_rules(start_engine):
    engine, client = start_engine()
    # "k=v" strings are keyword arguments, as on the minion
    reply = client.call({"op": "run", "fun": "test.arg", "arg": ["x", "key=value"]})
    assert reply["return"]["args"] == ["x"]
    assert reply["return"]["kwargs"]["key"] == "value"
    assert len(reply["jid"]) == 20  # generated when the client gives none
    # no **kwargs: no __pub_*; unknown keyword arguments are an error
    assert client.call({"op": "run", "fun": "test.no_kwargs", "arg": [1],
                        "kwarg": {"b": 5}})["return"] == [1, 5]
    bad = client.call({"op": "run", "fun": "test.no_kwargs", "arg": [1], "kwarg": {"c": 5}})
    assert bad["success"] is False and bad["retcode"] == 254
    assert bad["return"].startswith("Unhandled exception running test.no_kwargs: SaltInvocationError")


def test_unknown_function(start_engine):
    engine, client = start_engine()
    t0 = time.monotonic()
    reply = client.call({"op": "run", "jid": "20240101000000000002", "fun": "nope.nope"})
    assert time.monotonic() - t0 < 0.1
    assert reply["success"] is False and reply["retcode"] == 254
    assert reply["return"] == "'nope.nope' is not available."


def test_raising_function(start_engine):
    engine, client = start_engine()
    reply = client.call({"op": "run", "jid": "20240101000000000003", "fun": "test.boom"})
    assert reply["success"] is False and reply["retcode"] == 254
    assert reply["return"] == "Unhandled exception running test.boom: RuntimeError: boom"


def test_false_result_is_failure(start_engine):
    engine, client = start_engine()
    reply = client.call({"op": "run", "fun": "test.false_result"})
    assert reply["success"] is False and reply["retcode"] == 1


def test_values_go_through_salts_serialiser(start_engine):
    engine, client = start_engine()
    client.send({"op": "run", "fun": "test.odd"})
    raw = msgpack.unpackb(client.sock.recv(), raw=False, strict_map_key=False)
    ret = raw["return"]
    assert ret["set"] == [1] and ret["tuple"] == [1, 2] and ret["bytes"] == b"\x00\xff"
    # salt.payload sends datetimes as msgpack extension type 78
    assert ret["when"] == msgpack.ExtType(78, b"20240102T03:04:05.000000")
    reply = client.call({"op": "run", "fun": "test.unpackable"})
    assert reply["success"] is False and reply["retcode"] == 254
    assert reply["return"].startswith("Return value cannot be serialised")


@pytest.mark.parametrize("frames, error", [
    ([b"\xc1"], "not msgpack"),
    ([msgpack.packb([1, 2])], "request is not a map"),
    ([b"{}", b"{}"], "expected one frame, got 2"),
])
def test_malformed_frames(start_engine, frames, error):
    engine, client = start_engine()
    client.send_raw(*frames)
    reply = client.recv()
    assert reply["id"] is None and error in reply["error"]
    assert client.call({"op": "ping"})["op"] == "pong"  # still alive


@pytest.mark.parametrize("req, error", [
    ({"op": "fly"}, "unknown op: 'fly'"),
    ({}, "unknown op: None"),
    ({"op": "run"}, "run needs 'fun'"),
    ({"op": "run", "fun": ""}, "run needs 'fun'"),
    ({"op": "run", "fun": "test.ping", "arg": "x"}, "'arg' must be a list"),
    ({"op": "run", "fun": "test.ping", "kwarg": [1]}, "'kwarg' must be a map"),
    ({"op": "run", "fun": "test.ping", "timeout": -1}, "'timeout' must be a positive number"),
    ({"op": "run", "fun": "test.ping", "jid": 5}, "'jid' must be a string"),
    ({"op": "functions", "timeout": "soon"}, "'timeout' must be a positive number"),
    ({"op": "kill"}, "kill needs 'jid'"),
])
def test_malformed_requests(start_engine, req, error):
    engine, client = start_engine()
    reply = client.call(req)
    assert error in reply["error"]
    assert client.call({"op": "ping"})["op"] == "pong"


def test_fifty_concurrent_requests_on_one_dealer(start_engine):
    engine, client = start_engine(workers=4)
    sent = {}
    for n in range(50):
        rid = client.send({"op": "run", "id": f"job-{n}", "fun": "test.arg", "arg": [n]})
        sent[rid] = n
    got = {}
    for _ in range(50):
        reply = client.recv()
        got[reply["id"]] = reply["return"]["args"][0]
    assert got == sent


def test_overloaded(start_engine):
    engine, client = start_engine(workers=1, max_queue=2, inline=())
    slow = [client.send({"op": "run", "fun": "test.sleep", "arg": [0.5]}) for _ in range(3)]
    t0 = time.monotonic()
    reply = client.call({"op": "run", "fun": "test.ping"})
    assert reply["error"] == "overloaded"
    assert time.monotonic() - t0 < 0.1  # at once, not after the slow ones
    assert client.call({"op": "ping"})["op"] == "pong"  # pings bypass the queue
    assert sorted(client.recv()["id"] for _ in slow) == sorted(slow)
    assert client.call({"op": "run", "fun": "test.ping"})["return"] is True


def test_timeout(start_engine):
    engine, client = start_engine(workers=1, inline=())
    running = client.send({"op": "run", "fun": "test.sleep", "arg": [0.6], "timeout": 0.2})
    queued = client.send({"op": "run", "fun": "test.ping", "timeout": 0.3})
    t0 = time.monotonic()
    first, second = client.recv(), client.recv()
    assert (first["id"], second["id"]) == (running, queued)
    assert 0.15 < time.monotonic() - t0 < 0.5
    assert first["timed_out"] is True and first["success"] is False and first["retcode"] == 254
    assert "still running" in first["return"]
    assert "did not start" in second["return"]
    # the late result is dropped; the engine serves on
    time.sleep(0.6)
    assert client.call({"op": "run", "fun": "test.ping"})["return"] is True


def test_kill(start_engine):
    engine, client = start_engine(workers=1, inline=())
    client.send({"op": "run", "jid": "20240101000000000010", "fun": "test.sleep", "arg": [0.4]})
    queued = client.send({"op": "run", "jid": "20240101000000000011", "fun": "test.ping"})
    time.sleep(0.1)
    running = client.call({"op": "kill", "jid": "20240101000000000010"})
    assert running["killed"] is False and "cannot be killed" in running["reason"]
    kill_id = client.send({"op": "kill", "jid": "20240101000000000011"})
    replies = {r["id"]: r for r in (client.recv(), client.recv())}
    assert replies[kill_id]["killed"] is True
    assert replies[queued]["success"] is False and "Killed before it started" in replies[queued]["return"]
    assert client.recv()["return"] == 0.4  # the running one finishes normally
    unknown = client.call({"op": "kill", "jid": "20240101000000000099"})
    assert unknown["killed"] is False and "no job" in unknown["reason"]


def test_inline_functions_are_answered_while_every_worker_is_busy(start_engine):
    engine, client = start_engine(workers=1, max_queue=1)
    assert "test.ping" in engine.inline and "test.sleep" not in engine.inline
    slow = [client.send({"op": "run", "fun": "test.sleep", "arg": [0.5]}) for _ in range(2)]
    time.sleep(0.05)
    t0 = time.monotonic()
    reply = client.call({"op": "run", "fun": "test.ping", "jid": "20240101000000000020"})
    assert time.monotonic() - t0 < 0.2  # not after the sleeps: on the serve loop
    assert reply["return"] is True and reply["success"] is True and reply["retcode"] == 0
    assert reply["jid"] == "20240101000000000020"
    # A function not on the list still waits for a worker (here: refused, the queue is full).
    assert client.call({"op": "run", "fun": "test.arg", "arg": [1]})["error"] == "overloaded"
    assert sorted(client.recv()["id"] for _ in slow) == sorted(slow)


def test_inline_list_is_an_engine_option(start_engine):
    engine, client = start_engine(workers=1, inline=["test.arg"])
    assert engine.inline == {"test.arg"}
    busy = client.send({"op": "run", "fun": "test.sleep", "arg": [0.4]})
    time.sleep(0.05)
    t0 = time.monotonic()
    assert client.call({"op": "run", "fun": "test.arg", "arg": [7]})["return"]["args"] == [7]
    assert time.monotonic() - t0 < 0.2
    # test.ping is not inline now: it waits for the sleeping worker.
    t0 = time.monotonic()
    ping = client.send({"op": "run", "fun": "test.ping"})
    replies = {r["id"]: r for r in (client.recv(), client.recv())}
    assert replies[ping]["return"] is True and time.monotonic() - t0 > 0.25
    assert replies[busy]["return"] == 0.4


def test_inline_failures_are_answered_like_worker_failures(start_engine):
    engine, client = start_engine(inline=["test.boom", "test.unpackable", "no.such"])
    boom = client.call({"op": "run", "fun": "test.boom"})
    assert boom["success"] is False and boom["retcode"] == 254 and "boom" in boom["return"]
    odd = client.call({"op": "run", "fun": "test.unpackable"})
    assert odd["success"] is False and "cannot be serialised" in odd["return"]
    missing = client.call({"op": "run", "fun": "no.such"})
    assert missing["success"] is False and missing["retcode"] == 254
    assert client.call({"op": "run", "fun": "test.ping"})["return"] is True


def test_socket_mode_and_path(start_engine, tmp_path):
    engine, client = start_engine()
    assert engine.path == str(tmp_path / "saltgw.ipc")
    mode = os.stat(engine.path).st_mode
    assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600


def test_socket_option_overrides_path(start_engine, tmp_path):
    path = str(tmp_path / "other.ipc")
    engine, client = start_engine(socket=path)
    assert client.call({"op": "ping"})["op"] == "pong"
    assert os.path.exists(path) and not os.path.exists(tmp_path / "saltgw.ipc")


def test_clean_stop_removes_socket(start_engine):
    engine, client = start_engine()
    assert client.call({"op": "ping"})["op"] == "pong"
    before = {t.name for t in threading.enumerate()}
    assert any(n.startswith("saltgw-worker-") for n in before)
    engine.stop()
    deadline = time.monotonic() + 2
    while os.path.exists(engine.path) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not os.path.exists(engine.path)
    time.sleep(0.1)
    assert not any(t.name.startswith("saltgw-worker-") for t in threading.enumerate())


# -- through Salt's real loader ----------------------------------------------

FAKE_MODULE = '''
import threading
import time

def whoami():
    return {"thread": threading.current_thread().name,
            "sees_salt": "gwfake.whoami" in __salt__, "id": __opts__["id"]}

def set_retcode(code, delay=0):
    __context__["retcode"] = code
    __context__["cache"] = "kept"
    time.sleep(delay)
    return code

def get_context():
    return dict(__context__)

def state_like():
    __context__["retcode"] = 2
    return {"test_|-x_|-x_|-fail_without_changes": {"result": False}}
'''


@pytest.fixture
def loader_engine(tmp_path, client_factory):
    """The engine loaded by salt.loader.engines(), served as Engine.run does."""
    ext = tmp_path / "extmods"
    (ext / "engines").mkdir(parents=True)
    (ext / "modules").mkdir()
    for path in ENGINE_FILES:
        shutil.copy(path, ext / "engines")
    (ext / "modules" / "gwfake.py").write_text(FAKE_MODULE)
    opts = salt.config.minion_config(None)
    opts.update(id="unit-minion", sock_dir=str(tmp_path), extension_modules=str(ext),
                cachedir=str(tmp_path / "cache"), grains={})
    # Like salt.loader.minion_mods (a __context__ in the pack, __salt__ = itself)
    funcs = salt.loader.lazy.LazyLoader([str(ext / "modules")], opts, tag="module",
                                        pack={"__context__": None}, pack_self="__salt__")
    # Salt 3008's engines loader reads funcs._dunder_salt, which minion_mods
    # sets; asked for it, a bare LazyLoader would import every module file.
    funcs.__dict__["_dunder_salt"] = None
    engines = salt.loader.engines(opts, funcs, [], None)
    module_globals = engines["saltgw_executor.start"].__globals__
    engine = engines.run(module_globals["_make_engine"])
    thread = threading.Thread(target=engines.run, args=(engine.serve,), daemon=True)
    thread.start()
    client = client_factory(engine.path)
    client.engine, client.funcs, client.opts, client.ext = engine, funcs, opts, ext
    yield engines, module_globals, client
    engine.stop()
    thread.join(5)


def test_loader_dunders_are_empty_in_a_plain_thread(loader_engine):
    """The problem: a thread the engine starts itself does not see __salt__."""
    engines, module_globals, client = loader_engine
    assert engines.run(lambda: module_globals["__salt__"].value()) is not None
    seen = []
    req = {"op": "run", "id": 1, "jid": "20240101000000000020", "fun": "gwfake.whoami",
           "arg": [], "kwarg": {}}
    t = threading.Thread(target=lambda: seen.append(
        (module_globals["__salt__"].value(), _error_of(module_globals["_execute"], req))))
    t.start()
    t.join()
    assert seen[0][0] is None
    # "fun in __salt__" with __salt__ resolving to None
    assert isinstance(seen[0][1], TypeError) and "NoneType" in str(seen[0][1])


def _error_of(func, *args):
    try:
        func(*args)
    except Exception as exc:  # noqa: BLE001
        return exc
    return None


def test_loader_dunders_work_in_worker_threads(loader_engine):
    """The fix: each job runs in a copy of the serve loop's loader context."""
    engines, module_globals, client = loader_engine
    # The first request waits for the listing child (which imports every
    # module): seconds, more on a loaded box; then the list is there.
    assert "gwfake.whoami" in client.call({"op": "functions"}, timeout=60)["functions"]
    reply = client.call({"op": "run", "fun": "gwfake.whoami"})
    assert reply["success"] is True
    assert reply["return"]["thread"].startswith("saltgw-worker-")
    assert reply["return"]["sees_salt"] is True and reply["return"]["id"] == "unit-minion"


def test_retcode_from_context_is_per_job(loader_engine):
    engines, module_globals, client = loader_engine
    client.call({"op": "functions"}, timeout=60)  # the list is there (see above)
    state = client.call({"op": "run", "fun": "gwfake.state_like"})
    assert state["success"] is False and state["retcode"] == 2
    # a job that sets a retcode does not leak it to concurrent or later jobs
    slow = client.send({"op": "run", "fun": "gwfake.set_retcode", "arg": [3, 0.3]})
    others = [client.send({"op": "run", "fun": "gwfake.whoami"}) for _ in range(10)]
    replies = {r["id"]: r for r in (client.recv() for _ in range(11))}
    assert replies[slow]["retcode"] == 3 and replies[slow]["success"] is False
    assert all(replies[o]["retcode"] == 0 and replies[o]["success"] for o in others)
    ctx = client.call({"op": "run", "fun": "gwfake.get_context"})["return"]
    assert "retcode" not in ctx


def test_argspec_cache_gives_salts_answer_once_per_function(monkeypatch):
    import salt.utils.args
    mod = load_engine_module()
    calls = []
    original = salt.utils.args.get_function_argspec

    def counting(func, is_class_method=None):
        calls.append(func)
        return original(func, is_class_method=is_class_method)

    monkeypatch.setattr(salt.utils.args, "get_function_argspec", counting)
    mod._install_argspec_cache()
    cached = salt.utils.args.get_function_argspec
    assert cached is not counting

    def f(a, b=2, *rest, **kw):
        return a

    first = cached(f)
    assert first == original(f)
    assert (first.args, first.varargs, first.keywords, first.defaults) == (["a", "b"], "rest", "kw", (2,))
    first.args.append("mutated")  # a caller changing its copy changes nothing
    again = cached(f)
    assert again.args == ["a", "b"]
    assert len(calls) == 1
    # A wrapper is answered for the function it wraps, as Salt does.
    import functools

    @functools.wraps(f)
    def wrapper(*a, **k):
        return f(*a, **k)

    assert cached(wrapper).args == ["a", "b"] and len(calls) == 1
    # Different functions are not mixed up.
    assert cached(_no_kwargs).keywords is None and len(calls) == 2
    mod._install_argspec_cache()  # idempotent
    assert salt.utils.args.get_function_argspec is cached


def test_supported_versions_are_stated_and_checked():
    mod = load_engine_module()
    assert mod.MIN_PYTHON == (3, 7) and mod.MIN_SALT == 3006
    assert mod.unsupported_reason() is None  # the sandbox's Salt and Python
    assert mod.unsupported_reason("3006.0", (3, 7)) is None
    assert mod.unsupported_reason("3008.4", (3, 12)) is None
    old = mod.unsupported_reason("2017.7.8", (2, 7))
    assert "Salt 2017.7.8 on Python 2.7" in old and "scheduler" in old
    assert mod.unsupported_reason("3005.5", (3, 10)) is not None
    assert mod.unsupported_reason("3006.23", (3, 6)) is not None


def test_start_refuses_an_old_salt_and_binds_nothing(tmp_path, monkeypatch, caplog):
    mod = load_engine_module()
    monkeypatch.setattr(mod.salt.version, "__version__", "3005.5")
    mod.__opts__ = {"sock_dir": str(tmp_path)}
    sock = tmp_path / "saltgw.ipc"
    done = threading.Event()
    t = threading.Thread(target=lambda: (mod.start(socket=str(sock)), done.set()), daemon=True)
    t.start()
    assert done.wait(10), "start() kept running on Salt 3005"
    assert not sock.exists()
    assert "needs Salt 3006+" in caplog.text


# -- state progress on the engine's socket (protocol 2) -----------------------


class _FakeState:
    """What salt.state.State.event reads of its State (local: no master)."""
    opts = {"local": True, "id": "unit"}


def _states(n=3):
    """A stand-in for state.sls: reports each state as Salt's State does."""
    import salt.state
    for i in range(n):
        salt.state.State.event(_FakeState(), {"__run_num__": i, "result": True}, n)
    return {f"s_|-{i}_|-{i}_|-run": {"result": True, "__run_num__": i} for i in range(n)}


@pytest.fixture
def progress_engine(start_engine, monkeypatch):
    """start_engine with the state hook installed and the bus replaced by a list."""
    import salt.state
    import salt.utils.event
    fired = []

    class Bus:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def fire_event(self, data, tag):
            fired.append((tag, data))

    monkeypatch.setattr(salt.state.State, "event", salt.state.State.event)  # restored after
    monkeypatch.setattr(salt.utils.event, "get_event", lambda *a, **k: Bus())
    monkeypatch.setitem(FAKE_SALT, "test.states", _states)

    def start(**options):
        engine, client = start_engine(**options)
        # start() installs the hook in the minion; here the module is loaded by hand.
        engine.serve.__func__.__globals__["_install_state_progress"]()
        return engine, client
    return start, fired


def _collect(client, rid):
    """Messages for request rid up to and including its reply."""
    got = []
    while True:
        msg = client.recv()
        assert msg["id"] == rid, msg
        got.append(msg)
        if msg.get("op") != "progress":
            return got


@pytest.mark.parametrize("inline", [False, True], ids=["worker", "inline"])
def test_progress_comes_before_the_reply_in_run_order(progress_engine, inline):
    start, fired = progress_engine
    engine, client = start(inline=["test.states"] if inline else [])
    jid = "20240101000000000777"
    rid = client.send({"op": "run", "fun": "test.states", "jid": jid, "arg": [4], "progress": True})
    got = _collect(client, rid)
    assert [m.get("op") for m in got] == ["progress"] * 4 + [None]
    assert [m["data"]["ret"]["__run_num__"] for m in got[:4]] == [0, 1, 2, 3]
    assert all(m["data"]["len"] == 4 and m["jid"] == jid for m in got[:4])
    assert [m["tag"] for m in got[:4]] == [f"salt/job/{jid}/prog/unit/{i}" for i in range(4)]
    assert got[-1]["success"] is True and got[-1]["progress_sent"] == 4
    # Still fired on the minion's bus for other listeners.
    assert [t for t, _ in fired] == [m["tag"] for m in got[:4]]


def test_no_progress_messages_for_a_client_that_did_not_ask(progress_engine):
    start, fired = progress_engine
    engine, client = start()
    reply = client.call({"op": "run", "fun": "test.states", "jid": "20240101000000000778", "arg": [3]})
    assert "op" not in reply and "progress_sent" not in reply and reply["success"] is True
    assert len(fired) == 3  # the bus still gets them
    assert client.call({"op": "ping"})["op"] == "pong"  # nothing else was queued for us


def test_progress_of_concurrent_jobs_stays_with_each_job(progress_engine):
    start, fired = progress_engine
    engine, client = start(workers=4)
    rids = [client.send({"op": "run", "fun": "test.states", "arg": [5], "progress": True}) for _ in range(8)]
    seen = {rid: [] for rid in rids}
    replies = {}
    while len(replies) < len(rids):
        msg = client.recv()
        assert msg["id"] not in replies, "progress after the reply"
        if msg.get("op") == "progress":
            seen[msg["id"]].append(msg["data"]["ret"]["__run_num__"])
        else:
            replies[msg["id"]] = msg
    assert all(runs == list(range(5)) for runs in seen.values()), seen
    assert all(r["progress_sent"] == 5 for r in replies.values())


def test_progress_must_be_a_boolean(progress_engine):
    start, _ = progress_engine
    engine, client = start()
    reply = client.call({"op": "run", "fun": "test.ping", "progress": "yes"})
    assert reply["error"] == "'progress' must be true or false"


# -- the lazy engine: the function list comes from a child process ------------


ORACLE = """
import pickle, sys
import salt.loader, salt.modules.sysmod as sysmod
job = pickle.load(sys.stdin.buffer)
funcs = salt.loader.minion_mods(job["opts"], utils=salt.loader.utils(job["opts"]))
sysmod.__salt__ = funcs
out = {"names": sorted(funcs),
       "missing": {f: funcs.missing_fun_string(f) for f in job["missing"]},
       "sys": [getattr(sysmod, f)(*a) for f, a in job["sys"]]}
sys.stdout.buffer.write(pickle.dumps(out))
"""


def _all_loaded(opts, missing=(), sys_calls=()):
    """What a loader with every module loaded answers (in a fresh Python, as
    the engine answered before it became lazy): its names, its
    missing_fun_string for MISSING, Salt's sysmod for SYS_CALLS."""
    import pickle
    import subprocess
    out = subprocess.run([sys.executable, "-c", ORACLE], check=True, capture_output=True, timeout=120,
                         input=pickle.dumps({"opts": opts, "missing": list(missing),
                                             "sys": list(sys_calls)})).stdout
    return pickle.loads(out)


def _names_loaded_here(funcs):
    return set(funcs.loaded_modules)


def test_list_comes_from_a_child_and_nothing_is_imported_here(loader_engine):
    engines, module_globals, client = loader_engine
    names = client.call({"op": "functions"}, timeout=60)["functions"]
    index = client.engine.index
    assert index.listings == 1 and index.failed is None
    # Salt's own modules as well as the extension module: the minion's list.
    assert {"test.ping", "cmd.run", "state.sls", "gwfake.whoami"} <= set(names)
    assert names == _all_loaded(client.opts)["names"]
    # The serving process's loader has imported none of them.
    assert _names_loaded_here(client.funcs) == set()
    assert client.call({"op": "run", "fun": "gwfake.whoami"})["success"] is True
    assert _names_loaded_here(client.funcs) == {"gwfake"}


@pytest.mark.parametrize("fun", ["no_such_module.fun", "gwfake.no_such_function", "win_file.stat",
                                 "test.no_such_function"])
def test_unknown_function_gets_the_answer_of_a_fully_loaded_loader(loader_engine, fun):
    engines, module_globals, client = loader_engine
    expected = _all_loaded(client.opts, missing=[fun])["missing"][fun]
    client.call({"op": "functions"}, timeout=60)  # the list is there
    reply = client.call({"op": "run", "fun": fun})
    assert reply["success"] is False and reply["retcode"] == 254
    assert reply["return"] == expected
    assert _names_loaded_here(client.funcs) == set()  # no search through every module


def test_a_module_added_later_becomes_runnable(loader_engine):
    engines, module_globals, client = loader_engine
    client.call({"op": "functions"}, timeout=60)
    assert client.call({"op": "run", "fun": "gwlate.hello"})["retcode"] == 254
    (client.ext / "modules" / "gwlate.py").write_text("def hello():\n    return 'late'\n")
    reply = client.call({"op": "run", "fun": "gwlate.hello"}, timeout=60)
    assert reply["success"] is True and reply["return"] == "late"
    assert client.engine.index.listings == 2
    assert "gwlate.hello" in client.call({"op": "functions"})["functions"]
    assert client.engine.index.listings == 2  # unchanged modules: no new listing


def test_a_function_added_to_a_loaded_module_becomes_runnable(loader_engine):
    engines, module_globals, client = loader_engine
    assert client.call({"op": "run", "fun": "gwfake.whoami"}, timeout=60)["success"] is True
    path = client.ext / "modules" / "gwfake.py"
    path.write_text(FAKE_MODULE + "\ndef added():\n    return 'new'\n")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))  # a new mtime even on coarse clocks
    reply = client.call({"op": "run", "fun": "gwfake.added"}, timeout=60)
    assert reply["success"] is True and reply["return"] == "new"
    # The loader was cleared and imported the new file, not every module.
    assert _names_loaded_here(client.funcs) == {"gwfake"}


def test_sys_list_functions_is_answered_from_the_list(loader_engine):
    engines, module_globals, client = loader_engine
    calls = [("list_functions", []), ("list_functions", ["gwfake"]),
             ("list_functions", ["sys", "test"]), ("list_functions", ["gwfake.w*"]),
             ("list_functions", ["test.ping"]), ("list_modules", []),
             ("list_modules", ["gw*"]), ("list_modules", ["test", "nope"])]
    expected = _all_loaded(client.opts, sys_calls=calls)["sys"]
    for (fun, args), want in zip(calls, expected):
        reply = client.call({"op": "run", "fun": f"sys.{fun}", "arg": args}, timeout=60)
        assert reply["success"] is True, reply
        assert reply["return"] == want, (fun, args)
    assert _names_loaded_here(client.funcs) == set()
    # The minion's own argument rules still apply: list_modules takes no keywords.
    bad = client.call({"op": "run", "fun": "sys.list_modules", "kwarg": {"x": 1}})
    assert bad["retcode"] == 254 and "SaltInvocationError" in bad["return"]


def test_requests_before_the_list_wait_for_it(loader_engine):
    engines, module_globals, client = loader_engine
    assert client.engine.index.listings == 0  # the child is still listing
    rids = [client.send({"op": "run", "fun": "gwfake.whoami"}),
            client.send({"op": "run", "fun": "no_such.fun"}),
            client.send({"op": "functions"})]
    replies = {}
    for _ in rids:
        r = client.recv(timeout=60)
        replies[r["id"]] = r
    assert replies[rids[0]]["return"]["id"] == "unit-minion"
    assert replies[rids[1]]["return"] == "'no_such.fun' is not available."
    assert "test.ping" in replies[rids[2]]["functions"]


def test_a_failed_listing_falls_back_to_the_loader(tmp_path, monkeypatch):
    mod = load_engine_module()
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "gwfake.py").write_text(FAKE_MODULE)
    opts = salt.config.minion_config(None)
    opts.update(id="unit", extension_modules=str(tmp_path), cachedir=str(tmp_path / "cache"), grains={})
    funcs = salt.loader.lazy.LazyLoader([str(tmp_path / "modules")], opts, tag="module",
                                        pack={"__context__": None}, pack_self="__salt__")
    python = sys.executable
    monkeypatch.setattr(sys, "executable", "/bin/false")  # the child cannot start Python
    index = mod.FunctionIndex(funcs, opts)
    index.begin()
    assert index.verdict("gwfake.whoami") == mod.WAIT
    import select
    while index.fileno() is not None:
        select.select([index.fileno()], [], [], 10)
        index.read()
    assert "exit status 1" in index.failed
    assert index.verdict("gwfake.whoami") == mod.LOADER and index.verdict(None) == mod.LOADER
    # Tried again once the modules change.
    monkeypatch.setattr(sys, "executable", python)
    (tmp_path / "modules" / "gwother.py").write_text("def f():\n    return 1\n")
    assert index.verdict("gwother.f") == mod.WAIT
    while index.fileno() is not None:
        select.select([index.fileno()], [], [], 60)
        index.read()
    assert index.failed is None and index.verdict("gwother.f") == mod.KNOWN
    index.close()


def test_the_idle_serve_loop_does_not_wake_up(start_engine):
    """No polling interval: an idle engine's serve thread sleeps in one poll."""
    engine, client = start_engine()
    assert client.call({"op": "ping"})["op"] == "pong"
    tid = next(t.native_id for t in threading.enumerate() if t.name == "serve-under-test")

    def switches():
        with open(f"/proc/self/task/{tid}/status") as f:
            return sum(int(line.split()[1]) for line in f if "ctxt_switches" in line)

    before = switches()
    time.sleep(2)
    assert switches() - before <= 2  # a 100 ms poll made about 20
    t0 = time.monotonic()
    engine.stop()  # and a stop wakes it at once
    deadline = time.monotonic() + 2
    while os.path.exists(engine.path) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not os.path.exists(engine.path) and time.monotonic() - t0 < 1


def test_argspec_cache_does_not_keep_functions_alive():
    import gc
    import salt.utils.args
    mod = load_engine_module()
    mod._install_argspec_cache()
    cached = salt.utils.args.get_function_argspec
    size = cached.cache_size()

    def make():
        def f(a, b=1):
            return a
        return f

    f = make()
    assert cached(f).args == ["a", "b"] and cached.cache_size() == size + 1
    del f
    gc.collect()
    assert cached.cache_size() == size  # a state run's functions go with its loader


class _Tracked(list):
    """A return value we can hold a weak reference to."""


def test_nothing_of_a_job_stays_referenced_after_its_reply(start_engine, monkeypatch):
    import gc
    import weakref
    refs = []

    def big():
        value = _Tracked(["x" * 1000] * 2000)
        refs.append(weakref.ref(value))
        return value

    monkeypatch.setitem(FAKE_SALT, "test.big", big)
    engine, client = start_engine(workers=1, inline=())
    reply = client.call({"op": "run", "fun": "test.big"})
    assert len(reply["return"]) == 2000
    time.sleep(0.2)  # the worker is back on its queue, waiting
    gc.collect()
    assert refs[0]() is None  # not the return, not the reply: the worker kept nothing


# -- state runs: one at a time, as in the minion --------------------------------

STATE_RUNS_SEEN = []  # (jid, start, end) of each fake state run


def _state_run(seconds, **kwargs):
    began = time.monotonic()
    time.sleep(seconds)
    STATE_RUNS_SEEN.append((kwargs.get("__pub_jid"), began, time.monotonic()))
    return {"gwtest-ok": {"result": True}}


def _start_lane(start_engine, monkeypatch, opts=None):
    STATE_RUNS_SEEN.clear()
    engine, client = start_engine(workers=4, inline=())
    opts_of_engine = type(engine).serve.__globals__["__opts__"]
    monkeypatch.setitem(FAKE_SALT, "state.sls", _state_run)
    monkeypatch.setitem(FAKE_SALT, "state.single", _state_run)
    monkeypatch.setitem(FAKE_SALT, "state.sls_exists", _sleep)
    for key, value in (opts or {}).items():
        monkeypatch.setitem(opts_of_engine, key, value)
    return engine, client


def _jid(n):
    return f"202401010000000001{n:02d}"


def test_queued_state_runs_take_turns_in_arrival_order(start_engine, monkeypatch):
    engine, client = _start_lane(start_engine, monkeypatch)
    ids = [client.send({"op": "run", "fun": "state.sls", "jid": _jid(n), "arg": [0.15],
                        "kwarg": {"queue": True}}) for n in range(3)]
    other = client.send({"op": "run", "fun": "test.sleep", "arg": [0.05]})
    replies = [client.recv() for _ in range(4)]
    assert replies[0]["id"] == other  # not held up by the lane
    assert [r["id"] for r in replies[1:]] == ids
    assert all(r["success"] is True for r in replies)
    runs = sorted(STATE_RUNS_SEEN, key=lambda run: run[1])
    assert [run[0] for run in runs] == [_jid(n) for n in range(3)]
    for before, after in zip(runs, runs[1:]):
        assert after[1] >= before[2]  # never two at once


def test_a_state_run_that_did_not_ask_to_queue_gets_salts_conflict(start_engine, monkeypatch):
    engine, client = _start_lane(start_engine, monkeypatch)
    first = client.send({"op": "run", "fun": "state.single", "jid": _jid(1), "arg": [0.4]})
    t0 = time.monotonic()
    refused = client.call({"op": "run", "fun": "state.sls", "jid": _jid(2), "arg": [0.1]})
    assert time.monotonic() - t0 < 0.3  # at once, not after the running one
    assert refused["success"] is False and refused["retcode"] == 1
    (line,) = refused["return"]
    assert line.startswith(f'The function "state.single" is running as PID {os.getpid()} and was started at ')
    assert line.endswith(f"with jid {_jid(1)}")
    # A function that is not a state run is not refused.
    assert client.call({"op": "run", "fun": "state.sls_exists", "arg": [0.01]})["success"] is True
    assert client.recv()["id"] == first
    assert [run[0] for run in STATE_RUNS_SEEN] == [_jid(1)]


@pytest.mark.parametrize("how", ["arg", "concurrent", "opts"])
def test_queue_can_be_asked_as_salt_allows(start_engine, monkeypatch, how):
    opts = {"state_queue": True} if how == "opts" else None
    engine, client = _start_lane(start_engine, monkeypatch, opts)
    asked = {"arg": {"arg": [0.05, "queue=True"]},
             "concurrent": {"arg": [0.05], "kwarg": {"concurrent": True}},
             "opts": {"arg": [0.05]}}[how]
    first = client.send({"op": "run", "fun": "state.sls", "jid": _jid(1), "arg": [0.2]})
    second = client.send(dict({"op": "run", "fun": "state.sls", "jid": _jid(2)}, **asked))
    assert [client.recv()["id"] for _ in range(2)] == [first, second]
    assert [run[0] for run in STATE_RUNS_SEEN] == [_jid(1), _jid(2)]


def test_a_waiting_state_run_can_time_out_or_be_killed_and_the_lane_goes_on(start_engine, monkeypatch):
    engine, client = _start_lane(start_engine, monkeypatch)
    queued = {"op": "run", "fun": "state.sls", "arg": [0.05], "kwarg": {"queue": True}}
    first = client.send({"op": "run", "fun": "state.sls", "jid": _jid(1), "arg": [0.4]})
    late = client.send(dict(queued, jid=_jid(2), timeout=0.1))
    killed = client.send(dict(queued, jid=_jid(3)))
    last = client.send(dict(queued, jid=_jid(4)))
    time.sleep(0.05)
    kill = client.send({"op": "kill", "jid": _jid(3)})
    replies = {}
    while len(replies) < 5:
        r = client.recv()
        replies[r["id"]] = r
    assert replies[late]["timed_out"] is True
    assert "did not start: it waited for the state run before it" in replies[late]["return"]
    assert replies[kill]["killed"] is True and "Killed before it started" in replies[killed]["return"]
    assert replies[first]["success"] is True and replies[last]["success"] is True
    assert [run[0] for run in STATE_RUNS_SEEN] == [_jid(1), _jid(4)]


def test_a_state_run_dropped_before_it_started_frees_the_lane(start_engine, monkeypatch):
    engine, client = _start_lane(start_engine, monkeypatch)
    blocker = [client.send({"op": "run", "fun": "test.sleep", "arg": [0.3]}) for _ in range(4)]
    # Every worker is busy: the state run holds the lane but has not started.
    gone = client.send({"op": "run", "fun": "state.sls", "jid": _jid(1), "arg": [0.01], "timeout": 0.1})
    assert client.recv()["id"] == gone
    replies = [client.recv() for _ in blocker]
    assert sorted(r["id"] for r in replies) == sorted(blocker)
    nxt = client.call({"op": "run", "fun": "state.sls", "jid": _jid(2), "arg": [0.01]})
    assert nxt["success"] is True  # not refused as if the dropped one still ran
    assert [run[0] for run in STATE_RUNS_SEEN] == [_jid(2)]
