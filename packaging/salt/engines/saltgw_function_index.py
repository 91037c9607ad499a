"""
saltgw_function_index: which functions the minion has, for saltgw_executor.

Contract. The engine (saltgw_executor.py, next to this file) loads this
module by its path and uses FunctionIndex only: it builds one with the
minion's ``__salt__`` loader and ``__opts__`` (handed over as arguments:
this module has no loader dunders of its own), calls ``begin()`` once, asks
``verdict(fun)`` for every request (KNOWN, UNKNOWN, WAIT, READY or LOADER),
polls ``fileno()`` and calls ``read()`` when it is readable, ``expire(now)``
at ``deadline()``, and ``close()`` when it stops; ``sorted_names()``,
``missing_fun_string(fun)`` and ``standin(fun)`` give the answers. It never
imports an execution module in the engine's process.

Run as a script (``python saltgw_function_index.py --list-functions``) this
file is the listing child: it reads the minion's opts and sys.path
(pickled) on stdin, loads every execution module as the minion would,
writes the names and what the loader knows of the missing ones (msgpack) on
stdout and exits. Only the engine starts it (see _Child).

Logs go to the engine's logger (``salt.engines.saltgw_executor``). Python
3.7 or newer, as the engine (scripts/check-engine-versions.sh checks both).
"""

import contextlib
import fnmatch
import logging
import os
import pickle
import subprocess
import sys
import tempfile
import time

import salt.loader.lazy
import salt.payload
import salt.utils.args
import salt.utils.msgpack

log = logging.getLogger("salt.engines.saltgw_executor")

LIST_TIMEOUT_S = 300  # a child still listing the functions after this is killed

# -- which functions exist, learnt in a child process -------------------------

KNOWN, UNKNOWN, WAIT, READY, LOADER = "known", "unknown", "wait", "ready", "loader"
# Salt's sys.list_functions and sys.list_modules walk every function of
# __salt__, which imports every module: answered from the list instead.
LISTED = ("sys.list_functions", "sys.list_modules")


