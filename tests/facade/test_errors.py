"""Every error path answers the spec's bodies, key by key, with the spec's timestamp format."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from facade.tokens import mint_token
from tests.facade.conftest import JWT_SECRET
from tests.support.facade_envelopes import (
    DAILY,
    HOURLY,
    PINNED_TIMESTAMP,
    SPEC_422_ITEM_KEYS,
    SPEC_EXAMPLES,
    SUMMARY,
    assert_envelope,
)
from tests.support.facade_http import ApiClient
from tests.support.history import END


def unsigned(claims: dict[str, Any], header: dict[str, Any]) -> str:
    """A JWT with an empty signature (what `alg: none` looks like)."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


def test_missing_token_is_401_with_the_spec_body(api: ApiClient) -> None:
    response = api.get(SUMMARY)
    body = assert_envelope(response, 401)
    assert body == {**SPEC_EXAMPLES[401], "timestamp": PINNED_TIMESTAMP}
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "bearer", "Token abc", ""],
)
def test_malformed_authorization_headers_are_401(api: ApiClient, header: str) -> None:
    response = api.client.get(SUMMARY, headers={"Authorization": header})
    api.checker.check(SUMMARY, "GET", response)
    assert_envelope(response, 401)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: "not-a-token", "Invalid authentication token"),
        (lambda: "a.b.c", "Invalid authentication token"),
        (
            lambda: mint_token(JWT_SECRET, "org-alpha", ["analytics:*:view"], ttl=-60),
            "Authentication token has expired",
        ),
        (
            lambda: mint_token(
                "another-secret-of-enough-length-0123456789", "org-alpha", ["analytics:*:view"]
            ),
            "Invalid authentication token",
        ),
        (
            lambda: unsigned(
                {"org_id": "org-alpha", "permissions": ["analytics:*:view"], "exp": END + 1e9},
                {"alg": "none", "typ": "JWT"},
            ),
            "Invalid authentication token",
        ),
        (
            lambda: mint_token(JWT_SECRET, "org-alpha", ["analytics:*:view"])[:-4] + "AAAA",
            "Invalid authentication token",
        ),
    ],
    ids=["garbage", "three-parts", "expired", "wrong-secret", "alg-none", "tampered"],
)
def test_invalid_tokens_are_401(api: ApiClient, make: Callable[[], str], message: str) -> None:
    body = assert_envelope(api.get(SUMMARY, make()), 401)
    assert body["message"] == message
    assert body["details"] == {}


def test_another_orgs_token_is_403(api: ApiClient, token: Callable[..., str]) -> None:
    response = api.get(SUMMARY, token("org-beta"))
    assert_envelope(response, 403, required_permission="analytics:ws-a01:view")


def test_missing_permission_is_403(api: ApiClient) -> None:
    no_permissions = mint_token(JWT_SECRET, "org-alpha", [])
    other_resource = mint_token(JWT_SECRET, "org-alpha", ["secrets:*:view", "analytics:*:edit"])
    for auth in (no_permissions, other_resource):
        assert_envelope(api.get(SUMMARY, auth), 403, required_permission="analytics:ws-a01:view")


def test_workspace_token_reads_its_workspace_only(
    api: ApiClient, token: Callable[..., str]
) -> None:
    scoped = token("org-alpha", "ws-a02")
    assert api.get("/v1/orgs/org-alpha/workspaces/ws-a02/analytics", scoped).status_code == 200
    assert_envelope(api.get(SUMMARY, scoped), 403, required_permission="analytics:ws-a01:view")
    rollup = api.get("/v1/orgs/org-alpha/analytics", scoped)
    assert_envelope(rollup, 403, required_permission="analytics:*:view")
    narrowed = api.get("/v1/orgs/org-alpha/analytics", scoped, workspace_id="ws-a02")
    assert narrowed.status_code == 200


