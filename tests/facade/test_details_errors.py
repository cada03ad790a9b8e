"""The detail endpoints refuse like the execution endpoints: 401, 403, 404 and 422 in the spec's
shapes (with the latency window's own rules), and answer CSV when it is preferred."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.facade_envelopes import SPEC_422_ITEM_KEYS, assert_envelope
from tests.support.facade_http import ApiClient, HttpApi

WS = "/v1/orgs/org-beta/workspaces/ws-b03"
LATENCY = f"{WS}/analytics/executions/latency"
DETAIL_PATHS = (
    LATENCY,
    f"{WS}/analytics/tokens",
    f"{WS}/apps/app-03/analytics/executions",
    f"{WS}/analytics/failures",
)


@pytest.mark.parametrize("path", DETAIL_PATHS)
def test_tokens_and_permissions_as_the_daily_series(
    api: ApiClient, token: Callable[..., str], path: str
) -> None:
    assert_envelope(api.get(path), 401)
    assert_envelope(api.get(path, token("org-alpha")), 403)
    other_workspace = token("org-beta", "ws-b01")
    assert_envelope(
        api.get(path, other_workspace), 403, required_permission="analytics:ws-b03:view"
    )
    assert api.get(path, token("org-beta", "ws-b03")).status_code == 200


@pytest.mark.parametrize(
    ("path", "resource_type", "resource_id"),
    [
        ("/v1/orgs/org-beta/workspaces/ws-zz/analytics/executions/latency", "workspace", "ws-zz"),
        ("/v1/orgs/org-gamma/workspaces/ws-b03/analytics/tokens", "organization", "org-gamma"),
        ("/v1/orgs/org-beta/workspaces/ws-zz/analytics/failures", "workspace", "ws-zz"),
        (f"{WS}/apps/app-99/analytics/executions", "app", "app-99"),
    ],
)
def test_unknown_resources_are_404(
    api: ApiClient, token: Callable[..., str], path: str, resource_type: str, resource_id: str
) -> None:
    response = api.get(path, token(path.split("/")[3]))
    assert_envelope(response, 404, resource_type=resource_type, resource_id=resource_id)


@pytest.mark.parametrize(
    ("path", "query", "locs"),
    [
        (LATENCY, {"hours": "24", "days": "7"}, [["query", "days"]]),
        (LATENCY, {"hours": "24", "tz": "Europe/Berlin"}, [["query", "tz"]]),
        (LATENCY, {"tz": "Europe/Berlin"}, [["query", "tz"]]),  # with the default 24 hours
        (LATENCY, {"hours": "2", "days": "3", "tz": "UTC"}, [["query", "days"], ["query", "tz"]]),
        (LATENCY, {"hours": "169"}, [["query", "hours"]]),
        (LATENCY, {"days": "0"}, [["query", "days"]]),
        (LATENCY, {"days": "91"}, [["query", "days"]]),
        (LATENCY, {"days": "7", "tz": "Mars/Olympus"}, [["query", "tz"]]),
        (f"{WS}/analytics/tokens", {"days": "91"}, [["query", "days"]]),
        (f"{WS}/analytics/failures", {"days": "x"}, [["query", "days"]]),
        (f"{WS}/apps/app-03/analytics/executions", {"tz": "Nowhere"}, [["query", "tz"]]),
    ],
)
def test_invalid_parameters_are_422_in_the_spec_shape(
    api: ApiClient, token: Callable[..., str], path: str, query: dict[str, str], locs: list[Any]
) -> None:
    response = api.get(path, token("org-beta"), **query)
    assert response.status_code == 422
    body = response.get_json()
    assert list(body) == ["detail"]
    assert [item["loc"] for item in body["detail"]] == locs
    for item in body["detail"]:
        assert list(item) == SPEC_422_ITEM_KEYS
        assert item["input"] == query[item["loc"][1]] or str(item["input"]) == query[item["loc"][1]]
        assert isinstance(item["msg"], str) and item["msg"]


def _rows(http_api: HttpApi, path: str, jwt: str, **query: Any) -> list[list[str]]:
    response = http_api.get(path, jwt, accept="text/csv", **query)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.text.endswith("\r\n")
    return list(csv.reader(io.StringIO(response.text, newline="")))


def test_csv_holds_the_json_numbers(http_api: HttpApi, token: Callable[..., str]) -> None:
    jwt = token("org-beta")
    latency = http_api.get(LATENCY, jwt, days=30, tz="America/New_York").json()
    rows = _rows(http_api, LATENCY, jwt, days=30, tz="America/New_York")
    assert rows[0] == ["timestamp", "count", "p50", "p90", "p95", "p99"]
    quantile = lambda v: "" if v is None else str(v)  # noqa: E731
    assert rows[1:] == [
        [b["timestamp"], str(b["count"]), *(quantile(b[q]) for q in ("p50", "p90", "p95", "p99"))]
        for b in latency["data"]
    ]
    tokens = http_api.get(f"{WS}/analytics/tokens", jwt, days=7).json()
    rows = _rows(http_api, f"{WS}/analytics/tokens", jwt, days=7)
    assert rows[0] == ["timestamp", "total", *tokens["by_kind"]]
    assert rows[1:] == [
        [d["timestamp"], str(d["total"]), *(str(d["by_kind"][k]) for k in tokens["by_kind"])]
        for d in tokens["data"]
    ]
    app = f"{WS}/apps/app-03/analytics/executions"
    body = http_api.get(app, jwt, days=7).json()
    assert _rows(http_api, app, jwt, days=7) == [
        ["timestamp", "total", "failed"],
        *([d["timestamp"], str(d["total"]), str(d["failed"])] for d in body["data"]),
    ]
    failures = http_api.get(f"{WS}/analytics/failures", jwt, accept="text/csv")
    assert failures.headers["Content-Type"].startswith("application/json")  # no CSV form