class FunctionIndex:
    """Which functions __salt__ has, learnt without importing them here.

    Salt's lazy loader imports a module when one of its functions is asked
    for; asked for a name it does not know, or for the whole list, it imports
    every module (about 65 MB in the engine's process, for good). So a
    short-lived child process (this file run as a script, with the minion's
    opts) builds the minion's loader, loads everything, writes the function
    names and what the loader knows of the missing ones, and exits. The
    serve loop reads its output without blocking (``fileno``/``read``).

    verdict(fun) says what to do with a request: KNOWN (run it), UNKNOWN
    (refuse it with missing_fun_string, Salt's own message as a loader that
    had loaded everything would give it), WAIT (a list is being learnt), READY
    (for fun None: the whole list is current) or LOADER (no list could be
    learnt: ask the loader, as the engine did before). A name missing from
    the list, or a request for the whole list, first compares a signature of
    the module directories (stat calls only) with the one taken when the
    list was learnt: a module added or rewritten (saltutil.sync_modules)
    changes it, and the list is learnt again and the loader cleared, so
    the new or changed module is imported afresh when it is used.

    A plain mapping instead of a loader (unit tests) is its own list.
    """

    def __init__(self, funcs, opts):
        self._funcs = funcs
        self._opts = opts
        self._lazy = isinstance(funcs, salt.loader.lazy.LazyLoader)
        self.names = None if self._lazy else funcs  # a set-like of names
        self._sorted = None
        self._missing = None  # what missing_fun_string reads, from the child
        self._signature = None
        self._child = None  # a _Child while one lists
        self._standins = {}
        self.failed = None  # why the last listing failed, or None
        self.listings = 0  # lists learnt so far

    # -- serve loop API --

    def begin(self):
        if self._lazy:
            self._spawn()

    def verdict(self, fun):
        if not self._lazy:
            return READY if fun is None else KNOWN if fun in self.names else UNKNOWN
        if self.names is not None and fun is not None and fun not in LISTED and fun in self.names:
            return KNOWN
        if self._child is not None:
            return WAIT
        if self._signature != _signature(self._funcs.module_dirs):
            self._spawn()  # modules changed (or the last listing failed and they changed since)
            return WAIT if self._child is not None else LOADER
        if self.names is None:
            return LOADER  # the listing failed: the loader answers, as before
        if fun is None:
            return READY
        return KNOWN if fun in self.names else UNKNOWN

    def fileno(self):
        return self._child.proc.stdout.fileno() if self._child is not None else None

    def deadline(self):
        return self._child.deadline if self._child is not None else None

    def read(self):
        """The child's output is readable: True once it has ended (listed or failed)."""
        child = self._child
        chunk = os.read(child.proc.stdout.fileno(), 1 << 16)
        if chunk:
            child.out += chunk
            return False
        self._child = None
        try:
            rc = child.proc.wait(30)
            if rc != 0:
                child.err.seek(0)
                tail = child.err.read()[-1500:].decode(errors="replace").strip()
                raise RuntimeError(f"exit status {rc}: {tail}")
            self._learn(salt.utils.msgpack.unpackb(bytes(child.out), raw=False), child.signature)
        except Exception as exc:  # pylint: disable=broad-except
            self._fail(f"{type(exc).__name__}: {exc}", child.proc)
        finally:
            child.close()
        return True

    def expire(self, now):
        """Kill a child past its deadline; True when one was."""
        child = self._child
        if child is None or child.deadline > now:
            return False
        self._child = None
        child.close()
        self._fail(f"no list after {LIST_TIMEOUT_S} s", child.proc)
        return True

    def close(self):
        child, self._child = self._child, None
        if child is not None:
            child.close()

    # -- answers --

    def sorted_names(self):
        if not self._lazy:
            return sorted(self.names)
        if self._sorted is None:
            self._sorted = sorted(self.names)
        return self._sorted

    def missing_fun_string(self, fun):
        if self._missing is None:
            return f"'{fun}' is not available."
        # Salt's own method (its wording differs between releases), on what
        # the child's loader knew once it had loaded everything.
        return type(self._funcs).missing_fun_string(self._missing, fun)

    def standin(self, fun):
        """The function that answers FUN from the list (sys.list_*), or None."""
        return self._standins.get(fun) if self._lazy else None

    # -- internals --

    def _spawn(self):
        signature = _signature(self._funcs.module_dirs)
        try:
            self._child = _Child({"opts": dict(self._opts), "path": list(sys.path)}, signature)
        except Exception as exc:  # pylint: disable=broad-except
            self._fail(f"cannot start it: {type(exc).__name__}: {exc}")
            return
        log.debug("saltgw_executor: listing the functions in child process %d", self._child.proc.pid)

    def _learn(self, listing, signature):
        first = self.names is None and self.listings == 0
        self.names = frozenset(listing["names"])
        self._sorted = None
        self._missing = _LoaderSnapshot(listing)
        self._standins = _list_standins(self.names)
        self._signature = signature
        self.failed = None
        self.listings += 1
        if not first:
            # Modules changed: forget the loaded ones, so a rewritten module
            # is imported again (a function the loader does not find in a
            # module it has loaded would make it import every other one).
            self._funcs.clear()
            clear = getattr(salt.utils.args.get_function_argspec, "cache_clear", None)
            if clear:
                clear()
        log.info("saltgw_executor: %d functions listed by a child process", len(self.names))

    def _fail(self, why, proc=None):
        self.names = None
        self._standins = {}
        self._signature = _signature(self._funcs.module_dirs)  # retried when modules change
        self.failed = why
        log.warning("saltgw_executor: could not list the functions in a child process%s: %s; "
                    "asking the loader instead (it imports every module)",
                    f" ({proc.pid})" if proc else "", why)


