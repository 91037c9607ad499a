"""
saltgw_executor: run Salt functions for the saltgw gateway.

The minion starts this engine in its own process (``engines:
[{saltgw_executor: {...}}]``). It binds a ZeroMQ ROUTER socket at
``ipc://<sock_dir>/saltgw.ipc`` and runs the requested functions of
``__salt__`` in a bounded pool of threads. One request is one msgpack map in
one frame, one reply is one msgpack map; see README.md for the protocol.

Loader context: on Salt 3006+ the dunders (``__salt__``, ``__opts__``...)
are looked up in a context variable that the loader sets while it runs
``start``. A thread we start begins with an empty context and would see
``None``. So the serve loop (which runs in the loader's context) takes a copy
of its context for every job, and the worker runs the job inside that copy.

State progress (protocol 2): a run request with ``"progress": true`` gets one
``{"id", "op": "progress", "jid", "tag", "data"}`` message per finished state
on the same socket, before its reply; the reply then carries
``"progress_sent"``. A worker pushes both through the one inproc PUSH socket
the serve loop reads, so ZeroMQ keeps them in order. A client that does not
ask (protocol 1) gets the reply only, as before.

Supported: Python 3.7 or newer (contextvars; `vermin` finds nothing newer,
see scripts/check-engine-versions.sh) and Salt 3006 or newer (the loader
context API above; 3006 LTS is the oldest release tested). On an older minion
-- AutoPi's older fleet runs Salt 2017.7 on Python 2.7 -- the engine does not
load (Python 2) or does not start (``start`` refuses Salt < 3006), and saltgw
dispatches through the minion's scheduler instead; ``saltgw --check`` says so.
Keep MIN_PYTHON and MIN_SALT in step with salt_ipc/engine_support.h.
"""

import contextlib
import contextvars
import itertools
import logging
import os
import queue
import signal
import sys
import threading
import time

import salt.loader.context
import salt.minion
import salt.payload
import salt.utils.context
import salt.utils.jid
import salt.utils.msgpack
import salt.version
import zmq

log = logging.getLogger("salt.engines.saltgw_executor")

PROTOCOL = 2  # 2: progress messages for run requests that ask for them
MIN_PYTHON = (3, 7)
MIN_SALT = 3006
RETCODE_FAILED = 254  # unknown function, exception, timeout, killed
POLL_MS = 100  # how often the serve loop looks at the stop flag
# Functions answered on the serve loop itself, without the hand-over to a
# worker thread and back (two thread switches and the GIL between them, about
# half of a test.ping round trip). Only functions that read what the minion
# already holds in memory belong here: one that blocks would hold up every
# other request while it runs. Engine option ``inline`` replaces the list.
INLINE_DEFAULT = ("test.ping", "test.echo", "test.version", "test.true", "test.false",
                  "grains.get", "grains.item", "grains.items", "grains.ls",
                  "config.get", "pillar.get", "pillar.item", "pillar.items")


def unsupported_reason(salt_version=None, python=None):
    """Why this minion is too old for the engine, or None when it is not."""
    salt_version = salt.version.__version__ if salt_version is None else salt_version
    python = tuple(sys.version_info[:2]) if python is None else tuple(python)
    release = int("".join(itertools.takewhile(str.isdigit, salt_version)) or 0)
    if release < MIN_SALT or python < MIN_PYTHON:
        return (f"saltgw_executor needs Salt {MIN_SALT}+ on Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]}+, "
                f"this minion runs Salt {salt_version} on Python {python[0]}.{python[1]}; "
                "saltgw will dispatch through the minion's scheduler")
    return None


def start(socket=None, workers=4, max_queue=256, inline=None):
    """Engine entry point; the minion calls it in the engine's process."""
    why = unsupported_reason()
    if why:
        log.error("%s", why)
        return
    engine = _make_engine(socket, workers, max_queue, inline)
    _install_state_progress()
    _install_argspec_cache()
    if threading.current_thread() is not threading.main_thread():
        engine.serve()
        return
    # Salt's own SIGTERM handler ends the process with os._exit(), which
    # would leave the socket file behind: stop first, then let Salt's run.
    caught = []

    def on_signal(signum, frame):
        caught.append(signum)
        engine.stop()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        engine.serve()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if caught and callable(previous[caught[0]]):
        previous[caught[0]](caught[0], None)


def _make_engine(socket=None, workers=4, max_queue=256, inline=None):
    path = socket or os.path.join(__opts__["sock_dir"], "saltgw.ipc")
    return Executor(path, int(workers), int(max_queue), INLINE_DEFAULT if inline is None else inline)


