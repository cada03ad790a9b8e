"""The walk of one workspace against `responses`: every list read, 404s told apart."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from exporter.inventory.schedule import InventoryCollection
from exporter.inventory.snapshot import NamespaceListing
from exporter.inventory.walk import WorkspaceGone, list_workspaces, walk_workspace
from exporter.metrics.families import workspace_families
from exporter.platform import api
from exporter.platform.client import PlatformClient, PlatformTarget, RequestPolicy
from exporter.platform.errors import NotFound
from vocabulary.catalogue import WORKSPACE_INFO as INFO

BASE = "http://platform.test"
WS = f"{BASE}/v1/orgs/org-a/workspaces/ws-1"
APP = f"{WS}/apps/app-1"
POLICY = RequestPolicy(timeout=1.0, max_retries=0, backoff_base=0.01, backoff_max=0.01)
SOURCE = {
    "source_id": "s-1",
    "source_type": "pdf",
    "processing_status": "completed",
    "source_scope": "workspace",
    "is_indexed": True,
    "total_chunks": 4,
}
# Each list of the workspace by its items key: URL and items.
LISTS: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "apps": (f"{WS}/apps", [{"app_id": "app-1", "total_releases": 3}]),
    "namespaces": (f"{APP}/namespaces", [{"namespace_id": "ns-1"}]),
    "threads": (f"{WS}/namespaces/ns-1/threads", [{"thread_id": f"t-{n}"} for n in range(3)]),
    "endpoints": (f"{APP}/endpoints", [{"endpoint_id": "e-1"}, {"endpoint_id": "e-2"}]),
    "actions": (
        f"{APP}/actions",
        [{"action_id": "a-1", "schedule_type": "cron", "is_enabled": True}],
    ),
    "augmentations": (f"{BASE}/v1/orgs/org-a/augmentations/", [{"id": "g-1", "app_id": "app-1"}]),
    "sources": (f"{WS}/sources", [SOURCE]),
    "secrets": (
        f"{WS}/secrets",
        [{"secret_id": "k-1", "secret_type": "api_key", "is_active": False}],
    ),
    "entitlements": (f"{WS}/model-entitlements", [{"entitlement_id": "m-1"}]),
}


def envelope(key: str, items: list[Any]) -> dict[str, Any]:
    return {"total": len(items), "has_more": False, "next_cursor": None, key: items}


def not_found(resource_type: str, resource_id: str) -> dict[str, Any]:
    details = {"resource_type": resource_type, "resource_id": resource_id}
    return {"error": "RESOURCE_NOT_FOUND", "message": "not found", "details": details}


@pytest.fixture
def platform() -> Iterator[responses.RequestsMock]:
    """A workspace with one app, one namespace and one of nearly everything."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for key, (url, items) in LISTS.items():
            mock.add(responses.GET, url, json=envelope(key, items))
        yield mock


def client() -> PlatformClient:
    return PlatformClient(PlatformTarget(BASE, "tok"), requests.Session(), POLICY)


def queries(mock: responses.RequestsMock) -> dict[str, dict[str, str]]:
    """The query of each request, by path."""
    asked = {}
    for call in mock.calls:
        url = urlsplit(str(call.request.url))
        asked[url.path] = {key: values[0] for key, values in parse_qs(url.query).items()}
    return asked


def test_a_walk_reads_every_list_once_into_one_listing(platform):
    listing = walk_workspace(client(), "org-a", "ws-1", clock=lambda: 1_700_000_000.5, name="Ops")
    assert (listing.org_id, listing.workspace_id, listing.collected_at, listing.name) == (
        "org-a",
        "ws-1",
        1_700_000_000.5,
        "Ops",
    )
    assert listing.apps == (api.AppRecord("app-1", 3),)
    assert listing.namespaces == (NamespaceListing("ns-1", "app-1", 3),)
    assert listing.endpoints == {"app-1": 2}
    assert listing.actions == (api.ActionRecord("scheduled", True),)
    assert listing.augmentation_apps == ("app-1",)
    assert listing.sources == (api.source_record(SOURCE),)
    assert listing.secrets == (api.SecretRecord("api_key", False),)
    assert listing.models == 1
    assert len(platform.calls) == len(LISTS)


