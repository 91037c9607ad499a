"""The executor engine loads only what it runs (issue 14), seen through saltgw:
unknown functions, a module never loaded before and a module added with
saltutil.sync_modules are all answered as before, with every dispatch."""
import os
import time
import uuid
from pathlib import Path


def test_unknown_function_is_refused(gw):
    r = gw.execute("no_such_module_anywhere.fun")
    assert r.status_code == 400 and r.json()["kind"] == "unknown_function"
    assert "no_such_module_anywhere.fun" in r.json()["error"]


def test_a_module_nothing_has_used_runs(gw):
    r = gw.execute("hashutil.digest", ["abc"], {"checksum": "sha256"})
    assert r.status_code == 200
    assert r.json() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_a_module_added_with_sync_modules_becomes_runnable(gw):
    name = f"gwsync{uuid.uuid4().hex[:8]}"
    modules = Path(os.environ["SALTGW_SANDBOX_DIR"]) / "states" / "_modules"
    modules.mkdir(parents=True, exist_ok=True)
    source = modules / f"{name}.py"
    source.write_text("def hello(who='nobody'):\n    return 'hello ' + who\n")
    try:
        r = gw.execute(f"{name}.hello")
        assert r.status_code == 400 and r.json()["kind"] == "unknown_function"
        # The minion's file server caches its file list for up to 20 s
        # (fileserver_list_cache_time): sync until the new file is seen.
        deadline = time.monotonic() + 60
        while True:
            r = gw.execute("saltutil.sync_modules")
            assert r.status_code == 200, r.text
            if f"modules.{name}" in r.json() or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert f"modules.{name}" in r.json()
        # saltgw refreshes its own list when the minion announces the new
        # modules (module_refresh), a moment after the sync has answered.
        deadline = time.monotonic() + 30
        while True:
            r = gw.execute(f"{name}.hello", ["you"])
            if r.status_code != 400 or time.monotonic() > deadline:
                break
            assert r.json()["kind"] == "unknown_function"
            time.sleep(0.2)
        assert r.status_code == 200, r.text
        assert r.json() == "hello you"
    finally:
        source.unlink()
        gw.execute("saltutil.sync_modules")  # removes it from the minion again
        # The engine learns its function list again (a second or two, during
        # which unknown functions wait for it): let that end here, not in the
        # next test. sys.list_functions waits for it.
        assert gw.execute("sys.list_functions", ["test"]).status_code == 200
