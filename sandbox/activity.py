"""Writing activity records: ids that only grow, timestamps on the platform's clock.

Every insert takes one process-wide lock and stamps records inside it. A record written on time
carries the insertion time, so among those commit order equals (timestamp, id) order and a page
boundary never has an on-time record committed behind it later. A record written late carries a
timestamp before its insertion (`written_us`) on purpose: a reader that already paged past that
timestamp misses it, as on the real platform, but keyset paging by (timestamp, seq) never serves
it twice and its cursor stays valid.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

INSERT_ACTIVITY = (
    "INSERT INTO activity (seq, id, ts_us, written_us, timestamp, org_id, workspace_id, "
    "app_id, execution_id, success, status_code, duration_ms, augmentation_id, error_code, "
    "token_usage) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class ActivityEvent(NamedTuple):
    """One activity record before it is stamped; `execution_id` None is a plain API call;
    `late_us` is how long before its writing the record happened (0: written on time); the
    pipeline, error code and tokens by kind are None when the record has none."""

    org_id: str
    workspace_id: str
    app_id: str | None
    execution_id: str | None
    success: bool
    status_code: int
    duration_ms: int
    late_us: int = 0
    augmentation_id: str | None = None
    error_code: str | None = None
    token_usage: str | None = None  # a JSON object of tokens by kind


def activity_id(seq: int) -> str:
    """The record id; zero-padded so ids sort like their sequence numbers."""
    return f"evt-{seq:012d}"


@lru_cache(maxsize=4096)
def _hour_prefix(hour: int) -> str:
    return datetime.fromtimestamp(hour * 3600, UTC).strftime("%Y-%m-%dT%H:")


def record_timestamp(ts_us: int, *, zulu: bool) -> str:
    """`ts_us` as `timefmt.item_timestamp` writes it, fast enough for a seeded history."""
    seconds, micros = divmod(ts_us, 1_000_000)
    hour, rest = divmod(seconds, 3600)
    minute, second = divmod(rest, 60)
    text = f"{_hour_prefix(hour)}{minute:02d}:{second:02d}.{micros:06d}"
    return text + "Z" if zulu else text


def activity_row(seq: int, ts_us: int, written_us: int, event: ActivityEvent) -> tuple[Any, ...]:
    """The row `INSERT_ACTIVITY` takes for `event` stamped `ts_us` and written at `written_us`."""
    # The real platform writes some timestamps with Z and some without a zone.
    stamp = record_timestamp(ts_us, zulu=seq % 2 == 0)
    return (
        seq,
        activity_id(seq),
        ts_us,
        written_us,
        stamp,
        event.org_id,
        event.workspace_id,
        event.app_id,
        event.execution_id,
        int(event.success),
        event.status_code,
        event.duration_ms,
        event.augmentation_id,
        event.error_code,
        event.token_usage,
    )


class ActivityWriter:
    """Stamps and inserts activity records for every thread of the process."""

    def __init__(
        self, connection: sqlite3.Connection, clock: Callable[[], int] = time.time_ns
    ) -> None:
        row = connection.execute(
            "SELECT max(seq) AS seq, max(written_us) AS written FROM activity"
        ).fetchone()
        self._clock = clock
        self._lock = threading.Lock()
        self._last_seq = int(row["seq"] or 0)
        self._last_us = int(row["written"] or 0)

    def write(self, connection: sqlite3.Connection, events: list[ActivityEvent]) -> list[str]:
        """Insert `events` written now (each stamped `late_us` before now); returns their ids."""
        with self._lock:
            now_us = max(self._clock() // 1000, self._last_us)
            rows = [
                activity_row(self._last_seq + offset, now_us - event.late_us, now_us, event)
                for offset, event in enumerate(events, start=1)
            ]
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.executemany(INSERT_ACTIVITY, rows)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            self._last_seq += len(rows)
            self._last_us = now_us
            return [row[1] for row in rows]
