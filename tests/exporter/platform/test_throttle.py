"""The shared 429 gate: everyone waits as told, then one probe goes before the others."""

from __future__ import annotations

import random
import threading
import time

import pytest

from exporter.platform.throttle import Throttle, ThrottleCancelled


def test_an_open_gate_does_not_wait():
    throttle = Throttle()
    started = time.monotonic()
    assert [throttle.acquire() for _ in range(5)] == [False] * 5
    assert time.monotonic() - started < 0.1


def test_after_a_refusal_one_probe_goes_first_and_the_rest_follow_it():
    throttle = Throttle(rng=random.Random(1))
    refused_at = time.monotonic()
    throttle.release(probe=False, retry_after=0.3)
    assert throttle.throttled
    events: list[tuple[str, float, bool]] = []
    lock = threading.Lock()
    probe_done = threading.Event()

    def worker(name: str) -> None:
        probe = throttle.acquire()
        with lock:
            events.append((name, time.monotonic(), probe))
        if probe:
            time.sleep(0.2)  # the probe's request is in flight; nobody else may go yet
            probe_done.set()
            throttle.release(probe=True, retry_after=None)

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    probes = [event for event in events if event[2]]
    followers = [event for event in events if not event[2]]
    assert len(probes) == 1 and len(followers) == 5
    assert probes[0][1] - refused_at >= 0.3  # waited as told
    assert all(at >= probes[0][1] + 0.2 for _, at, _ in followers)
    assert probe_done.is_set() and not throttle.throttled


def test_a_refused_probe_closes_the_gate_again():
    throttle = Throttle()
    throttle.release(probe=False, retry_after=0.1)
    assert throttle.acquire() is True
    throttle.release(probe=True, retry_after=0.2)
    started = time.monotonic()
    assert throttle.acquire() is True
    assert time.monotonic() - started >= 0.2
    throttle.release(probe=True, retry_after=None)
    assert throttle.acquire() is False


def test_stopping_cancels_waiters():
    stop = threading.Event()
    throttle = Throttle(stop)
    throttle.release(probe=False, retry_after=60)
    threading.Timer(0.1, stop.set).start()
    started = time.monotonic()
    with pytest.raises(ThrottleCancelled):
        throttle.acquire()
    assert time.monotonic() - started < 2
