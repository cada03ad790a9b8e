"""The backfill's progress in the ledger: how far back the history is written, and its counts.

Per org, `history_progress.through` (µs) is the oldest time whose samples are in the store, and
`history` holds, per workspace, the executions in [through, start): the suffix from which the
next, older window's values continue. Both move in one transaction after a window's blocks are
in place, so a backfill stopped at any moment resumes from the last window it committed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

Counts = Mapping[str, tuple[int, int]]


def read_progress(connection: sqlite3.Connection) -> dict[str, int]:
    """Per org, the oldest time (µs) the backfill has written."""
    rows = connection.execute("SELECT org_id, through FROM history_progress")
    return {org: int(through) for org, through in rows}


def record_progress(
    connection: sqlite3.Connection, org_id: str, through: int, counts: Counts
) -> None:
    """The org's history is written back to `through`; `counts` are the executions since."""
    for workspace, (total, failed) in sorted(counts.items()):
        connection.execute(
            "INSERT INTO history (org_id, workspace_id, total, failed) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (org_id, workspace_id) DO UPDATE SET "
            "total = excluded.total, failed = excluded.failed",
            (org_id, workspace, total, failed),
        )
    connection.execute(
        "INSERT INTO history_progress (org_id, through) VALUES (?, ?) "
        "ON CONFLICT (org_id) DO UPDATE SET through = min(through, excluded.through)",
        (org_id, through),
    )
