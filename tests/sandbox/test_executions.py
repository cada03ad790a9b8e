"""`POST /_sandbox/executions` inserts exactly what it is told."""

from __future__ import annotations

import requests

from tests.sandbox.platform_walk import org_path, walk
from tests.support.sandbox import SandboxServer


def _executions(sandbox: SandboxServer, org: str, ws: str) -> dict[str, int]:
    return dict(sandbox.truth()["orgs"][org]["workspaces"][ws]["executions"])


def test_inserted_counts_are_exact(start_sandbox) -> None:
    sandbox: SandboxServer = start_sandbox(orgs=2, workspaces=3)
    org = sandbox.org_ids()[1]
    ws = list(sandbox.truth()["orgs"][org]["workspaces"])[2]
    before = _executions(sandbox, org, ws)
    answers = [
        sandbox.insert_executions(ws, 7, False),
        sandbox.insert_executions(ws, 4, True),
        sandbox.insert_executions(ws, 9, 3),
    ]
    assert [(a["inserted"], a["failed"]) for a in answers] == [(7, 0), (4, 4), (9, 3)]
    after = _executions(sandbox, org, ws)
    assert after["total"] - before["total"] == 20
    assert after["failed"] - before["failed"] == 7
    assert after["success"] - before["success"] == 13
    ids = {i for a in answers for i in a["ids"]}
    records = walk(sandbox, org_path(org, "activity"), "activities", workspace_id=ws)
    mine = [r for r in records if r["id"] in ids]
    assert len(mine) == 20 and all(r["execution_id"] for r in mine)
    assert sum(not r["success"] for r in mine) == 7
    other_ws = next(iter(sandbox.truth()["orgs"][org]["workspaces"]))
    assert _executions(sandbox, org, other_ws)["total"] == 0


def test_bad_orders_are_rejected(sandbox: SandboxServer) -> None:
    ws = next(iter(sandbox.truth()["orgs"][sandbox.org_ids()[0]]["workspaces"]))
    url = f"{sandbox.url}/_sandbox/executions"
    too_many_failed = requests.post(
        url, json={"workspace_id": ws, "count": 2, "failed": 3}, timeout=10
    )
    assert too_many_failed.status_code == 422
    assert too_many_failed.json()["detail"][0]["loc"] == ["body", "failed"]
    negative = requests.post(url, json={"workspace_id": ws, "count": -1}, timeout=10)
    assert negative.status_code == 422
    unknown = requests.post(url, json={"workspace_id": "ws-nope", "count": 1}, timeout=10)
    assert unknown.status_code == 404
    assert unknown.json()["details"] == {"resource_type": "workspace", "resource_id": "ws-nope"}
    not_json = requests.post(url, data="count=1", timeout=10)
    assert not_json.status_code == 422
