"""Execution details two ways: recounted from the platform's own activity records (without the
exporter's code) and read from the detail counters in Prometheus at the bucket boundaries.

Every detail counter series (tokens per kind, executions per app and per pipeline, failures per
error code, the latency histogram's `_count` and every `le` bucket) is compared per hourly bucket
(UTC) and per daily bucket in each zone, and in total; a failing check names each bucket that
differs with the numbers on both sides.
"""

from __future__ import annotations

import bisect
import itertools
import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from prometheus_client.utils import floatToGoString

from tests.hardening.event_time_buckets import DAYS, HOURS, ZONES
from tests.hardening.event_time_stack import QUARTER_HOUR
from tests.support.prometheus import PrometheusServer
from tests.support.sandbox import SandboxServer
from vocabulary import details as cat

SeriesKey = tuple[str, frozenset[tuple[str, str]]]  # sample name, labels
HISTOGRAM = cat.EXECUTION_DURATION.name
COUNTERS = tuple(f for f in cat.DETAIL_FAMILIES if f.kind == "counter" and "org_id" in f.labels)
SAMPLES = {
    **{family.sample_name: family.labels for family in COUNTERS if family != cat.LABEL_OVERFLOW},
    HISTOGRAM + "_bucket": (*cat.EXECUTION_DURATION.labels, "le"),
    HISTOGRAM + "_count": cat.EXECUTION_DURATION.labels,
}


def platform_executions(sandbox: SandboxServer) -> list[dict[str, Any]]:
    """Every execution record of every org, as the platform lists them."""
    found = []
    for org_id in sandbox.org_ids():
        cursor = None
        while True:
            params = {"start_time": "1970-01-01T00:00:00Z", "end_time": "2100-01-01T00:00:00Z"}
            params |= {"limit": "200"} | ({"cursor": cursor} if cursor else {})
            response = sandbox.get(f"/v1/orgs/{org_id}/activity", **params)
            assert response.status_code == 200, response.text
            body = response.json()
            found += [dict(item, org_id=org_id) for item in body["activities"]]
            cursor = body["next_cursor"]
            if not body["has_more"]:
                break
    return [item for item in found if item.get("execution_id") is not None]


def _counted(item: dict[str, Any]) -> Iterator[tuple[str, dict[str, str], int]]:
    """(sample name, labels besides org and workspace, amount) an execution adds, recounted from
    the contract (no caps: the runs stay under them)."""
    duration, app, pipeline = (
        item.get("duration_ms"),
        item.get("app_id"),
        item.get("augmentation_id"),
    )
    failed = item["success"] is False
    if duration is not None:
        for bound in (*cat.DURATION_BUCKETS, math.inf):
            if duration / 1000 <= bound:
                yield HISTOGRAM + "_bucket", {"le": floatToGoString(bound)}, 1
        yield HISTOGRAM + "_count", {}, 1
    for kind, count in (item.get("token_usage") or {}).items():
        yield cat.TOKENS.sample_name, {"kind": kind}, count
    if app is not None:
        yield cat.APP_EXECUTIONS.sample_name, {"app_id": app}, 1
        if failed:
            yield cat.APP_EXECUTIONS_FAILED.sample_name, {"app_id": app}, 1
        if pipeline is not None:
            labels = {"app_id": app, "augmentation_id": pipeline}
            yield cat.PIPELINE_EXECUTIONS.sample_name, labels, 1
            if failed:
                yield cat.PIPELINE_EXECUTIONS_FAILED.sample_name, labels, 1
    if failed:
        code = item.get("error_code") or cat.STATUS_CODE_PREFIX + str(item.get("status_code"))
        yield cat.FAILURES_BY_CODE.sample_name, {"error_code": code}, 1


def expected_series(records: list[dict[str, Any]]) -> dict[SeriesKey, list[tuple[float, int]]]:
    """Per detail series, (activity time, amount) of every execution it counts."""
    series: dict[SeriesKey, list[tuple[float, int]]] = {}
    for item in records:
        at = datetime.fromisoformat(item["timestamp"].replace("Z", "+00:00")).timestamp()
        base = {"org_id": item["org_id"], "workspace_id": item["workspace_id"]}
        for name, labels, amount in _counted(item):
            series.setdefault((name, frozenset((base | labels).items())), []).append((at, amount))
    return series


