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

Light on the device: the serving process never imports every execution
module. Which functions exist is learnt by a short-lived child process
(saltgw_function_index.py, next to this file, run as a script) that loads
them all with the minion's opts, writes the names and exits; see
FunctionIndex there. The serve loop blocks in one poll until a
request, a result, the child's output, a stop or the next real deadline.
State runs go one at a time (the lane: see STATE_RUNS), and the garbage a
state run leaves is collected after it; see README.md.

Supported: Python 3.7 or newer (contextvars; `vermin` finds nothing newer,
see scripts/check-engine-versions.sh) and Salt 3006 or newer (the loader
context API above; 3006 LTS is the oldest release tested). On an older minion
-- AutoPi's older fleet runs Salt 2017.7 on Python 2.7 -- the engine does not
load (Python 2) or does not start (``start`` refuses Salt < 3006), and saltgw
dispatches through the minion's scheduler instead; ``saltgw --check`` says so.
Keep MIN_PYTHON and MIN_SALT in step with salt_ipc/engine_support.h.
"""

import collections
import contextlib
import contextvars
import gc
import importlib.util
import itertools
import logging
import os
import queue
import signal
import sys
import threading
import time

import salt.minion
import salt.payload
import salt.utils.args
import salt.utils.jid
import salt.utils.msgpack
import salt.version
import zmq

log = logging.getLogger("salt.engines.saltgw_executor")

PROTOCOL = 2  # 2: progress messages for run requests that ask for them
MIN_PYTHON = (3, 7)
MIN_SALT = 3006
RETCODE_FAILED = 254  # unknown function, exception, timeout, killed
# Functions answered on the serve loop itself, without the hand-over to a
# worker thread and back (two thread switches and the GIL between them, about
# half of a test.ping round trip). Only functions that read what the minion
# already holds in memory belong here: one that blocks would hold up every
# other request while it runs. Engine option ``inline`` replaces the list.
INLINE_DEFAULT = ("test.ping", "test.echo", "test.version", "test.true", "test.false",
                  "grains.get", "grains.item", "grains.items", "grains.ls",
                  "config.get", "pillar.get", "pillar.item", "pillar.items")
# State runs: Salt runs one at a time on a minion (each of these refuses to
# start while another runs, or waits with queue=True). Salt's own check reads
# the minion's proc files, which cannot see the engine's other threads, and
# its queue lock is a file lock that threads of one process race on
# (FileLockError), so the engine runs these one at a time itself: the lane.
STATE_RUNS = frozenset("state." + name for name in (
    "apply", "highstate", "sls", "sls_id", "single", "top", "high", "low", "template",
    "template_str", "request", "run_request", "show_highstate", "show_lowstate", "show_sls",
    "show_low_sls", "show_top", "show_states", "show_state_usage", "graph_highstate"))
RETCODE_CONFLICT = 1  # salt.defaults.exitcodes.EX_STATE_COMPILER_ERROR, as Salt's conflict


def _load_sibling(name):
    """The module NAME.py next to this file, loaded by its path.

    Salt's loader loads this engine from its file (it sets __file__) under a
    name of its own, and the engines directory is not on sys.path: a plain
    ``import`` would not find the sibling. It goes into sys.modules under
    NAME, a fixed name, so it is loaded once per process (again only if a
    copy at another path asks for it) and what it defines names a module
    that can be found (as pickle needs). The listing child does not import
    it: it runs the file as a script.
    Salt's engine loader also sees the sibling's .py as a possible engine
    module; that is harmless: it has no start(), and only the engines named
    in the ``engines:`` config start.
    """
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".py")
    mod = sys.modules.get(name)
    if mod is not None and getattr(mod, "__file__", None) == path:
        return mod
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return mod


# How a job runs inside Salt's process (its own __context__, state progress,
# the argspec cache): saltgw_job_runtime.py. Its names are also this module's.
_runtime = _load_sibling("saltgw_job_runtime")
_progress = _runtime.progress
_install_state_progress = _runtime.install_state_progress
_install_argspec_cache = _runtime.install_argspec_cache
_job_context = _runtime.job_context
_loader = _runtime.loader_of

# Which functions exist, learnt in a child process: saltgw_function_index.py.
# Its names are also this module's, as the engine (and its tests) use them.
_function_index = _load_sibling("saltgw_function_index")
FunctionIndex = _function_index.FunctionIndex
KNOWN, UNKNOWN, WAIT, READY, LOADER = (_function_index.KNOWN, _function_index.UNKNOWN,
                                       _function_index.WAIT, _function_index.READY,
                                       _function_index.LOADER)


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
    _return_large_buffers()
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


BIG_REPLY = 1 << 20  # after a reply this large, free heap goes back to the system
_libc = []  # glibc, once _return_large_buffers found it


def _return_large_buffers():
    """Make glibc give large freed buffers back to the system.

    glibc serves a request above its mmap threshold (128 KiB) with mmap and
    unmaps it on free, but on the first such free it raises the threshold to
    that size (up to 32 MiB), so the next big results (a 20 MB cmd.run
    output, its msgpack, its copies) come from the heap, and freed heap is
    kept: 100 MB and more in the engine after one such job. A fixed
    threshold keeps them mmap'd, and _trim() after a big reply hands back
    what the heaps (one per worker thread) still hold free. Python has no
    API for either; ctypes calls mallopt(3) and malloc_trim(3). Not glibc:
    nothing is done.
    """
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 256 * 1024)  # M_MMAP_THRESHOLD, fixed
        libc.mallopt(-1, 1024 * 1024)  # M_TRIM_THRESHOLD, fixed
        _libc[:] = [libc]
    except (OSError, AttributeError):
        pass


def _trim():
    if _libc:
        _libc[0].malloc_trim(0)


_frozen = []  # [True] once _collect froze what the engine keeps


def _collect():
    """Collect cyclic garbage (after a state run); the number of objects freed.

    The first collection also freezes what survives it (gc.freeze: Salt's
    modules, the loader, what the engine holds for good), so that later ones
    scan only what came after: 25 ms -> 2 ms after a state run, measured
    here. Only after state runs, never at start or when idle: a full
    collection writes to every object it scans, and in a process the minion
    forked that copies the pages it still shared with the minion (+5 MB PSS
    for the engine, and as much for the minion); a state run copies them
    anyway.
    """
    freed = gc.collect()
    if not _frozen:
        _frozen.append(True)
        gc.freeze()
    return freed


def _make_engine(socket=None, workers=4, max_queue=256, inline=None):
    path = socket or os.path.join(__opts__["sock_dir"], "saltgw.ipc")
    index = FunctionIndex(_loader(__salt__), _loader(__opts__))
    return Executor(path, int(workers), int(max_queue), INLINE_DEFAULT if inline is None else inline,
                    index=index)


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
        self.parked = False  # waiting for the function list; serve loop only


class Executor:
    """The ROUTER socket, the serve loop and the worker threads."""

    def __init__(self, path, workers=4, max_queue=256, inline=INLINE_DEFAULT, index=None):
        self.path = path
        self.inline = frozenset(inline)
        self.capacity = workers + max_queue  # running + waiting
        self.index = index if index is not None else FunctionIndex({}, {})
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
        # stop() writes a byte here: safe from a signal handler and from any
        # thread, and it wakes the poll at once (there is no polling interval).
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._lock = threading.Lock()
        self._jobs = {}  # key -> _Job; serve loop only
        self._parked = []  # jobs waiting for the function list; serve loop only
        self._lane_job = None  # the state run holding the lane; serve loop only
        self._lane = collections.deque()  # state runs waiting for it; serve loop only
        self._keys = itertools.count()
        self._queue = queue.Queue()
        self._stopping = threading.Event()
        self._closed = False
        self._workers = workers
        for n in range(workers):
            threading.Thread(
                target=self._work, name=f"saltgw-worker-{n}", daemon=True
            ).start()
        self.index.begin()
        log.info("saltgw_executor listening on %s (%d workers; inline: %s)", path, workers,
                 ", ".join(sorted(self.inline)) or "none")

    def stop(self):
        self._stopping.set()
        wake = self._wake_w
        if wake is not None:
            with contextlib.suppress(OSError):
                os.write(wake, b"s")

    # -- serve loop ---------------------------------------------------------

    def serve(self):
        poller = zmq.Poller()
        poller.register(self._router, zmq.POLLIN)
        poller.register(self._results, zmq.POLLIN)
        poller.register(self._wake_r, zmq.POLLIN)
        lister_fd = None
        try:
            while not self._stopping.is_set():
                fd = self.index.fileno()
                if fd != lister_fd:
                    if lister_fd is not None:
                        poller.unregister(lister_fd)
                    if fd is not None:
                        poller.register(fd, zmq.POLLIN)
                    lister_fd = fd
                ready = dict(poller.poll(self._poll_timeout_ms()))
                if self._wake_r in ready:
                    os.read(self._wake_r, 64)
                if self._results in ready:
                    self._take_results()
                if lister_fd is not None and lister_fd in ready and self.index.read():
                    self._resume_parked()
                if self._router in ready:
                    self._take_requests()
                self._expire()
        finally:
            self._close()

    def _take_results(self):
        """Forward what the workers pushed (nothing of it stays referenced here)."""
        big = False
        for frames in _drain(self._results):
            if len(frames) == 3:  # [key, b"progress", payload]
                self._progress(frames[0], frames[2])
            else:
                big = self._finished(frames[0], frames[1]) or big
        if big:
            _trim()

    def _take_requests(self):
        for frames in _drain(self._router):
            self._request(frames[0], frames[1:])

    def _poll_timeout_ms(self):
        """Milliseconds to the next deadline (a job's timeout, the lister's), None for none."""
        deadlines = [j.deadline for j in self._jobs.values() if j.deadline and not j.answered]
        if self.index.deadline() is not None:
            deadlines.append(self.index.deadline())
        if not deadlines:
            return None
        return max(0, int((min(deadlines) - time.monotonic()) * 1000) + 1)

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
        self._route(_Job(str(next(self._keys)).encode(), identity, req, timeout))

    def _route(self, job):
        """Answer, run inline, queue or park a job, as the function list allows."""
        req = job.req
        fun = req.get("fun") if req["op"] == "run" else None
        verdict = self.index.verdict(fun)
        if verdict == WAIT:
            if not job.parked:
                if len(self._jobs) >= self.capacity:
                    self._send(job.identity, {"id": req.get("id"), "error": "overloaded"})
                    return
                job.parked = True
                self._jobs[job.key] = job
            self._parked.append(job)
            return
        admitted = self._jobs.pop(job.key, None) is not None
        if req["op"] == "functions" and verdict != LOADER:
            self._send(job.identity, {"id": req.get("id"), "functions": self.index.sorted_names()})
        elif verdict == UNKNOWN:
            why = self.index.missing_fun_string(fun)
            self._send(job.identity, _run_reply(req, why, RETCODE_FAILED, time.monotonic() - job.received))
        elif fun in self.inline:
            # The serve loop runs in the loader's context already; its
            # progress (if any) goes out before the reply, from here.
            payload = _pack(_execute(req, lambda msg: self._send(job.identity, msg), self.index.standin(fun)))
            self._router.send_multipart([job.identity, payload])
            if len(payload) >= BIG_REPLY:
                del payload
                _trim()
        elif not admitted and len(self._jobs) >= self.capacity:
            self._send(job.identity, {"id": req.get("id"), "error": "overloaded"})
        else:
            self._jobs[job.key] = job
            if fun in STATE_RUNS:
                self._state_run(job)
            else:
                self._dispatch(job)

    def _dispatch(self, job):
        """Hand a job to the workers; the copy carries this thread's loader context."""
        fun = job.req.get("fun") if job.req["op"] == "run" else None
        self._queue.put((job, contextvars.copy_context(), self.index.standin(fun)))

    def _state_run(self, job):
        """Run a state run in the lane: now, after the one running (queue=True), or
        not at all with Salt's own conflict answer, as the minion would."""
        running = self._lane_job
        if running is None:
            self._lane_job = job
            self._dispatch(job)
        elif _queue_asked(job.req):
            self._lane.append(job)
        else:
            del self._jobs[job.key]
            jid = running.req["jid"]
            conflict = [f'The function "{running.req["fun"]}" is running as PID {os.getpid()} and was '
                        f"started at {salt.utils.jid.jid_to_time(jid)} with jid {jid}"]
            self._send(job.identity, _run_reply(job.req, conflict, RETCODE_CONFLICT,
                                                time.monotonic() - job.received))

    def _lane_free(self, job):
        """JOB left (ended, or was dropped before it started): the next state run may go."""
        if job is not self._lane_job:
            return
        self._lane_job = None
        while self._lane:
            nxt = self._lane.popleft()
            if nxt.key in self._jobs and not nxt.answered and not nxt.cancelled:
                self._lane_job = nxt
                self._dispatch(nxt)
                return

    def _resume_parked(self):
        """The function list is there: route the jobs that waited for it."""
        parked, self._parked = self._parked, []
        for job in parked:
            if job.key in self._jobs and not job.answered and not job.cancelled:
                self._route(job)

    def _progress(self, key, payload):
        """Forward a progress message of a job still waiting for its reply."""
        job = self._jobs.get(key)
        if job is not None and not job.answered:
            self._router.send_multipart([job.identity, payload])

    def _finished(self, key, payload):
        """Forward a job's reply; True when it was a big one."""
        job = self._jobs.pop(key, None)
        if job is None:
            return False
        self._lane_free(job)
        if job.answered:  # timed out meanwhile
            log.info("saltgw_executor: job %s ended after its timeout", job.req.get("jid"))
            return False
        self._router.send_multipart([job.identity, payload])
        return len(payload) >= BIG_REPLY

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
        if self.index.expire(now):
            self._resume_parked()  # the lister was killed: the loader answers them
        for job in list(self._jobs.values()):
            if job.answered or job.deadline is None or job.deadline > now:
                continue
            with self._lock:
                job.cancelled = not job.started
            if job.cancelled:
                del self._jobs[job.key]
                self._lane_free(job)
                if job.parked:
                    why = "it did not start: the engine was still learning the function list"
                elif job in self._lane:
                    why = "it did not start: it waited for the state run before it"
                else:
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
            self._lane_free(job)
            self._answer_unrun(job, "Killed before it started")
        if waiting:
            return dict(reply, killed=True, reason="the job was still queued; it will not run")
        return dict(reply, reason="the job is running in a thread of the engine's process; "
                    "Python threads cannot be killed, so it runs to its end")

    def _close(self):
        self.index.close()
        for _ in range(self._workers):
            self._queue.put((None, None, None))
        with self._push_lock:
            self._closed = True
            self._push.close()
        self._router.close()
        self._results.close()
        self._zmq.term()
        wake, self._wake_w = self._wake_w, None
        os.close(wake)
        os.close(self._wake_r)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        log.info("saltgw_executor stopped; %s removed", self.path)

    # -- workers ------------------------------------------------------------

    def _work(self):
        while True:
            item = self._queue.get()
            if item[0] is None:
                return
            state_run = item[0].req.get("fun") in STATE_RUNS
            size = self._run_one(*item)
            del item  # nothing of the job stays with the thread while it waits
            if size is None:
                return
            if state_run:
                # A state run leaves its loaders and renderers in reference
                # cycles: free them now, or the next run builds its own
                # beside them and the heap grows (4 runs at a time: +30 MB).
                _collect()
            if size >= BIG_REPLY:
                _trim()

    def _run_one(self, job, ctx, func):
        """Run one job in this worker; the size of its reply, or None once closed."""
        with self._lock:
            if job.cancelled:
                return 0
            job.started = True
        try:
            reply = ctx.run(_execute, job.req, lambda msg, key=job.key: self._push_progress(key, msg), func)
        except Exception as exc:  # pylint: disable=broad-except
            log.exception("saltgw_executor: %s failed", job.req.get("op"))
            reply = {"id": job.req.get("id"), "error": f"internal error: {exc}"}
        payload = _pack(reply)
        del reply
        with self._push_lock:
            if self._closed:
                return None
            self._push.send_multipart([job.key, payload])
        return len(payload)

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


