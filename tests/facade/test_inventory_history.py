"""Summary, resources, executions, actions, secrets, sources, apps, namespaces and the org
rollup over the history equal what the history's inventory and counters say."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.facade_http import ApiClient
from tests.support.history import END, ORGS, PROFILES, START, Profile
from tests.support.history_stores import on_every_store
from tests.support.history_truth import HistoryTruth
from tests.support.prometheus import PrometheusServer
from tests.support.victoria import VictoriaMetricsServer

pytestmark = on_every_store

WORKSPACE_VIEWS = ("sources", "secrets", "actions")


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.workspace_id)
def test_workspace_answers_equal_truth(
    api: ApiClient, token: Callable[..., str], truth: HistoryTruth, profile: Profile
) -> None:
    org_id, ws = profile.org_id, profile.workspace_id
    base = f"/v1/orgs/{org_id}/workspaces/{ws}/analytics"
    auth = token(org_id, ws)
    summary = api.get(base, auth)
    assert summary.status_code == 200
    assert summary.get_json() == truth.summary(ws)
    assert api.get(f"{base}/resources", auth).get_json() == truth.summary(ws)["resources"]
    assert api.get(f"{base}/executions", auth).get_json() == truth.executions(ws)
    for view in WORKSPACE_VIEWS:
        response = api.get(f"{base}/{view}", auth)
        assert response.status_code == 200
        assert response.get_json() == getattr(truth, view)(ws), view


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.workspace_id)
def test_every_app_and_namespace_equals_truth(
    api: ApiClient, token: Callable[..., str], truth: HistoryTruth, profile: Profile
) -> None:
    org_id, ws = profile.org_id, profile.workspace_id
    auth = token(org_id, ws)
    for app_id, expected in truth.apps(ws).items():
        response = api.get(f"/v1/orgs/{org_id}/workspaces/{ws}/apps/{app_id}/analytics", auth)
        assert response.get_json() == expected
    for namespace_id, expected in truth.namespaces(ws).items():
        path = f"/v1/orgs/{org_id}/workspaces/{ws}/namespaces/{namespace_id}/analytics"
        assert api.get(path, auth).get_json() == expected


@pytest.mark.parametrize("org_id", ORGS)
def test_org_rollup_sums_its_workspaces(
    api: ApiClient, token: Callable[..., str], truth: HistoryTruth, org_id: str
) -> None:
    response = api.get(f"/v1/orgs/{org_id}/analytics", token(org_id))
    assert response.status_code == 200
    body = response.get_json()
    assert body == truth.rollup(org_id)
    assert body["workspace_count"] == sum(1 for p in PROFILES if p.org_id == org_id)


def test_a_renamed_workspace_counts_once(
    api: ApiClient,
    token: Callable[..., str],
    truth: HistoryTruth,
    history_store: PrometheusServer | VictoriaMetricsServer,
) -> None:
    renamed = next(p for p in PROFILES if p.renamed_at is not None)
    org_id, ws = renamed.org_id, renamed.workspace_id
    info = f'mechamental_workspace_info{{workspace_id="{ws}"}}'
    names = {row["metric"]["workspace_name"] for row in history_store.query(info, END)}
    assert renamed.name(END) in names  # the new name is there; the old one too while it lingers
    if isinstance(history_store, PrometheusServer):
        assert names == {renamed.name(START), renamed.name(END)}
    rollup = api.get(f"/v1/orgs/{org_id}/analytics", token(org_id)).get_json()
    assert rollup["workspace_count"] == sum(1 for p in PROFILES if p.org_id == org_id)
    summary = api.get(f"/v1/orgs/{org_id}/workspaces/{ws}/analytics", token(org_id, ws))
    assert summary.get_json() == truth.summary(ws)


def test_org_rollup_narrowed_to_one_workspace(
    api: ApiClient, token: Callable[..., str], truth: HistoryTruth
) -> None:
    response = api.get(
        "/v1/orgs/org-beta/analytics", token("org-beta", "ws-b03"), workspace_id="ws-b03"
    )
    assert response.status_code == 200
    assert response.get_json() == truth.rollup("org-beta", "ws-b03")
    assert response.get_json()["workspace_count"] == 1


def test_success_rate_is_zero_without_executions_and_a_ratio_otherwise(
    api: ApiClient, token: Callable[..., str]
) -> None:
    quiet = api.get("/v1/orgs/org-beta/workspaces/ws-b09/analytics/executions", token("org-beta"))
    failing = api.get("/v1/orgs/org-beta/workspaces/ws-b08/analytics/executions", token("org-beta"))
    assert quiet.get_json() == {"total": 0, "success": 0, "failed": 0, "success_rate": 0}
    body = failing.get_json()
    assert body["total"] > 0
    assert body["failed"] == body["total"]
    assert body["success_rate"] == 0


def test_two_jobs_scraping_one_exporter_do_not_double_counts(
    api: ApiClient,
    token: Callable[..., str],
    truth: HistoryTruth,
    history_store: PrometheusServer | VictoriaMetricsServer,
) -> None:
    jobs = 'count by (job) (mechamental_executions_total{workspace_id="ws-a02"})'
    assert len(history_store.query(jobs, at=END)) == 2
    body = api.get("/v1/orgs/org-alpha/workspaces/ws-a02/analytics", token("org-alpha")).get_json()
    assert body["executions"]["total"] == truth.counter_now("ws-a02")
    assert body["resources"] == truth.inventories["ws-a02"].resources()
    assert body["resources"]["sources"] > 0
