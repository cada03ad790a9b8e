"""Execution details by the platform's clock: latency, tokens, apps, pipelines and error codes.

`GET /_sandbox/truth/details` takes the query of `/_sandbox/truth/executions` (`resolution`,
`tz`, `start`, `end`, `late_after`; see `sandbox.execution_truth`) and sums up, for every
workspace that has not vanished, its executions (records with an `execution_id`) of all time and
those of each bucket [start, next start) by their `timestamp`; buckets are listed only where they
hold an execution. A summary holds:

- `count`, `sum_ms`: executions and the sum of their `duration_ms`;
- `p50`, `p90`, `p95`, `p99`: exact nearest-rank quantiles of `duration_ms` (the ceil(q·n)-th
  smallest), null when `count` is 0;
- `le`: per bound of `vocabulary.details.DURATION_BUCKETS` (written as
  `prometheus_client.utils.floatToGoString` writes it, and `+Inf`) the executions whose
  `duration_ms / 1000` is at most the bound, cumulative like Prometheus' `le`;
- `tokens`: the sum of `token_usage[kind]` per kind;
- `apps`: per `app_id` (records with one) the executions and the failed ones;
- `pipelines`: the same per (`app_id`, `augmentation_id`) of records with both, sorted by both;
- `error_codes`: failed executions per `error_code`, or `status_<status_code>` without one; raw,
  with no cap (capping is the exporter's);
- `late`: executions written more than `late_after` seconds after their timestamp.

Everything is read in one transaction:

    {"resolution": "hour", "tz": "UTC", "start": "2026-10-27T11:00:00+00:00",
     "end": "2026-10-27T12:00:00+00:00", "late_after": 0.0,
     "generated_at": "2026-12-01T10:00:00.000000Z",
     "workspaces": {"<ws>": {"org_id": "<org>", "count": 3, "sum_ms": 5210, "p50": 410,
        "p90": 4500, "p95": 4500, "p99": 4500,
        "le": {"0.025": 0, "0.05": 0, "0.1": 0, "0.25": 0, "0.5": 2, …, "1800.0": 3, "+Inf": 3},
        "tokens": {"completion": 900, "prompt": 5100},
        "apps": {"<app>": {"total": 3, "failed": 1}},
        "pipelines": [{"app_id": "<app>", "augmentation_id": "<aug>", "total": 2, "failed": 1}],
        "error_codes": {"MODEL_TIMEOUT": 1}, "late": 0,
        "buckets": [{"start": "2026-10-27T11:00:00+00:00", "start_utc": "2026-10-27T11:00:00Z",
                     "end_utc": "2026-10-27T12:00:00Z", "count": 3, …}]}}}
"""

from __future__ import annotations

import json
import sqlite3
from bisect import bisect_right
from collections import Counter
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from prometheus_client.utils import floatToGoString
from pydantic import BaseModel

from sandbox.buckets import Resolution, bucket_edges
from sandbox.execution_truth import ExecutionTruthQuery, bucket_times, span_times, truth_range
from sandbox.timefmt import now_iso
from vocabulary.details import DURATION_BUCKETS, STATUS_CODE_PREFIX

Key = TypeVar("Key", str, int)
QUANTILES = {"p50": 50, "p90": 90, "p95": 95, "p99": 99}  # name → q in percent
LE_BOUNDS = tuple((floatToGoString(bound), bound) for bound in (*DURATION_BUCKETS, float("inf")))
DETAIL_ROWS = (
    "SELECT workspace_id, ts_us, success, status_code, duration_ms, app_id, augmentation_id, "
    "error_code, token_usage, written_us - ts_us > ? FROM activity WHERE execution_id IS NOT NULL"
)


class AppCounts(BaseModel):
    """Executions of one app and the failed ones."""

    total: int
    failed: int


class PipelineCounts(AppCounts):
    """Executions of one pipeline of an app and the failed ones."""

    app_id: str
    augmentation_id: str


class DetailSummary(BaseModel):
    """What a set of executions adds up to (see the module docstring)."""

    count: int
    sum_ms: int
    p50: int | None
    p90: int | None
    p95: int | None
    p99: int | None
    le: dict[str, int]
    tokens: dict[str, int]
    apps: dict[str, AppCounts]
    pipelines: list[PipelineCounts]
    error_codes: dict[str, int]
    late: int


class DetailBucket(DetailSummary):
    """One bucket's summary: `start` in the zone asked for, `start_utc`/`end_utc` in UTC."""

    start: str
    start_utc: str
    end_utc: str


class WorkspaceDetails(DetailSummary):
    """One workspace's summary of all time and its non-empty buckets."""

    org_id: str
    buckets: list[DetailBucket]


class DetailTruth(BaseModel):
    """The body of `/_sandbox/truth/details`."""

    resolution: Resolution
    tz: str
    start: str | None
    end: str | None
    late_after: float
    generated_at: str
    workspaces: dict[str, WorkspaceDetails]


