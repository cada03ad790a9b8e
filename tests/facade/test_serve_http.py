"""The served façade (real gunicorn over live data) as a client meets it: gunicorn's own
errors in the JSON envelope, tokens for many workspaces, and CORS for a configured origin."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from facade.gunicorn_conf import limit_request_field_size, limit_request_line
from stack.supervisor import ManagedProcess, free_port, python_command
from tests.facade.conftest import JWT_SECRET
from tests.support.facade_http import OpenApiChecker
from tests.support.facade_live import LiveStack

APP_ORIGIN = "https://app.example"
ENVELOPE_KEYS = ["error", "message", "details", "timestamp", "status_code"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, live_stack: LiveStack) -> Iterator[str]:
    """`mm-analytics facade` with CORS for APP_ORIGIN; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "FACADE_PROMETHEUS_URL": live_stack.prometheus.url,
        "FACADE_JWT_SECRET": JWT_SECRET,
        "FACADE_CORS_ORIGINS": f"{APP_ORIGIN}, http://localhost:5173",
    }
    server = ManagedProcess(
        "facade",
        python_command("facade", "--bind", f"127.0.0.1:{port}", "--workers", "1"),
        log_path=tmp_path_factory.mktemp("served") / "facade.log",
        env=env,
        ready_url=f"{base}/healthz",
    )
    server.start(ready_timeout=60)
    yield base
    assert server.stop() == 0


def enveloped(response: requests.Response, status: int, error: str) -> dict[str, Any]:
    """The JSON envelope with `status` and `error`."""
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert list(body) == ENVELOPE_KEYS
    assert (body["status_code"], body["error"]) == (status, error)
    return body


def raw_exchange(base: str, request: bytes) -> bytes:
    """Send raw bytes to the server and read its whole answer."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


def test_a_url_over_the_limit_is_an_enveloped_414(served: str) -> None:
    response = requests.get(f"{served}/v1/orgs/{'o' * limit_request_line}/analytics", timeout=10)
    body = enveloped(response, 414, "URI_TOO_LONG")
    assert body["details"] == {"max_request_line_bytes": limit_request_line}


def test_a_header_over_the_limit_is_an_enveloped_431(served: str) -> None:
    huge = "x" * (limit_request_field_size + 1)
    response = requests.get(f"{served}/healthz", headers={"X-Big": huge}, timeout=10)
    body = enveloped(response, 431, "REQUEST_HEADER_FIELDS_TOO_LARGE")
    assert body["details"]["max_header_bytes"] == limit_request_field_size


def test_a_malformed_request_is_an_enveloped_400(served: str) -> None:
    answer = raw_exchange(served, b"GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"Content-Type: application/json" in head
    assert b"<html" not in answer.lower()
    assert body.startswith(b'{"error": "BAD_REQUEST"')


def _cli_token(org: str, workspaces: list[str]) -> str:
    argv = ["token", "--org", org, *(arg for ws in workspaces for arg in ("--workspace", ws))]
    env = {"PATH": "/usr/bin:/bin", "FACADE_JWT_SECRET": JWT_SECRET}
    done = subprocess.run(
        python_command(*argv), env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


@pytest.mark.parametrize("count", [201, 1000])
def test_a_token_for_many_workspaces_is_accepted(
    served: str, live_stack: LiveStack, checker: OpenApiChecker, count: int
) -> None:
    org, workspace = live_stack.org_id, live_stack.workspace_id
    # Ids of 20 characters, the longest the documented header limit is sized for.
    others = [f"ws-{index:017d}" for index in range(count - 1)]
    token = _cli_token(org, [*others, workspace])
    assert len(token) < limit_request_field_size
    path = f"/v1/orgs/{org}/workspaces/{workspace}/analytics"
    answer = requests.get(served + path, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    checker.check_body(path, "GET", 200, answer.json())
    executions = answer.json()["executions"]
    truth = live_stack.workspace(org, workspace)["executions"]
    assert (executions["total"], executions["failed"]) == (truth["total"], truth["failed"])
    other = f"/v1/orgs/{org}/workspaces/ws-not-in-the-token/analytics"
    refused = requests.get(served + other, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert enveloped(refused, 403, "FORBIDDEN")["details"]["required_permission"] == (
        "analytics:ws-not-in-the-token:view"
    )


def preflight(served: str, path: str, origin: str, method: str = "GET") -> requests.Response:
    """A browser's CORS preflight."""
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization",
    }
    return requests.options(served + path, headers=headers, timeout=10)


def test_a_preflight_from_a_configured_origin_is_answered(
    served: str, live_stack: LiveStack
) -> None:
    path = f"/v1/orgs/{live_stack.org_id}/analytics"
    for origin in (APP_ORIGIN, "http://localhost:5173"):
        answer = preflight(served, path, origin)
        assert answer.status_code == 204
        assert answer.headers["Access-Control-Allow-Origin"] == origin
        assert "authorization" in answer.headers["Access-Control-Allow-Headers"].lower()
        assert set(answer.headers["Access-Control-Allow-Methods"].split(", ")) == {"GET", "HEAD"}
        assert "Origin" in answer.headers["Vary"]
        assert "Access-Control-Allow-Credentials" not in answer.headers


@pytest.mark.parametrize(
    ("origin", "path", "method", "status"),
    [
        ("https://evil.example", "/healthz", "GET", 405),
        (f"{APP_ORIGIN}.evil.example", "/healthz", "GET", 405),
        ("null", "/healthz", "GET", 405),
        (APP_ORIGIN, "/healthz", "DELETE", 405),
        (APP_ORIGIN, "/v1/nowhere", "GET", 404),
    ],
)
def test_other_preflights_get_the_envelope_and_no_cors_headers(
    served: str, origin: str, path: str, method: str, status: int
) -> None:
    answer = preflight(served, path, origin, method)
    assert answer.status_code == status
    assert list(answer.json()) == ENVELOPE_KEYS
    if origin != APP_ORIGIN:
        assert not [key for key in answer.headers if key.lower().startswith("access-control-")]


def test_answers_to_a_configured_origin_name_it(
    served: str, live_stack: LiveStack, token: Callable[..., str]
) -> None:
    org, workspace = live_stack.org_id, live_stack.workspace_id
    path = f"/v1/orgs/{org}/workspaces/{workspace}/analytics"
    ok = requests.get(
        served + path,
        headers={"Origin": APP_ORIGIN, "Authorization": f"Bearer {token(org)}"},
        timeout=10,
    )
    unauthenticated = requests.get(served + path, headers={"Origin": APP_ORIGIN}, timeout=10)
    for answer, status in ((ok, 200), (unauthenticated, 401)):
        assert answer.status_code == status
        assert answer.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
        assert "Last-Modified" in answer.headers["Access-Control-Expose-Headers"]
        assert "Access-Control-Allow-Credentials" not in answer.headers
    stranger = requests.get(served + path, headers={"Origin": "https://evil.example"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in stranger.headers
