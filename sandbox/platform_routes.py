"""The platform endpoints of platform-api.md under `/v1`, each a keyset-paged list (distorted by
the paging faults rolled for the request)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from sandbox.page_faults import read_list_page
from sandbox.queries import (
    ActivityQuery,
    AugmentationQuery,
    EntitlementQuery,
    ListQuery,
    SourceQuery,
    encode_cursor,
    parse_query,
)
from sandbox.state import connection, request_faults
from sandbox.store import (
    ACTIONS,
    ACTIVITY,
    APPS,
    AUGMENTATIONS,
    ENDPOINTS,
    ENTITLEMENTS,
    NAMESPACES,
    RELEASES,
    SECRETS,
    SOURCES,
    THREADS,
    WORKSPACES,
    Listing,
    Page,
    Window,
    require_child,
    require_org,
    require_workspace,
)
from sandbox.timefmt import to_micros

platform = Blueprint("platform", __name__, url_prefix="/v1/orgs/<org_id>")
WS = "/workspaces/<workspace_id>"


def _answer(listing: Listing, page: Page, **extra: Any) -> Response:
    cursor = None if page.next_position is None else encode_cursor(page.next_position)
    return jsonify(
        {
            "total": page.total,
            "has_more": page.next_position is not None,
            "next_cursor": cursor,
            listing.items_key: page.items,
            **extra,
        }
    )


def _read(listing: Listing, conditions: list[tuple[str, Any]], window: Window) -> Page:
    return read_list_page(connection(), listing, conditions, window, request_faults().page)


def _list(listing: Listing, conditions: list[tuple[str, Any]], query: ListQuery) -> Response:
    page = _read(listing, conditions, Window(query.limit, query.position()))
    return _answer(listing, page)


@platform.get("/workspaces")
def workspaces(org_id: str) -> Response:
    """The org's workspaces."""
    query = parse_query(ListQuery, request.args)
    require_org(connection(), org_id)
    return _list(WORKSPACES, [("t.org_id = ?", org_id), ("t.deleted = ?", 0)], query)


def _workspace_list(
    listing: Listing, org_id: str, workspace_id: str, query_model: type[ListQuery] = ListQuery
) -> Response:
    query = parse_query(query_model, request.args)
    require_workspace(connection(), org_id, workspace_id)
    return _list(listing, [("t.workspace_id = ?", workspace_id)], query)


@platform.get(f"{WS}/apps")
def apps(org_id: str, workspace_id: str) -> Response:
    """The workspace's apps."""
    return _workspace_list(APPS, org_id, workspace_id)


@platform.get("/augmentations/")
def augmentations(org_id: str) -> Response:
    """Augmentations of one workspace (required) and optionally one app, at the org level."""
    query = parse_query(AugmentationQuery, request.args)
    require_workspace(connection(), org_id, query.workspace_id)
    conditions: list[tuple[str, Any]] = [("t.workspace_id = ?", query.workspace_id)]
    if query.app_id is not None:
        require_child(connection(), "app", query.app_id, query.workspace_id)
        conditions.append(("t.app_id = ?", query.app_id))
    return _list(AUGMENTATIONS, conditions, query)


def _child_list(
    listing: Listing, org_id: str, workspace_id: str, kind: str, child_id: str
) -> Response:
    """The items of the workspace's app or namespace `child_id` (`kind` names which)."""
    query = parse_query(ListQuery, request.args)
    require_workspace(connection(), org_id, workspace_id)
    require_child(connection(), kind, child_id, workspace_id)
    return _list(listing, [(f"t.{kind}_id = ?", child_id)], query)


@platform.get(f"{WS}/apps/<app_id>/namespaces")
def namespaces(org_id: str, workspace_id: str, app_id: str) -> Response:
    """The app's namespaces with their thread and source ids."""
    return _child_list(NAMESPACES, org_id, workspace_id, "app", app_id)


@platform.get(f"{WS}/apps/<app_id>/endpoints")
def endpoints(org_id: str, workspace_id: str, app_id: str) -> Response:
    """The app's endpoints."""
    return _child_list(ENDPOINTS, org_id, workspace_id, "app", app_id)


@platform.get(f"{WS}/apps/<app_id>/actions")
def actions(org_id: str, workspace_id: str, app_id: str) -> Response:
    """The app's actions with their run counters."""
    return _child_list(ACTIONS, org_id, workspace_id, "app", app_id)


@platform.get(f"{WS}/apps/<app_id>/releases")
def releases(org_id: str, workspace_id: str, app_id: str) -> Response:
    """The app's releases and which one is active."""
    query = parse_query(ListQuery, request.args)
    db = connection()
    require_workspace(db, org_id, workspace_id)
    require_child(db, "app", app_id, workspace_id)
    window = Window(query.limit, query.position())
    page = _read(RELEASES, [("t.app_id = ?", app_id)], window)
    row = db.execute("SELECT active_release_id FROM apps WHERE app_id = ?", (app_id,)).fetchone()
    return _answer(RELEASES, page, active_release_id=row["active_release_id"])


@platform.get(f"{WS}/namespaces/<namespace_id>/threads")
def threads(org_id: str, workspace_id: str, namespace_id: str) -> Response:
    """The namespace's threads (no app in the path)."""
    return _child_list(THREADS, org_id, workspace_id, "namespace", namespace_id)


@platform.get(f"{WS}/sources")
def sources(org_id: str, workspace_id: str) -> Response:
    """The workspace's sources of both scopes, optionally filtered."""
    query = parse_query(SourceQuery, request.args)
    require_workspace(connection(), org_id, workspace_id)
    conditions: list[tuple[str, Any]] = [("t.workspace_id = ?", workspace_id)]
    if query.namespace_id is not None:
        scope = " OR t.source_scope = 'workspace'" if query.include_parent_scopes else ""
        conditions.append((f"(t.namespace_id = ?{scope})", query.namespace_id))
    if query.status is not None:
        conditions.append(("t.processing_status = ?", query.status))
    if query.scope is not None:
        conditions.append(("t.source_scope = ?", query.scope))
    return _list(SOURCES, conditions, query)


@platform.get(f"{WS}/secrets")
def secrets(org_id: str, workspace_id: str) -> Response:
    """The workspace's secrets (metadata only)."""
    return _workspace_list(SECRETS, org_id, workspace_id)


@platform.get(f"{WS}/model-entitlements")
def entitlements(org_id: str, workspace_id: str) -> Response:
    """The workspace's model entitlements (at most 100 per page)."""
    return _workspace_list(ENTITLEMENTS, org_id, workspace_id, EntitlementQuery)


@platform.get("/activity")
def activity(org_id: str) -> Response:
    """Activity records in [start_time, end_time), ordered by (timestamp, id)."""
    query = parse_query(ActivityQuery, request.args)
    db = connection()
    require_org(db, org_id)
    conditions: list[tuple[str, Any]] = [("t.org_id = ?", org_id)]
    if query.workspace_id is not None:
        require_workspace(db, org_id, query.workspace_id)
        conditions.append(("t.workspace_id = ?", query.workspace_id))
    if query.start_time is not None:
        conditions.append(("t.ts_us >= ?", to_micros(query.start_time)))
    if query.end_time is not None:
        conditions.append(("t.ts_us < ?", to_micros(query.end_time)))
    window = Window(query.limit, query.position(), key=("ts_us", "seq"))
    page = _read(ACTIVITY, conditions, window)
    return _answer(ACTIVITY, page)