def _queue_asked(req):
    """Whether a state run waits for the one before it rather than being refused:
    queue=True (or a number) or concurrent=True, in kwarg or as "queue=..." in
    arg, else the minion's state_queue option. concurrent=True lets Salt run
    two at once; in one process they are not safe, so here it waits too."""
    asked = dict(req["kwarg"])
    for arg in req["arg"]:
        if isinstance(arg, str) and arg.startswith(("queue=", "concurrent=")):
            key, value = arg.split("=", 1)
            asked[key] = salt.utils.args.yamlify_arg(value)
    queue = asked.get("queue")
    if queue is None:
        queue = __opts__.get("state_queue", False)
    return bool(queue) or bool(asked.get("concurrent"))


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


def _execute(req, progress_sink=None, func=None):
    """Run one request in this thread; return its reply.

    FUNC, when given, runs instead of __salt__[fun] (the list stand-ins).
    When the request asked for progress ("progress": true), each finished
    state of the job is passed to progress_sink (a callable taking the
    message map) before this returns, and the reply carries "progress_sent",
    how many were passed on.
    """
    if req["op"] == "functions":  # only when no list could be learnt
        return {"id": req.get("id"), "functions": sorted(__salt__)}
    fun = req["fun"]
    begin = time.monotonic()
    if func is None and fun not in __salt__:
        loader = _loader(__salt__)
        missing = getattr(loader, "missing_fun_string", None)
        ret = missing(fun) if missing else f"'{fun}' is not available."
        return _run_reply(req, ret, RETCODE_FAILED, time.monotonic() - begin)
    try:
        with _job_context(__salt__) as context:
            func = func or __salt__[fun]
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
