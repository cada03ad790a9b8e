"""Executions by the platform's clock: the exact counts of hourly and daily buckets.

`GET /_sandbox/truth/executions?resolution=hour|day&tz=<IANA zone>&start=<ISO>&end=<ISO>
&late_after=<seconds>` counts, for every workspace that has not vanished, the executions
(records with an `execution_id`) whose `timestamp` falls in each bucket [start, next start):
UTC hours (`resolution=hour`, the default) or calendar days of `tz` (default UTC) as long as the
zone's clock makes them. `start` defaults to the first execution (at most `MAX_SPAN_DAYS` before
`end`), `end` to now; a time without an offset is read in `tz`; both widen to whole buckets.
`late` counts executions written more than `late_after` seconds (default 0) after their
timestamp. Workspace `total`, `failed` and `late` count all time; buckets are listed only where
they hold an execution. Everything is read in one transaction:

    {"resolution": "day", "tz": "Asia/Kathmandu", "start": "2026-11-30T00:00:00+05:45",
     "end": "2026-12-02T00:00:00+05:45", "late_after": 0.0,
     "generated_at": "2026-12-01T10:00:00.000000Z",
     "workspaces": {"<ws>": {"org_id": "<org>", "total": 9, "failed": 1, "late": 0,
        "buckets": [{"start": "2026-11-30T00:00:00+05:45", "start_utc": "2026-11-29T18:15:00Z",
                     "end_utc": "2026-11-30T18:15:00Z", "total": 4, "failed": 1, "late": 0}]}}}
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_right
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Annotated, Self, TypedDict
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sandbox.buckets import Resolution, bucket_edges
from sandbox.timefmt import from_micros, now_iso, to_micros

MAX_SPAN_DAYS = 400


class ExecutionTruthQuery(BaseModel):
    """The query of `/_sandbox/truth/executions`."""

    model_config = ConfigDict(extra="forbid")

    resolution: Resolution = "hour"
    tz: str = "UTC"
    start: datetime | None = None
    end: datetime | None = None
    late_after: Annotated[float, Field(ge=0.0)] = 0.0

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, KeyError, OSError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @model_validator(mode="after")
    def _bounded(self) -> Self:
        start, end = self.instant(self.start), self.instant(self.end)
        if start is not None and end is not None and end - start > timedelta(MAX_SPAN_DAYS):
            raise ValueError(f"start and end are more than {MAX_SPAN_DAYS} days apart")
        return self

    def instant(self, moment: datetime | None) -> datetime | None:
        """`moment` with its offset, read in `tz` when it has none."""
        if moment is None or moment.tzinfo is not None:
            return moment
        return moment.replace(tzinfo=ZoneInfo(self.tz))


class ExecutionBucket(BaseModel):
    """One bucket's executions: `start` in the zone asked for, `start_utc`/`end_utc` in UTC."""

    start: str
    start_utc: str
    end_utc: str
    total: int
    failed: int
    late: int


class WorkspaceExecutions(BaseModel):
    """One workspace's executions of all time and its non-empty buckets."""

    org_id: str
    total: int = 0
    failed: int = 0
    late: int = 0
    buckets: list[ExecutionBucket] = []


class ExecutionTruth(BaseModel):
    """The body of `/_sandbox/truth/executions`."""

    resolution: Resolution
    tz: str
    start: str | None
    end: str | None
    late_after: float
    generated_at: str
    workspaces: dict[str, WorkspaceExecutions]


def utc_text(micros: int) -> str:
    """`micros` as a UTC time to the second, as the truth bodies write bucket edges."""
    return from_micros(micros).strftime("%Y-%m-%dT%H:%M:%SZ")


class BucketTimes(TypedDict):
    """Where a bucket starts (in its zone and in UTC) and ends (in UTC)."""

    start: str
    start_utc: str
    end_utc: str


class SpanTimes(TypedDict):
    """Where the buckets start and end, in their zone."""

    start: str | None
    end: str | None


