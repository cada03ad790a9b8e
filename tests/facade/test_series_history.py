"""Hourly and daily execution series over the 93-day history equal the truth, bucket by bucket.

Every workspace is checked: dense and sparse scrapes, two jobs scraping one exporter, a
counter reset on a scrape and one only the minimum reveals, a 10-minute scrape gap over an hour
boundary, hours without any scrape, a workspace born mid-history and one born three days ago,
and one without executions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from facade.promql import MAX_LOOKBACK_SECONDS
from tests.support.facade_http import ApiClient, RecordingPool
from tests.support.history import PROFILES
from tests.support.history_stores import on_every_store
from tests.support.history_truth import HistoryTruth, label
from tests.support.prometheus import PrometheusServer
from tests.support.victoria import VictoriaMetricsServer
from vocabulary.catalogue import EXECUTIONS_BY_TIME

pytestmark = on_every_store

ZONES = ("UTC", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu")


def _path(org_id: str, workspace_id: str, period: str) -> str:
    return f"/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/executions/{period}"


@pytest.mark.parametrize("hours", [1, 24, 168])
def test_hourly_equals_truth_for_every_workspace(
    api: ApiClient, token: Callable[..., str], truth: HistoryTruth, hours: int
) -> None:
    for profile in PROFILES:
        response = api.get(
            _path(profile.org_id, profile.workspace_id, "hourly"),
            token(profile.org_id),
            hours=hours,
        )
        assert response.status_code == 200
        body = response.get_json()
        assert body["metric"] == "executions"
        assert body["period"] == "hourly"
        assert body["data"] == truth.hourly(profile.workspace_id, hours), profile.workspace_id
        assert len(body["data"]) == hours


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("days", [1, 30, 90])
def test_daily_equals_truth_for_every_workspace(
    api: ApiClient, token: Callable[..., str], truth: HistoryTruth, days: int, zone: str
) -> None:
    for profile in PROFILES:
        response = api.get(
            _path(profile.org_id, profile.workspace_id, "daily"),
            token(profile.org_id),
            days=days,
            tz=zone,
        )
        assert response.status_code == 200
        body = response.get_json()
        assert body["period"] == "daily"
        expected = truth.daily(profile.workspace_id, days, ZoneInfo(zone))
        assert body["data"] == expected, (profile.workspace_id, zone)
        assert len(body["data"]) == days


def test_defaults_are_24_hours_and_30_utc_days(
    api: ApiClient, token: Callable[..., str], truth: HistoryTruth
) -> None:
    hourly = api.get(_path("org-alpha", "ws-a01", "hourly"), token("org-alpha")).get_json()
    daily = api.get(_path("org-alpha", "ws-a01", "daily"), token("org-alpha")).get_json()
    assert hourly["data"] == truth.hourly("ws-a01", 24)
    assert daily["data"] == truth.daily("ws-a01", 30, ZoneInfo("UTC"))
    assert all(point["timestamp"].endswith("T00:00:00Z") for point in daily["data"])


def test_new_york_90_days_cross_the_dst_change(
    api: ApiClient, token: Callable[..., str], truth: HistoryTruth
) -> None:
    body = api.get(
        _path("org-beta", "ws-b01", "daily"), token("org-beta"), days=90, tz="America/New_York"
    ).get_json()
    offsets = {point["timestamp"][-6:] for point in body["data"]}
    assert offsets == {"-05:00", "-04:00"}  # EST days, then EDT days
    assert body["data"] == truth.daily("ws-b01", 90, ZoneInfo("America/New_York"))


def test_series_hold_exact_integers_and_the_quiet_workspace_only_zeros(
    api: ApiClient, token: Callable[..., str]
) -> None:
    busy = api.get(_path("org-alpha", "ws-a01", "daily"), token("org-alpha"), days=90).get_json()
    quiet = api.get(_path("org-beta", "ws-b09", "daily"), token("org-beta"), days=90).get_json()
    assert all(type(point["value"]) is int for point in busy["data"])
    assert sum(point["value"] for point in busy["data"]) > 0
    assert [point["value"] for point in quiet["data"]] == [0] * 90


def naive_difference(truth: HistoryTruth, workspace_id: str, start: float, end: float) -> int:
    """What value(end) - value(start) of the raw counter would claim for a bucket."""
    workspace = truth.workspaces[workspace_id]

    def value(at: float) -> int:
        before = [s for s in workspace.scrapes if s <= at]
        return workspace.counter_value(workspace.executions, before[-1]) if before else 0

    return value(end) - value(start)


@pytest.mark.parametrize(
    ("org_id", "workspace_id"), [("org-alpha", "ws-a01"), ("org-beta", "ws-b03")]
)
def test_reset_buckets_are_recounted_from_raw_samples(
    make_app: Callable[..., Flask],
    client_of: Callable[[Flask], ApiClient],
    truth: HistoryTruth,
    history_store: PrometheusServer | VictoriaMetricsServer,
    org_id: str,
    workspace_id: str,
) -> None:
    """ws-a01 resets between two scrapes of one hour; ws-b03 just after an hour boundary."""
    pool = RecordingPool()
    api = client_of(make_app(http=pool, insecure_disable_auth=True))
    body = api.get(_path(org_id, workspace_id, "hourly"), hours=24).get_json()
    assert body["data"] == truth.hourly(workspace_id, 24)
    raw = [q for q in pool.queries if q.startswith(EXECUTIONS_BY_TIME.sample_name)]
    # Only the bucket holding the reset. VictoriaMetrics' `resets()` also compares a window's
    # first sample with the one before it, which the bucket's raw samples (read from its start)
    # lack: a reset just after a boundary is seen again in the next bucket's window.
    late_reset = workspace_id == "ws-b03" and isinstance(history_store, VictoriaMetricsServer)
    assert len(raw) == (2 if late_reset else 1)
    [reset] = truth.workspaces[workspace_id].profile.resets
    start = reset - reset % 3600
    bucket = next(p for p in body["data"] if p["timestamp"] == label(start, UTC))
    assert naive_difference(truth, workspace_id, start, start + 3600) != bucket["value"]


def test_a_workspace_younger_than_the_range_reads_before_its_first_boundary(
    make_app: Callable[..., Flask], client_of: Callable[[Flask], ApiClient], truth: HistoryTruth
) -> None:
    pool = RecordingPool()
    api = client_of(make_app(http=pool, insecure_disable_auth=True))
    body = api.get(_path("org-beta", "ws-b06", "hourly"), hours=168).get_json()
    assert body["data"] == truth.hourly("ws-b06", 168)
    assert body["data"][0]["value"] == 0
    lookback = f"[{MAX_LOOKBACK_SECONDS * 1000}ms]"
    assert sum(lookback in query for query in pool.queries) == 1
