"""The history's sample values: counters that end at 0 at the org's live start.

At every 15-minute boundary b in [since, start) the backfilled `executions_by_time` is minus the
executions with a timestamp in [b, start), and it is 0 at `start` itself, where the live series
begins at 0 too. A difference between two boundaries is then the executions between them, on
either side of the handover:

    timestamps:  10:05  10:20  10:40 | start = 11:00
    value at 10:00 = -3, 10:15 = -2, 10:30 = -1, 10:45 = -0 ... 11:00 = 0

Windows are read newest first, so the count of everything newer (the *suffix*, per workspace)
is known when a window's values are computed; only one window's slots are held at a time.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from exporter.backfill.details import WindowDetails
from exporter.ledger.event_time import BOUNDARY, SECOND, ceil_to, floor_to
from exporter.platform.api import ExecutionRecord

DAY = 86_400  # seconds; one window of reading
MILLIS = 1_000  # µs per Prometheus millisecond
Counts = dict[str, tuple[int, int]]  # workspace → (total, failed)
Point = tuple[int, ...]  # (ms, value…): (ms, total, failed) of executions, (ms, value) of details
Key = TypeVar("Key", bound=Hashable)  # a workspace, or a detail series of one


@dataclass(frozen=True)
class Window:
    """A span [low, high) of history in µs; `low` is on a 15-minute boundary."""

    low: int
    high: int

    def boundaries(self) -> range:
        """The boundaries (s) in the window, newest first."""
        newest = floor_to((self.high - 1) // SECOND, BOUNDARY)
        return range(newest, self.low // SECOND - 1, -BOUNDARY)


def first_boundary(since: int) -> int:
    """The oldest boundary (µs) a backfill from `since` (µs) writes."""
    return ceil_to(-(-since // SECOND), BOUNDARY) * SECOND


def windows(oldest: int, through: int) -> Iterator[Window]:
    """The UTC days of [oldest, through) as windows, newest first (`oldest` on a boundary)."""
    high = through
    while high > oldest:
        low = max(oldest, floor_to((high - 1) // SECOND, DAY) * SECOND)
        yield Window(low, high)
        high = low


@dataclass
class WindowCounts:
    """One window's executions per (workspace, 15-minute slot): [total, failed]; and the detail
    series of each (workspace, slot) with their capped values as the platform wrote them."""

    window: Window
    slots: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    records: int = 0
    details: WindowDetails = field(default_factory=WindowDetails)

    def add(self, execution: ExecutionRecord) -> None:
        """Count one execution of the window (one outside it would shift every value)."""
        if not self.window.low <= execution.micros < self.window.high:
            raise ValueError(f"execution {execution.record_id} lies outside the window read")
        slot = floor_to(execution.micros // SECOND, BOUNDARY)
        key = (execution.workspace_id, slot)
        entry = self.slots.get(key)
        if entry is None:
            entry = self.slots[key] = [0, 0]
            self.details.start_workspace(execution.workspace_id, slot)
        entry[0] += 1
        entry[1] += execution.failed
        self.details.add(execution, slot)


def series_points(
    counts: WindowCounts, suffix: Mapping[str, tuple[int, int]], start: int
) -> tuple[dict[str, list[Point]], Counts]:
    """Each workspace's executions samples of the window, ascending, and the suffix after it."""
    points, running = running_points(counts.window, counts.slots, suffix, start, fill=True)
    return points, {ws: (total, failed) for ws, (total, failed) in running.items()}


def running_points(
    window: Window,
    slots: Mapping[tuple[Key, int], Sequence[int]],
    suffix: Mapping[Key, Sequence[int]],
    start: int,
    *,
    fill: bool = False,
) -> tuple[dict[Key, list[Point]], dict[Key, tuple[int, ...]]]:
    """Each series' samples of the window (every boundary, ascending, values negated), and the
    suffix after it.

    A series seen for the first time (nothing of it is newer) also gets 0 at the window's end
    and at `start`, where it would otherwise just stop; with `fill`, at every boundary between
    them too, so a reader looking back one boundary (`last_over_time(…[15m])`) finds its 0 (one
    series per workspace for the executions; the many detail series leave it to the readers,
    which take a missing detail as 0 where the workspace's executions have a sample)."""
    running: dict[Key, tuple[int, ...]] = {k: (0,) * len(v) for (k, _), v in slots.items()}
    running.update((k, tuple(v)) for k, v in suffix.items())
    keys = list(running)
    points: dict[Key, list[Point]] = {k: [] for k in keys}
    for boundary in window.boundaries():
        for key in keys:
            added = slots.get((key, boundary))
            if added is not None:
                total = running[key]
                running[key] = tuple(a + b for a, b in zip(total, added, strict=True))
            points[key].append((boundary * MILLIS, *(-value for value in running[key])))
    newer = range(ceil_to(-(-window.high // SECOND), BOUNDARY), -(-start // SECOND), BOUNDARY)
    filled = {boundary * MILLIS for boundary in newer} if fill else set()
    ends = sorted({-(-window.high // MILLIS), -(-start // MILLIS)} | filled)
    for new in keys:
        if new not in suffix:
            zeros: Point = (0,) * len(running[new])
            points[new].reverse()
            points[new] += [(millis, *zeros) for millis in ends]
        else:
            points[new].reverse()
    return points, running
