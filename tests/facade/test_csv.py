"""CSV over HTTP: `Accept: text/csv` on the four series and the org rollup.

The CSV holds a header row, CRLF line ends (RFC 4180) and the numbers of the JSON body, which
is also the history's truth; JSON stays the default, CSV is answered only when preferred, and
errors stay JSON.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from facade.csv_bodies import csv_text
from tests.support.facade_http import HttpApi
from tests.support.history_truth import HistoryTruth

SERIES = "/v1/orgs/org-beta/workspaces/ws-b03/analytics/executions"
CSV = "text/csv"
KOLKATA = ZoneInfo("Asia/Kolkata")
UTC = ZoneInfo("UTC")


def rows_of(response: requests.Response) -> list[list[str]]:
    """The CSV records of an answer, after checking it is RFC 4180 CSV."""
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "Accept" in response.headers["Vary"]
    text = response.text
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize(
    ("period", "query", "expected"),
    [
        ("hourly", {"hours": 168}, lambda t: t.hourly("ws-b03", 168)),
        ("daily", {"days": 90, "tz": "Asia/Kolkata"}, lambda t: t.daily("ws-b03", 90, KOLKATA)),
        ("weekly", {"weeks": 13, "week_start": "sunday"}, lambda t: t.weekly("ws-b03", 13, UTC, 6)),
        ("monthly", {"months": 3, "tz": "Asia/Kolkata"}, lambda t: t.monthly("ws-b03", 3, KOLKATA)),
    ],
)
def test_series_csv_holds_the_json_numbers(
    http_api: HttpApi,
    token: Callable[..., str],
    truth: HistoryTruth,
    period: str,
    query: dict[str, Any],
    expected: Callable[[HistoryTruth], list[dict[str, object]]],
) -> None:
    jwt = token("org-beta")
    rows = rows_of(http_api.get(f"{SERIES}/{period}", jwt, accept=CSV, **query))
    body = http_api.get(f"{SERIES}/{period}", jwt, **query).json()
    assert rows[0] == ["timestamp", "value"]
    assert [{"timestamp": t, "value": int(v)} for t, v in rows[1:]] == body["data"]
    assert body["data"] == expected(truth)


def test_rollup_csv_is_the_org_sums_then_each_workspace(
    http_api: HttpApi, token: Callable[..., str], truth: HistoryTruth
) -> None:
    jwt = token("org-alpha")
    rows = rows_of(http_api.get("/v1/orgs/org-alpha/analytics", jwt, accept=CSV))
    body = http_api.get("/v1/orgs/org-alpha/analytics", jwt).json()
    assert body == truth.rollup("org-alpha")
    header, org, *workspaces = rows
    kinds = list(body["resources"])
    assert header == [
        "org_id",
        "workspace_id",
        *kinds,
        "executions_total",
        "executions_success",
        "executions_failed",
        "success_rate",
        "updated_at",
    ]

    def expected_row(workspace_id: str, item: dict[str, object]) -> list[str]:
        resources, executions = item["resources"], item["executions"]
        assert isinstance(resources, dict) and isinstance(executions, dict)
        counts = [resources[kind] for kind in kinds]
        metrics = [executions[key] for key in ("total", "success", "failed", "success_rate")]
        return [str(v) for v in ("org-alpha", workspace_id, *counts, *metrics, item["updated_at"])]

    assert org == expected_row("", body)
    assert workspaces == [expected_row(w["workspace_id"], w) for w in body["workspaces"]]
    assert float(org[-2]) == body["executions"]["success_rate"]


@pytest.mark.parametrize(
    ("accept", "answered"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("text/csv, application/json", "application/json"),  # a tie: JSON
        ("text/csv;q=0.5, application/json", "application/json"),
        ("application/json;q=0.2, text/csv;q=0.9", "text/csv"),
        ("text/*", "text/csv"),
        ("text/csv", "text/csv"),
        ("text/html", "application/json"),  # nothing acceptable offered: the default
    ],
)
def test_csv_only_when_preferred(
    http_api: HttpApi, token: Callable[..., str], accept: str | None, answered: str
) -> None:
    response = http_api.get(f"{SERIES}/daily", token("org-beta"), accept=accept, days=3)
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == answered


def test_errors_stay_json_when_csv_is_asked_for(
    http_api: HttpApi, token: Callable[..., str]
) -> None:
    invalid = http_api.get(f"{SERIES}/hourly", token("org-beta"), accept=CSV, hours=0)
    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["loc"] == ["query", "hours"]
    anonymous = http_api.get("/v1/orgs/org-beta/analytics", accept=CSV)
    assert (anonymous.status_code, anonymous.json()["error"]) == (401, "AUTHENTICATION_FAILED")


def test_only_the_series_and_the_rollup_offer_csv(http_api: HttpApi) -> None:
    workspace = "/v1/orgs/{org_id}/workspaces/{workspace_id}"
    document = requests.get(f"{http_api.base_url}/openapi.json", timeout=10).json()
    offering = {
        path
        for path, item in document["paths"].items()
        if CSV in item["get"]["responses"]["200"]["content"]
    }
    assert offering == {
        "/v1/orgs/{org_id}/analytics",
        *(
            f"/v1/orgs/{{org_id}}/workspaces/{{workspace_id}}/analytics/executions/{period}"
            for period in ("hourly", "daily", "weekly", "monthly")
        ),
        f"{workspace}/analytics/executions/latency",
        f"{workspace}/analytics/tokens",
        f"{workspace}/apps/{{app_id}}/analytics/executions",
    }


def test_fields_are_quoted_as_rfc_4180_says() -> None:
    text = csv_text([("org_id", "workspace_id"), ('org "a"', "ws,1"), ("org-b", "line\r\nbreak")])
    assert text == ('org_id,workspace_id\r\n"org ""a""","ws,1"\r\norg-b,"line\r\nbreak"\r\n')
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["org_id", "workspace_id"],
        ['org "a"', "ws,1"],
        ["org-b", "line\r\nbreak"],
    ]
