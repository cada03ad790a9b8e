"""The backfill of every org: UTC days newest first, each day's windows of every org written as
one input to the store's writer (for promtool, the fewest blocks), installed, then progress
committed.

Per org the history is [since, start): `start` is where its live polls begin (recorded in the
ledger now, `now - lag`, when the exporter has not recorded it yet; the configured
`activity_start` when one is set, as the exporter then reads nothing before it). A window's
samples are in the store (blocks in the data dir, or imported and flushed into VictoriaMetrics)
before the ledger says so, and the ledger's suffix counts move in the same commit, so a run
stopped at any moment (SIGKILL included) and run again ends with the same values: a window
written twice holds identical samples, which Prometheus merges and VictoriaMetrics reads as the
same value at every boundary. Reading the next day overlaps the writer's work on the previous one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from exporter.backfill.progress import Progress
from exporter.backfill.reader import ActivityReader
from exporter.backfill.samples import DayPoints
from exporter.backfill.values import (
    DAY,
    Counts,
    Window,
    first_boundary,
    running_points,
    series_points,
    windows,
)
from exporter.backfill.writer import HistoryWriter
from exporter.ledger.event_time import SECOND
from exporter.ledger.history import DetailKey
from exporter.ledger.store import Ledger
from exporter.metrics.details import COUNTED_FAMILIES
from vocabulary.family import Family

DetailCounts = dict[DetailKey, int]

log = logging.getLogger(__name__)
PIPELINE = 1  # windows whose blocks may still be in the making while the next one is read


@dataclass(frozen=True)
class OrgPlan:
    """What is left to backfill of one org."""

    org_id: str
    start: int
    through: int
    suffix: Counts
    details: DetailCounts
    windows: tuple[Window, ...]


@dataclass(frozen=True)
class Pending:
    """A day read and handed to promtool, to be installed and committed in order."""

    name: str  # of its staging directory (org ids need not be file names)
    progress: list[tuple[str, Window, Counts, DetailCounts]]  # per org: window, suffixes after
    future: Future[Any]


def plan(ledger: Ledger, starts: Mapping[str, int], since: int) -> list[OrgPlan]:
    """Each org's windows left between `since` (µs) and the oldest time already written."""
    plans = []
    view = ledger.view
    for org_id, start in starts.items():
        through = view.history_through.get(org_id, start)
        suffix = {ws: counts for (org, ws), counts in view.history.items() if org == org_id}
        left = tuple(windows(first_boundary(since), through))
        details = ledger.history_details(org_id)
        plans.append(OrgPlan(org_id, start, through, suffix, details, left))
    return plans


class Backfill:
    """Writes the planned windows of every org through `writer`, committing each to `ledger`."""

    def __init__(
        self,
        ledger: Ledger,
        reader: ActivityReader,
        writer: HistoryWriter,
        progress: Progress,
        kinds: Mapping[str, Family] = COUNTED_FAMILIES,
    ) -> None:
        self._ledger = ledger
        self._reader = reader
        self._writer = writer
        self._progress = progress
        self._kinds = kinds  # the detail series of the levels that are on
        self._pending: list[Pending] = []
        self._suffixes: dict[str, Counts] = {}
        self._details: dict[str, DetailCounts] = {}

    def run(self, plans: Sequence[OrgPlan]) -> None:
        """Backfill every day of every plan, newest first, all orgs of a day in one input."""
        self._suffixes = {org_plan.org_id: dict(org_plan.suffix) for org_plan in plans}
        self._details = {org_plan.org_id: dict(org_plan.details) for org_plan in plans}
        days: dict[int, list[tuple[OrgPlan, Window]]] = {}
        for org_plan in plans:
            for window in org_plan.windows:
                days.setdefault(window.low // SECOND // DAY, []).append((org_plan, window))
        for day in sorted(days, reverse=True):
            points, progress = self._read_day(days[day])
            name = f"day-{day}"
            future = self._writer.submit(name, points)
            self._pending.append(Pending(name, progress, future))
            while len(self._pending) > PIPELINE:
                self._complete(self._pending.pop(0))
        while self._pending:
            self._complete(self._pending.pop(0))

    def _read_day(
        self, windows: Sequence[tuple[OrgPlan, Window]]
    ) -> tuple[DayPoints, list[tuple[str, Window, Counts, DetailCounts]]]:
        """Every org's points of one day, and each org's suffixes after it; the day's capped
        values are admitted (committed) before any of its samples is written."""
        day = DayPoints()
        progress = []
        for org_plan, window in windows:
            org_id, start = org_plan.org_id, org_plan.start
            counts = self._reader.read(org_id, window)
            org_points, suffix = series_points(counts, self._suffixes[org_id], start)
            self._suffixes[org_id] = suffix
            day.executions.update({(org_id, ws): series for ws, series in org_points.items()})
            requested = list(counts.details.labels.requested)
            mapping = self._ledger.admit_history(org_id, requested)
            slots = counts.details.admitted(mapping, self._kinds)
            before = {key: (value,) for key, value in self._details[org_id].items()}
            detail_points, running = running_points(window, slots, before, start)
            self._details[org_id] = {key: values[0] for key, values in running.items()}
            day.details.update(
                {(org_id, ws, series): points for (ws, series), points in detail_points.items()}
            )
            progress.append((org_id, window, dict(suffix), self._details[org_id]))
        return day, progress

    def _complete(self, pending: Pending) -> None:
        self._writer.install(pending.name, pending.future)
        for org_id, window, suffix, details in pending.progress:
            self._ledger.record_history(org_id, window.low, suffix, details)
            self._progress.add_day()