class _Job:
    def __init__(self, key, identity, req, timeout):
        self.key = key
        self.identity = identity
        self.req = req
        self.received = time.monotonic()
        self.deadline = None if timeout is None else self.received + timeout
        self.started = False  # set by the worker, under Executor._lock
        self.cancelled = False  # set by the serve loop, under Executor._lock
        self.answered = False  # serve loop only


class Executor:
    """The ROUTER socket, the serve loop and the worker threads."""

    def __init__(self, path, workers=4, max_queue=256, inline=INLINE_DEFAULT):
        self.path = path
        self.inline = frozenset(inline)
        self.capacity = workers + max_queue  # running + waiting
        self._zmq = zmq.Context()
        self._router = self._zmq.socket(zmq.ROUTER)
        self._router.linger = 0
        self._router.bind(f"ipc://{path}")
        os.chmod(path, 0o600)
        # Workers hand their replies to the serve loop, which alone owns
        # the ROUTER socket (ZeroMQ sockets are not thread safe).
        results = f"inproc://saltgw-results-{id(self)}"
        self._results = self._zmq.socket(zmq.PULL)
        self._results.linger = 0
        self._results.bind(results)
        self._push = self._zmq.socket(zmq.PUSH)
        self._push.linger = 0
        self._push.connect(results)
        self._push_lock = threading.Lock()
        self._lock = threading.Lock()
        self._jobs = {}  # key -> _Job; serve loop only
        self._keys = itertools.count()
        self._queue = queue.Queue()
        self._stopping = threading.Event()
        self._closed = False
        self._workers = workers
        for n in range(workers):
            threading.Thread(
                target=self._work, name=f"saltgw-worker-{n}", daemon=True
            ).start()
        log.info("saltgw_executor listening on %s (%d workers; inline: %s)", path, workers,
                 ", ".join(sorted(self.inline)) or "none")

    def stop(self):
        self._stopping.set()

    # -- serve loop ---------------------------------------------------------

    def serve(self):
        poller = zmq.Poller()
        poller.register(self._router, zmq.POLLIN)
        poller.register(self._results, zmq.POLLIN)
        try:
            while not self._stopping.is_set():
                ready = dict(poller.poll(self._poll_ms()))
                if self._results in ready:
                    for frames in _drain(self._results):
                        if len(frames) == 3:  # [key, b"progress", payload]
                            self._progress(frames[0], frames[2])
                        else:
                            self._finished(frames[0], frames[1])
                if self._router in ready:
                    for frames in _drain(self._router):
                        self._request(frames[0], frames[1:])
                self._expire()
        finally:
            self._close()

    def _poll_ms(self):
        deadlines = [j.deadline for j in self._jobs.values() if j.deadline and not j.answered]
        if not deadlines:
            return POLL_MS
        return max(0, min(POLL_MS, int((min(deadlines) - time.monotonic()) * 1000) + 1))

    def _send(self, identity, reply):
        self._router.send_multipart([identity, _pack(reply)])

    def _request(self, identity, frames):
        req = None
        try:
            if len(frames) != 1:
                raise ValueError(f"expected one frame, got {len(frames)}")
            try:
                req = salt.utils.msgpack.unpackb(frames[0], raw=False)
            except Exception as exc:  # pylint: disable=broad-except
                raise ValueError(f"not msgpack: {exc}") from None
            if not isinstance(req, dict):
                raise ValueError("request is not a map")
            op = req.get("op")
            if op == "ping":
                self._send(identity, _pong(req))
            elif op == "kill":
                self._send(identity, self._kill(req))
            elif op in ("run", "functions"):
                self._accept(identity, req)
            else:
                raise ValueError(f"unknown op: {op!r}")
        except Exception as exc:  # pylint: disable=broad-except
            # ValueError: the request is wrong; anything else is our bug.
            # Either way the client gets an answer and the loop goes on.
            bad = isinstance(exc, ValueError)
            log.log(logging.WARNING if bad else logging.ERROR, "saltgw_executor: %s request: %s",
                    "bad" if bad else "failed", exc, exc_info=not bad)
            req_id = req.get("id") if isinstance(req, dict) else None
            self._send(identity, {"id": req_id, "error": str(exc) if bad else f"internal error: {exc}"})

    def _accept(self, identity, req):
        timeout = _check(req)
        if req["op"] == "run":
            req.setdefault("arg", [])
            req.setdefault("kwarg", {})
            req["jid"] = req.get("jid") or salt.utils.jid.gen_jid(__opts__)
            if req["fun"] in self.inline:
                # The serve loop runs in the loader's context already; its
                # progress (if any) goes out before the reply, from here.
                self._send(identity, _execute(req, lambda msg: self._send(identity, msg)))
                return
        if len(self._jobs) >= self.capacity:
            self._send(identity, {"id": req.get("id"), "error": "overloaded"})
            return
        job = _Job(str(next(self._keys)).encode(), identity, req, timeout)
        self._jobs[job.key] = job
        # The copy carries the loader context of this thread into the worker.
        self._queue.put((job, contextvars.copy_context()))

    def _progress(self, key, payload):
        """Forward a progress message of a job still waiting for its reply."""
        job = self._jobs.get(key)
        if job is not None and not job.answered:
            self._router.send_multipart([job.identity, payload])

    def _finished(self, key, payload):
        job = self._jobs.pop(key, None)
        if job is None:
            return
        if job.answered:  # timed out meanwhile
            log.info("saltgw_executor: job %s ended after its timeout", job.req.get("jid"))
            return
        self._router.send_multipart([job.identity, payload])

    def _answer_unrun(self, job, why, **extra):
        """Answer a job that will not (or not yet) give its own result."""
        job.answered = True
        if job.req["op"] == "functions":
            reply = {"id": job.req.get("id"), "error": why}
        else:
            reply = _run_reply(job.req, why, RETCODE_FAILED, time.monotonic() - job.received)
        self._send(job.identity, dict(reply, **extra))

    def _expire(self):
        now = time.monotonic()
        for job in list(self._jobs.values()):
            if job.answered or job.deadline is None or job.deadline > now:
                continue
            with self._lock:
                job.cancelled = not job.started
            if job.cancelled:
                del self._jobs[job.key]
                why = "it did not start: no worker was free"
            else:  # stays in _jobs: it holds a worker until it returns
                why = "it is still running (threads cannot be killed)"
            self._answer_unrun(job, f"Timed out after {job.req['timeout']} s; {why}",
                               timed_out=True)

    def _kill(self, req):
        jid = req.get("jid")
        if not isinstance(jid, str) or not jid:
            raise ValueError("kill needs 'jid'")
        reply = {"id": req.get("id"), "killed": False}
        jobs = [j for j in self._jobs.values() if j.req.get("jid") == jid and not j.answered]
        if not jobs:
            return dict(reply, reason=f"no job {jid} is queued or running here")
        with self._lock:
            for job in jobs:
                job.cancelled = not job.started
        waiting = [j for j in jobs if j.cancelled]
        for job in waiting:
            del self._jobs[job.key]
            self._answer_unrun(job, "Killed before it started")
        if waiting:
            return dict(reply, killed=True, reason="the job was still queued; it will not run")
        return dict(reply, reason="the job is running in a thread of the engine's process; "
                    "Python threads cannot be killed, so it runs to its end")

    def _close(self):
        for _ in range(self._workers):
            self._queue.put((None, None))
        with self._push_lock:
            self._closed = True
            self._push.close()
        self._router.close()
        self._results.close()
        self._zmq.term()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        log.info("saltgw_executor stopped; %s removed", self.path)

    # -- workers ------------------------------------------------------------

    def _work(self):
        while True:
            job, ctx = self._queue.get()
            if job is None:
                return
            with self._lock:
                if job.cancelled:
                    continue
                job.started = True
            try:
                reply = ctx.run(_execute, job.req, lambda msg, key=job.key: self._push_progress(key, msg))
            except Exception as exc:  # pylint: disable=broad-except
                log.exception("saltgw_executor: %s failed", job.req.get("op"))
                reply = {"id": job.req.get("id"), "error": f"internal error: {exc}"}
            payload = _pack(reply)
            with self._push_lock:
                if self._closed:
                    return
                self._push.send_multipart([job.key, payload])


    def _push_progress(self, key, msg):
        """In a worker: hand a progress message to the serve loop, ahead of the reply."""
        payload = _pack(msg)
        with self._push_lock:
            if self._closed:
                return
            self._push.send_multipart([key, b"progress", payload])


