"""Buckets of the platform's clock: UTC hours, or calendar days of a zone with their real length
(23 or 25 hours across a clock change, 23.5 on Lord Howe Island)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sandbox.boundaries import HOUR_US, day_start_us
from sandbox.timefmt import from_micros

Resolution = Literal["hour", "day"]


def bucket_edges(resolution: Resolution, zone: ZoneInfo, start_us: int, end_us: int) -> list[int]:
    """The edges of every bucket meeting [start_us, end_us): the first bucket's start, each next
    start, and the last bucket's end (no edges for an empty range)."""
    if end_us <= start_us:
        return []
    if resolution == "hour":
        last = -(-end_us // HOUR_US) * HOUR_US
        return list(range(start_us // HOUR_US * HOUR_US, last + 1, HOUR_US))
    day = from_micros(start_us).astimezone(zone).date()
    edges = [day_start_us(day, zone)]
    while edges[-1] < end_us:
        day += timedelta(days=1)
        edges.append(day_start_us(day, zone))
    return edges
