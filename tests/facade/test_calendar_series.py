"""Weekly and monthly execution series over HTTP equal the history's truth, bucket by bucket.

Calendar weeks (from Monday or Sunday) and months in UTC, a DST zone and a quarter-hour zone;
the current week or month is the last, partial bucket. Up to 13 weeks and 3 months are always
answered, more only while the configured retention covers them, otherwise a 422 naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from tests.support.facade_http import HttpApi, OpenApiChecker, serving_app
from tests.support.history import PROFILES
from tests.support.history_truth import HistoryTruth

WEEK_STARTS = {"monday": 0, "sunday": 6}


def _path(org_id: str, workspace_id: str, period: str) -> str:
    return f"/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/executions/{period}"


@pytest.mark.parametrize(
    ("weeks", "week_start", "zone"),
    [
        (13, "monday", "UTC"),
        (13, "sunday", "America/New_York"),
        (13, "monday", "Asia/Kathmandu"),
        (1, "sunday", "Asia/Kathmandu"),
    ],
)
def test_weekly_equals_truth_for_every_workspace(
    http_api: HttpApi,
    token: Callable[..., str],
    truth: HistoryTruth,
    weeks: int,
    week_start: str,
    zone: str,
) -> None:
    for profile in PROFILES:
        response = http_api.get(
            _path(profile.org_id, profile.workspace_id, "weekly"),
            token(profile.org_id),
            weeks=weeks,
            tz=zone,
            week_start=week_start,
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["metric"], body["period"]) == ("executions", "weekly")
        expected = truth.weekly(
            profile.workspace_id, weeks, ZoneInfo(zone), WEEK_STARTS[week_start]
        )
        assert body["data"] == expected, (profile.workspace_id, zone, week_start)
        assert len(body["data"]) == weeks


@pytest.mark.parametrize(
    ("months", "zone"), [(3, "UTC"), (3, "Asia/Kathmandu"), (1, "America/New_York")]
)
def test_monthly_equals_truth_for_every_workspace(
    http_api: HttpApi, token: Callable[..., str], truth: HistoryTruth, months: int, zone: str
) -> None:
    for profile in PROFILES:
        response = http_api.get(
            _path(profile.org_id, profile.workspace_id, "monthly"),
            token(profile.org_id),
            months=months,
            tz=zone,
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["metric"], body["period"]) == ("executions", "monthly")
        expected = truth.monthly(profile.workspace_id, months, ZoneInfo(zone))
        assert body["data"] == expected, (profile.workspace_id, zone)
        assert len(body["data"]) == months


def test_defaults_are_4_monday_weeks_and_3_months_in_utc(
    http_api: HttpApi, token: Callable[..., str], truth: HistoryTruth
) -> None:
    weekly = http_api.get(_path("org-alpha", "ws-a01", "weekly"), token("org-alpha")).json()
    monthly = http_api.get(_path("org-alpha", "ws-a01", "monthly"), token("org-alpha")).json()
    assert weekly["data"] == truth.weekly("ws-a01", 4, ZoneInfo("UTC"), 0)
    assert monthly["data"] == truth.monthly("ws-a01", 3, ZoneInfo("UTC"))
    # The history ends on Thursday 2025-03-20: this week began Monday the 17th.
    assert weekly["data"][-1]["timestamp"] == "2025-03-17T00:00:00Z"
    assert [point["timestamp"] for point in monthly["data"]] == [
        "2025-01-01T00:00:00Z",
        "2025-02-01T00:00:00Z",
        "2025-03-01T00:00:00Z",
    ]


def test_weeks_of_new_york_cross_the_dst_change_and_sum_like_the_days(
    http_api: HttpApi, token: Callable[..., str]
) -> None:
    weekly = http_api.get(
        _path("org-beta", "ws-b01", "weekly"), token("org-beta"), weeks=2, tz="America/New_York"
    ).json()
    daily = http_api.get(
        _path("org-beta", "ws-b01", "daily"), token("org-beta"), days=13, tz="America/New_York"
    ).json()
    # 2025-03-09 (DST starts) to 2025-03-20: the weeks of Monday the 10th and the 17th.
    assert [p["timestamp"] for p in weekly["data"]] == [
        "2025-03-10T00:00:00-04:00",
        "2025-03-17T00:00:00-04:00",
    ]
    days_since_monday = [p["value"] for p in daily["data"]][-11:]
    assert sum(p["value"] for p in weekly["data"]) == sum(days_since_monday)


def _validation(response: object, name: str) -> dict[str, object]:
    assert getattr(response, "status_code", None) == 422
    [item] = response.json()["detail"]  # type: ignore[attr-defined]
    assert item["loc"] == ["query", name]
    return dict(item)


def test_longer_series_are_answered_while_the_default_retention_covers_them(
    http_api: HttpApi, token: Callable[..., str], truth: HistoryTruth
) -> None:
    """The default retention, 120 days back from 2025-03-20T10:37:30Z, covers 17 weeks (from
    2024-11-25) and 4 months (from 2024-12-01)."""
    path, jwt = _path("org-alpha", "ws-a02", "weekly"), token("org-alpha")
    assert http_api.get(path, jwt, weeks=17).json()["data"] == truth.weekly(
        "ws-a02", 17, ZoneInfo("UTC")
    )
    item = _validation(http_api.get(path, jwt, weeks=18), "weeks")
    assert item["ctx"] == {"le": 17, "retention_days": 120.0}
    assert item["input"] == 18
    assert "retention of 120 days" in str(item["msg"])
    monthly = _path("org-alpha", "ws-a02", "monthly")
    assert http_api.get(monthly, jwt, months=4).json()["data"] == truth.monthly(
        "ws-a02", 4, ZoneInfo("UTC")
    )
    item = _validation(http_api.get(monthly, jwt, months=5), "months")
    assert item["ctx"] == {"le": 4, "retention_days": 120.0}


@pytest.mark.parametrize(
    "case",  # retention in days, weeks and months asked for, the expected status
    [(400.0, 52, 12, 200), (30.0, 13, 3, 200), (30.0, 14, 4, 422)],
)
def test_the_configured_retention_decides_beyond_13_weeks_and_3_months(
    make_app: Callable[..., Flask],
    checker: OpenApiChecker,
    token: Callable[..., str],
    truth: HistoryTruth,
    case: tuple[float, int, int, int],
) -> None:
    retention_days, weeks, months, status = case
    with serving_app(make_app(retention_days=retention_days)) as url:
        api, jwt = HttpApi(url, checker), token("org-beta")
        weekly = api.get(_path("org-beta", "ws-b02", "weekly"), jwt, weeks=weeks)
        monthly = api.get(_path("org-beta", "ws-b02", "monthly"), jwt, months=months)
    assert (weekly.status_code, monthly.status_code) == (status, status)
    if status == 200:
        assert weekly.json()["data"] == truth.weekly("ws-b02", weeks, ZoneInfo("UTC"))
        assert monthly.json()["data"] == truth.monthly("ws-b02", months, ZoneInfo("UTC"))
    else:
        # 30 days cover fewer than 13 weeks and 3 months: those stay the limits.
        assert _validation(weekly, "weeks")["ctx"] == {"le": 13, "retention_days": 30.0}
        assert _validation(monthly, "months")["ctx"] == {"le": 3, "retention_days": 30.0}
        assert "retention of 30 days" in str(_validation(monthly, "months")["msg"])


@pytest.mark.parametrize(
    ("period", "query", "name", "kind"),
    [
        ("weekly", {"weeks": 0}, "weeks", "greater_than_equal"),
        ("weekly", {"weeks": 521}, "weeks", "less_than_equal"),
        ("weekly", {"weeks": "two"}, "weeks", "int_parsing"),
        ("weekly", {"week_start": "friday"}, "week_start", "literal_error"),
        ("weekly", {"tz": "Mars/Olympus"}, "tz", "value_error"),
        ("monthly", {"months": 0}, "months", "greater_than_equal"),
        ("monthly", {"months": "1.5"}, "months", "int_parsing"),
        ("monthly", {"tz": "localtime"}, "tz", "value_error"),
    ],
)
def test_invalid_parameters_get_the_422_envelope(
    http_api: HttpApi,
    token: Callable[..., str],
    period: str,
    query: dict[str, Any],
    name: str,
    kind: str,
) -> None:
    response = http_api.get(_path("org-alpha", "ws-a01", period), token("org-alpha"), **query)
    assert _validation(response, name)["type"] == kind


@pytest.mark.parametrize("period", ["weekly", "monthly"])
def test_tokens_and_unknown_workspaces_are_refused(
    http_api: HttpApi, token: Callable[..., str], period: str
) -> None:
    path = _path("org-alpha", "ws-a01", period)
    assert http_api.get(path).json()["error"] == "AUTHENTICATION_FAILED"
    assert http_api.get(path, token("org-beta")).status_code == 403
    assert http_api.get(path, token("org-alpha", "ws-a02")).status_code == 403
    unknown = http_api.get(_path("org-alpha", "ws-nope", period), token("org-alpha"))
    assert (unknown.status_code, unknown.json()["error"]) == (404, "RESOURCE_NOT_FOUND")
