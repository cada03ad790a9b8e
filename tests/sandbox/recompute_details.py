"""Execution details recomputed from the served activity list alone, without the sandbox's code."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from prometheus_client.utils import floatToGoString

from tests.sandbox.platform_walk import org_path, walk
from tests.support.sandbox import SandboxServer
from vocabulary.details import DURATION_BUCKETS, STATUS_CODE_PREFIX

Record = dict[str, Any]
PERCENTS = {"p50": 50, "p90": 90, "p95": 95, "p99": 99}


def served_activity(sandbox: SandboxServer) -> list[Record]:
    """Every activity record of every org, walked page by page."""
    return [
        record
        for org in sandbox.org_ids()
        for record in walk(sandbox, org_path(org, "activity"), "activities")
    ]


def record_time(record: Record) -> datetime:
    """The record's timestamp (written with `Z` or without a zone: UTC either way)."""
    return datetime.fromisoformat(record["timestamp"].removesuffix("Z")).replace(tzinfo=UTC)


def bucket_label(record: Record, resolution: str, tz: str) -> str:
    """The record's UTC hour (`2026-10-04T13`) or its calendar date in `tz` (`2026-10-04`)."""
    moment = record_time(record)
    if resolution == "hour":
        return moment.strftime("%Y-%m-%dT%H")
    return moment.astimezone(ZoneInfo(tz)).date().isoformat()


def _quantile(durations: list[int], percent: int) -> int | None:
    if not durations:
        return None
    rank = math.ceil(Fraction(percent, 100) * len(durations))
    return sorted(durations)[rank - 1]


def summarize(executions: list[Record]) -> dict[str, Any]:
    """A `/_sandbox/truth/details` summary (without `late`) of these execution records."""
    durations = [record["duration_ms"] for record in executions]
    bounds = [*DURATION_BUCKETS, math.inf]
    tokens: Counter[str] = Counter()
    apps: dict[str, Counter[str]] = defaultdict(Counter)
    pipelines: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    codes: Counter[str] = Counter()
    for record in executions:
        failed = int(not record["success"])
        for kind, count in (record["token_usage"] or {}).items():
            tokens[kind] += count
        if record["app_id"] is not None:
            apps[record["app_id"]].update(total=1, failed=failed)
            if record["augmentation_id"] is not None:
                key = (record["app_id"], record["augmentation_id"])
                pipelines[key].update(total=1, failed=failed)
        if failed:
            code = record["error_code"] or f"{STATUS_CODE_PREFIX}{record['status_code']}"
            codes[code] += 1
    return {
        "count": len(executions),
        "sum_ms": sum(durations),
        **{name: _quantile(durations, percent) for name, percent in PERCENTS.items()},
        "le": {
            floatToGoString(bound): sum(1 for ms in durations if ms / 1000 <= bound)
            for bound in bounds
        },
        "tokens": dict(tokens),
        "apps": {app: {"total": c["total"], "failed": c["failed"]} for app, c in apps.items()},
        "pipelines": [
            {"app_id": app, "augmentation_id": aug, "total": c["total"], "failed": c["failed"]}
            for (app, aug), c in sorted(pipelines.items())
        ],
        "error_codes": dict(codes),
    }


def recount_details(
    records: list[Record], resolution: str, tz: str
) -> tuple[dict[str, Any], dict[tuple[str, str], Any]]:
    """Per workspace the summary of all its executions, and per (workspace, bucket label) the
    summary of each non-empty bucket."""
    by_workspace: dict[str, list[Record]] = defaultdict(list)
    by_bucket: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for record in records:
        if record["execution_id"] is not None:
            by_workspace[record["workspace_id"]].append(record)
            by_bucket[(record["workspace_id"], bucket_label(record, resolution, tz))].append(record)
    return (
        {ws: summarize(own) for ws, own in by_workspace.items()},
        {key: summarize(own) for key, own in by_bucket.items()},
    )


def served_details(
    body: dict[str, Any], resolution: str
) -> tuple[dict[str, Any], dict[tuple[str, str], Any]]:
    """The same two maps read from a `/_sandbox/truth/details` body (workspaces without
    executions left out, `late` and the bucket edges dropped)."""
    width = 13 if resolution == "hour" else 10
    edges = ("start", "start_utc", "end_utc", "late")
    overall, buckets = {}, {}
    for ws, entry in body["workspaces"].items():
        if entry["count"]:
            overall[ws] = {k: v for k, v in entry.items() if k not in {"org_id", "buckets", "late"}}
        for bucket in entry["buckets"]:
            start = bucket["start_utc"] if resolution == "hour" else bucket["start"]
            buckets[(ws, start[:width])] = {k: v for k, v in bucket.items() if k not in edges}
    return overall, buckets
