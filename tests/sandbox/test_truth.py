"""The truth endpoint equals what a client recomputes by walking the public API."""

from __future__ import annotations

from datetime import datetime

from tests.sandbox.recompute import recompute_truth
from tests.support.sandbox import SandboxServer


def _without_info(truth: dict) -> dict:
    return {
        org: {
            "workspaces": {
                ws: {k: v for k, v in body.items() if k != "info"}
                for ws, body in data["workspaces"].items()
            }
        }
        for org, data in truth["orgs"].items()
    }


def test_truth_equals_a_walk_of_the_public_api(start_sandbox) -> None:
    sandbox = start_sandbox(rate=40.0, stream=True)
    workspaces = [ws for org in sandbox.truth()["orgs"].values() for ws in org["workspaces"]]
    sandbox.insert_executions(workspaces[3], 5, 2)
    sandbox.set_stream(running=False)
    truth = sandbox.truth()
    assert _without_info(truth) == recompute_truth(sandbox)["orgs"]
    executions = [
        w["executions"]["total"] for o in truth["orgs"].values() for w in o["workspaces"].values()
    ]
    assert sum(executions) >= 5
    datetime.fromisoformat(truth["generated_at"].replace("Z", "+00:00"))


def test_truth_covers_every_resource_kind(sandbox: SandboxServer) -> None:
    truth = sandbox.truth()
    assert len(truth["orgs"]) == 3
    workspaces = [w for o in truth["orgs"].values() for w in o["workspaces"].values()]
    assert len(workspaces) == 24
    for kind in workspaces[0]["resources"]:
        values = {w["resources"][kind] for w in workspaces}
        assert max(values) > 0 and len(values) > 1, kind
    assert min(w["resources"]["apps"] for w in workspaces) == 0
    assert min(w["resources"]["sources"] for w in workspaces) == 0
    assert min(w["resources"]["secrets"] for w in workspaces) == 0
    for w in workspaces:
        resources, apps = w["resources"], w["apps"].values()
        assert resources["namespaces"] == sum(a["namespaces"] for a in apps)
        assert resources["threads"] == sum(n["threads"] for n in w["namespaces"].values())
        assert w["sources"]["total_sources"] == resources["sources"]
        assert sum(w["sources"]["sources_by_status"].values()) == resources["sources"]