def test_every_list_is_asked_at_the_page_size_and_augmentations_by_workspace(platform):
    walk_workspace(client(), "org-a", "ws-1", page_size=50)
    asked = queries(platform)
    assert {query["limit"] for query in asked.values()} == {"50"}
    assert asked["/v1/orgs/org-a/augmentations/"]["workspace_id"] == "ws-1"


def test_without_a_page_size_each_list_is_asked_at_its_maximum(platform):
    walk_workspace(client(), "org-a", "ws-1")
    asked = queries(platform)
    assert asked["/v1/orgs/org-a/workspaces/ws-1/model-entitlements"]["limit"] == "100"
    assert asked["/v1/orgs/org-a/workspaces/ws-1/apps"]["limit"] == "200"


def test_a_workspace_whose_first_list_is_404_is_gone(platform):
    platform.replace(responses.GET, f"{WS}/apps", json=not_found("app", "whatever"), status=404)
    with pytest.raises(WorkspaceGone, match="org-a/ws-1"):
        walk_workspace(client(), "org-a", "ws-1")


@pytest.mark.parametrize("details", [("workspace", "ws-1"), ("thing", "ws-1")])
def test_a_404_naming_the_workspace_mid_walk_means_it_is_gone(platform, details):
    platform.replace(responses.GET, f"{WS}/sources", json=not_found(*details), status=404)
    with pytest.raises(WorkspaceGone):
        walk_workspace(client(), "org-a", "ws-1")


def test_a_child_vanishing_mid_walk_fails_the_walk_but_not_the_workspace(platform):
    gone = not_found("namespace", "ns-1")
    platform.replace(responses.GET, LISTS["threads"][0], json=gone, status=404)
    with pytest.raises(NotFound) as raised:
        walk_workspace(client(), "org-a", "ws-1")
    assert not isinstance(raised.value, WorkspaceGone)
    assert raised.value.details["resource_id"] == "ns-1"


def test_list_workspaces_reads_the_ids_and_names_of_an_org(platform):
    items = [
        {"workspace_id": "ws-1", "name": "Support Bot", "is_active": True, "region": "eu"},
        {"workspace_id": "ws-2"},
        {"workspace_id": "ws-3", "name": ""},
        {"workspace_id": "ws-4", "name": None},
        {"workspace_id": "ws-5", "name": "  "},
    ]
    url = f"{BASE}/v1/orgs/org-a/workspaces"
    platform.add(responses.GET, url, json=envelope("workspaces", items))
    assert list_workspaces(client(), "org-a", page_size=10) == [
        api.WorkspaceRecord("ws-1", "Support Bot"),
        *(api.WorkspaceRecord(f"ws-{n}", f"ws-{n}") for n in range(2, 6)),
    ]
    assert queries(platform)["/v1/orgs/org-a/workspaces"] == {"limit": "10"}


def test_a_rename_on_the_platform_replaces_the_name_at_the_next_pass(platform):
    url = f"{BASE}/v1/orgs/org-a/workspaces"
    for name in ("Ops", "Ops EU"):  # `responses` answers in the order registered
        platform.add(
            responses.GET,
            url,
            json=envelope("workspaces", [{"workspace_id": "ws-1", "name": name}]),
        )
    inventory = InventoryCollection(client(), ["org-a"], concurrency=1)
    try:
        names = []
        for _ in range(2):
            inventory.run()
            (info,) = [f for f in workspace_families(inventory.snapshot) if f.name == INFO.name]
            names.append([sample.labels for sample in info.samples])
    finally:
        inventory.close()
    expected = [
        {"org_id": "org-a", "workspace_id": "ws-1", "workspace_name": n} for n in ("Ops", "Ops EU")
    ]
    assert names == [[expected[0]], [expected[1]]]  # one info series each pass, the old name gone
