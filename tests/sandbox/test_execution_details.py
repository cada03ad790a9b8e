"""`POST /_sandbox/executions` writes the details it is given, exactly, and
`/_sandbox/truth/details` counts them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.sandbox.platform_walk import org_path, walk
from tests.sandbox.recompute_details import summarize
from tests.support.sandbox import SandboxServer

CODES = [f"E{n:05d}_{'X' * (n % 7)}" for n in range(10_000)]


@pytest.fixture(scope="module")
def order_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """One org of four workspaces, no history, no stream: only the orders write records."""
    server = SandboxServer(Path(tmp_path_factory.mktemp("sandbox-orders")), orgs=1, workspaces=4)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _workspaces(sandbox: SandboxServer) -> dict[str, Any]:
    return dict(sandbox.truth()["orgs"][sandbox.org_ids()[0]]["workspaces"])


def _order(sandbox: SandboxServer, **body: Any) -> requests.Response:
    return requests.post(f"{sandbox.url}/_sandbox/executions", json=body, timeout=60)


def _details(sandbox: SandboxServer, ws: str) -> dict[str, Any]:
    response = requests.get(f"{sandbox.url}/_sandbox/truth/details", timeout=60)
    assert response.status_code == 200, response.text
    return dict(response.json()["workspaces"][ws])


def test_an_order_writes_exactly_the_details_given(order_sandbox: SandboxServer) -> None:
    ws = list(_workspaces(order_sandbox))[1]
    durations = [10, 25, 26, 1_000, 1_800_000, 2_400_000, 3]
    answer = _order(
        order_sandbox,
        workspace_id=ws,
        count=7,
        failed=4,
        app_id="app-ordered",
        augmentation_id="aug-ordered",
        duration_ms=durations,
        token_usage={"prompt": 10, "completion": 3},
        error_codes=["TOOL_ERROR", None, "RATE_LIMITED"],
    )
    assert answer.status_code == 200, answer.text
    org = order_sandbox.org_ids()[0]
    records = walk(order_sandbox, org_path(org, "activity"), "activities", workspace_id=ws)
    assert [record["id"] for record in records] == answer.json()["ids"]
    assert [r["duration_ms"] for r in records] == durations
    assert [r["error_code"] for r in records] == [
        "TOOL_ERROR",
        None,
        "RATE_LIMITED",
        "TOOL_ERROR",
    ] + [None] * 3
    assert [r["status_code"] for r in records] == [500, 500, 429, 500, 200, 200, 200]
    assert all(r["token_usage"] == {"prompt": 10, "completion": 3} for r in records)
    truth = _details(order_sandbox, ws)
    assert {k: truth[k] for k in ("count", "sum_ms", "p50", "p90", "p95", "p99")} == {
        "count": 7,
        "sum_ms": sum(durations),
        "p50": 26,  # the 4th of 7
        "p90": 2_400_000,
        "p95": 2_400_000,
        "p99": 2_400_000,
    }
    # 25 ms is 0.025 s: `le` includes its bound.
    assert (truth["le"]["0.025"], truth["le"]["0.05"], truth["le"]["1800.0"]) == (3, 4, 6)
    assert truth["error_codes"] == {"TOOL_ERROR": 2, "RATE_LIMITED": 1, "status_500": 1}
    assert truth["tokens"] == {"completion": 21, "prompt": 70}
    assert truth["apps"] == {"app-ordered": {"total": 7, "failed": 4}}
    assert truth["pipelines"] == [
        {"app_id": "app-ordered", "augmentation_id": "aug-ordered", "total": 7, "failed": 4}
    ]
    assert {k: v for k, v in truth.items() if k not in {"org_id", "buckets", "late"}} == summarize(
        records
    )


def test_ten_thousand_distinct_codes_in_one_order(order_sandbox: SandboxServer) -> None:
    ws = list(_workspaces(order_sandbox))[2]
    started = time.monotonic()
    answer = _order(order_sandbox, workspace_id=ws, count=10_000, failed=True, error_codes=CODES)
    elapsed = time.monotonic() - started
    assert answer.status_code == 200, answer.text
    assert (answer.json()["inserted"], answer.json()["failed"]) == (10_000, 10_000)
    assert elapsed < 3.0, f"{elapsed:.2f} s"
    truth = _details(order_sandbox, ws)
    assert truth["error_codes"] == dict.fromkeys(CODES, 1)
    assert (truth["count"], truth["sum_ms"]) == (10_000, 1_000_000)


def test_an_order_without_details_writes_as_before(order_sandbox: SandboxServer) -> None:
    workspaces = _workspaces(order_sandbox)
    ws = next(ws for ws, entry in workspaces.items() if entry["resources"]["apps"] == 0)
    assert _order(order_sandbox, workspace_id=ws, count=3, failed=1).status_code == 200
    truth = _details(order_sandbox, ws)
    assert (truth["count"], truth["p50"], truth["error_codes"]) == (3, 100, {"status_500": 1})
    assert (truth["tokens"], truth["apps"], truth["pipelines"]) == ({}, {}, [])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("duration_ms", -1),
        ("duration_ms", "100"),
        ("duration_ms", []),
        ("duration_ms", [1, -2]),
        ("token_usage", {"prompt": -1}),
        ("token_usage", {"prompt": 1.5}),
        ("token_usage", [1]),
        ("error_codes", []),
        ("error_codes", "MODEL_TIMEOUT"),
        ("error_codes", [5]),
        ("app_id", ""),
        ("augmentation_id", 3),
    ],
)
def test_bad_details_are_422(order_sandbox: SandboxServer, field: str, value: Any) -> None:
    ws = list(_workspaces(order_sandbox))[3]
    response = _order(order_sandbox, workspace_id=ws, count=2, failed=1, **{field: value})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][:2] == ["body", field]


def test_a_pipeline_needs_an_app(order_sandbox: SandboxServer) -> None:
    workspaces = _workspaces(order_sandbox)
    ws = next(ws for ws, entry in workspaces.items() if entry["resources"]["apps"] == 0)
    before = _details(order_sandbox, ws)["count"]
    response = _order(order_sandbox, workspace_id=ws, count=1, augmentation_id="aug-x")
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "augmentation_id"]
    assert _details(order_sandbox, ws)["count"] == before