class _Child:
    """The listing child process: its input in a temporary file (writing
    it never blocks the serve loop), its output read by the serve loop."""

    def __init__(self, job, signature):
        self.signature = signature
        self.out = bytearray()
        self.deadline = time.monotonic() + LIST_TIMEOUT_S
        self.err = tempfile.TemporaryFile()
        with tempfile.TemporaryFile() as payload:
            pickle.dump(job, payload)
            payload.seek(0)
            try:
                self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--list-functions"],
                                             stdin=payload, stdout=subprocess.PIPE, stderr=self.err)
            except BaseException:
                self.err.close()
                raise

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.err.close()


class _LoaderSnapshot:
    """What LazyLoader.missing_fun_string reads, as the child's loader had it."""

    def __init__(self, listing):
        self.loaded_modules = set(listing["loaded_modules"])
        self.missing_modules = dict(listing["missing_modules"])
        self.missing_virtualnames = {k: list(v) for k, v in listing["missing_virtualnames"].items()}


def _signature(dirs):
    """A value that changes when a module file in DIRS is added, removed or
    rewritten. Salt's own module folder counts by its own mtime only (Salt
    is upgraded with a minion restart); the others by every entry."""
    base = os.path.dirname(salt.__file__) + os.sep
    sig = []
    for d in dirs:
        try:
            entry = [d, os.stat(d).st_mtime_ns]
            if not d.startswith(base):
                with os.scandir(d) as it:
                    for e in it:
                        st = e.stat()
                        entry.append((e.name, st.st_mtime_ns, st.st_size))
                entry[2:] = sorted(entry[2:])
        except OSError:
            entry = [d, None]
        sig.append(tuple(entry))
    return tuple(sig)


def _list_standins(names):
    """sys.list_functions and sys.list_modules answered from NAMES, as Salt's
    own (salt/modules/sysmod.py) answer from __salt__ once it is all loaded."""
    ordered = sorted(names)

    def matching(pattern):
        if "*" in pattern or "." in pattern:
            return fnmatch.filter(ordered, pattern)
        return [n for n in ordered if n.startswith(pattern + ".")]

    def list_functions(*args, **kwargs):  # pylint: disable=unused-argument
        if not args:
            return list(ordered)
        return sorted({n for a in args for n in matching(a)})

    def list_modules(*args):
        if not args:
            return sorted({n.split(".")[0] for n in ordered})
        found = set()
        for a in args:
            if "*" in a:
                found.update(n.split(".")[0] for n in fnmatch.filter(ordered, a))
            elif any(n.split(".")[0] == a for n in ordered):
                found.add(a)
        return sorted(found)

    return {"sys.list_functions": list_functions, "sys.list_modules": list_modules}


def _list_main():
    """The child: load every execution module as the minion would, write
    what was found (msgpack) on stdout and exit without tearing down."""
    with contextlib.suppress(OSError):
        os.nice(10)  # the serving minion comes first
    job = pickle.load(sys.stdin.buffer)
    sys.path[:] = job["path"]
    logging.basicConfig(level=logging.CRITICAL)
    import salt.loader

    opts = job["opts"]
    funcs = salt.loader.minion_mods(opts, utils=salt.loader.utils(opts))
    names = sorted(funcs)

    def why(reason):
        return None if reason is None else str(reason)

    listing = {"names": names, "loaded_modules": sorted(funcs.loaded_modules),
               "missing_modules": {k: why(v) for k, v in funcs.missing_modules.items()},
               "missing_virtualnames": {k: [why(r) for r in v] for k, v in
                                        getattr(funcs, "missing_virtualnames", {}).items()}}
    sys.stdout.buffer.write(salt.payload.dumps(listing, use_bin_type=True))
    sys.stdout.buffer.flush()
    os._exit(0)


if __name__ == "__main__" and sys.argv[1:] == ["--list-functions"]:
    _list_main()
