"""The history's values: suffix sums at boundaries, 0 at the start, windows newest first."""

from __future__ import annotations

from itertools import pairwise

import pytest

from exporter.backfill.openmetrics import render
from exporter.backfill.samples import DayPoints
from exporter.backfill.values import (
    DAY,
    Point,
    Window,
    WindowCounts,
    first_boundary,
    series_points,
    windows,
)
from exporter.platform.api import ExecutionRecord

S = 1_000_000
T0 = 1_795_996_800  # a UTC midnight, in seconds


def execution(seconds: float, workspace: str = "ws", failed: bool = False) -> ExecutionRecord:
    return ExecutionRecord(f"r{seconds}{workspace}", round(seconds * S), workspace, failed)


def counted(window: Window, *executions: ExecutionRecord) -> WindowCounts:
    counts = WindowCounts(window)
    for item in executions:
        counts.add(item)
    return counts


def test_values_are_minus_the_executions_from_each_boundary_to_the_start() -> None:
    start = (T0 + 3600) * S  # 01:00
    counts = counted(
        Window(T0 * S, start),
        execution(T0 + 5 * 60),  # 00:05
        execution(T0 + 20 * 60, failed=True),  # 00:20
        execution(T0 + 40 * 60),  # 00:40
        execution(T0 + 45 * 60),  # 00:45:00 exactly: counted at 00:45, not before
    )
    points, suffix = series_points(counts, {}, start)
    assert points["ws"] == [
        (T0 * 1000, -4, -1),
        ((T0 + 900) * 1000, -3, -1),
        ((T0 + 1800) * 1000, -2, 0),
        ((T0 + 2700) * 1000, -1, 0),
        ((T0 + 3600) * 1000, 0, 0),  # the sample at the start
    ]
    assert suffix == {"ws": (4, 1)}
    values = [point[1] for point in points["ws"]]
    assert [later - earlier for earlier, later in pairwise(values)] == [1] * 4


def test_an_older_window_continues_from_the_newer_suffix() -> None:
    start = (T0 + DAY + 600) * S  # 00:10 of the next day, not on a boundary
    newest, older = list(windows(first_boundary((T0 + DAY - 1800) * S), start))
    assert newest == Window((T0 + DAY) * S, start)
    assert older == Window((T0 + DAY - 1800) * S, (T0 + DAY) * S)
    first, suffix = series_points(counted(newest, execution(T0 + DAY + 1)), {}, start)
    # 00:00 counts the execution at 00:00:01; the start sample is the next millisecond after it.
    assert first["ws"] == [((T0 + DAY) * 1000, -1, 0), ((T0 + DAY + 600) * 1000, 0, 0)]
    second, suffix = series_points(
        counted(older, execution(T0 + DAY - 1, "ws"), execution(T0 + DAY - 1000, "other")),
        suffix,
        start,
    )
    # A workspace already seen continues its suffix, and no sample repeats the newer window's.
    assert second["ws"] == [((T0 + DAY - 1800) * 1000, -2, 0), ((T0 + DAY - 900) * 1000, -2, 0)]
    # One seen first in an older window ends at 0 at that window's end and at the start.
    assert second["other"] == [
        ((T0 + DAY - 1800) * 1000, -1, 0),
        ((T0 + DAY - 900) * 1000, 0, 0),
        ((T0 + DAY) * 1000, 0, 0),
        ((T0 + DAY + 600) * 1000, 0, 0),
    ]
    assert suffix == {"ws": (2, 0), "other": (1, 0)}


def test_a_workspace_quiet_in_newer_windows_reads_0_at_each_of_their_boundaries() -> None:
    start = (T0 + DAY + 3000) * S  # 00:50 of the next day
    newest, older = list(windows(first_boundary(T0 * S), start))
    _, suffix = series_points(counted(newest, execution(T0 + DAY + 1, "busy")), {}, start)
    points, _ = series_points(counted(older, execution(T0 + DAY - 60, "quiet")), suffix, start)
    newer = [point for point in points["quiet"] if point[0] >= (T0 + DAY) * 1000]
    assert newer == [
        *(((T0 + DAY + offset) * 1000, 0, 0) for offset in (0, 900, 1800, 2700)),
        ((T0 + DAY + 3000) * 1000, 0, 0),
    ]


def test_the_start_sample_follows_a_boundary_even_a_microsecond_after_it() -> None:
    start = (T0 + 900) * S + 1
    points, _ = series_points(counted(Window(T0 * S, start), execution(T0 + 900)), {}, start)
    assert points["ws"] == [
        (T0 * 1000, -1, 0),
        ((T0 + 900) * 1000, -1, 0),
        (start // 1000 + 1, 0, 0),
    ]


def test_windows_are_utc_days_newest_first_from_the_first_boundary() -> None:
    since = (T0 - 2 * DAY + 100) * S  # rounded up to 00:15 two days before
    found = list(windows(first_boundary(since), (T0 + 7200) * S))
    assert [(w.low // S - T0, w.high // S - T0) for w in found] == [
        (0, 7200),
        (-DAY, 0),
        (-2 * DAY + 900, -DAY),
    ]
    assert list(windows(T0 * S, T0 * S)) == []


def test_a_workspace_without_executions_gets_no_series() -> None:
    start = (T0 + 3600) * S
    points, suffix = series_points(counted(Window(T0 * S, start)), {}, start)
    assert points == {} and suffix == {}


def test_an_execution_outside_the_window_is_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        counted(Window(T0 * S, (T0 + 900) * S), execution(T0 + 900))


def test_openmetrics_text_with_escaped_labels() -> None:
    points: dict[str, list[Point]] = {'w"1': [(T0 * 1000, -2, -1)]}
    text = render(DayPoints({('org\\"x', ws): series for ws, series in points.items()}))
    labels = '{job="mechamental-backfill",org_id="org\\\\\\"x",workspace_id="w\\"1"}'
    assert text.splitlines() == [
        "# TYPE mechamental_executions_by_time counter",
        f"mechamental_executions_by_time_total{labels} -2 {T0}.000",
        "# TYPE mechamental_executions_failed_by_time counter",
        f"mechamental_executions_failed_by_time_total{labels} -1 {T0}.000",
        "# EOF",
    ]
    later: dict[str, list[Point]] = {"w": [(T0 * 1000, -2, -1), ((T0 + 7200) * 1000 + 5, 0, 0)]}
    assert render(DayPoints({("o", "w"): later["w"]})).count(f" 0 {T0 + 7200}.005\n") == 2
