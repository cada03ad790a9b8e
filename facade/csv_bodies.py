"""CSV forms of the execution series and the org rollup (RFC 4180: CRLF, a header row).

Every operation answering a body of `CSV_FORMS` offers this form. A series is one row per
bucket, `timestamp,value`, oldest first. The rollup is one row per workspace after a first
row of the org's sums (its `workspace_id` empty), with the JSON's resource counts and
execution metrics as columns. The numbers are those of the JSON body.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pydantic import BaseModel

from facade.bodies import ExecutionMetrics, OrgAnalytics, ResourceCounts, TimeSeries

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


CsvRows = Callable[[Any], Rows]
# The bodies with a CSV form: every operation answering one of them offers `text/csv` too.
CSV_FORMS: dict[type[BaseModel], CsvRows] = {TimeSeries: series_rows, OrgAnalytics: rollup_rows}


def csv_text(rows: Rows) -> str:
    """`rows` as RFC 4180 text: CRLF line ends, fields quoted when they need it."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()
