#!/usr/bin/env python3
"""A stand-in for the event bus of Salt 2015.8 and older (test fixture).

Those minions bound a ZeroMQ PUB socket at <sock_dir>/minion_event_<hash>_pub.ipc
and a ZeroMQ PULL socket at ..._pull.ipc, and re-published every event pulled;
each event is one single-part message, ``tag + "\\n\\n" + msgpack(data)``, with
no head/body frame, packed the Python 2 way (old msgpack spec: raw str, no bin).

This script does the same with pyzmq, and plays the minion's scheduler for the
one thing saltgw's schedule dispatch needs: ``manage_schedule`` ``add`` stores
the entry, ``run_job`` answers with ``__schedule_return`` for the named entry
(after the entry's ``test.sleep`` seconds, if any), ``delete`` forgets it. It
knows test.ping, test.echo, test.arg, test.sleep and test.exception; any other
function gets Salt's "'<fun>' is not available." answer.

    legacy_zmq_bus.py --sock-dir DIR --id ID [--hash-type md5] [--pidfile F]

prints "ready <pub path> <pull path>" once both sockets are bound.
"""
import argparse
import hashlib
import os
import sys
import time

import msgpack
import zmq

TAGEND = b"\n\n"


def pack(tag, data):
    return tag.encode() + TAGEND + msgpack.packb(data, use_bin_type=False)


def run_function(fun, args, kwargs):
    """(return, retcode, success) as a 2015.8 minion would report them."""
    if fun == "test.ping":
        return True, 0, True
    if fun == "test.echo":
        return (args[0] if args else ""), 0, True
    if fun == "test.arg":
        return {"args": list(args), "kwargs": dict(kwargs)}, 0, True
    if fun == "test.sleep":
        return True, 0, True
    if fun == "test.exception":
        return "Unhandled exception running test.exception", 254, False
    return "'{}' is not available.".format(fun), 254, False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sock-dir", required=True)
    ap.add_argument("--id", required=True)
    ap.add_argument("--hash-type", default="md5")  # 2015.8's default
    ap.add_argument("--pidfile")
    a = ap.parse_args()
    h = getattr(hashlib, a.hash_type)(a.id.encode()).hexdigest()[:10]
    pub_path = os.path.join(a.sock_dir, "minion_event_{}_pub.ipc".format(h))
    pull_path = os.path.join(a.sock_dir, "minion_event_{}_pull.ipc".format(h))
    os.makedirs(a.sock_dir, exist_ok=True)
    ctx = zmq.Context()
    pub = ctx.socket(zmq.PUB)
    pub.setsockopt(zmq.LINGER, 0)
    pub.bind("ipc://" + pub_path)
    pull = ctx.socket(zmq.PULL)
    pull.setsockopt(zmq.LINGER, 0)
    pull.bind("ipc://" + pull_path)
    if a.pidfile:
        with open(a.pidfile, "w") as f:
            f.write(str(os.getpid()))
    print("ready", pub_path, pull_path, flush=True)

    schedule = {}
    later = []  # (due, message) for jobs that sleep
    poller = zmq.Poller()
    poller.register(pull, zmq.POLLIN)
    while True:
        wait = None
        if later:
            wait = max(0, int((min(d for d, _ in later) - time.time()) * 1000))
        if dict(poller.poll(wait)).get(pull):
            msg = pull.recv()
            pub.send(msg)  # the bus re-publishes everything
            tag, _, raw = msg.partition(TAGEND)
            if tag == b"manage_schedule":
                data = msgpack.unpackb(raw, raw=False)
                func = data.get("func")
                if func == "add":
                    schedule.update(data.get("schedule", {}))
                elif func == "delete":
                    schedule.pop(data.get("name"), None)
                elif func == "run_job" and data.get("name") in schedule:
                    name = data["name"]
                    entry = schedule[name]
                    fun = entry.get("function")
                    args = entry.get("args") or []
                    kwargs = entry.get("kwargs") or {}
                    ret, retcode, success = run_function(fun, args, kwargs)
                    result = pack("__schedule_return", {
                        "fun": fun, "fun_args": args, "schedule": name, "jid": "req",
                        "pid": os.getpid(), "return": ret, "retcode": retcode,
                        "success": success, "id": a.id})
                    delay = float(args[0]) if fun == "test.sleep" and args else 0
                    later.append((time.time() + delay, result))
        now = time.time()
        for item in [x for x in later if x[0] <= now]:
            later.remove(item)
            pub.send(item[1])


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
