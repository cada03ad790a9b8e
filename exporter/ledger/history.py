"""The backfill's progress in the ledger: how far back the history is written, and its counts.

Per org, `history_progress.through` (µs) is the oldest time whose samples are in the store, and
`history` holds, per workspace, the executions in [through, start): the suffix from which the
next, older window's values continue; `history_details` holds the same suffix of every detail
series (keys as in `exporter.ledger.details`, capped values as admitted). Counts and progress
move in one transaction after a window's samples are in place, so a backfill stopped at any
moment resumes from the last window it committed. The capped values a window carries are
admitted (`label_admissions`, shared with the live exporter) in a transaction of their own
before its samples are written, so a value never maps two ways.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping

from exporter.ledger.details import SEP, Admissions

Counts = Mapping[str, tuple[int, int]]
DetailKey = tuple[str, tuple[str, ...]]  # (workspace, detail series)
Admission = tuple[str, str, str]  # (workspace, label, value)

SCHEMA = """
CREATE TABLE IF NOT EXISTS history_details (
    org_id TEXT NOT NULL, workspace_id TEXT NOT NULL, series TEXT NOT NULL,
    value INTEGER NOT NULL CHECK (value >= 0),
    PRIMARY KEY (org_id, workspace_id, series)
) WITHOUT ROWID;
"""
TABLES = frozenset({"history_details"})


def read_progress(connection: sqlite3.Connection) -> dict[str, int]:
    """Per org, the oldest time (µs) the backfill has written."""
    rows = connection.execute("SELECT org_id, through FROM history_progress")
    return {org: int(through) for org, through in rows}


def read_details(connection: sqlite3.Connection, org_id: str) -> dict[DetailKey, int]:
    """The org's detail series counted from its backfill's `through` to its start."""
    rows = connection.execute(
        "SELECT workspace_id, series, value FROM history_details WHERE org_id = ?", (org_id,)
    )
    return {(ws, tuple(series.split(SEP))): int(value) for ws, series, value in rows}


def admit(
    connection: sqlite3.Connection,
    org_id: str,
    requested: Iterable[Admission],
    caps: Mapping[str, int],
) -> dict[Admission, str]:
    """Each requested value as its series carries it, admitted in order while there is room."""
    admissions = Admissions(connection, org_id, caps)
    return {
        (ws, label, value): admissions.admit(ws, label, value) for ws, label, value in requested
    }


def record_progress(
    connection: sqlite3.Connection,
    org_id: str,
    through: int,
    counts: Counts,
    details: Mapping[DetailKey, int],
) -> None:
    """The org's history is written back to `through`; `counts` and `details` are the
    executions since."""
    for workspace, (total, failed) in sorted(counts.items()):
        connection.execute(
            "INSERT INTO history (org_id, workspace_id, total, failed) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (org_id, workspace_id) DO UPDATE SET "
            "total = excluded.total, failed = excluded.failed",
            (org_id, workspace, total, failed),
        )
    connection.executemany(
        "INSERT INTO history_details VALUES (?, ?, ?, ?) "
        "ON CONFLICT (org_id, workspace_id, series) DO UPDATE SET value = excluded.value",
        [(org_id, ws, SEP.join(series), value) for (ws, series), value in details.items()],
    )
    connection.execute(
        "INSERT INTO history_progress (org_id, through) VALUES (?, ?) "
        "ON CONFLICT (org_id) DO UPDATE SET through = min(through, excluded.through)",
        (org_id, through),
    )
