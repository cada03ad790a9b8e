"""Writing activity records: ids and timestamps that only grow, so keyset paging stays stable.

Every insert takes one process-wide lock and stamps records inside it, so commit order equals
(timestamp, id) order: a page boundary never has an older record committed behind it later.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass

from sandbox.timefmt import from_micros, item_timestamp


@dataclass(frozen=True)
class ActivityEvent:
    """One activity record before it is stamped; `execution_id` None is a plain API call."""

    org_id: str
    workspace_id: str
    app_id: str | None
    execution_id: str | None
    success: bool
    status_code: int
    duration_ms: int


def activity_id(seq: int) -> str:
    """The record id; zero-padded so ids sort like their sequence numbers."""
    return f"evt-{seq:012d}"


class ActivityWriter:
    """Stamps and inserts activity records for every thread of the process."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        row = connection.execute(
            "SELECT max(seq) AS seq, max(ts_us) AS ts FROM activity"
        ).fetchone()
        self._lock = threading.Lock()
        self._last_seq = int(row["seq"] or 0)
        self._last_us = int(row["ts"] or 0)

    def write(self, connection: sqlite3.Connection, events: list[ActivityEvent]) -> list[str]:
        """Insert `events` stamped with the insertion time; returns their ids."""
        with self._lock:
            now_us = max(time.time_ns() // 1000, self._last_us)
            rows = []
            for offset, event in enumerate(events, start=1):
                seq = self._last_seq + offset
                # The real platform writes some timestamps with Z and some without a zone.
                stamp = item_timestamp(from_micros(now_us), zulu=seq % 2 == 0)
                rows.append(
                    (
                        seq,
                        activity_id(seq),
                        now_us,
                        stamp,
                        event.org_id,
                        event.workspace_id,
                        event.app_id,
                        event.execution_id,
                        int(event.success),
                        event.status_code,
                        event.duration_ms,
                    )
                )
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.executemany(
                    "INSERT INTO activity (seq, id, ts_us, timestamp, org_id, workspace_id, "
                    "app_id, execution_id, success, status_code, duration_ms) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            self._last_seq += len(rows)
            self._last_us = now_us
            return [row[1] for row in rows]
