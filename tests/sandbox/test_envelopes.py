"""Errors: 401 without the token, 404 with resource details, 405 and unknown routes, all in the
platform's envelope."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.sandbox.platform_walk import org_path
from tests.support.sandbox import SandboxServer

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")


def _envelope(response: requests.Response, status: int, error: str) -> dict:
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "message", "details", "timestamp", "status_code"}
    assert (body["error"], body["status_code"]) == (error, status)
    assert STAMP.match(body["timestamp"]), body["timestamp"]
    stamp = datetime.fromisoformat(body["timestamp"]).replace(tzinfo=UTC)
    assert abs(stamp - datetime.now(UTC)) < timedelta(minutes=1), "UTC, no zone"
    return body


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic sandbox-token", "Bearer"])
def test_token_required(sandbox: SandboxServer, header: str | None) -> None:
    org = sandbox.org_ids()[0]
    headers = {} if header is None else {"Authorization": header}
    response = requests.get(
        f"{sandbox.url}{org_path(org, 'workspaces')}", headers=headers, timeout=10
    )
    body = _envelope(response, 401, "AUTHENTICATION_FAILED")
    assert body["details"] == {}


def test_unknown_resources_are_404_with_details(sandbox: SandboxServer) -> None:
    truth = sandbox.truth()["orgs"]
    org = next(iter(truth))
    ws = next(w for w, v in truth[org]["workspaces"].items() if v["apps"] and v["namespaces"])
    other_org = list(truth)[1]
    cases = [
        (org_path("org-missing", "workspaces"), {}, "organization", "org-missing"),
        (org_path(org, "workspaces", "ws-missing", "apps"), {}, "workspace", "ws-missing"),
        (org_path(other_org, "workspaces", ws, "apps"), {}, "workspace", ws),
        (
            org_path(org, "workspaces", ws, "apps", "app-missing", "actions"),
            {},
            "app",
            "app-missing",
        ),
        (
            org_path(org, "workspaces", ws, "namespaces", "ns-missing", "threads"),
            {},
            "namespace",
            "ns-missing",
        ),
        (
            org_path(org, "augmentations/"),
            {"workspace_id": "ws-missing"},
            "workspace",
            "ws-missing",
        ),
        (org_path(org, "activity"), {"workspace_id": "ws-missing"}, "workspace", "ws-missing"),
    ]
    for path, params, kind, resource_id in cases:
        body = _envelope(sandbox.get(path, **params), 404, "RESOURCE_NOT_FOUND")
        assert body["details"] == {"resource_type": kind, "resource_id": resource_id}, path


def test_unknown_route_and_wrong_method(sandbox: SandboxServer) -> None:
    _envelope(sandbox.get("/v1/nothing-here"), 404, "RESOURCE_NOT_FOUND")
    org = sandbox.org_ids()[0]
    response = requests.post(
        f"{sandbox.url}{org_path(org, 'workspaces')}",
        timeout=10,
        headers={"Authorization": f"Bearer {sandbox.token}"},
    )
    _envelope(response, 405, "METHOD_NOT_ALLOWED")
    assert "GET" in response.headers["Allow"]


def test_augmentations_need_a_workspace(sandbox: SandboxServer) -> None:
    response = sandbox.get(org_path(sandbox.org_ids()[0], "augmentations/"))
    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert (detail["loc"], detail["type"]) == (["query", "workspace_id"], "missing")


def test_bad_activity_time_is_422(sandbox: SandboxServer) -> None:
    response = sandbox.get(org_path(sandbox.org_ids()[0], "activity"), start_time="yesterday")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "start_time"]


def test_item_timestamps_mix_zulu_and_zone_less(sandbox: SandboxServer) -> None:
    org = sandbox.org_ids()[0]
    stamps = [
        item["created_at"]
        for ws in sandbox.truth()["orgs"][org]["workspaces"]
        for item in sandbox.get(org_path(org, "workspaces", ws, "sources"), limit=200).json()[
            "sources"
        ]
    ]
    assert {stamp.endswith("Z") for stamp in stamps} == {True, False}
    for stamp in stamps:
        datetime.fromisoformat(stamp.replace("Z", "+00:00"))