def capped_values(records: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """Per (workspace, capped label), how many distinct values the records carry."""
    values: dict[tuple[str, str], set[str]] = {}
    for item in records:
        for name, labels, _ in _counted(item):
            for label in ("app_id", "augmentation_id", "error_code", "kind"):
                if label in labels and not name.startswith(HISTOGRAM):
                    values.setdefault((item["workspace_id"], label), set()).add(labels[label])
    return {key: len(found) for key, found in values.items()}


class DetailsAtBoundaries:
    """Every detail series at every quarter hour of the last `DAYS` + 1 days and at `now`."""

    def __init__(self, prometheus: PrometheusServer, now: float) -> None:
        last = now - now % QUARTER_HOUR
        first = last - (DAYS + 1) * 86_400
        self.points: dict[SeriesKey, tuple[list[float], list[float]]] = {}
        self.at_now: dict[SeriesKey, float] = {}
        self.now = now
        for name, labels in SAMPLES.items():
            expr = f"max by ({', '.join(labels)}) (last_over_time({name}[15m]))"
            data = prometheus.api(
                "query_range", query=expr, start=first, end=last, step=QUARTER_HOUR
            )
            for item in data["result"]:
                key = (name, frozenset(item["metric"].items()))
                pairs = [(float(t), float(v)) for t, v in item["values"]]
                self.points[key] = ([t for t, _ in pairs], [v for _, v in pairs])
            for item in prometheus.query(expr, now):
                self.at_now[(name, frozenset(item["metric"].items()))] = float(item["value"][1])

    def value(self, key: SeriesKey, at: float) -> float:
        """The series at a quarter-hour boundary, or at `now` (0 before its first sample)."""
        if at >= self.now:
            return self.at_now.get(key, 0.0)
        assert at % QUARTER_HOUR == 0, at
        times, values = self.points.get(key, ([], []))
        index = bisect.bisect_right(times, at)
        return values[index - 1] if index else 0.0


def bucket_spans(now: float, zone: str | None) -> list[tuple[float, float]]:
    """(start, end) of the last `HOURS` UTC hours (`zone` None) or `DAYS` days of `zone`; the
    last one ends now."""
    if zone is None:
        start = now - now % 3600 - (HOURS - 1) * 3600
        starts = [start + 3600 * index for index in range(HOURS)]
    else:
        today = datetime.fromtimestamp(now, ZoneInfo(zone)).date()
        days = [today - timedelta(days=DAYS - 1 - index) for index in range(DAYS)]
        starts = [
            datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).timestamp()
            for day in days
        ]
    return list(zip(starts, [*starts[1:], now], strict=True))


def detail_mismatches(records: list[dict[str, Any]], prometheus: PrometheusServer) -> list[str]:
    """Every bucket and total of every detail series that differs from the recount of the
    platform's `records`; to be called once the exporter has settled past the last one."""
    now = time.time()
    expected = expected_series(records)
    served = DetailsAtBoundaries(prometheus, now)
    wrong = []
    spans = [(zone, span) for zone in (None, *ZONES) for span in bucket_spans(now, zone)]
    for key in sorted(expected.keys() | served.at_now.keys(), key=repr):
        counted = sorted(expected.get(key, []))
        times, running = (
            [at for at, _ in counted],
            [0, *itertools.accumulate(a for _, a in counted)],
        )
        total = served.value(key, now)
        if total != running[-1]:
            wrong.append(f"{key}: total {total:g}, truth {running[-1]}")
        for zone, (start, end) in spans:
            truth = (
                running[bisect.bisect_left(times, end)] - running[bisect.bisect_left(times, start)]
            )
            value = served.value(key, end) - served.value(key, start)
            if value != truth:
                when = datetime.fromtimestamp(start, UTC).isoformat()
                wrong.append(f"{key} {zone or 'hourly'} {when}: {value:g}, truth {truth}")
    return wrong
