"""The history's detail values: the live exporter's caps and admissions, levels, histogram."""

from __future__ import annotations

from pathlib import Path

from exporter.backfill.details import LATENCY_SERIES
from exporter.backfill.openmetrics import render
from exporter.backfill.samples import DayPoints
from exporter.backfill.values import Window, WindowCounts, running_points
from exporter.ledger.store import Ledger
from exporter.metrics.details import COUNTED_FAMILIES, counted_families
from exporter.platform.api import ExecutionRecord
from exporter.platform.details import ExecutionDetails
from vocabulary.details import LABEL_CAPS, OVERFLOW

S = 1_000_000
T0 = 1_795_996_800  # a UTC midnight, in seconds
START = (T0 + 3600) * S
CAPS = LABEL_CAPS | {"error_code": 2, "app_id": 1}


def failure(seconds: int, code: str, app: str | None = None, ms: int = 300) -> ExecutionRecord:
    details = ExecutionDetails(app_id=app, error_code=code, duration_ms=ms)
    return ExecutionRecord(f"r{seconds}", (T0 + seconds) * S, "ws", True, details)


def history(ledger: Ledger, *records: ExecutionRecord) -> WindowCounts:
    counts = WindowCounts(Window(T0 * S, START))
    for record in records:
        counts.add(record)
    return counts


def test_history_values_keep_live_admissions_and_overflow_past_the_cap(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3", CAPS)
    ledger.commit("org", [failure(3700, "LIVE", "app-live")], (T0 + 3800) * S, 0)
    live_details = ledger.view.details
    counts = history(
        ledger,
        failure(100, "OLD-1", "app-old"),
        failure(1000, "LIVE", "app-live"),
        failure(2000, "OLD-2"),
        failure(2100, "OLD-1"),
    )
    mapping = ledger.admit_history("org", list(counts.details.labels.requested))
    slots = counts.details.admitted(mapping, COUNTED_FAMILIES)
    points, suffix = running_points(counts.window, slots, {}, START)
    codes = {key[1][1]: value for key, value in suffix.items() if key[1][0] == "code"}
    apps = {key[1][1]: value for key, value in suffix.items() if key[1][0] == "app"}
    # LIVE was admitted live and keeps its series; OLD-1 takes the last place; OLD-2 is over.
    assert codes == {"LIVE": (1,), "OLD-1": (2,), OVERFLOW: (1,)}
    assert apps == {"app-live": (1,), OVERFLOW: (1,)}
    minute = 60_000
    assert points[("ws", ("code", "OLD-1"))][:4] == [
        (T0 * 1000, -2),
        (T0 * 1000 + 15 * minute, -1),
        (T0 * 1000 + 30 * minute, -1),
        (T0 * 1000 + 45 * minute, 0),
    ]
    # Run again (a backfill resumed after a kill): every value maps the same way.
    assert ledger.admit_history("org", list(counts.details.labels.requested)) == mapping
    # The live exporter's counts, overflow included, are not touched by the history.
    assert ledger.view.details == live_details
    ledger.close()


def test_levels_that_are_off_write_no_series_and_the_histogram_is_cumulative(
    tmp_path: Path,
) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3", CAPS)
    counts = history(ledger, failure(100, "A", "app", ms=20), failure(200, "A", "app", ms=700))
    mapping = ledger.admit_history("org", list(counts.details.labels.requested))
    slots = counts.details.admitted(mapping, counted_families(False, False))
    points, _ = running_points(counts.window, slots, {}, START)
    assert {series for _, series in points} == {*LATENCY_SERIES, ("code", "A")}
    day = DayPoints(details={("org", ws, series): p for (ws, series), p in points.items()})
    text = render(day)
    labels = 'job="mechamental-backfill",org_id="org",workspace_id="ws"'
    name = "mechamental_execution_duration_by_time_seconds"
    assert f'{name}_bucket{{{labels},le="0.025"}} -1 {T0}.000' in text
    assert f'{name}_bucket{{{labels},le="0.5"}} -1 {T0}.000' in text
    assert f'{name}_bucket{{{labels},le="1.0"}} -2 {T0}.000' in text
    assert f"{name}_count{{{labels}}} -2 {T0}.000" in text
    assert f"{name}_sum{{{labels}}} -0.72 {T0}.000" in text
    assert "app_executions" not in text
    ledger.close()
