"""Execution details two ways: the sandbox's truth (`/_sandbox/truth/details`) and the detail
counters in Prometheus read at the bucket boundaries.

Every detail counter series (tokens per kind, executions per app and per pipeline, failures per
error code, the latency histogram's `_count` and every `le` bucket) is compared per hourly bucket
(UTC) and per daily bucket in each zone, and in total; a failing check names each bucket that
differs with the numbers on both sides.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests

from tests.hardening.event_time_buckets import DAYS, HOURS, ZONES, epoch
from tests.hardening.event_time_stack import QUARTER_HOUR
from tests.support.prometheus import PrometheusServer
from tests.support.sandbox import SandboxServer
from vocabulary import details as cat

SeriesKey = tuple[str, frozenset[tuple[str, str]]]  # sample name, labels
HISTOGRAM = cat.EXECUTION_DURATION.name
SAMPLES = {
    **{f.sample_name: f.labels for f in cat.DETAIL_FAMILIES if f.kind == "counter"},
    HISTOGRAM + "_bucket": (*cat.EXECUTION_DURATION.labels, "le"),
    HISTOGRAM + "_count": cat.EXECUTION_DURATION.labels,
}
del SAMPLES[cat.LABEL_OVERFLOW.sample_name]  # per org; the cap test reads it


def detail_truth(sandbox: SandboxServer, zone: str | None) -> dict[str, Any]:
    """The sandbox's details per workspace: hours (`zone` None) or the days of `zone`."""
    params = {"resolution": "hour" if zone is None else "day", "tz": zone or "UTC"}
    response = requests.get(f"{sandbox.url}/_sandbox/truth/details", params=params, timeout=60)
    assert response.status_code == 200, response.text
    return dict(response.json()["workspaces"])


def summary_series(summary: dict[str, Any]) -> Iterator[tuple[str, dict[str, str], int]]:
    """(sample name, labels besides org and workspace, count) of one truth summary."""
    yield HISTOGRAM + "_count", {}, summary["count"]
    for le, count in summary["le"].items():
        yield HISTOGRAM + "_bucket", {"le": le}, count
    for kind, count in summary["tokens"].items():
        yield cat.TOKENS.sample_name, {"kind": kind}, count
    for app, counts in summary["apps"].items():
        yield cat.APP_EXECUTIONS.sample_name, {"app_id": app}, counts["total"]
        yield cat.APP_EXECUTIONS_FAILED.sample_name, {"app_id": app}, counts["failed"]
    for pipeline in summary["pipelines"]:
        labels = {"app_id": pipeline["app_id"], "augmentation_id": pipeline["augmentation_id"]}
        yield cat.PIPELINE_EXECUTIONS.sample_name, labels, pipeline["total"]
        yield cat.PIPELINE_EXECUTIONS_FAILED.sample_name, labels, pipeline["failed"]
    for code, count in summary["error_codes"].items():
        yield cat.FAILURES_BY_CODE.sample_name, {"error_code": code}, count


def keyed(org_id: str, workspace_id: str, summary: dict[str, Any]) -> dict[SeriesKey, int]:
    """A truth summary as counts per detail series."""
    base = {"org_id": org_id, "workspace_id": workspace_id}
    return {
        (name, frozenset((base | labels).items())): count
        for name, labels, count in summary_series(summary)
    }


def distinct_values(summary: dict[str, Any]) -> dict[str, int]:
    """How many distinct values of each capped label a truth summary holds."""
    return {
        "app_id": len(summary["apps"]),
        "augmentation_id": len({p["augmentation_id"] for p in summary["pipelines"]}),
        "error_code": len(summary["error_codes"]),
        "kind": len(summary["tokens"]),
    }


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
                pairs = [(float(t), float(v)) for t, v in item["values"]]
                key = (name, frozenset(item["metric"].items()))
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
    """(start, end) of the last `HOURS` UTC hours (`zone` None) or `DAYS` days of `zone`, as
    the façade's series list them; the last one ends now."""
    if zone is None:
        start = now - now % 3600 - (HOURS - 1) * 3600
        starts = [start + 3600 * index for index in range(HOURS)]
    else:
        today = datetime.fromtimestamp(now, ZoneInfo(zone)).date()
        days = [today - timedelta(days=DAYS - 1 - index) for index in range(DAYS)]
        starts = [datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(zone)).timestamp() for d in days]
    return list(zip(starts, [*starts[1:], now], strict=True))


def _mismatches(
    label: str, served: DetailsAtBoundaries, spans: list[tuple[float, float]], truth: dict
) -> list[str]:
    """The buckets of `spans` where a series' increase is not the truth's (start → counts)."""
    keys = set(served.at_now) | {key for counts in truth.values() for key in counts}
    wrong = []
    for key in sorted(keys, key=repr):
        for start, end in spans:
            expected = truth.get(start, {}).get(key, 0)
            value = served.value(key, end) - served.value(key, start)
            if value != expected:
                when = datetime.fromtimestamp(start, UTC).isoformat()
                wrong.append(f"{label} {when} {key}: Prometheus {value:g}, truth {expected}")
    return wrong


def detail_mismatches(sandbox: SandboxServer, prometheus: PrometheusServer) -> list[str]:
    """Every total and every bucket (hourly, and daily in each zone) of every detail series
    that differs from the truth; to be called once the exporter has settled past the last
    execution."""
    now = time.time()
    served = DetailsAtBoundaries(prometheus, now)
    wrong = []
    for zone in (None, *ZONES):
        truth: dict[float, dict[SeriesKey, int]] = {}
        totals: dict[SeriesKey, int] = {}
        for ws, entry in detail_truth(sandbox, zone).items():
            totals |= keyed(entry["org_id"], ws, entry)
            for bucket in entry["buckets"]:
                counts = truth.setdefault(epoch(bucket["start_utc"].replace("Z", "+00:00")), {})
                counts |= keyed(entry["org_id"], ws, bucket)
        label = zone or "hourly"
        wrong += _mismatches(label, served, bucket_spans(now, zone), truth)
        for key in sorted(totals.keys() | served.at_now.keys(), key=repr):
            if served.value(key, now) != totals.get(key, 0):
                wrong.append(f"{label} total {key}: {served.value(key, now):g}, {totals.get(key)}")
    return wrong
