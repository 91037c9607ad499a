"""
saltgw_job_runtime: how the saltgw_executor engine runs a job inside Salt's
process, as a minion job process would.

Loaded by saltgw_executor.py (next to it, by its path); it is not an engine
of its own (it has no start()). What it gives the engine:

- job_context(funcs): each job its own __context__ (so its retcode is its
  own), as the minion gives each job a fresh one; PerThreadRetcode for Salt
  3007+, where __context__ is one plain dict per process.
- install_state_progress(): every finished state of a job the engine runs is
  fired on the minion's local bus and, when the job asked for it, handed to
  the job's progress sink; ``progress`` is the per-thread record the engine's
  _execute fills in (jid, req_id, sink, sent) around a job.
- install_argspec_cache(): Salt's get_function_argspec remembered per
  function, weakly.
- loader_of(funcs): the LazyLoader behind a loader dunder.

Everything here runs in the engine's worker threads (and its serve loop for
inline functions), inside the loader context the engine copied for the job.
"""

import contextlib
import logging
import threading

import salt.loader.context
import salt.utils.context

log = logging.getLogger("salt.engines.saltgw_executor")


progress = threading.local()


def install_state_progress():
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
            jid = getattr(progress, "jid", None)
            if jid:
                tag = f"salt/job/{jid}/prog/{self.opts['id']}/{chunk_ret.get('__run_num__', 0)}"
                data = {"ret": chunk_ret, "len": length}
                send_progress(jid, tag, data)
                try:
                    with salt.utils.event.get_event("minion", opts=self.opts, listen=False) as bus:
                        bus.fire_event(data, tag)
                except Exception:  # pylint: disable=broad-except
                    log.debug("saltgw_executor: could not fire state progress", exc_info=True)

    event._saltgw_progress = True
    salt.state.State.event = event


def send_progress(jid, tag, data):
    """Hand one progress message to the running job's sink, if it has one."""
    sink = getattr(progress, "sink", None)
    if sink is None:
        return
    try:
        sink({"id": progress.req_id, "op": "progress", "jid": jid, "tag": tag, "data": data})
        progress.sent += 1
    except Exception:  # pylint: disable=broad-except
        log.warning("saltgw_executor: could not send state progress of %s", jid, exc_info=True)


def install_argspec_cache():
    """Remember each function's argspec in this (the engine's) process.

    salt.minion.load_args_and_kwargs, which every job goes through, calls
    salt.utils.args.get_function_argspec, which builds a new namedtuple class
    and inspect.signature on every call: about a third of the engine's time
    for a test.ping. The answer depends only on the function, so it is kept
    per function object, held weakly: a state run loads its own modules and
    calls their functions through here, and the cache must not keep those
    modules alive after the run (a module refresh loads new objects, which
    miss). Callers get their own copy of the list inside.
    """
    import weakref

    import salt.utils.args

    original = salt.utils.args.get_function_argspec
    if getattr(original, "_saltgw_cache", False):
        return
    cache = weakref.WeakKeyDictionary()  # function -> {is_class_method: spec}
    lock = threading.Lock()

    def get_function_argspec(func, is_class_method=None):
        target = func
        while hasattr(target, "__wrapped__"):
            target = target.__wrapped__
        flag = bool(is_class_method)
        try:
            with lock:
                spec = cache.get(target, {}).get(flag)
        except TypeError:  # not hashable or no weak reference: no caching
            return original(func, is_class_method=is_class_method)
        if spec is None:
            spec = original(func, is_class_method=is_class_method)
            with lock:
                cache.setdefault(target, {})[flag] = spec
        return spec._replace(args=list(spec.args))

    def cache_clear():  # after a module refresh
        with lock:
            cache.clear()

    get_function_argspec._saltgw_cache = True
    get_function_argspec.cache_clear = cache_clear
    get_function_argspec.cache_size = lambda: len(cache)
    salt.utils.args.get_function_argspec = get_function_argspec


def loader_of(funcs):
    if isinstance(funcs, salt.loader.context.NamedLoaderContext):
        return funcs.value()
    return funcs


@contextlib.contextmanager
def job_context(funcs):
    """Give the job its own __context__ so its retcode is its own.

    The minion gives each job a fresh __context__ (a new process, or
    context_dict.clone() for thread jobs). Here jobs share one process, so a
    job gets a shallow copy of the loader's __context__, active in its thread
    only: what it sets at the top level ("retcode", new cache keys) stays
    with the job, as it would in a minion job process.
    """
    loader = loader_of(funcs)
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
        if not isinstance(shared, PerThreadRetcode):
            shared = PerThreadRetcode(shared)
            pack["__context__"] = shared
        shared.pop("retcode", None)
        yield shared
        return
    yield {}  # not a Salt loader (tests), or a loader without __context__


class PerThreadRetcode(dict):
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
