"""List filters: sources by namespace, status and scope; augmentations by app; activity by time
window (start inclusive, end exclusive) and workspace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from tests.sandbox.platform_walk import org_path, walk
from tests.support.sandbox import SandboxServer


def _busy_workspace(sandbox: SandboxServer) -> tuple[str, str, dict]:
    for org, data in sandbox.truth()["orgs"].items():
        for ws, body in data["workspaces"].items():
            sources = body["sources"]
            if sources["namespace_sources"] and sources["workspace_sources"]:
                return org, ws, body
    raise AssertionError("no workspace with sources of both scopes")


def test_source_filters_select_from_the_whole_list(sandbox: SandboxServer) -> None:
    org, ws, _ = _busy_workspace(sandbox)
    path = org_path(org, "workspaces", ws, "sources")
    everything = walk(sandbox, path, "sources")
    ns = next(s["namespace_id"] for s in everything if s["namespace_id"])
    status = everything[0]["processing_status"]
    cases = [
        ({"namespace_id": ns}, lambda s: s["namespace_id"] == ns),
        (
            {"namespace_id": ns, "include_parent_scopes": "true"},
            lambda s: s["namespace_id"] == ns or s["source_scope"] == "workspace",
        ),
        ({"status": status}, lambda s: s["processing_status"] == status),
        ({"scope": "workspace"}, lambda s: s["source_scope"] == "workspace"),
        ({"scope": "namespace"}, lambda s: s["source_scope"] == "namespace"),
    ]
    for params, keep in cases:
        expected = [s for s in everything if keep(s)]
        assert expected, params
        assert walk(sandbox, path, "sources", **params) == expected, params
    assert sandbox.get(path, scope="galaxy").status_code == 422


def test_augmentations_by_app(sandbox: SandboxServer) -> None:
    truth = sandbox.truth()["orgs"]
    org = next(iter(truth))
    path = org_path(org, "augmentations/")
    for ws, body in truth[org]["workspaces"].items():
        everything = walk(sandbox, path, "augmentations", workspace_id=ws)
        for app, counts in body["apps"].items():
            mine = walk(sandbox, path, "augmentations", workspace_id=ws, app_id=app)
            assert mine == [a for a in everything if a["app_id"] == app]
            assert len(mine) == counts["augmentations"]


def test_activity_window_and_workspace_filter(start_sandbox) -> None:
    sandbox: SandboxServer = start_sandbox(orgs=1, workspaces=3)
    org = sandbox.org_ids()[0]
    first_ws, second_ws = list(sandbox.truth()["orgs"][org]["workspaces"])[:2]
    for ws in (first_ws, second_ws, first_ws, second_ws):
        sandbox.insert_executions(ws, 2, 1)
    path = org_path(org, "activity")
    records = walk(sandbox, path, "activities", static=False)
    assert len(records) == 8
    stamps = [r["timestamp"] for r in records]
    assert any(s.endswith("Z") for s in stamps) and any(not s.endswith("Z") for s in stamps)
    assert all(len(s.rstrip("Z").split(".")[1]) == 6 for s in stamps), "microseconds"
    third = stamps[2]  # the first record of the second insert
    window = walk(sandbox, path, "activities", static=False, start_time=third, end_time=stamps[6])
    assert window == records[2:6]
    plus_two = timezone(timedelta(hours=2))
    zoned = datetime.fromisoformat(third.rstrip("Z")).replace(tzinfo=UTC).astimezone(plus_two)
    assert zoned.isoformat().endswith("+02:00")
    assert (
        walk(sandbox, path, "activities", static=False, start_time=zoned.isoformat()) == records[2:]
    )
    only_first = walk(sandbox, path, "activities", static=False, workspace_id=first_ws)
    assert only_first == [r for r in records if r["workspace_id"] == first_ws]
    assert {r["success"] for r in only_first} == {True, False}
