"""Paging: every page walk yields exactly `total` items, limits are checked, cursors are stable."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from tests.sandbox.platform_walk import org_path, walk
from tests.support.sandbox import SandboxServer


def _lists(sandbox: SandboxServer, org: str, ws: str) -> list[tuple[str, str, dict]]:
    """Every list of one workspace: (path, items key, extra params)."""
    truth = sandbox.truth()["orgs"][org]["workspaces"][ws]
    lists: list[tuple[str, str, dict]] = [
        (org_path(org, "workspaces", ws, kind), key, {})
        for kind, key in (("apps", "apps"), ("sources", "sources"), ("secrets", "secrets"))
    ]
    lists.append((org_path(org, "augmentations/"), "augmentations", {"workspace_id": ws}))
    for app in truth["apps"]:
        for kind in ("namespaces", "endpoints", "actions", "releases"):
            lists.append((org_path(org, "workspaces", ws, "apps", app, kind), kind, {}))
    for ns in truth["namespaces"]:
        lists.append((org_path(org, "workspaces", ws, "namespaces", ns, "threads"), "threads", {}))
    return lists


def test_small_pages_walk_every_item_once(sandbox: SandboxServer) -> None:
    org = sandbox.org_ids()[0]
    workspaces = walk(sandbox, org_path(org, "workspaces"), "workspaces", limit=3)
    assert [w["workspace_id"] for w in workspaces] == [
        w["workspace_id"] for w in walk(sandbox, org_path(org, "workspaces"), "workspaces")
    ]
    checked = 0
    for workspace in workspaces:
        for path, key, params in _lists(sandbox, org, workspace["workspace_id"]):
            small = walk(sandbox, path, key, limit=2, **params)
            whole = walk(sandbox, path, key, **params)
            assert small == whole, path
            ids = [item[next(iter(item))] for item in whole]
            assert len(ids) == len(set(ids)), path
            checked += len(whole)
    assert checked > 50


def test_limit_one_gives_the_count(sandbox: SandboxServer) -> None:
    org = sandbox.org_ids()[0]
    body = sandbox.get(org_path(org, "workspaces"), limit=1).json()
    assert len(body["workspaces"]) == 1 and body["has_more"] is True
    assert body["total"] == len(walk(sandbox, org_path(org, "workspaces"), "workspaces"))


@pytest.mark.parametrize(
    ("value", "kind", "ctx"),
    [
        ("0", "greater_than_equal", {"ge": 1}),
        ("201", "less_than_equal", {"le": 200}),
        ("ten", "int_parsing", {}),
        ("1.5", "int_parsing", {}),
    ],
)
def test_limit_out_of_range_is_422_in_pydantic_shape(
    sandbox: SandboxServer, value: str, kind: str, ctx: dict
) -> None:
    org = sandbox.org_ids()[0]
    response = sandbox.get(org_path(org, "workspaces"), limit=value)
    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert set(detail) == {"loc", "msg", "type", "input", "ctx"}
    assert detail["loc"] == ["query", "limit"]
    assert (detail["type"], detail["input"], detail["ctx"]) == (kind, value, ctx)
    assert isinstance(detail["msg"], str) and detail["msg"]


def test_entitlements_limit_is_at_most_100(sandbox: SandboxServer) -> None:
    org = sandbox.org_ids()[0]
    ws = next(iter(sandbox.truth()["orgs"][org]["workspaces"]))
    path = org_path(org, "workspaces", ws, "model-entitlements")
    assert sandbox.get(path, limit=100).status_code == 200
    response = sandbox.get(path, limit=101)
    assert response.status_code == 422
    assert response.json()["detail"][0]["ctx"] == {"le": 100}


def test_foreign_cursor_is_422(sandbox: SandboxServer) -> None:
    org = sandbox.org_ids()[0]
    response = sandbox.get(org_path(org, "workspaces"), cursor="not a cursor!")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_activity_cursor_stable_while_records_arrive(start_sandbox) -> None:
    sandbox = start_sandbox(orgs=1, workspaces=3)
    ws = next(iter(sandbox.truth()["orgs"][sandbox.org_ids()[0]]["workspaces"]))
    path = org_path(sandbox.org_ids()[0], "activity")
    start = datetime.now(UTC).isoformat()
    sandbox.insert_executions(ws, 40, 0)
    stop = threading.Event()

    def insert_while_walking() -> None:
        while not stop.is_set():
            sandbox.insert_executions(ws, 3, 1)

    inserter = threading.Thread(target=insert_while_walking)
    inserter.start()
    try:
        walked = walk(sandbox, path, "activities", limit=7, static=False, start_time=start)
    finally:
        stop.set()
        inserter.join()
    final = walk(sandbox, path, "activities", limit=200, static=False, start_time=start)
    assert len(walked) >= 40
    assert walked == final[: len(walked)], "records arriving mid-walk only extend the list"
    keys = [(r["timestamp"].rstrip("Z"), r["id"]) for r in final]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
