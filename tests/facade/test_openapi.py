"""`/openapi.json`: a valid OpenAPI 3.1 document of exactly the served routes, matching the spec.

Every answer of every test is also validated against it (see `ApiClient`).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from openapi_spec_validator import validate

from tests.support.facade_http import ApiClient

# The ten paths of the spec (analytics-api-reference.txt) and the operational routes.
SPEC_PATHS = {
    "/v1/orgs/{org_id}/analytics",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/resources",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/executions",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/executions/hourly",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/executions/daily",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/apps/{app_id}/analytics",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/namespaces/{namespace_id}/analytics",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/actions",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/secrets",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/sources",
}
OPERATIONAL_PATHS = {"/healthz", "/readyz", "/metrics", "/openapi.json"}
CALENDAR_PATHS = {
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/executions/weekly",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/executions/monthly",
}
DETAIL_PATHS = {
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/executions/latency",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/tokens",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/apps/{app_id}/analytics/executions",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/failures",
}
# Served, but not operations of the API (like FastAPI's docs pages).
DOCS_PATHS = {"/docs", "/redoc", "/docs/static/{name}"}


def document(api: ApiClient) -> dict[str, Any]:
    """The served document."""
    response = api.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def test_the_document_is_valid_openapi_3_1(api: ApiClient) -> None:
    spec = document(api)
    assert spec["openapi"] == "3.1.0"
    validate(spec)


def test_it_lists_exactly_the_served_routes(api: ApiClient, app: Flask) -> None:
    spec = document(api)
    served = {re.sub(r"<([^>]+)>", r"{\1}", rule.rule) for rule in app.url_map.iter_rules()}
    assert (
        set(spec["paths"])
        == served - DOCS_PATHS
        == SPEC_PATHS | CALENDAR_PATHS | DETAIL_PATHS | OPERATIONAL_PATHS
    )
    assert served >= DOCS_PATHS
    for rule in app.url_map.iter_rules():
        assert rule.methods == {"GET", "HEAD"}, rule
    assert all(list(item) == ["get"] for item in spec["paths"].values())


def test_parameters_match_the_spec(api: ApiClient) -> None:
    paths = document(api)["paths"]

    def params(path: str) -> dict[str, dict[str, Any]]:
        return {p["name"]: p for p in paths[path]["get"]["parameters"]}

    hourly = params("/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/executions/hourly")
    assert hourly["hours"]["in"] == "query"
    assert hourly["hours"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 168,
        "default": 24,
        "description": hourly["hours"]["description"],
    }
    daily = params("/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/executions/daily")
    assert daily["days"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 90,
        "default": 30,
        "description": daily["days"]["description"],
    }
    assert daily["tz"]["required"] is False
    rollup = params("/v1/orgs/{org_id}/analytics")
    assert rollup["workspace_id"]["in"] == "query"
    assert rollup["workspace_id"]["required"] is False
    for path in SPEC_PATHS:
        for name in re.findall(r"\{(\w+)\}", path):
            assert params(path)[name]["required"] is True
        responses = paths[path]["get"]["responses"]
        assert {"200", "401", "403", "404", "422", "500", "503"} <= set(responses)
        assert paths[path]["get"]["security"] == [{"bearerAuth": []}, {"apiKeyAuth": []}]


def test_response_schemas_hold_the_spec_keys(api: ApiClient) -> None:
    schemas = document(api)["components"]["schemas"]
    assert schemas["ResourceCounts"]["required"] == [
        "sources",
        "augmentations",
        "endpoints",
        "namespaces",
        "apps",
        "threads",
        "actions",
        "secrets",
        "models",
    ]
    assert schemas["ExecutionMetrics"]["required"] == ["total", "success", "failed", "success_rate"]
    assert schemas["TimeSeries"]["required"] == ["metric", "period", "data"]
    assert schemas["ErrorResponse"]["required"] == [
        "error",
        "message",
        "details",
        "timestamp",
        "status_code",
    ]
    item = schemas["HTTPValidationError"]["properties"]["detail"]["items"]
    item = schemas[item["$ref"].rsplit("/", 1)[-1]] if "$ref" in item else item
    assert item["required"] == ["loc", "msg", "type", "input", "ctx"]


def test_answers_are_checked_against_the_document(api: ApiClient) -> None:
    before = api.checker.checked
    api.get("/healthz")
    api.get("/metrics")
    api.get("/v1/orgs/org-alpha/analytics")  # 401
    assert api.checker.checked == before + 3


def test_the_latency_error_bound_is_written_out(api: ApiClient) -> None:
    spec = document(api)
    path = "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/executions/latency"
    operation = spec["paths"][path]["get"]
    assert operation["operationId"] == "execution_latency"
    assert "nearest-rank" in operation["description"]
    assert "width" in operation["description"]
    latency = spec["components"]["schemas"]["ExecutionLatency"]
    for name in ("p50", "p90", "p95", "p99"):
        assert "same bucket as the exact nearest-rank" in latency["properties"][name]["description"]
