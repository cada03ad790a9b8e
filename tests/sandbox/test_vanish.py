"""A workspace can vanish mid-walk: after the next workspaces list it is gone everywhere."""

from __future__ import annotations

from tests.sandbox.platform_walk import org_path, walk


def test_workspace_vanishes_after_the_list_that_named_it(start_sandbox) -> None:
    sandbox = start_sandbox(orgs=2, workspaces=4)
    org = sandbox.org_ids()[1]
    truth = sandbox.truth()["orgs"][org]["workspaces"]
    ws = next(w for w, body in truth.items() if body["resources"]["apps"])
    apps_path = org_path(org, "workspaces", ws, "apps")
    sandbox.set_faults(vanish_workspace=ws)
    assert sandbox.get(apps_path).status_code == 200, "still there until a list is served"
    assert sandbox.faults()["vanish_workspace"] == ws

    other_org = walk(sandbox, org_path(sandbox.org_ids()[0], "workspaces"), "workspaces")
    assert other_org and sandbox.get(apps_path).status_code == 200, "only its own org's list"
    listed = walk(sandbox, org_path(org, "workspaces"), "workspaces")
    assert ws in [w["workspace_id"] for w in listed], "the list that was served still named it"
    response = sandbox.get(apps_path)
    assert response.status_code == 404
    assert response.json()["details"] == {"resource_type": "workspace", "resource_id": ws}
    app = next(iter(truth[ws]["apps"]))
    assert sandbox.get(org_path(org, "workspaces", ws, "apps", app, "actions")).status_code == 404
    assert sandbox.get(org_path(org, "augmentations/"), workspace_id=ws).status_code == 404

    after = walk(sandbox, org_path(org, "workspaces"), "workspaces")
    assert [w["workspace_id"] for w in after] == [
        w["workspace_id"] for w in listed if w["workspace_id"] != ws
    ]
    assert ws not in sandbox.truth()["orgs"][org]["workspaces"]
    assert sandbox.faults()["vanish_workspace"] is None
    sandbox.clear_faults()
    assert sandbox.get(apps_path).status_code == 404, "gone for good"
