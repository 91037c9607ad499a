"""One sandbox minion per pytest-xdist worker.

scripts/test.sh runs the Python tests on several pytest-xdist workers and
starts a sandbox minion for each; it names them in SALTGW_SANDBOXES as
space-separated DIR=CONFIG pairs. Tests read their minion from
SALTGW_SANDBOX_DIR and SALTGW_MINION_CONFIG, so each worker (gw0, gw1, ...)
points those two at its own pair before any test module is imported. Tests
that stop, kill or restart their minion then never pull it from under
another worker's tests.

Without xdist, or without SALTGW_SANDBOXES, nothing changes.
"""
import os


def _use_the_workers_own_minion():
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    pairs = os.environ.get("SALTGW_SANDBOXES", "").split()
    if not worker.startswith("gw") or not pairs:
        return
    index = int(worker[2:])
    if index >= len(pairs):
        raise RuntimeError(f"worker {worker}: SALTGW_SANDBOXES names only {len(pairs)} minions")
    directory, config = pairs[index].split("=", 1)
    os.environ["SALTGW_SANDBOX_DIR"] = directory
    os.environ["SALTGW_MINION_CONFIG"] = config


_use_the_workers_own_minion()
