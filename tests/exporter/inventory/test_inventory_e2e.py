"""Against the sandbox: after one pass every gauge equals the truth, for every workspace."""

from __future__ import annotations

from tests.exporter.conftest import select
from tests.exporter.truth import (
    comparable,
    executions,
    exported_workspace,
    truth_executions,
)
from vocabulary import catalogue as cat


def inventory_done(exporter, samples) -> bool:
    last = select(samples, cat.COLLECTOR_LAST_SUCCESS.sample_name, collector="inventory")
    return exporter.up(samples, "inventory") == 1.0 and all(value > 0 for value in last.values())


def test_every_gauge_equals_the_truth(sandbox, start_exporter):
    truth = sandbox.truth()
    workspaces = [(org, ws) for org, data in truth["orgs"].items() for ws in data["workspaces"]]
    assert len(truth["orgs"]) >= 3 and len(workspaces) >= 20
    for kind in cat.RESOURCE_KINDS:  # the fixture is varied enough to mean something
        values = {truth["orgs"][org]["workspaces"][ws]["resources"][kind] for org, ws in workspaces}
        assert len(values) >= 2 and max(values) > 0, kind
    for _, ws in workspaces[::5]:  # some executions, so the counters mean something too
        sandbox.insert_executions(ws, 7, failed=2)
    exporter = start_exporter(sandbox)
    samples = exporter.wait_for(lambda s: inventory_done(exporter, s))
    info = select(samples, cat.WORKSPACE_INFO.sample_name)
    assert {(dict(k)["org_id"], dict(k)["workspace_id"]) for k in info} == set(workspaces)
    names = {dict(k)["workspace_id"]: dict(k)["workspace_name"] for k in info}
    assert names == {
        ws: truth["orgs"][org]["workspaces"][ws]["info"]["name"] for org, ws in workspaces
    }
    for org, ws in workspaces:
        expected = comparable(truth["orgs"][org]["workspaces"][ws])
        assert exported_workspace(samples, org, ws) == expected, (org, ws)
    stale = select(samples, cat.STALE_WORKSPACES.sample_name)
    assert set(stale.values()) == {0.0}
    expected_executions = truth_executions(sandbox.truth())
    samples = exporter.wait_for(lambda s: executions(s) == expected_executions)
    assert exporter.health().json() == {"status": "ok"}
