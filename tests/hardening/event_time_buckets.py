"""Buckets three ways: the façade's series, the sandbox's truth by execution time, and the
by-time counters read straight from Prometheus at the bucket boundaries.

Every comparison returns the buckets that differ, as readable lines, so a failing test names
each one with the numbers on both sides.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from flask.testing import FlaskClient

from facade import FacadeConfig, create_app
from facade.credentials import JwtSettings
from facade.tokens import mint_token, permissions_for
from tests.hardening.event_time_stack import QUARTER_HOUR
from tests.support.prometheus import PrometheusServer
from tests.support.sandbox import SandboxServer
from vocabulary import catalogue as cat

ZONES = ("UTC", "America/St_Johns", "Asia/Kathmandu", "Australia/Lord_Howe")
HOURS, DAYS = 168, 90
SECRET = "event-time-suite-secret-0123456789abcdef-0123456789"
Bucket = tuple[float, int]  # start (unix seconds), executions


def epoch(iso: str) -> float:
    """Unix seconds of an ISO-8601 time with an offset or `Z`."""
    return datetime.fromisoformat(iso).timestamp()


class Facade:
    """The façade app on a Prometheus, asked as each org with a token for the whole org."""

    def __init__(self, prometheus_url: str) -> None:
        config = FacadeConfig(
            prometheus_url=prometheus_url, jwt=JwtSettings(("HS256",), secret=SECRET)
        )
        self._client: FlaskClient = create_app(config).test_client()

    def get(self, org_id: str, path: str, **params: Any) -> dict[str, Any]:
        """GET a path as the org; 200 expected."""
        token = mint_token(SECRET, org_id, permissions_for(()), ttl=600)
        answer = self._client.get(
            path, query_string=params, headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200, (path, params, answer.get_data(as_text=True))
        body: dict[str, Any] = answer.get_json()
        return body

    def series(self, org_id: str, workspace_id: str, zone: str | None) -> list[Bucket]:
        """The hourly series (`zone` None) or the daily series of a zone."""
        base = f"/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/executions"
        if zone is None:
            body = self.get(org_id, f"{base}/hourly", hours=HOURS)
        else:
            body = self.get(org_id, f"{base}/daily", days=DAYS, tz=zone)
        return [(epoch(bucket["timestamp"]), bucket["value"]) for bucket in body["data"]]

    def totals(self, org_id: str, workspace_id: str) -> tuple[int, int]:
        """(total, failed) of the workspace summary."""
        body = self.get(org_id, f"/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics")
        return body["executions"]["total"], body["executions"]["failed"]


@dataclass(frozen=True)
class Truth:
    """The sandbox's executions by execution time: per workspace, bucket start → counts."""

    org_of: dict[str, str]
    totals: dict[str, tuple[int, int, int]]  # total, failed, late
    buckets: dict[str, dict[float, tuple[int, int]]]

    @classmethod
    def read(cls, sandbox: SandboxServer, zone: str | None, late_after: float = 0.0) -> Truth:
        """Hours (`zone` None) or the days of `zone`."""
        params: dict[str, str | float] = {
            "resolution": "hour" if zone is None else "day",
            "tz": zone or "UTC",
            "late_after": late_after,
        }
        response = requests.get(
            f"{sandbox.url}/_sandbox/truth/executions", params=params, timeout=60
        )
        assert response.status_code == 200, response.text
        workspaces = response.json()["workspaces"]
        return cls(
            {ws: entry["org_id"] for ws, entry in workspaces.items()},
            {ws: (e["total"], e["failed"], e["late"]) for ws, e in workspaces.items()},
            {
                ws: {epoch(b["start_utc"]): (b["total"], b["failed"]) for b in entry["buckets"]}
                for ws, entry in workspaces.items()
            },
        )

    def pairs(self) -> list[tuple[str, str]]:
        """Every (org, workspace)."""
        return sorted((org, ws) for ws, org in self.org_of.items())


