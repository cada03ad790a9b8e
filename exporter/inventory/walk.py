"""Fetch everything the inventory needs about one workspace, checked, with the fewest requests.

Every list is paged and checked by `exporter.platform.lists`: repeated items count once, and a
list whose distinct items do not number its `total` (or whose cursor never ends, or whose pages
are too long) fails the walk, so the workspace keeps its previous values. Lists of which only
the length matters (endpoints per app, threads per namespace, model entitlements) are counted
the same way rather than read from the `total` of a page of one, which nothing could
cross-check: that costs the same single request while a list fits in a page, and one request
per page beyond. The releases of an app come from its `total_releases`. `page_size` (None: each
list's maximum) is the number of items asked for per page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from exporter.inventory.snapshot import NamespaceListing, WorkspaceListing
from exporter.platform import api
from exporter.platform.client import PlatformClient
from exporter.platform.errors import NotFound


class WorkspaceGone(Exception):
    """The workspace no longer exists on the platform."""


def walk_workspace(
    client: PlatformClient,
    org_id: str,
    workspace_id: str,
    clock: Callable[[], float] = time.time,
    page_size: int | None = None,
    name: str = "",
) -> WorkspaceListing:
    """The records of one workspace, named `name` (its id when empty); WorkspaceGone when the
    platform says it does not exist."""
    ids = {"org_id": org_id, "workspace_id": workspace_id}
    try:
        # Its own first list answering 404 means the workspace itself is gone.
        apps = tuple(client.records(api.APPS, ids, api.app_record, limit=page_size))
    except NotFound as error:
        raise WorkspaceGone(f"{org_id}/{workspace_id}: {error}") from error
    try:
        listing = _walk_rest(client, ids, apps, clock, page_size)
    except NotFound as error:
        if api.not_found_names_workspace(error.details, workspace_id):
            raise WorkspaceGone(f"{org_id}/{workspace_id}: {error}") from error
        raise  # a child vanished mid-walk: this pass failed, the next one sees the new state
    return replace(listing, name=name or workspace_id)


def _walk_rest(
    client: PlatformClient,
    ids: dict[str, str],
    apps: tuple[api.AppRecord, ...],
    clock: Callable[[], float],
    size: int | None,
) -> WorkspaceListing:
    namespaces: list[NamespaceListing] = []
    endpoints: dict[str, int] = {}
    actions: list[api.ActionRecord] = []
    for app in apps:
        app_ids = {**ids, "app_id": app.app_id}
        for namespace in client.records(api.NAMESPACES, app_ids, api.namespace_id, limit=size):
            ns_ids = {**ids, "namespace_id": namespace}
            threads = client.count_items(api.THREADS, ns_ids, limit=size)
            namespaces.append(NamespaceListing(namespace, app.app_id, threads))
        endpoints[app.app_id] = client.count_items(api.ENDPOINTS, app_ids, limit=size)
        actions.extend(client.records(api.ACTIONS, app_ids, api.action_record, limit=size))
    augmentation_filter = {api.AUGMENTATION_WORKSPACE_PARAM: ids["workspace_id"]}
    org = {"org_id": ids["org_id"]}
    augmentations = client.records(
        api.AUGMENTATIONS, org, api.augmentation_app, augmentation_filter, limit=size
    )
    return WorkspaceListing(
        org_id=ids["org_id"],
        workspace_id=ids["workspace_id"],
        apps=apps,
        augmentation_apps=tuple(augmentations),
        namespaces=tuple(namespaces),
        endpoints=endpoints,
        actions=tuple(actions),
        sources=tuple(client.records(api.SOURCES, ids, api.source_record, limit=size)),
        secrets=tuple(client.records(api.SECRETS, ids, api.secret_record, limit=size)),
        models=client.count_items(api.MODEL_ENTITLEMENTS, ids, limit=size),
        collected_at=clock(),
    )


def list_workspaces(
    client: PlatformClient, org_id: str, page_size: int | None = None
) -> list[api.WorkspaceRecord]:
    """Every workspace of an org (id and name), from a checked list."""
    return client.records(api.WORKSPACES, {"org_id": org_id}, api.workspace_record, limit=page_size)
