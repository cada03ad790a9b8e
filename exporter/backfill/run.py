"""The backfill of every org: windows newest first, blocks installed, progress committed.

Per org the history is [since, start): `start` is where its live polls begin (recorded in the
ledger now, `now - lag`, when the exporter has not recorded it yet; the configured
`activity_start` when one is set, as the exporter then reads nothing before it). A window's
blocks are in the data dir before the ledger says so, and the ledger's suffix counts move in the
same commit, so a run stopped at any moment (SIGKILL included) and run again ends with the same
samples: a window written twice holds identical samples, which Prometheus merges. Reading the
next window overlaps promtool's work on the previous one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from exporter.backfill.blocks import BackfillError, BlockWriter
from exporter.backfill.openmetrics import render
from exporter.backfill.progress import Progress
from exporter.backfill.reader import ActivityReader
from exporter.backfill.values import Counts, Window, first_boundary, series_points, windows
from exporter.ledger.store import Ledger, LedgerView

log = logging.getLogger(__name__)
PIPELINE = 1  # windows whose blocks may still be in the making while the next one is read


@dataclass(frozen=True)
class OrgPlan:
    """What is left to backfill of one org."""

    org_id: str
    start: int
    through: int
    suffix: Counts
    windows: tuple[Window, ...]


@dataclass(frozen=True)
class Pending:
    """A window read and handed to promtool, to be installed and committed in order."""

    name: str  # of its staging directory (org ids need not be file names)
    org_id: str
    window: Window
    suffix: Counts
    futures: list[Future[Path]]


def plan(view: LedgerView, starts: Mapping[str, int], since: int) -> list[OrgPlan]:
    """Each org's windows left between `since` (µs) and the oldest time already written."""
    plans = []
    for org_id, start in starts.items():
        through = view.history_through.get(org_id, start)
        suffix = {ws: counts for (org, ws), counts in view.history.items() if org == org_id}
        left = tuple(windows(first_boundary(since), through))
        plans.append(OrgPlan(org_id, start, through, suffix, left))
    return plans


class Backfill:
    """Writes the planned windows of every org through `writer`, committing each to `ledger`."""

    def __init__(
        self, ledger: Ledger, reader: ActivityReader, writer: BlockWriter, progress: Progress
    ) -> None:
        self._ledger = ledger
        self._reader = reader
        self._writer = writer
        self._progress = progress
        self._pending: list[Pending] = []
        self._submitted = 0

    def run(self, plans: Sequence[OrgPlan]) -> None:
        """Backfill every window of every plan, oldest progress committed last."""
        for org_plan in plans:
            suffix = dict(org_plan.suffix)
            for window in org_plan.windows:
                counts = self._reader.read(org_plan.org_id, window)
                points, suffix = series_points(counts, suffix, org_plan.start)
                # One promtool run per window: it writes the window's two-hour blocks, each a
                # fixed cost (mostly fsync), from an input small enough to re-read per block.
                texts = {window.low // 1000: render(org_plan.org_id, points)}
                name = f"window-{self._submitted}"
                self._submitted += 1
                futures = self._writer.submit(name, texts)
                self._pending.append(Pending(name, org_plan.org_id, window, dict(suffix), futures))
                while len(self._pending) > PIPELINE:
                    self._complete(self._pending.pop(0))
        while self._pending:
            self._complete(self._pending.pop(0))

    def _complete(self, pending: Pending) -> None:
        try:
            self._writer.install(pending.name, pending.futures)
        except OSError as error:
            where = self._writer.data_dir
            raise BackfillError(f"cannot move blocks into {where}: {error}") from None
        self._ledger.record_history(pending.org_id, pending.window.low, pending.suffix)
        self._progress.add_day()
