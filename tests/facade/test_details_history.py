"""The detail endpoints over the 93-day history equal its truth, on Prometheus and VictoriaMetrics.

The workspaces with details hold a counter reset (ws-b03), a pipeline and error codes that
first appear weeks into the history, error codes over the cap counted as `other` (ws-a04) and
a workspace three days old (ws-b06); ws-a01 exports no detail family at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from facade.quantiles import QUANTILES
from tests.support.facade_http import ApiClient
from tests.support.history_detail_truth import DetailTruth, bucket_of, nearest_rank
from tests.support.history_details import DETAIL_WORKSPACES, executions
from tests.support.history_stores import on_every_store
from tests.support.history_truth import calendar_days, hour_starts
from vocabulary.details import OVERFLOW

pytestmark = on_every_store

ORGS = {"ws-a04": "org-alpha", "ws-b03": "org-beta", "ws-b06": "org-beta", "ws-a01": "org-alpha"}
UTC = ZoneInfo("UTC")
NEW_YORK = ZoneInfo("America/New_York")
WINDOWS = [
    ({"hours": 168}, None),
    ({"days": 90}, UTC),
    ({"days": 90, "tz": "America/New_York"}, NEW_YORK),
]


def _path(workspace_id: str, tail: str) -> str:
    return f"/v1/orgs/{ORGS[workspace_id]}/workspaces/{workspace_id}/{tail}"


def _starts(query: dict[str, Any], zone: ZoneInfo | None) -> list[float]:
    if zone is None:
        return hour_starts(query["hours"])
    return calendar_days(query["days"], zone)


@pytest.fixture(scope="session")
def detail_truth() -> DetailTruth:
    """Expected detail answers, from the history's executions."""
    return DetailTruth()


def _get(
    api: ApiClient, token: Callable[..., str], workspace_id: str, tail: str, **query: Any
) -> Any:
    response = api.get(_path(workspace_id, tail), token(ORGS[workspace_id]), **query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.parametrize(("query", "zone"), WINDOWS)
def test_latency_equals_truth(
    api: ApiClient,
    token: Callable[..., str],
    detail_truth: DetailTruth,
    query: dict[str, Any],
    zone: ZoneInfo | None,
) -> None:
    for workspace_id in (*DETAIL_WORKSPACES, "ws-a01"):
        body = _get(api, token, workspace_id, "analytics/executions/latency", **query)
        starts = _starts(query, zone)
        expected = detail_truth.latency(workspace_id, starts, zone or UTC)
        period = "hourly" if zone is None else "daily"
        assert body == {
            "metric": "execution_latency",
            "period": period,
            "unit": "ms",
            **expected,
        }, workspace_id
        assert len(body["data"]) == len(starts)
        assert (body["count"] > 0) == (workspace_id != "ws-a01")


def test_latency_defaults_to_24_hours(
    api: ApiClient, token: Callable[..., str], detail_truth: DetailTruth
) -> None:
    body = _get(api, token, "ws-b03", "analytics/executions/latency")
    assert body["period"] == "hourly"
    assert body["data"] == detail_truth.latency("ws-b03", hour_starts(24), UTC)["data"]


@pytest.mark.parametrize(("query", "zone"), WINDOWS[1:])
def test_each_quantile_lies_in_the_bucket_of_the_exact_one(
    api: ApiClient,
    token: Callable[..., str],
    detail_truth: DetailTruth,
    query: dict[str, Any],
    zone: ZoneInfo,
) -> None:
    checked = 0
    for workspace_id in DETAIL_WORKSPACES:
        body = _get(api, token, workspace_id, "analytics/executions/latency", **query)
        buckets = detail_truth.buckets(workspace_id, _starts(query, zone))
        answers = [
            (body, [e for bucket in buckets for e in bucket]),
            *zip(body["data"], buckets, strict=True),
        ]
        for answer, shown in answers:
            assert answer["count"] == len(shown)
            for name, q in QUANTILES.items():
                if not shown:
                    assert answer[name] is None
                    continue
                exact = nearest_rank(q, [e.duration_ms for e in shown])
                lower, upper = bucket_of(exact)
                estimate = answer[name]
                assert lower <= estimate <= min(upper, 1_800_000), (workspace_id, name, exact)
                checked += 1
    assert checked > 4 * 90


@pytest.mark.parametrize(("query", "zone"), WINDOWS[1:])
def test_tokens_equal_truth(
    api: ApiClient,
    token: Callable[..., str],
    detail_truth: DetailTruth,
    query: dict[str, Any],
    zone: ZoneInfo,
) -> None:
    for workspace_id in (*DETAIL_WORKSPACES, "ws-a01"):
        body = _get(api, token, workspace_id, "analytics/tokens", **query)
        expected = detail_truth.tokens(workspace_id, _starts(query, zone), zone)
        assert body == {"metric": "tokens", "period": "daily", **expected}, workspace_id
    assert list(body["by_kind"]) == []  # ws-a01 used none


def test_tokens_default_to_30_days(
    api: ApiClient, token: Callable[..., str], detail_truth: DetailTruth
) -> None:
    body = _get(api, token, "ws-a04", "analytics/tokens")
    assert body["data"] == detail_truth.tokens("ws-a04", calendar_days(30, UTC), UTC)["data"]
    assert (
        list(body["by_kind"])
        == sorted(body["by_kind"])
        == ["completion", "embedding", "prompt", "reasoning"]
    )


@pytest.mark.parametrize(("query", "zone"), WINDOWS[1:])
def test_app_executions_equal_truth(
    api: ApiClient,
    token: Callable[..., str],
    detail_truth: DetailTruth,
    query: dict[str, Any],
    zone: ZoneInfo,
) -> None:
    for workspace_id in ("ws-a04", "ws-b03"):
        apps = sorted({e.app_id for e in executions(workspace_id) if e.app_id})
        assert apps
        for app_id in apps:
            body = _get(api, token, workspace_id, f"apps/{app_id}/analytics/executions", **query)
            assert body == detail_truth.app(workspace_id, app_id, _starts(query, zone), zone), (
                app_id
            )
    assert {p["augmentation_id"] for p in body["pipelines"]} <= {f"{app_id}-aug-1"}


@pytest.mark.parametrize("days", [7, 90])
def test_failures_equal_truth(
    api: ApiClient, token: Callable[..., str], detail_truth: DetailTruth, days: int
) -> None:
    for workspace_id in DETAIL_WORKSPACES:
        body = _get(
            api, token, workspace_id, "analytics/failures", days=days, tz="America/New_York"
        )
        assert body == detail_truth.failures(workspace_id, calendar_days(days, NEW_YORK)), (
            workspace_id
        )
    overflowing = _get(api, token, "ws-a04", "analytics/failures", days=90)
    assert [code["error_code"] for code in overflowing["codes"] if code["overflow"]] == [OVERFLOW]
