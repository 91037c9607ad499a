"""Slow jobs that hold saltgw's job places, for the tests of its limits."""
import time

import requests


def sleep_job(g, seconds=2):
    return requests.post(f"{g.url}/dongle/{g.unit_id}/execute/", json={"command": "test.sleep", "arg": [seconds]},
                         timeout=60)


REFUSED = (429, 503)


def refused_while(pool, start_slow, count, post, status, patience=120):
    """Keeps `count` slow jobs running and posts until an answer has `status`:
    that answer and the slow jobs' futures.

    A probe is itself a job, so on a slow machine (ASan, qemu) a slow job can
    reach saltgw while a probe holds the place it needed and be refused; such
    a slow job is started again, so the test cannot pass or fail on who won
    that race."""
    slow = [pool.submit(start_slow) for _ in range(count)]
    r = None
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        slow = [pool.submit(start_slow) if f.done() and f.result().status_code in REFUSED else f for f in slow]
        if all(f.done() for f in slow):
            break
        r = post()
        if r.status_code == status:
            return r, slow
        time.sleep(0.1)
    raise AssertionError(f"never {status} while the slow jobs ran; last answer: {r and r.status_code} {r and r.text}")