def _drain(sock):
    while True:
        try:
            yield sock.recv_multipart(zmq.NOBLOCK)
        except zmq.Again:
            return


def _check(req):
    """Validate a run or functions request; return its timeout (or None)."""
    timeout = req.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or timeout <= 0):
        raise ValueError("'timeout' must be a positive number of seconds")
    if req["op"] != "run":
        return timeout
    if not isinstance(req.get("fun"), str) or not req["fun"]:
        raise ValueError("run needs 'fun' (a function name)")
    if not isinstance(req.get("arg", []), (list, tuple)):
        raise ValueError("'arg' must be a list")
    if not isinstance(req.get("kwarg", {}), dict):
        raise ValueError("'kwarg' must be a map")
    if req.get("jid") is not None and not isinstance(req["jid"], str):
        raise ValueError("'jid' must be a string")
    if not isinstance(req.get("progress", False), bool):
        raise ValueError("'progress' must be true or false")
    return timeout


def _pong(req):
    return {"id": req.get("id"), "op": "pong", "engine": "saltgw_executor",
            "protocol": PROTOCOL, "salt_version": salt.version.__version__,
            "python_version": "%d.%d.%d" % sys.version_info[:3], "pid": os.getpid()}


def _run_reply(req, ret, retcode, duration):
    return {"id": req.get("id"), "jid": req["jid"], "fun": req["fun"], "return": ret,
            "success": retcode == 0, "retcode": retcode, "duration": duration}


