"""Fetch everything the inventory needs about one workspace, with the fewest requests.

Lists whose items matter (apps, augmentations, namespaces, actions, sources, secrets) are read
at the maximum page size; lists of which only the length matters (endpoints per app, threads
per namespace, model entitlements) cost one `limit=1` request each, read from `total`; the
releases of an app come from its `total_releases`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from exporter import platform_api as api
from exporter.platform_client import PlatformClient
from exporter.platform_errors import NotFound
from exporter.snapshot import NamespaceListing, WorkspaceListing


class WorkspaceGone(Exception):
    """The workspace no longer exists on the platform."""


def walk_workspace(
    client: PlatformClient,
    org_id: str,
    workspace_id: str,
    clock: Callable[[], float] = time.time,
) -> WorkspaceListing:
    """The records of one workspace; WorkspaceGone when the platform says it does not exist."""
    ids = {"org_id": org_id, "workspace_id": workspace_id}
    try:
        # Its own first list answering 404 means the workspace itself is gone.
        apps = tuple(client.records(api.APPS, ids, api.app_record))
    except NotFound as error:
        raise WorkspaceGone(f"{org_id}/{workspace_id}: {error}") from error
    try:
        return _walk_rest(client, ids, apps, clock)
    except NotFound as error:
        if api.not_found_names_workspace(error.details, workspace_id):
            raise WorkspaceGone(f"{org_id}/{workspace_id}: {error}") from error
        raise  # a child vanished mid-walk: this pass failed, the next one sees the new state


def _walk_rest(
    client: PlatformClient,
    ids: dict[str, str],
    apps: tuple[api.AppRecord, ...],
    clock: Callable[[], float],
) -> WorkspaceListing:
    namespaces: list[NamespaceListing] = []
    endpoints: dict[str, int] = {}
    actions: list[api.ActionRecord] = []
    for app in apps:
        app_ids = {**ids, "app_id": app.app_id}
        for namespace in client.records(api.NAMESPACES, app_ids, api.namespace_id):
            threads = client.count(api.THREADS, {**ids, "namespace_id": namespace})
            namespaces.append(NamespaceListing(namespace, app.app_id, threads))
        endpoints[app.app_id] = client.count(api.ENDPOINTS, app_ids)
        actions.extend(client.records(api.ACTIONS, app_ids, api.action_record))
    augmentation_filter = {api.AUGMENTATION_WORKSPACE_PARAM: ids["workspace_id"]}
    augmentations = client.records(
        api.AUGMENTATIONS, {"org_id": ids["org_id"]}, api.augmentation_app, augmentation_filter
    )
    return WorkspaceListing(
        org_id=ids["org_id"],
        workspace_id=ids["workspace_id"],
        apps=apps,
        augmentation_apps=tuple(augmentations),
        namespaces=tuple(namespaces),
        endpoints=endpoints,
        actions=tuple(actions),
        sources=tuple(client.records(api.SOURCES, ids, api.source_record)),
        secrets=tuple(client.records(api.SECRETS, ids, api.secret_record)),
        models=client.count(api.MODEL_ENTITLEMENTS, ids),
        collected_at=clock(),
    )


def list_workspaces(client: PlatformClient, org_id: str) -> list[str]:
    """The ids of every workspace of an org."""
    return client.records(api.WORKSPACES, {"org_id": org_id}, api.workspace_id)
