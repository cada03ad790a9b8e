"""What HTTP clients written against FastAPI expect: the last of repeated query parameters, a
307 to the route without a trailing slash; CORS off by default; Last-Modified from updated_at."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime

import pytest
from flask import Flask

from facade.state import EXTENSION
from tests.support.facade_envelopes import DAILY, HOURLY, SUMMARY, assert_envelope
from tests.support.facade_http import ApiClient
from tests.support.history import END
from tests.support.history_truth import HistoryTruth

ROLLUP = "/v1/orgs/org-alpha/analytics"


def test_a_repeated_query_parameter_takes_its_last_value(
    api: ApiClient, token: Callable[..., str]
) -> None:
    alpha = token("org-alpha")
    assert len(api.get(HOURLY, alpha, hours=["5", "10"]).get_json()["data"]) == 10
    assert len(api.get(HOURLY, alpha, hours=["abc", "3"]).get_json()["data"]) == 3
    assert len(api.get(DAILY, alpha, days=["2", "4"]).get_json()["data"]) == 4
    rollup = api.get(ROLLUP, alpha, workspace_id=["ws-nope", "ws-a01"]).get_json()
    assert [item["workspace_id"] for item in rollup["workspaces"]] == ["ws-a01"]


@pytest.mark.parametrize(
    ("query", "loc", "given"),
    [
        ({"hours": ["5", "abc"]}, ["query", "hours"], "abc"),
        ({"hours": ["5", "0"]}, ["query", "hours"], "0"),
        ({"days": ["1", "91"]}, ["query", "days"], "91"),
        ({"tz": ["UTC", "Mars/Base"]}, ["query", "tz"], "Mars/Base"),
    ],
)
def test_an_invalid_last_value_is_422_whatever_came_before(
    api: ApiClient,
    token: Callable[..., str],
    query: dict[str, list[str]],
    loc: list[str],
    given: str,
) -> None:
    path = HOURLY if "hours" in query else DAILY
    response = api.get(path, token("org-alpha"), **query)
    assert response.status_code == 422
    [item] = response.get_json()["detail"]
    assert (item["loc"], item["input"]) == (loc, given)


@pytest.mark.parametrize(
    ("asked", "location"),
    [
        (f"{SUMMARY}/", SUMMARY),
        (f"{SUMMARY}///", SUMMARY),
        (f"{HOURLY}/?hours=5&hours=7", f"{HOURLY}?hours=5&hours=7"),
        ("/v1/orgs/org%2Falpha/workspaces/ws%20a01/analytics/", None),
        ("/healthz/", "/healthz"),
        ("/openapi.json/", "/openapi.json"),
    ],
)
def test_a_trailing_slash_is_a_relative_307(app: Flask, asked: str, location: str | None) -> None:
    expected = location or "/v1/orgs/org%2Falpha/workspaces/ws%20a01/analytics"
    # The Host header is the attacker's: nothing of it may reach the Location.
    response = app.test_client().get(asked, headers={"Host": "evil.example"})
    assert response.status_code == 307
    assert response.headers["Location"] == expected
    assert response.get_data() == b""


@pytest.mark.parametrize(
    "asked", ["/v1/orgs/org-alpha/nothing/", "//evil.example/", "/", "/v1//", f"{SUMMARY}x/"]
)
def test_a_trailing_slash_on_no_route_is_still_404(api: ApiClient, asked: str) -> None:
    response = api.get(asked)
    assert_envelope(response, 404, resource_type="route")
    assert "Location" not in response.headers


def test_the_redirect_comes_before_authentication(app: Flask, token: Callable[..., str]) -> None:
    # FastAPI redirects while routing, before any dependency reads the token.
    assert app.test_client().get(f"{SUMMARY}/").status_code == 307
    followed = app.test_client().get(
        f"{SUMMARY}/",
        headers={"Authorization": f"Bearer {token('org-alpha')}"},
        follow_redirects=True,
    )
    assert followed.status_code == 200
    assert followed.get_json()["workspace_id"] == "ws-a01"


def test_cors_is_off_unless_configured(app: Flask, make_app: Callable[..., Flask]) -> None:
    asked = {"Origin": "https://any.example", "Access-Control-Request-Method": "GET"}
    assert app.test_client().options(SUMMARY, headers=asked).status_code == 405
    assert (
        "Access-Control-Allow-Origin" not in app.test_client().get(SUMMARY, headers=asked).headers
    )
    anyone = make_app(cors_origins=("*",)).test_client()
    answer = anyone.options(SUMMARY, headers=asked)
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    # Credentials are never allowed, for `*` least of all (browsers would refuse the pair).
    assert "Access-Control-Allow-Credentials" not in answer.headers
    assert anyone.get(SUMMARY, headers=asked).headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", [SUMMARY, ROLLUP])
def test_last_modified_is_updated_at(api: ApiClient, token: Callable[..., str], path: str) -> None:
    answer = api.get(path, token("org-alpha"))
    assert answer.status_code == 200
    updated_at = datetime.fromisoformat(answer.get_json()["updated_at"])
    assert parsedate_to_datetime(answer.headers["Last-Modified"]) == updated_at


def test_every_analytics_answer_has_its_data_time(
    api: ApiClient, token: Callable[..., str], truth: HistoryTruth
) -> None:
    alpha = token("org-alpha")
    app_id, namespace_id = next(iter(truth.apps("ws-a01"))), next(iter(truth.namespaces("ws-a01")))
    paths = [
        *(f"{SUMMARY}/{view}" for view in ("resources", "executions", "actions", "secrets")),
        f"{SUMMARY}/sources",
        HOURLY,
        DAILY,
        f"/v1/orgs/org-alpha/workspaces/ws-a01/apps/{app_id}/analytics",
        f"/v1/orgs/org-alpha/workspaces/ws-a01/namespaces/{namespace_id}/analytics",
        *(f"{SUMMARY}/{view}" for view in ("executions/latency", "tokens", "failures")),
        f"/v1/orgs/org-alpha/workspaces/ws-a01/apps/{app_id}/analytics/executions",
    ]
    stale_after = api.client.application.extensions[EXTENSION].config.stale_after
    for path in paths:
        answer = api.get(path, alpha)
        assert answer.status_code == 200, path
        # The exporter's last successful collection: fresh enough to be served, not after "now".
        data_time = parsedate_to_datetime(answer.headers["Last-Modified"]).timestamp()
        assert END - stale_after <= data_time <= END, path
    # Errors and the operational routes carry none.
    assert "Last-Modified" not in api.get(f"{HOURLY}x", alpha).headers
    assert "Last-Modified" not in api.get(HOURLY, alpha, hours="0").headers
    assert "Last-Modified" not in api.get("/healthz").headers
    paths_doc = api.checker.document["paths"]
    for template, item in paths_doc.items():
        declared = "Last-Modified" in item["get"]["responses"]["200"].get("headers", {})
        assert declared == template.startswith("/v1/"), template