def nearest_rank(ordered: list[int], percent: int) -> int | None:
    """The ceil(percent/100 · n)-th smallest of `ordered` (integer arithmetic: exact)."""
    if not ordered:
        return None
    return ordered[-(-percent * len(ordered) // 100) - 1]


class DetailTally:
    """Executions added one record at a time, summed up by `summary()`."""

    def __init__(self) -> None:
        self.durations: list[int] = []
        self.tokens: Counter[str] = Counter()
        self.apps: dict[str, list[int]] = {}
        self.pipelines: dict[tuple[str, str], list[int]] = {}
        self.error_codes: Counter[str] = Counter()
        self.late = 0

    def add(self, row: tuple[Any, ...], usage: dict[str, int] | None) -> None:
        """Count one `DETAIL_ROWS` row whose `token_usage` reads `usage`."""
        _, _, success, status, duration, app_id, augmentation_id, code, _, late = row
        failed = 1 - success
        self.durations.append(duration)
        self.late += late
        if usage is not None:
            self.tokens.update(usage)
        if app_id is not None:
            counts = self.apps.setdefault(app_id, [0, 0])
            counts[0], counts[1] = counts[0] + 1, counts[1] + failed
            if augmentation_id is not None:
                counts = self.pipelines.setdefault((app_id, augmentation_id), [0, 0])
                counts[0], counts[1] = counts[0] + 1, counts[1] + failed
        if failed:
            self.error_codes[code if code is not None else f"{STATUS_CODE_PREFIX}{status}"] += 1

    def summary(self) -> dict[str, Any]:
        """The fields of `DetailSummary`."""
        ordered = sorted(self.durations)
        seconds = [duration / 1000 for duration in ordered]  # as the exporter observes them
        return {
            "count": len(ordered),
            "sum_ms": sum(ordered),
            **{name: nearest_rank(ordered, percent) for name, percent in QUANTILES.items()},
            "le": {label: bisect_right(seconds, bound) for label, bound in LE_BOUNDS},
            "tokens": dict(sorted(self.tokens.items())),
            "apps": {
                app_id: AppCounts(total=total, failed=failed)
                for app_id, (total, failed) in sorted(self.apps.items())
            },
            "pipelines": [
                PipelineCounts(app_id=app, augmentation_id=aug, total=total, failed=failed)
                for (app, aug), (total, failed) in sorted(self.pipelines.items())
            ],
            "error_codes": dict(sorted(self.error_codes.items())),
            "late": self.late,
        }


def _tallies(
    connection: sqlite3.Connection, edges: list[int], late_us: int
) -> tuple[dict[str, DetailTally], dict[str, dict[int, DetailTally]]]:
    """Per workspace, the tally of all time and the tally of each bucket index."""
    overall: dict[str, DetailTally] = {}
    buckets: dict[str, dict[int, DetailTally]] = {}
    low, high = (edges[0], edges[-1]) if edges else (0, 0)
    for row in connection.execute(DETAIL_ROWS, (late_us,)):
        workspace_id, ts_us = row[0], row[1]
        usage = None if row[8] is None else json.loads(row[8])
        _tally_of(overall, workspace_id).add(row, usage)
        if low <= ts_us < high:
            own = buckets.setdefault(workspace_id, {})
            _tally_of(own, bisect_right(edges, ts_us) - 1).add(row, usage)
    return overall, buckets


def _tally_of(tallies: dict[Key, DetailTally], key: Key) -> DetailTally:
    tally = tallies.get(key)
    if tally is None:
        tally = tallies[key] = DetailTally()
    return tally


def read_detail_truth(connection: sqlite3.Connection, query: ExecutionTruthQuery) -> DetailTruth:
    """Every workspace's execution details, of all time and per bucket, in one transaction."""
    zone, late_us = ZoneInfo(query.tz), round(query.late_after * 1_000_000)
    connection.execute("BEGIN")
    try:
        generated_at = now_iso()
        edges = bucket_edges(query.resolution, zone, *truth_range(connection, query))
        orgs = connection.execute(
            "SELECT workspace_id, org_id FROM workspaces WHERE deleted = 0 ORDER BY seq"
        ).fetchall()
        overall, buckets = _tallies(connection, edges, late_us)
    finally:
        connection.execute("COMMIT")
    workspaces = {}
    for workspace_id, org_id in orgs:
        own = buckets.get(workspace_id, {})
        workspaces[workspace_id] = WorkspaceDetails(
            org_id=org_id,
            **overall.get(workspace_id, DetailTally()).summary(),
            buckets=[
                DetailBucket(**bucket_times(edges, index, zone), **own[index].summary())
                for index in sorted(own)
            ],
        )
    return DetailTruth(
        resolution=query.resolution,
        tz=query.tz,
        **span_times(edges, zone),
        late_after=query.late_after,
        generated_at=generated_at,
        workspaces=workspaces,
    )
