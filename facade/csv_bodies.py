"""CSV forms of the series and the org rollup (RFC 4180: CRLF, a header row).

Every operation answering a body of `CSV_FORMS` offers this form. A series is one row per
bucket, oldest first: `timestamp,value` for executions, the JSON bucket's fields for latency,
tokens (a column per kind) and an app's executions. The rollup is one row per workspace after
a first row of the org's sums (its `workspace_id` empty), with the JSON's resource counts and
execution metrics as columns. The numbers are those of the JSON body.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pydantic import BaseModel

from facade.bodies import ExecutionMetrics, OrgAnalytics, ResourceCounts, TimeSeries
from facade.detail_bodies import AppExecutions, ExecutionLatency, TokenUsage

CSV_TYPE = "text/csv"
Rows = Iterable[Sequence[Any]]


def series_rows(body: TimeSeries) -> Rows:
    """The header, then one row per bucket."""
    yield ("timestamp", "value")
    for bucket in body.data:
        yield (bucket.timestamp, bucket.value)


def _counts(resources: ResourceCounts, executions: ExecutionMetrics) -> list[Any]:
    return [
        *resources.model_dump().values(),
        *(executions.total, executions.success, executions.failed, executions.success_rate),
    ]


def rollup_rows(body: OrgAnalytics) -> Rows:
    """The header, the org's sums (no workspace id), then one row per workspace."""
    yield (
        "org_id",
        "workspace_id",
        *ResourceCounts.model_fields,
        *(f"executions_{name}" for name in ("total", "success", "failed")),
        "success_rate",
        "updated_at",
    )
    yield (body.org_id, "", *_counts(body.resources, body.executions), body.updated_at)
    for item in body.workspaces:
        counts = _counts(item.resources, item.executions)
        yield (body.org_id, item.workspace_id, *counts, item.updated_at)


def latency_rows(body: ExecutionLatency) -> Rows:
    """The header, then one row per bucket: executions and quantiles (empty: none)."""
    yield ("timestamp", "count", "p50", "p90", "p95", "p99")
    for bucket in body.data:
        yield (bucket.timestamp, bucket.count, bucket.p50, bucket.p90, bucket.p95, bucket.p99)


def token_rows(body: TokenUsage) -> Rows:
    """The header (one column per kind, sorted), then one row per day."""
    yield ("timestamp", "total", *body.by_kind)
    for day in body.data:
        yield (day.timestamp, day.total, *(day.by_kind[kind] for kind in body.by_kind))


def app_rows(body: AppExecutions) -> Rows:
    """The header, then one row per day: the app's executions and how many failed."""
    yield ("timestamp", "total", "failed")
    for day in body.data:
        yield (day.timestamp, day.total, day.failed)


CsvRows = Callable[[Any], Rows]
# The bodies with a CSV form: every operation answering one of them offers `text/csv` too.
CSV_FORMS: dict[type[BaseModel], CsvRows] = {
    TimeSeries: series_rows,
    OrgAnalytics: rollup_rows,
    ExecutionLatency: latency_rows,
    TokenUsage: token_rows,
    AppExecutions: app_rows,
}


def csv_text(rows: Rows) -> str:
    """`rows` as RFC 4180 text: CRLF line ends, fields quoted when they need it."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()