def bucket_times(edges: list[int], index: int, zone: tzinfo) -> BucketTimes:
    """Bucket `index`'s `start` in the zone and its `start_utc`, `end_utc`."""
    return {
        "start": from_micros(edges[index]).astimezone(zone).isoformat(),
        "start_utc": utc_text(edges[index]),
        "end_utc": utc_text(edges[index + 1]),
    }


def span_times(edges: list[int], zone: tzinfo) -> SpanTimes:
    """The `start` and `end` of all buckets in the zone (None without buckets)."""
    local = [from_micros(edge).astimezone(zone).isoformat() for edge in edges[:1] + edges[-1:]]
    return {"start": local[0] if local else None, "end": local[-1] if local else None}


def truth_range(connection: sqlite3.Connection, query: ExecutionTruthQuery) -> tuple[int, int]:
    """[start, end) in microseconds, with the defaults filled in."""
    end = query.instant(query.end)
    end_us = to_micros(end) if end is not None else to_micros(datetime.now(UTC))
    start = query.instant(query.start)
    if start is not None:
        return to_micros(start), end_us
    first = connection.execute(
        "SELECT min(ts_us) FROM activity WHERE execution_id IS NOT NULL"
    ).fetchone()[0]
    earliest = end_us - MAX_SPAN_DAYS * 86_400_000_000
    return max(earliest, end_us if first is None else int(first)), end_us


def _all_time(connection: sqlite3.Connection, late_us: int) -> dict[str, WorkspaceExecutions]:
    workspaces = {
        row["workspace_id"]: WorkspaceExecutions(org_id=row["org_id"])
        for row in connection.execute(
            "SELECT workspace_id, org_id FROM workspaces WHERE deleted = 0 ORDER BY seq"
        )
    }
    rows = connection.execute(
        "SELECT workspace_id, count(*), count(*) - sum(success), sum(written_us - ts_us > ?) "
        "FROM activity WHERE execution_id IS NOT NULL GROUP BY workspace_id",
        (late_us,),
    )
    for workspace_id, total, failed, late in rows:
        if (workspace := workspaces.get(workspace_id)) is not None:
            workspace.total, workspace.failed, workspace.late = total, failed, late
    return workspaces


def _bucket_counts(
    connection: sqlite3.Connection, edges: list[int], late_us: int
) -> dict[str, dict[int, list[int]]]:
    """Per workspace, bucket index → [total, failed, late]."""
    counts: dict[str, dict[int, list[int]]] = {}
    rows = connection.execute(
        "SELECT workspace_id, ts_us, success, written_us - ts_us > ? FROM activity "
        "WHERE execution_id IS NOT NULL AND ts_us >= ? AND ts_us < ?",
        (late_us, edges[0], edges[-1]),
    )
    for workspace_id, ts_us, success, late in rows:
        entry = counts.setdefault(workspace_id, {}).setdefault(
            bisect_right(edges, ts_us) - 1, [0, 0, 0]
        )
        entry[0] += 1
        entry[1] += 1 - success
        entry[2] += late
    return counts


def read_execution_truth(
    connection: sqlite3.Connection, query: ExecutionTruthQuery
) -> ExecutionTruth:
    """Every workspace's executions per bucket, read in one transaction."""
    zone, late_us = ZoneInfo(query.tz), round(query.late_after * 1_000_000)
    connection.execute("BEGIN")
    try:
        generated_at = now_iso()
        edges = bucket_edges(query.resolution, zone, *truth_range(connection, query))
        workspaces = _all_time(connection, late_us)
        counts = _bucket_counts(connection, edges, late_us) if edges else {}
    finally:
        connection.execute("COMMIT")
    for workspace_id, workspace in workspaces.items():
        workspace.buckets = [
            ExecutionBucket(
                **bucket_times(edges, index, zone),
                total=total,
                failed=failed,
                late=late,
            )
            for index, (total, failed, late) in sorted(counts.get(workspace_id, {}).items())
        ]
    return ExecutionTruth(
        resolution=query.resolution,
        tz=query.tz,
        **span_times(edges, zone),
        late_after=query.late_after,
        generated_at=generated_at,
        workspaces=workspaces,
    )
