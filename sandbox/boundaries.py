"""Instants where an off-by-one bucketing shows: UTC hours, quarter hours, local midnights.

Every zone in use today is offset from UTC by whole quarter hours, so the quarter-hour
boundaries hold the UTC hours and the local midnights of every zone (St John's at :30,
Kathmandu at :15, Lord Howe at :30 or :00).
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sandbox.timefmt import from_micros, to_micros

HOUR_US = 3_600_000_000
QUARTER_HOUR_SECONDS = 900.0
# Clustered records land within this many seconds of a boundary: under the ±5 s promised,
# leaving room for the stream's wake-up lag.
CLUSTER_SECONDS = 4.5
BURST_ZONES = (
    "America/St_Johns",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Europe/Berlin",
    "America/New_York",
)


def hour_boundaries(start_us: int, end_us: int) -> list[int]:
    """Every whole UTC hour in [start_us, end_us), in microseconds."""
    first = -(-start_us // HOUR_US) * HOUR_US
    return list(range(first, end_us, HOUR_US))


def local_midnights(zone: str, start_us: int, end_us: int) -> list[int]:
    """Every start of a local calendar day of `zone` in [start_us, end_us), in microseconds."""
    tz = ZoneInfo(zone)
    day = from_micros(start_us).astimezone(tz).date()
    midnights = []
    while (midnight := day_start_us(day, tz)) < end_us:
        if midnight >= start_us:
            midnights.append(midnight)
        day += timedelta(days=1)
    return midnights


def day_start_us(day: date, tz: ZoneInfo) -> int:
    """The first instant of a local calendar day; a midnight skipped by a clock change
    resolves (fold 0) to the instant the clocks moved."""
    return to_micros(datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC))


class BoundaryHold:
    """Executions held back to be written within `CLUSTER_SECONDS` of a quarter-hour boundary."""

    def __init__(self, rng: random.Random, wall: Callable[[], float] = time.time) -> None:
        self._rng = rng
        self._wall = wall
        self._releases: list[float] = []

    def hold(self) -> None:
        """Hold one execution until a moment drawn around the next boundary (never the past)."""
        now = self._wall()
        boundary = math.ceil((now - CLUSTER_SECONDS) / QUARTER_HOUR_SECONDS) * QUARTER_HOUR_SECONDS
        earliest = max(now, boundary - CLUSTER_SECONDS)
        heapq.heappush(self._releases, self._rng.uniform(earliest, boundary + CLUSTER_SECONDS))

    def take_due(self) -> int:
        """How many held executions are due now; they are no longer held."""
        now = self._wall()
        due = 0
        while self._releases and self._releases[0] <= now:
            heapq.heappop(self._releases)
            due += 1
        return due

    def seconds_to_next(self) -> float | None:
        """Seconds until the next held execution is due (None: none held)."""
        if not self._releases:
            return None
        return max(0.0, self._releases[0] - self._wall())

    def clear(self) -> None:
        """Drop every held execution."""
        self._releases.clear()
