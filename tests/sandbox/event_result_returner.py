"""The `event_result` returner of AutoPi-style minions (test fixture).

sandbox_minion.py --autopi copies this file to <DIR>/extmods/returners/
event_result.py. When a job names it in its "ret", the minion calls
returner(ret) in the job's worker with the whole result (return, success,
retcode, fun, fun_args, jid, id, ...); this fires that result unchanged on the
minion's local event bus as `salt/job/<jid>/ret`.
"""
import logging

import salt.utils.event

log = logging.getLogger(__name__)

__virtualname__ = "event_result"


def __virtual__():
    return __virtualname__


def returner(ret):
    tag = "salt/job/{}/ret".format(ret["jid"])
    event = salt.utils.event.get_event("minion", opts=__opts__, listen=False)  # noqa: F821
    try:
        if not event.fire_event(dict(ret), tag):
            log.error("event_result: could not fire %s", tag)
    finally:
        event.destroy()
