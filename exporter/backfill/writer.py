"""Where a backfill's days go: the shape both stores' writers have, and the backfill's error.

A writer takes one day of every org's points at a time (`submit`, work that may run in the
background), and `install` returns only once that day is durable in the store: the ledger
records the day right after, so a day installed is a day written.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, Protocol

from exporter.backfill.samples import DayPoints

Points = DayPoints


class BackfillError(Exception):
    """The backfill cannot go on; the message says why in one line."""


class HistoryWriter(Protocol):
    """Writes days of points into one store."""

    target: str  # the store, as error messages name it
    unit: str  # what `written` counts: "blocks", "imports"
    written: int

    def prepare(self) -> None:
        """Check the store can take the history; BackfillError when it cannot."""

    def submit(self, name: str, points: Points) -> Future[Any]:
        """Start writing one day's points; `name` is unique per day."""

    def install(self, name: str, future: Future[Any]) -> int:
        """Wait for the day and make it durable; how many `unit` it took."""

    def close(self) -> None:
        """Stop the background work and remove what it left."""
