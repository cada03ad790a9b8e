"""Executions per bucket recomputed straight from the sandbox's SQLite file, without its code."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

Key = tuple[str, str]  # (workspace, bucket label)


def execution_rows(db_path: Path) -> list[sqlite3.Row]:
    """Every execution record: workspace, timestamp and write time (µs), success."""
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        return connection.execute(
            "SELECT workspace_id, ts_us, written_us, success FROM activity "
            "WHERE execution_id IS NOT NULL"
        ).fetchall()
    finally:
        connection.close()


def bucket_label(ts_us: int, resolution: str, tz: str) -> str:
    """The record's UTC hour (`2026-10-04T13`) or its calendar date in `tz` (`2026-10-04`)."""
    moment = datetime.fromtimestamp(ts_us / 1_000_000, UTC)
    if resolution == "hour":
        return moment.strftime("%Y-%m-%dT%H")
    return moment.astimezone(ZoneInfo(tz)).date().isoformat()


def recount(
    rows: list[sqlite3.Row], resolution: str, tz: str, late_after: float = 0.0
) -> dict[Key, tuple[int, int, int]]:
    """(workspace, bucket label) → (total, failed, late) for every non-empty bucket."""
    totals: Counter[Key] = Counter()
    failed: Counter[Key] = Counter()
    late: Counter[Key] = Counter()
    for row in rows:
        key = (row["workspace_id"], bucket_label(row["ts_us"], resolution, tz))
        totals[key] += 1
        failed[key] += 1 - row["success"]
        late[key] += int(row["written_us"] - row["ts_us"] > late_after * 1_000_000)
    return {key: (totals[key], failed[key], late[key]) for key in totals}


def served_counts(body: dict, resolution: str) -> dict[Key, tuple[int, int, int]]:
    """The same keys read from a `/_sandbox/truth/executions` body (labels from local starts)."""
    width = 13 if resolution == "hour" else 10
    counts = {}
    for ws, entry in body["workspaces"].items():
        for bucket in entry["buckets"]:
            start = bucket["start_utc"] if resolution == "hour" else bucket["start"]
            counts[(ws, start[:width])] = (bucket["total"], bucket["failed"], bucket["late"])
    return counts
