"""Slow jobs that hold saltgw's job places, for the tests of its limits.

A slow job is a streamed test.sleep: saltgw sends its first line
("accepted") only once the job has its place, so a test knows the place is
held before it probes, with no sleep and no race. (Probing while a plain
slow request may still be on its way raced on slow machines: a probe could
take the place first, or a probe's place could still be held a moment after
its answer, and the slow job was refused instead.)"""
import json
import time

import requests

REFUSED = (429, 503)


class SlowJob:
    """A streamed test.sleep of `seconds`; .admitted says whether saltgw gave it
    a place (its first line came), else .refusal is the refused answer."""

    def __init__(self, g, seconds):
        self.response = requests.post(f"{g.url}/dongle/{g.unit_id}/execute/?stream=1",
                                      json={"command": "test.sleep", "arg": [seconds]}, stream=True,
                                      timeout=seconds + 60)
        self.admitted = self.response.status_code == 200
        self.refusal = None if self.admitted else self.response
        if self.admitted:
            self.lines = (json.loads(raw) for raw in self.response.iter_lines() if raw)
            first = next(self.lines)
            assert first["type"] == "accepted", first
        elif self.response.status_code not in REFUSED:
            raise AssertionError(f"slow job answered {self.response.status_code}: {self.response.text[:300]}")

    def last(self):
        """The stream's last line (the result, or the error), once the job ended."""
        lines = list(self.lines)
        assert lines, "the stream ended without a result line"
        return lines[-1]


def hold_places(g, count, seconds, probe, status, patience=120):
    """Starts `count` slow jobs, one after the other, each until it has its
    place (one refused is started again), then calls `probe` until an answer
    has `status`. Returns that answer and the slow jobs."""
    deadline = time.monotonic() + patience
    held = []
    while len(held) < count:
        job = SlowJob(g, seconds)
        if job.admitted:
            held.append(job)
            continue
        assert time.monotonic() < deadline, f"no place for a slow job: {job.refusal.status_code} {job.refusal.text}"
        time.sleep(0.1)
    r = None
    while time.monotonic() < deadline:
        r = probe()
        if r.status_code == status:
            return r, held
        time.sleep(0.05)
    raise AssertionError(f"never {status} while the slow jobs ran; last answer: {r and r.status_code} {r and r.text}")