@pytest.mark.parametrize(
    ("path", "resource_type", "resource_id"),
    [
        ("/v1/orgs/org-gamma/workspaces/ws-a01/analytics", "organization", "org-gamma"),
        ("/v1/orgs/org-gamma/analytics", "organization", "org-gamma"),
        ("/v1/orgs/org-alpha/workspaces/ws-zz/analytics/sources", "workspace", "ws-zz"),
        ("/v1/orgs/org-alpha/workspaces/ws-b01/analytics", "workspace", "ws-b01"),
        ("/v1/orgs/org-alpha/workspaces/ws-a01/analytics/executions/hourly", None, None),
        ("/v1/orgs/org-alpha/workspaces/ws-a01/apps/app-99/analytics", "app", "app-99"),
        ("/v1/orgs/org-alpha/workspaces/ws-a01/namespaces/ns-99/analytics", "namespace", "ns-99"),
    ],
)
def test_unknown_resources_are_404(
    api: ApiClient,
    token: Callable[..., str],
    path: str,
    resource_type: str | None,
    resource_id: str | None,
) -> None:
    org_id = path.split("/")[3]
    response = api.get(path, token(org_id))
    if resource_type is None:  # a known workspace: the control case
        assert response.status_code == 200
        return
    assert_envelope(response, 404, resource_type=resource_type, resource_id=resource_id)


def test_unknown_workspace_in_the_rollup_filter_is_404(
    api: ApiClient, token: Callable[..., str]
) -> None:
    response = api.get("/v1/orgs/org-alpha/analytics", token("org-alpha"), workspace_id="ws-b01")
    assert_envelope(response, 404, resource_type="workspace", resource_id="ws-b01")


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        (HOURLY, {"hours": "0"}, (["query", "hours"], "greater_than_equal")),
        (HOURLY, {"hours": "169"}, (["query", "hours"], "less_than_equal")),
        (HOURLY, {"hours": "abc"}, (["query", "hours"], "int_parsing")),
        (HOURLY, {"hours": "1.5"}, (["query", "hours"], "int_parsing")),
        (HOURLY, {"hours": ""}, (["query", "hours"], "int_parsing")),
        (DAILY, {"days": "0"}, (["query", "days"], "greater_than_equal")),
        (DAILY, {"days": "91"}, (["query", "days"], "less_than_equal")),
        (DAILY, {"days": "1e1"}, (["query", "days"], "int_parsing")),
        (DAILY, {"tz": "Mars/Olympus_Mons"}, (["query", "tz"], "value_error")),
        (DAILY, {"tz": "../../etc/passwd"}, (["query", "tz"], "value_error")),
        (DAILY, {"tz": ""}, (["query", "tz"], "string_too_short")),
    ],
)
def test_invalid_parameters_are_422_in_the_spec_shape(
    api: ApiClient,
    token: Callable[..., str],
    path: str,
    query: dict[str, str],
    expected: tuple[list[str], str],
) -> None:
    loc, kind = expected
    response = api.get(path, token("org-alpha"), **query)
    assert response.status_code == 422
    body = response.get_json()
    assert list(body) == ["detail"]
    [item] = body["detail"]
    assert list(item) == SPEC_422_ITEM_KEYS
    assert item["loc"] == loc
    assert item["type"] == kind
    assert item["input"] == next(iter(query.values()))
    assert isinstance(item["msg"], str) and item["msg"]
    assert isinstance(item["ctx"], dict)


def test_range_errors_carry_their_bounds(api: ApiClient, token: Callable[..., str]) -> None:
    [item] = api.get(HOURLY, token("org-alpha"), hours="200").get_json()["detail"]
    assert item["ctx"] == {"le": 168}
    [item] = api.get(DAILY, token("org-alpha"), days="-1").get_json()["detail"]
    assert item["ctx"] == {"ge": 1}


def test_every_invalid_parameter_is_reported_at_once(
    api: ApiClient, token: Callable[..., str]
) -> None:
    response = api.get(
        "/v1/orgs/org-alpha/workspaces/ws%0Aa01/analytics/executions/daily",
        token("org-alpha"),
        days="x",
        tz="Nowhere",
    )
    assert response.status_code == 422
    locs = [item["loc"] for item in response.get_json()["detail"]]
    assert locs == [["path", "workspace_id"], ["query", "days"], ["query", "tz"]]


def test_unknown_route_and_method_are_enveloped(api: ApiClient, token: Callable[..., str]) -> None:
    missing = api.get("/v1/orgs/org-alpha/nothing-here", token("org-alpha"))
    assert_envelope(
        missing, 404, resource_type="route", resource_id="/v1/orgs/org-alpha/nothing-here"
    )
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        response = api.request(method, SUMMARY, token("org-alpha"))
        body = assert_envelope(response, 405, method=method)
        assert body["error"] == "METHOD_NOT_ALLOWED"
        assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD"}


def test_errors_are_json_with_security_headers(api: ApiClient) -> None:
    for response in (api.get(SUMMARY), api.get("/nope"), api.get("/healthz")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"
        assert b"Traceback" not in response.data
        assert b"<html" not in response.data.lower()
