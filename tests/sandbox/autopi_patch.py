#!/usr/bin/env python3
"""Runs salt-minion changed the way AutoPi devices change theirs (test fixture).

AutoPi's minions run an event tagged ``minion_job`` as a normal job: the event
data ``{"jid", "fun", "arg", "ret"}`` is the same load a master would publish,
keyword arguments travel in ``arg`` as a trailing map carrying
``"__kwarg__": true``, and ``ret`` names the returner(s) that get the result
(``event_result`` fires it back on the bus as ``salt/job/<jid>/ret``; see
event_result_returner.py beside this file).

Nothing in the virtual environment is edited: this script imports
salt.minion, wraps ``Minion.handle_event`` so that a ``minion_job`` event goes
to the minion's own job path (``_handle_decoded_payload``, which forks a worker
and runs the returners exactly as for a job from a master), and then starts the
minion as the ``salt-minion`` command does. Any other tag goes to Salt's own
handler unchanged.

    <venv>/bin/python autopi_patch.py -c CONFIG_DIR [salt-minion options]

sandbox_minion.py ``--autopi`` starts the sandbox this way.
"""
import functools
import sys

TAG = "minion_job"


def _unpack(package):
    """(tag, data) of what the event handler is given: the raw payload on
    3006, possibly already decoded on later releases."""
    import salt.utils.event

    if isinstance(package, (tuple, list)) and len(package) == 2:
        return package[0], package[1]
    if isinstance(package, dict) and "tag" in package and "data" in package:
        return package["tag"], package["data"]
    return salt.utils.event.SaltEvent.unpack(package)


def _load_from_event(minion, data):
    """The job load for Salt's job path, from the minion_job event's data."""
    if not isinstance(data, dict) or not data.get("jid") or not data.get("fun"):
        return None
    arg = data.get("arg") or []
    if not isinstance(arg, list):
        arg = [arg]
    return {
        "jid": str(data["jid"]),
        "fun": data["fun"],
        "arg": arg,
        "ret": data.get("ret") or "",
        "tgt": minion.opts.get("id"),
        "tgt_type": "glob",
        "user": data.get("user", "root"),
    }


def install():
    import logging

    import salt.minion

    log = logging.getLogger("autopi_patch")
    original = salt.minion.Minion.handle_event
    if getattr(original, "_autopi_patched", False):
        return

    @functools.wraps(original)
    def handle_event(self, package, *args, **kwargs):
        try:
            tag, data = _unpack(package)
        except Exception:  # noqa: BLE001 - let Salt's own handler deal with it
            return original(self, package, *args, **kwargs)
        if tag != TAG:
            return original(self, package, *args, **kwargs)
        load = _load_from_event(self, data)
        if load is None:
            log.warning("minion_job event without jid/fun ignored: %r", data)
            return original(self, package, *args, **kwargs)
        log.info("minion_job: running %s as job %s", load["fun"], load["jid"])
        # The same entry point a job published by a master goes through.
        return self._handle_decoded_payload(load)

    handle_event._autopi_patched = True
    salt.minion.Minion.handle_event = handle_event


def main():
    install()
    import salt.scripts

    sys.argv[0] = "salt-minion"
    salt.scripts.salt_minion()


if __name__ == "__main__":
    main()
