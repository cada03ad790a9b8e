"""Every fault is observable on the platform endpoints and switchable on and off at run time."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.sandbox.platform_walk import org_path
from tests.support.sandbox import SandboxServer


def _workspaces_path(sandbox: SandboxServer) -> str:
    return org_path(sandbox.org_ids()[0], "workspaces")


def test_latency_delays_answers(sandbox: SandboxServer) -> None:
    path = _workspaces_path(sandbox)
    sandbox.set_faults(latency_ms=500)
    started = time.monotonic()
    assert sandbox.get(path).status_code == 200
    assert time.monotonic() - started >= 0.5
    sandbox.clear_faults()
    started = time.monotonic()
    assert sandbox.get(path).status_code == 200
    assert time.monotonic() - started < 0.5


def test_error_rate_one_is_500_then_recovers(sandbox: SandboxServer) -> None:
    path = _workspaces_path(sandbox)
    sandbox.set_faults(error_rate=1.0)
    response = sandbox.get(path)
    assert response.status_code == 500
    assert response.json()["error"] == "INTERNAL_SERVER_ERROR"
    assert sandbox.truth()["orgs"] and sandbox.get("/healthz").status_code == 200, "platform only"
    sandbox.set_faults(error_rate=0.0)
    assert sandbox.get(path).status_code == 200


def test_error_rate_is_a_share(sandbox: SandboxServer) -> None:
    path = _workspaces_path(sandbox)
    sandbox.set_faults(error_rate=0.5)
    statuses = [sandbox.get(path, limit=1).status_code for _ in range(200)]
    assert set(statuses) == {200, 500}
    assert 60 <= statuses.count(500) <= 140
    assert sandbox.requests_seen()["by_status"] == {
        "200": statuses.count(200),
        "500": statuses.count(500),
    }


def test_rate_limit_answers_429_with_retry_after(sandbox: SandboxServer) -> None:
    path = _workspaces_path(sandbox)
    sandbox.set_faults(rate_limit={"rate": 1.0, "retry_after": 3})
    response = sandbox.get(path)
    assert response.status_code == 429
    body = response.json()
    assert body["error"] == "RATE_LIMIT_EXCEEDED" and body["details"] == {"retry_after": 3}
    assert response.headers["Retry-After"] == "3"
    sandbox.set_faults(rate_limit={"rate": 1.0, "retry_after": 0.5})
    response = sandbox.get(path)
    assert response.json()["details"]["retry_after"] == 0.5
    assert response.headers["Retry-After"] == "1"
    sandbox.set_faults(rate_limit=None)
    assert sandbox.get(path).status_code == 200


def test_hang_makes_a_client_time_out(sandbox: SandboxServer) -> None:
    url = f"{sandbox.url}{_workspaces_path(sandbox)}"
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    sandbox.set_faults(hang_ms=1500)
    with pytest.raises(requests.Timeout):
        requests.get(url, headers=headers, timeout=0.4)
    sandbox.clear_faults()
    assert requests.get(url, headers=headers, timeout=5).status_code == 200


def test_malformed_bodies_are_not_json(sandbox: SandboxServer) -> None:
    path = _workspaces_path(sandbox)
    sandbox.set_faults(malformed_rate=1.0)
    response = sandbox.get(path)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)
    sandbox.set_faults(malformed_rate=0)
    assert sandbox.get(path).json()["total"] > 0


def test_paths_narrow_the_faults(sandbox: SandboxServer) -> None:
    org = sandbox.org_ids()[0]
    ws = next(iter(sandbox.truth()["orgs"][org]["workspaces"]))
    sandbox.set_faults(error_rate=1.0, paths=r"/secrets$")
    assert sandbox.get(org_path(org, "workspaces", ws, "secrets")).status_code == 500
    assert sandbox.get(org_path(org, "workspaces", ws, "sources")).status_code == 200
    assert sandbox.truth()["orgs"][org], "control endpoints never fail"


def test_faults_state_and_bad_settings(sandbox: SandboxServer) -> None:
    state = sandbox.set_faults(latency_ms=5, error_rate=0.25)
    assert (state["latency_ms"], state["error_rate"]) == (5, 0.25)
    assert sandbox.faults() == state
    merged = sandbox.set_faults(malformed_rate=0.5)
    assert (merged["error_rate"], merged["malformed_rate"]) == (0.25, 0.5)
    url = f"{sandbox.url}/_sandbox/faults"
    for bad in ({"error_rate": 2}, {"paths": "("}, {"nonsense": 1}):
        response = requests.put(url, json=bad, timeout=10)
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"][0] == "body"
    sandbox.clear_faults()
    assert sandbox.faults()["error_rate"] == 0


def test_requests_counted_by_route_and_status(sandbox: SandboxServer) -> None:
    org = sandbox.org_ids()[0]
    sandbox.get(org_path(org, "workspaces"))
    sandbox.get(org_path(org, "workspaces"), token="wrong")
    sandbox.get(org_path("org-missing", "workspaces"))
    sandbox.get(org_path(org, "activity"))
    seen = sandbox.requests_seen()
    assert seen["total"] == 4
    assert seen["by_route_status"] == {
        "/v1/orgs/<org_id>/workspaces": {"200": 1, "401": 1, "404": 1},
        "/v1/orgs/<org_id>/activity": {"200": 1},
    }
    times = [entry["time"] for entry in seen["recent"]]
    assert times == sorted(times) and len(times) == 4
    assert abs(times[-1] - time.time()) < 60
    sandbox.reset_requests()
    assert sandbox.requests_seen()["total"] == 0
