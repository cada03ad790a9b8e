"""Back-pressure shared by every request of the exporter after the platform answers 429.

A 429 closes the gate for the time the platform asks (`Retry-After`), for all threads at
once: waiting only in the thread that was refused would let the other workers keep hitting a
platform that already said stop. When the gate reopens a single probe request goes first; the
others follow only once a probe got through, so a 429 storm costs about one request per
`retry_after` instead of one per worker.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

# Longest single wait, so a stop request is noticed promptly.
POLL_SECONDS = 0.2


class ThrottleCancelled(Exception):
    """The exporter is stopping; the waiting request is abandoned."""


class Throttle:
    """A gate closed by 429 answers and reopened by the first request that gets through."""

    def __init__(
        self,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self._stop = stop or threading.Event()
        self._clock = clock
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._condition = threading.Condition()
        self._resume_at = 0.0
        self._throttled = False
        self._probing = False

    @property
    def clock(self) -> Callable[[], float]:
        """The monotonic clock every wait is measured on."""
        return self._clock

    @property
    def throttled(self) -> bool:
        """Whether the platform has refused a request and no probe has got through since."""
        return self._throttled

    def acquire(self) -> bool:
        """Wait until a request may be sent; True when this request is the probe."""
        with self._condition:
            while True:
                if self._stop.is_set():
                    raise ThrottleCancelled
                wait = self._resume_at - self._clock()
                if wait > 0:
                    self._condition.wait(min(wait, POLL_SECONDS))
                elif not self._throttled:
                    return False
                elif not self._probing:
                    self._probing = True
                    return True
                else:
                    self._condition.wait(POLL_SECONDS)

    def release(self, probe: bool, retry_after: float | None) -> None:
        """Report how the request went: `retry_after` seconds when refused with 429, else None."""
        with self._condition:
            if retry_after is not None:
                # A little jitter so that several exporters do not come back in the same instant.
                wait = retry_after * self.rng.uniform(1.0, 1.1)
                self._resume_at = max(self._resume_at, self._clock() + wait)
                self._throttled = True
            elif probe:
                self._throttled = False
            if probe:
                self._probing = False
            self._condition.notify_all()

    def pause(self, seconds: float) -> None:
        """Sleep, unless the exporter stops first."""
        if self._stop.wait(seconds):
            raise ThrottleCancelled
