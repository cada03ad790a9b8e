"""Summaries of one workspace follow the meanings of platform-api.md."""

from __future__ import annotations

from exporter.inventory.snapshot import (
    InventorySnapshot,
    NamespaceListing,
    WorkspaceListing,
    summarize,
)
from exporter.platform.api import ActionRecord, AppRecord, SecretRecord, SourceRecord
from vocabulary.catalogue import RESOURCE_KINDS


def source(kind, status, scope, namespace=None, *, indexed=False, chunks=1):
    return SourceRecord(kind, status, scope, namespace, indexed, chunks, 2 * chunks, 3 * chunks)


LISTING = WorkspaceListing(
    org_id="org-a",
    workspace_id="ws-1",
    collected_at=1_700_000_000.5,
    apps=(AppRecord("app-2", 3), AppRecord("app-1", 0)),
    augmentation_apps=("app-1", "app-1", "app-2", None),
    namespaces=(NamespaceListing("ns-b", "app-2", 4), NamespaceListing("ns-a", "app-1", 1)),
    endpoints={"app-1": 2, "app-2": 5},
    actions=(
        ActionRecord("trigger", True),
        ActionRecord("scheduled", False),
        ActionRecord("trigger", True),
    ),
    sources=(
        source("pdf", "completed", "workspace", indexed=True, chunks=5),
        source("pdf", "completed", "workspace", indexed=True, chunks=1),
        source("md", "failed", "namespace", "ns-a"),
        source("txt", "processing", "namespace", "ns-a"),
    ),
    secrets=(
        SecretRecord("api_key", True),
        SecretRecord("api_key", False),
        SecretRecord("password", True),
    ),
    models=6,
)


def test_resources_follow_the_adopted_meanings():
    inventory = summarize(LISTING)
    resources = dict(inventory.resources)
    assert tuple(resources) == RESOURCE_KINDS
    assert resources == {
        "sources": 4,
        "augmentations": 4,
        "endpoints": 7,
        "namespaces": 2,
        "apps": 2,
        "threads": 5,
        "actions": 3,
        "secrets": 3,
        "models": 6,
    }
    assert (inventory.sources_indexed, inventory.sources_pending) == (2, 1)
    assert (inventory.source_chunks, inventory.source_tokens, inventory.source_bytes) == (8, 16, 24)
    assert dict(inventory.sources) == {
        ("md", "failed", "namespace"): 1,
        ("pdf", "completed", "workspace"): 2,
        ("txt", "processing", "namespace"): 1,
    }
    assert dict(inventory.secrets) == {
        ("api_key", "false"): 1,
        ("api_key", "true"): 1,
        ("password", "true"): 1,
    }
    assert dict(inventory.actions) == {
        ("trigger", "false"): 0,
        ("trigger", "true"): 2,
        ("scheduled", "false"): 1,
        ("scheduled", "true"): 0,
    }


def test_apps_and_namespaces_are_counted_and_ordered():
    inventory = summarize(LISTING)
    assert [
        (a.app_id, a.augmentations, a.namespaces, a.endpoints, a.releases) for a in inventory.apps
    ] == [("app-1", 2, 1, 2, 0), ("app-2", 1, 1, 5, 3)]
    assert [(n.app_id, n.namespace_id, n.threads, n.sources) for n in inventory.namespaces] == [
        ("app-1", "ns-a", 1, 2),
        ("app-2", "ns-b", 4, 0),
    ]


def test_snapshots_are_ordered_and_keep_only_known_stale_keys():
    first = summarize(LISTING)
    other = summarize(WorkspaceListing("org-a", "ws-0", 1.0))
    snapshot = InventorySnapshot.build([first, other], stale=[("org-a", "ws-1"), ("org-z", "x")])
    assert list(snapshot.workspaces) == [("org-a", "ws-0"), ("org-a", "ws-1")]
    assert snapshot.stale == frozenset({("org-a", "ws-1")})
    assert snapshot.stale_by_org(["org-a", "org-b"]) == {"org-a": 1, "org-b": 0}