def _pack(reply):
    """Salt's own serialiser: it converts sets, datetimes, ... as the minion does."""
    try:
        return salt.payload.dumps(reply, use_bin_type=True)
    except Exception as exc:  # pylint: disable=broad-except
        log.warning("saltgw_executor: cannot serialise reply: %s", exc)
        reply = dict(reply, success=False, retcode=RETCODE_FAILED,
                     **{"return": f"Return value cannot be serialised: {type(exc).__name__}: {exc}"})
        return salt.payload.dumps(reply, use_bin_type=True)


# -- in a worker, inside the copied loader context ---------------------------


_progress = threading.local()


def _install_state_progress():
    """Publish each state's result on the minion's local bus as it finishes.

    Salt sends state progress (state_events) to the master only; a local
    client never sees it. For jobs this engine runs, every finished state
    chunk is also fired locally as salt/job/<jid>/prog/<minion id>/<run_num>
    with {"ret": <chunk result>, "len": <number of chunks>}, for any listener
    on the bus; and, when the job's requester asked for progress, handed to
    the job's progress sink (see _execute), which sends it to the requester
    on the engine's socket ahead of the reply. Jobs not run by this engine
    are untouched.
    """
    import salt.state
    import salt.utils.event

    if getattr(salt.state.State.event, "_saltgw_progress", False):
        return
    original = salt.state.State.event

    def event(self, chunk_ret, length, fire_event=False):
        try:
            return original(self, chunk_ret, length, fire_event=fire_event)
        finally:
            jid = getattr(_progress, "jid", None)
            if jid:
                tag = f"salt/job/{jid}/prog/{self.opts['id']}/{chunk_ret.get('__run_num__', 0)}"
                data = {"ret": chunk_ret, "len": length}
                _send_progress(jid, tag, data)
                try:
                    with salt.utils.event.get_event("minion", opts=self.opts, listen=False) as bus:
                        bus.fire_event(data, tag)
                except Exception:  # pylint: disable=broad-except
                    log.debug("saltgw_executor: could not fire state progress", exc_info=True)

    event._saltgw_progress = True
    salt.state.State.event = event


def _send_progress(jid, tag, data):
    """Hand one progress message to the running job's sink, if it has one."""
    sink = getattr(_progress, "sink", None)
    if sink is None:
        return
    try:
        sink({"id": _progress.req_id, "op": "progress", "jid": jid, "tag": tag, "data": data})
        _progress.sent += 1
    except Exception:  # pylint: disable=broad-except
        log.warning("saltgw_executor: could not send state progress of %s", jid, exc_info=True)


def _install_argspec_cache():
    """Remember each function's argspec in this (the engine's) process.

    salt.minion.load_args_and_kwargs, which every job goes through, calls
    salt.utils.args.get_function_argspec, which builds a new namedtuple class
    and inspect.signature on every call: about a third of the engine's time
    for a test.ping. The answer depends only on the function, so it is kept
    per function object (a module refresh loads new objects, which miss).
    Callers get their own copy of the list inside.
    """
    import salt.utils.args

    original = salt.utils.args.get_function_argspec
    if getattr(original, "_saltgw_cache", False):
        return
    cache = {}
    lock = threading.Lock()

    def get_function_argspec(func, is_class_method=None):
        target = func
        while hasattr(target, "__wrapped__"):
            target = target.__wrapped__
        try:
            key = (target, bool(is_class_method))
            hash(key)
        except TypeError:  # an unhashable callable: no caching
            return original(func, is_class_method=is_class_method)
        spec = cache.get(key)
        if spec is None:
            spec = original(func, is_class_method=is_class_method)
            with lock:
                if len(cache) > 4096:
                    cache.clear()
                cache[key] = spec
        return spec._replace(args=list(spec.args))

    get_function_argspec._saltgw_cache = True
    salt.utils.args.get_function_argspec = get_function_argspec