class CounterAtBoundaries:
    """A by-time counter per workspace at every quarter hour of the last `DAYS` + 1 days and
    at one "now": the value of its last sample at or before each (0 before the first)."""

    def __init__(self, prometheus: PrometheusServer, family: cat.Family, now: float) -> None:
        expr = f"max by (workspace_id) (last_over_time({family.sample_name}[15m]))"
        last = now - now % QUARTER_HOUR
        first = last - (DAYS + 1) * 86_400
        data = prometheus.api("query_range", query=expr, start=first, end=last, step=QUARTER_HOUR)
        self.points: dict[str, list[tuple[float, float]]] = {
            item["metric"]["workspace_id"]: [(float(t), float(v)) for t, v in item["values"]]
            for item in data["result"]
        }
        self.now = now
        self.at_now = prometheus.by_label(expr, "workspace_id", now)

    def value(self, workspace_id: str, at: float) -> float:
        """The counter at a quarter-hour boundary, or at `now`."""
        if at >= self.now:
            return self.at_now.get(workspace_id, 0.0)
        assert at % QUARTER_HOUR == 0, at
        found = 0.0
        for point, value in self.points.get(workspace_id, []):
            if point > at:
                break
            found = value
        return found


def bucket_ends(series: list[Bucket], now: float) -> Iterator[tuple[float, float, int]]:
    """(start, end, value) of every bucket; the last one ends now."""
    starts = [start for start, _ in series]
    for index, (start, value) in enumerate(series):
        yield start, starts[index + 1] if index + 1 < len(series) else now, value


def series_mismatches(
    label: str,
    series: list[Bucket],
    expected: dict[float, tuple[int, int]],
    failed: tuple[CounterAtBoundaries, str],
) -> list[str]:
    """Buckets whose total (from the façade) or failed count (from Prometheus) is not the
    truth's; `failed` is the failed counter and the workspace to read it for."""
    counter, workspace_id = failed
    wrong = []
    for start, end, value in bucket_ends(series, counter.now):
        total, failed_count = expected.get(start, (0, 0))
        served_failed = counter.value(workspace_id, end) - counter.value(workspace_id, start)
        if (value, served_failed) != (total, failed_count):
            when = datetime.fromtimestamp(start, UTC).isoformat()
            wrong.append(
                f"{label} bucket {when}: façade total {value}, Prometheus failed "
                f"{served_failed:g}; truth total {total}, failed {failed_count}"
            )
    unseen = set(expected) - {start for start, _ in series}
    wrong += [f"{label}: truth bucket {start} is not in the series" for start in sorted(unseen)]
    return wrong


def all_mismatches(sandbox: SandboxServer, prometheus: PrometheusServer) -> list[str]:
    """Every bucket of every workspace, hourly and daily in every zone, that differs from the
    truth; to be called once the exporter has settled past the last execution."""
    facade = Facade(prometheus.url)
    now = time.time()
    counter = CounterAtBoundaries(prometheus, cat.EXECUTIONS_FAILED_BY_TIME, now)
    wrong: list[str] = []
    for zone in (None, *ZONES):
        truth = Truth.read(sandbox, zone)
        for org_id, workspace_id in truth.pairs():
            series = facade.series(org_id, workspace_id, zone)
            assert len(series) == (HOURS if zone is None else DAYS)
            label = f"{workspace_id} {'hourly' if zone is None else 'daily ' + zone}"
            expected = truth.buckets[workspace_id]
            wrong += series_mismatches(label, series, expected, (counter, workspace_id))
    return wrong


def at_instant(prometheus: PrometheusServer, family: cat.Family, at: float) -> dict[str, float]:
    """Per workspace, the family's last sample at or before `at` (within 15 minutes)."""
    expr = f"max by (workspace_id) (last_over_time({family.sample_name}[15m]))"
    return prometheus.by_label(expr, "workspace_id", at)


def stamps_at(prometheus: PrometheusServer, family: cat.Family, at: float) -> dict[str, float]:
    """Per workspace, the time of the family's last sample at or before `at`."""
    expr = f"max by (workspace_id) (timestamp({family.sample_name}))"
    return prometheus.by_label(expr, "workspace_id", at)
