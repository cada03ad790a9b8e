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

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from exporter.ledger.event_time import BOUNDARY, SECOND, ceil_to, floor_to
from exporter.platform.api import ExecutionRecord

DAY = 86_400  # seconds; one window of reading
MILLIS = 1_000  # µs per Prometheus millisecond
Counts = dict[str, tuple[int, int]]  # workspace → (total, failed)
Point = tuple[int, int, int]  # (ms, total value, failed value)


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
    """One window's executions per (workspace, 15-minute slot): [total, failed]."""

    window: Window
    slots: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    records: int = 0

    def add(self, execution: ExecutionRecord) -> None:
        """Count one execution of the window (one outside it would shift every value)."""
        if not self.window.low <= execution.micros < self.window.high:
            raise ValueError(f"execution {execution.record_id} lies outside the window read")
        slot = floor_to(execution.micros // SECOND, BOUNDARY)
        entry = self.slots.setdefault((execution.workspace_id, slot), [0, 0])
        entry[0] += 1
        entry[1] += execution.failed


def series_points(
    counts: WindowCounts, suffix: Mapping[str, tuple[int, int]], start: int
) -> tuple[dict[str, list[Point]], Counts]:
    """Each workspace's samples of the window, ascending, and the suffix after it.

    A workspace seen for the first time (nothing of it is newer) also gets 0 at every boundary
    from the window's end up to `start` and at `start`, where its series would otherwise just
    stop: a reader looking back one boundary (`last_over_time(…[15m])`) finds its 0 there."""
    running = dict(suffix)
    workspaces = sorted(set(suffix) | {workspace for workspace, _ in counts.slots})
    points: dict[str, list[Point]] = {workspace: [] for workspace in workspaces}
    for boundary in counts.window.boundaries():
        for workspace in workspaces:
            total, failed = running.get(workspace, (0, 0))
            added = counts.slots.get((workspace, boundary))
            if added is not None:
                total, failed = total + added[0], failed + added[1]
                running[workspace] = (total, failed)
            points[workspace].append((boundary * MILLIS, -total, -failed))
    after = ceil_to(-(-counts.window.high // SECOND), BOUNDARY)
    newer = range(after, -(-start // SECOND), BOUNDARY)  # the boundaries before `start`
    ends = sorted(
        {-(-counts.window.high // MILLIS), -(-start // MILLIS)}
        | {boundary * MILLIS for boundary in newer}
    )
    for workspace in workspaces:
        series = points[workspace]
        series.reverse()
        if workspace not in suffix:
            series += [(millis, 0, 0) for millis in ends]
    return points, running
