"""The durable execution ledger: cumulative counts per workspace in SQLite.

Per (org, workspace) the cumulative `total` and `failed` executions; per org the high-water
mark up to which activity is counted; per org the ids of the execution records seen inside the
overlap window, so a record read twice is counted once. One poll's counts, high-water mark and
seen ids are committed in ONE transaction (WAL, `synchronous=FULL`) before they are exposed, so
a crash at any moment (kill -9 included) neither loses nor double-counts an execution, and the
counts only ever grow.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from exporter.platform_api import ExecutionRecord

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE executions (
    org_id TEXT NOT NULL, workspace_id TEXT NOT NULL,
    total INTEGER NOT NULL CHECK (total >= 0), failed INTEGER NOT NULL CHECK (failed >= 0),
    PRIMARY KEY (org_id, workspace_id)
) WITHOUT ROWID;
CREATE TABLE high_water (org_id TEXT PRIMARY KEY, micros INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE seen (
    org_id TEXT NOT NULL, record_id TEXT NOT NULL, micros INTEGER NOT NULL,
    PRIMARY KEY (org_id, record_id)
) WITHOUT ROWID;
CREATE INDEX seen_by_time ON seen (org_id, micros);
"""
TABLES = frozenset({"executions", "high_water", "seen"})
# How long a write waits for a lock held by someone else before it counts as failed.
BUSY_TIMEOUT_MS = 2000


class LedgerError(Exception):
    """The ledger cannot be opened, read or written; the message says why."""


class LedgerCorrupt(LedgerError):
    """The ledger file is not a ledger this exporter can trust; it is never reset silently."""


@dataclass(frozen=True)
class LedgerView:
    """The committed counts, as exposed: (org, workspace) → (total, failed); org → high water."""

    counts: Mapping[tuple[str, str], tuple[int, int]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    high_water: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    version: int = 0


@dataclass(frozen=True)
class CommitResult:
    """What one commit changed."""

    counted: int
    duplicates: int
    pruned: int


def _connect(path: Path) -> sqlite3.Connection:
    try:
        connection = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        connection.execute("PRAGMA journal_mode=WAL").fetchone()
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    except sqlite3.DatabaseError as error:
        raise LedgerCorrupt(f"ledger {path} is not a usable SQLite database: {error}") from None
    return connection


def _check_or_create(connection: sqlite3.Connection, path: Path) -> None:
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        if version == 0 and not tables:
            connection.executescript(
                f"BEGIN; {SCHEMA} PRAGMA user_version={SCHEMA_VERSION}; COMMIT;"
            )
            return
        check = connection.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise LedgerCorrupt(f"ledger {path} cannot be read: {error}") from None
    if check != "ok":
        raise LedgerCorrupt(f"ledger {path} failed its integrity check: {check}")
    if version != SCHEMA_VERSION or not tables >= TABLES:
        raise LedgerCorrupt(
            f"ledger {path} has schema version {version} and tables {sorted(tables)}; "
            f"expected version {SCHEMA_VERSION} with {sorted(TABLES)} (move the file away "
            "to start counting from scratch)"
        )


class Ledger:
    """The SQLite ledger; one writer (the activity poller), any number of readers of `view`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.parent != Path():
            path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = _connect(path)
        self._lock = threading.Lock()
        try:
            _check_or_create(self._connection, path)
            self._view = self._read_view(version=1)
        except BaseException:
            self._connection.close()
            raise

    @property
    def view(self) -> LedgerView:
        """The committed state; replaced as a whole by every commit."""
        return self._view

    def _read_view(self, version: int) -> LedgerView:
        try:
            rows = self._connection.execute(
                "SELECT org_id, workspace_id, total, failed FROM executions"
            ).fetchall()
            marks = self._connection.execute("SELECT org_id, micros FROM high_water").fetchall()
        except sqlite3.DatabaseError as error:
            raise LedgerCorrupt(f"ledger {self.path} cannot be read: {error}") from None
        counts = {(org, ws): (int(total), int(failed)) for org, ws, total, failed in rows}
        return LedgerView(
            MappingProxyType(counts),
            MappingProxyType({org: int(micros) for org, micros in marks}),
            version,
        )

    def commit(
        self,
        org_id: str,
        records: Sequence[ExecutionRecord],
        high_water: int,
        prune_before: int,
    ) -> CommitResult:
        """Count unseen records, move the high-water mark, forget old ids: all atomically."""
        with self._lock:
            try:
                result, added = self._write(org_id, records, high_water, prune_before)
            except sqlite3.Error as error:
                raise LedgerError(f"ledger {self.path} cannot be written: {error}") from None
            self._view = _apply(self._view, org_id, added, high_water)
            return result

    def _write(
        self, org_id: str, records: Sequence[ExecutionRecord], high_water: int, prune_before: int
    ) -> tuple[CommitResult, Counter[tuple[str, bool]]]:
        connection = self._connection
        added: Counter[tuple[str, bool]] = Counter()
        connection.execute("BEGIN IMMEDIATE")
        try:
            for record in records:
                cursor = connection.execute(
                    "INSERT OR IGNORE INTO seen (org_id, record_id, micros) VALUES (?, ?, ?)",
                    (org_id, record.record_id, record.micros),
                )
                if cursor.rowcount == 1:
                    added[(record.workspace_id, record.failed)] += 1
            _add_counts(connection, org_id, added)
            connection.execute(
                "INSERT INTO high_water (org_id, micros) VALUES (?, ?) ON CONFLICT (org_id) "
                "DO UPDATE SET micros = max(micros, excluded.micros)",
                (org_id, high_water),
            )
            pruned = connection.execute(
                "DELETE FROM seen WHERE org_id = ? AND micros < ?", (org_id, prune_before)
            ).rowcount
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        counted = sum(added.values())
        return CommitResult(counted, len(records) - counted, pruned), added

    def close(self) -> None:
        """Close the database (every commit is already durable)."""
        with self._lock:
            self._connection.close()


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


def _apply(
    view: LedgerView, org_id: str, added: Counter[tuple[str, bool]], high_water: int
) -> LedgerView:
    """The view after a commit, without reading the database again."""
    counts = dict(view.counts)
    for (workspace, failed), number in added.items():
        total, failures = counts.get((org_id, workspace), (0, 0))
        counts[(org_id, workspace)] = (total + number, failures + (number if failed else 0))
    marks = dict(view.high_water)
    marks[org_id] = max(marks.get(org_id, high_water), high_water)
    return LedgerView(MappingProxyType(counts), MappingProxyType(marks), view.version + 1)