def _execute(req, progress_sink=None):
    """Run one request in this thread; return its reply.

    When the request asked for progress ("progress": true), each finished
    state of the job is passed to progress_sink (a callable taking the
    message map) before this returns, and the reply carries "progress_sent",
    how many were passed on.
    """
    if req["op"] == "functions":
        return {"id": req.get("id"), "functions": sorted(__salt__)}
    fun = req["fun"]
    begin = time.monotonic()
    if fun not in __salt__:
        loader = _loader(__salt__)
        missing = getattr(loader, "missing_fun_string", None)
        ret = missing(fun) if missing else f"'{fun}' is not available."
        return _run_reply(req, ret, RETCODE_FAILED, time.monotonic() - begin)
    try:
        with _job_context(__salt__) as context:
            func = __salt__[fun]
            # The minion's own argument handling: "k=v" strings, kwargs, and
            # __pub_* only for functions that take **kwargs.
            args = list(req["arg"])
            if req["kwarg"]:
                args.append(dict(req["kwarg"], __kwarg__=True))
            args, kwargs = salt.minion.load_args_and_kwargs(
                func, args, data={"jid": req["jid"], "fun": fun})
            log.debug("saltgw_executor: job %s runs %s", req["jid"], fun)
            _progress.jid = req["jid"]
            _progress.req_id = req.get("id")
            _progress.sink = progress_sink if req.get("progress") else None
            _progress.sent = 0
            try:
                ret = func(*args, **kwargs)
            finally:
                _progress.jid = None
                _progress.sink = None
            retcode = context.get("retcode", 0)
    except Exception as exc:  # pylint: disable=broad-except
        log.warning("saltgw_executor: %s raised", fun, exc_info=True)
        ret = f"Unhandled exception running {fun}: {type(exc).__name__}: {exc}"
        return _run_reply(req, ret, RETCODE_FAILED, time.monotonic() - begin)
    # As salt/minion.py: no retcode from the function, but a dict return with
    # a false "result" or "success" still fails.
    if retcode == 0 and isinstance(ret, dict) and not all(
            ret.get(k, True) for k in ("result", "success")):
        retcode = 1
    reply = _run_reply(req, ret, retcode, time.monotonic() - begin)
    if req.get("progress"):
        reply["progress_sent"] = _progress.sent
    return reply


def _loader(funcs):
    if isinstance(funcs, salt.loader.context.NamedLoaderContext):
        return funcs.value()
    return funcs


@contextlib.contextmanager
def _job_context(funcs):
    """Give the job its own __context__ so its retcode is its own.

    The minion gives each job a fresh __context__ (a new process, or
    context_dict.clone() for thread jobs). Here jobs share one process, so a
    job gets a shallow copy of the loader's __context__, active in its thread
    only: what it sets at the top level ("retcode", new cache keys) stays
    with the job, as it would in a minion job process.
    """
    loader = _loader(funcs)
    pack = getattr(loader, "pack", None)
    shared = pack.get("__context__") if isinstance(pack, dict) else None
    if isinstance(shared, salt.utils.context.NamespacedDictWrapper) and hasattr(loader, "context_dict"):
        own = {k: v for k, v in shared.items() if k != "retcode"}
        with loader.context_dict.clone(__context__=own):
            yield own
        return
    if isinstance(shared, dict):
        # Salt 3007+: __context__ is a plain dict shared by every job of this
        # process. Give "retcode" (the one key a job's outcome depends on) a
        # value per thread; other keys stay shared, as in a minion thread job.
        if not isinstance(shared, _PerThreadRetcode):
            shared = _PerThreadRetcode(shared)
            pack["__context__"] = shared
        shared.pop("retcode", None)
        yield shared
        return
    yield {}  # not a Salt loader (tests), or a loader without __context__


class _PerThreadRetcode(dict):
    """A __context__ dict whose "retcode" entry is per thread."""

    _local = threading.local()

    def __setitem__(self, key, value):
        if key == "retcode":
            self._local.retcode = value
        else:
            super().__setitem__(key, value)

    def __getitem__(self, key):
        if key == "retcode":
            if getattr(self._local, "retcode", None) is None:
                raise KeyError(key)
            return self._local.retcode
        return super().__getitem__(key)

    def __contains__(self, key):
        if key == "retcode":
            return getattr(self._local, "retcode", None) is not None
        return super().__contains__(key)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def pop(self, key, *default):
        if key == "retcode":
            value = getattr(self._local, "retcode", None)
            self._local.retcode = None
            if value is None:
                if default:
                    return default[0]
                raise KeyError(key)
            return value
        return super().pop(key, *default)

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]
