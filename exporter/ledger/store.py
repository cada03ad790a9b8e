"""The durable execution ledger: cumulative counts per workspace in SQLite.

Per (org, workspace) the cumulative `total` and `failed` executions; per org the high-water
mark up to which activity is counted; per org the ids of the execution records seen inside the
overlap window, so a record read twice is counted once. One poll's counts, high-water mark and
seen ids are committed in ONE transaction (WAL, `synchronous=FULL`) before they are exposed, so
a crash at any moment (kill -9 included) neither loses nor double-counts an execution, and the
counts only ever grow.

A ledger that cannot be written (read-only filesystem, full disk, no permission) still exposes
its committed counts, read without changing anything on disk; every commit first retries
opening it for writing and says why it cannot (`LedgerUnavailable`). A file that is not a ledger
stops the start (`LedgerCorrupt`, see `exporter.ledger.file`).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

from exporter.ledger import details, event_time, history
from exporter.ledger.details import WorkspaceDetails
from exporter.ledger.event_time import OrgEvents
from exporter.ledger.file import (
    DETAILS_VERSION,
    EVENT_TIME_VERSION,
    SCHEMA_VERSION,
    LedgerCorrupt,
    LedgerError,
    LedgerUnavailable,
    failure,
    open_read_only,
    open_writable,
)
from exporter.platform.api import ExecutionRecord
from vocabulary.details import LABEL_CAPS

__all__ = [
    "CommitResult",
    "Ledger",
    "LedgerCorrupt",
    "LedgerError",
    "LedgerUnavailable",
    "LedgerView",
]
log = logging.getLogger(__name__)
Result = TypeVar("Result")


@dataclass(frozen=True)
class LedgerView:
    """The committed counts, as exposed: (org, workspace) → (total, failed); org → high water."""

    counts: Mapping[tuple[str, str], tuple[int, int]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    high_water: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    version: int = 0
    events: Mapping[str, OrgEvents] = field(default_factory=lambda: MappingProxyType({}))
    starts: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    history: Mapping[tuple[str, str], tuple[int, int]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    history_through: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    # org → workspace → detail series → count at the org's exposure time (`ledger.details`)
    details: Mapping[str, Mapping[str, WorkspaceDetails]] = field(
        default_factory=lambda: MappingProxyType({})
    )


@dataclass(frozen=True)
class CommitResult:
    """What one commit changed."""

    counted: int
    duplicates: int
    pruned: int
    late: int = 0


def _read_view(
    connection: sqlite3.Connection, version: int, schema: int = SCHEMA_VERSION
) -> LedgerView:
    """Everything committed, as the database holds it (whoever committed it); an older
    `schema` read without writing lacks the tables added since (event time, details)."""
    rows = connection.execute("SELECT org_id, workspace_id, total, failed FROM executions")
    counts = {(org, ws): (int(total), int(failed)) for org, ws, total, failed in rows}
    marks = connection.execute("SELECT org_id, micros FROM high_water")
    base = (
        MappingProxyType(counts),
        MappingProxyType({org: int(micros) for org, micros in marks}),
        version,
    )
    if schema < EVENT_TIME_VERSION:
        return LedgerView(*base)
    events = event_time.read_events(connection)
    shown_at = {org: org_events.exposure_time() for org, org_events in events.items()}
    found = details.read_details(connection, shown_at) if schema >= DETAILS_VERSION else {}
    return LedgerView(
        *base,
        MappingProxyType(events),
        MappingProxyType(event_time.read_starts(connection)),
        MappingProxyType(event_time.read_history(connection)),
        MappingProxyType(history.read_progress(connection)),
        MappingProxyType(found),
    )


def _read_only_view(path: Path) -> LedgerView:
    """The committed state of a ledger that cannot be written (empty when there is none)."""
    connection = open_read_only(path)
    if connection is None:
        return LedgerView()
    try:
        schema = connection.execute("PRAGMA user_version").fetchone()[0]
        return _read_view(connection, version=1, schema=schema)
    except sqlite3.Error as error:
        raise failure(path, "read", error) from None
    finally:
        connection.close()


class Ledger:
    """The SQLite ledger; one writer (the activity poller), any number of readers of `view`."""

    def __init__(self, path: Path, label_caps: Mapping[str, int] = LABEL_CAPS) -> None:
        self.path = path
        self._caps = MappingProxyType(dict(label_caps))
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        try:
            self._open(version=1)
        except LedgerUnavailable as error:
            log.warning("%s; serving the committed counts until it can be written", error)
            self._view = _read_only_view(path)

    @property
    def view(self) -> LedgerView:
        """The committed state; replaced as a whole by every commit."""
        return self._view

    def _open(self, version: int) -> None:
        connection = open_writable(self.path)
        try:
            view = _read_view(connection, version)
        except sqlite3.Error as error:
            connection.close()
            raise failure(self.path, "read", error) from None
        self._connection, self._view = connection, view

    def _writable(self) -> sqlite3.Connection:
        """The read-write connection, opened now if the ledger could not be written before."""
        if self._connection is None:
            self._open(version=self._view.version + 1)
            log.info("ledger %s can be written again", self.path)
        assert self._connection is not None
        return self._connection

    def ensure_writable(self) -> None:
        """Return when a commit can be attempted; LedgerError says why not."""
        with self._lock:
            self._writable()

    def commit(
        self,
        org_id: str,
        records: Sequence[ExecutionRecord],
        high_water: int,
        prune_before: int,
        settled: int | None = None,
    ) -> CommitResult:
        """Count unseen records (by their effective time too), move the high-water mark and the
        settled point (default: the high-water mark), forget old ids: all atomically."""
        marks = (high_water, prune_before, high_water if settled is None else settled)
        return self._transaction(
            lambda connection: _count(connection, org_id, records, marks, self._caps)
        )

    def begin(self, org_id: str, micros: int) -> int:
        """Where the org's live polls begin: `micros`, unless recorded before (µs)."""
        if org_id not in self._view.starts:
            self._transaction(lambda connection: event_time.begin(connection, org_id, micros))
        return self._view.starts[org_id]

    def record_history(
        self,
        org_id: str,
        through: int,
        counts: history.Counts,
        details: Mapping[history.DetailKey, int],
    ) -> None:
        """The org's history is in the store back to `through` (µs); `counts` per workspace and
        `details` per detail series are the executions from there to the org's start."""
        self._transaction(
            lambda connection: history.record_progress(connection, org_id, through, counts, details)
        )

    def history_details(self, org_id: str) -> dict[history.DetailKey, int]:
        """The org's detail series backfilled so far (from its `through` to its start)."""
        return self._transaction(lambda connection: history.read_details(connection, org_id))

    def admit_history(
        self, org_id: str, requested: Sequence[history.Admission]
    ) -> dict[history.Admission, str]:
        """Admit the history's capped values under the ledger's caps, committed now."""
        return self._transaction(
            lambda connection: history.admit(connection, org_id, requested, self._caps)
        )

    def mark_exposed(self, org_id: str, boundary: int) -> None:
        """Remember that every 15-minute boundary of the org before `boundary` (s) was shown."""
        self._transaction(lambda connection: _mark_exposed(connection, org_id, boundary))

    def _transaction(self, work: Callable[[sqlite3.Connection], Result]) -> Result:
        """`work` in one write transaction; the view is then exactly what was committed."""
        with self._lock:
            connection = self._writable()
            try:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    result = work(connection)
                    # Read back inside the transaction: the view is exactly what is committed,
                    # even when another process shares the file (an overlapping restart).
                    view = _read_view(connection, self._view.version + 1)
                    connection.execute("COMMIT")
                except BaseException:
                    if connection.in_transaction:
                        connection.execute("ROLLBACK")
                    raise
            except sqlite3.Error as error:
                raise failure(self.path, "written", error) from None
            self._view = view
            return result

    def close(self) -> None:
        """Close the database (every commit is already durable)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


def _count(
    connection: sqlite3.Connection,
    org_id: str,
    records: Sequence[ExecutionRecord],
    marks: tuple[int, int, int],
    caps: Mapping[str, int],
) -> CommitResult:
    """Count unseen records, move the marks and forget old ids, inside a transaction."""
    high_water, prune_before, settled = marks
    added: Counter[tuple[str, bool]] = Counter()
    new: list[ExecutionRecord] = []
    for record in records:
        cursor = connection.execute(
            "INSERT OR IGNORE INTO seen (org_id, record_id, micros) VALUES (?, ?, ?)",
            (org_id, record.record_id, record.micros),
        )
        if cursor.rowcount == 1:
            added[(record.workspace_id, record.failed)] += 1
            new.append(record)
    _add_counts(connection, org_id, added)
    details.record(connection, org_id, new, caps)  # before the settled point moves
    late = event_time.record(connection, org_id, new, settled)
    details.fold_shown(connection, org_id)
    connection.execute(
        "INSERT INTO high_water (org_id, micros) VALUES (?, ?) ON CONFLICT (org_id) "
        "DO UPDATE SET micros = max(micros, excluded.micros)",
        (org_id, high_water),
    )
    pruned = connection.execute(
        "DELETE FROM seen WHERE org_id = ? AND micros < ?", (org_id, prune_before)
    ).rowcount
    counted = sum(added.values())
    return CommitResult(counted, len(records) - counted, pruned, late)


def _mark_exposed(connection: sqlite3.Connection, org_id: str, boundary: int) -> None:
    event_time.mark_exposed(connection, org_id, boundary)
    details.fold_shown(connection, org_id)


def _add_counts(
    connection: sqlite3.Connection, org_id: str, added: Counter[tuple[str, bool]]
) -> None:
    for workspace in sorted({workspace for workspace, _ in added}):
        total = added[(workspace, False)] + added[(workspace, True)]
        connection.execute(
            "INSERT INTO executions (org_id, workspace_id, total, failed) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (org_id, workspace_id) DO UPDATE SET "
            "total = total + excluded.total, failed = failed + excluded.failed",
            (org_id, workspace, total, added[(workspace, True)]),
        )
