"""Exact ground truth, shaped like the analytics API's bodies, read in one read transaction."""

from __future__ import annotations

import sqlite3
from typing import Any

from sandbox.timefmt import now_iso

SCHEDULED = ("cron", "one_time")
BREAKDOWNS = (("sources_by_type", "source_type"), ("sources_by_status", "processing_status"))


def _counts(connection: sqlite3.Connection, sql: str) -> dict[str, int]:
    return {row[0]: int(row[1]) for row in connection.execute(sql)}


def _empty_workspace(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "info": {"name": row["name"], "is_active": bool(row["is_active"]), "region": row["region"]},
        "resources": dict.fromkeys(
            (
                "sources",
                "augmentations",
                "endpoints",
                "namespaces",
                "apps",
                "threads",
                "actions",
                "secrets",
                "models",
            ),
            0,
        ),
        "executions": {"total": 0, "success": 0, "failed": 0},
        "sources": {
            **dict.fromkeys(
                (
                    "total_sources",
                    "indexed_sources",
                    "failed_sources",
                    "pending_sources",
                    "total_chunks",
                    "total_tokens",
                    "total_bytes",
                    "workspace_sources",
                    "namespace_sources",
                ),
                0,
            ),
            "sources_by_type": {},
            "sources_by_status": {},
        },
        "secrets": {"total_secrets": 0, "active_secrets": 0, "secrets_by_type": {}},
        "actions": dict.fromkeys(
            ("total_actions", "enabled_actions", "trigger_actions", "scheduled_actions"), 0
        ),
        "apps": {},
        "namespaces": {},
    }


def _add_apps(connection: sqlite3.Connection, workspaces: dict[str, dict[str, Any]]) -> None:
    augmentations = _counts(connection, "SELECT app_id, count(*) FROM augmentations GROUP BY 1")
    namespaces = _counts(connection, "SELECT app_id, count(*) FROM namespaces GROUP BY 1")
    endpoints = _counts(connection, "SELECT app_id, count(*) FROM endpoints GROUP BY 1")
    releases = _counts(connection, "SELECT app_id, count(*) FROM releases GROUP BY 1")
    for row in connection.execute("SELECT app_id, workspace_id FROM apps ORDER BY seq"):
        workspace = workspaces.get(row["workspace_id"])
        if workspace is None:
            continue
        app_id = row["app_id"]
        app = {
            "app_id": app_id,
            "augmentations": augmentations.get(app_id, 0),
            "namespaces": namespaces.get(app_id, 0),
            "endpoints": endpoints.get(app_id, 0),
            "releases": releases.get(app_id, 0),
        }
        workspace["apps"][app_id] = app
        resources = workspace["resources"]
        resources["apps"] += 1
        resources["endpoints"] += app["endpoints"]
        resources["namespaces"] += app["namespaces"]


def _add_namespaces(connection: sqlite3.Connection, workspaces: dict[str, dict[str, Any]]) -> None:
    threads = _counts(connection, "SELECT namespace_id, count(*) FROM threads GROUP BY 1")
    sources = _counts(
        connection,
        "SELECT namespace_id, count(*) FROM sources WHERE namespace_id IS NOT NULL GROUP BY 1",
    )
    rows = connection.execute("SELECT namespace_id, app_id, workspace_id FROM namespaces")
    for row in rows:
        workspace = workspaces.get(row["workspace_id"])
        if workspace is None:
            continue
        ns = row["namespace_id"]
        workspace["namespaces"][ns] = {
            "namespace_id": ns,
            "app_id": row["app_id"],
            "threads": threads.get(ns, 0),
            "sources": sources.get(ns, 0),
        }
        workspace["resources"]["threads"] += threads.get(ns, 0)


def _add_sources(connection: sqlite3.Connection, workspaces: dict[str, dict[str, Any]]) -> None:
    for row in connection.execute("SELECT * FROM sources"):
        workspace = workspaces.get(row["workspace_id"])
        if workspace is None:
            continue
        summary = workspace["sources"]
        indexed, failed = bool(row["is_indexed"]), row["processing_status"] == "failed"
        summary["total_sources"] += 1
        summary["indexed_sources"] += int(indexed)
        summary["failed_sources"] += int(failed)
        summary["pending_sources"] += int(not indexed and not failed)
        summary["total_chunks"] += row["total_chunks"]
        summary["total_tokens"] += row["total_tokens"] or 0
        summary["total_bytes"] += row["size_bytes"] or 0
        summary[f"{row['source_scope']}_sources"] += 1
        for key, column in BREAKDOWNS:
            breakdown = summary[key]
            breakdown[row[column]] = breakdown.get(row[column], 0) + 1
        workspace["resources"]["sources"] += 1


def _add_secrets_and_actions(
    connection: sqlite3.Connection, workspaces: dict[str, dict[str, Any]]
) -> None:
    for row in connection.execute("SELECT workspace_id, secret_type, is_active FROM secrets"):
        if (workspace := workspaces.get(row["workspace_id"])) is not None:
            summary = workspace["secrets"]
            summary["total_secrets"] += 1
            summary["active_secrets"] += int(bool(row["is_active"]))
            by_type = summary["secrets_by_type"]
            by_type[row["secret_type"]] = by_type.get(row["secret_type"], 0) + 1
            workspace["resources"]["secrets"] += 1
    for row in connection.execute("SELECT workspace_id, schedule_type, is_enabled FROM actions"):
        if (workspace := workspaces.get(row["workspace_id"])) is not None:
            summary = workspace["actions"]
            scheduled = row["schedule_type"] in SCHEDULED
            summary["total_actions"] += 1
            summary["enabled_actions"] += int(bool(row["is_enabled"]))
            summary["scheduled_actions"] += int(scheduled)
            summary["trigger_actions"] += int(not scheduled)
            workspace["resources"]["actions"] += 1


def _add_counts(connection: sqlite3.Connection, workspaces: dict[str, dict[str, Any]]) -> None:
    for kind, table in (("augmentations", "augmentations"), ("models", "entitlements")):
        counts = _counts(connection, f"SELECT workspace_id, count(*) FROM {table} GROUP BY 1")  # noqa: S608
        for workspace_id, count in counts.items():
            if workspace_id in workspaces:
                workspaces[workspace_id]["resources"][kind] = count
    rows = connection.execute(
        "SELECT workspace_id, count(*) AS total, sum(success) AS success FROM activity "
        "WHERE execution_id IS NOT NULL GROUP BY workspace_id"
    )
    for row in rows:
        if row["workspace_id"] in workspaces:
            total, success = int(row["total"]), int(row["success"])
            workspaces[row["workspace_id"]]["executions"] = {
                "total": total,
                "success": success,
                "failed": total - success,
            }


def read_truth(connection: sqlite3.Connection) -> dict[str, Any]:
    """The truth for every org and every workspace that has not vanished."""
    connection.execute("BEGIN")
    try:
        orgs: dict[str, Any] = {
            row["org_id"]: {"workspaces": {}}
            for row in connection.execute("SELECT org_id FROM orgs ORDER BY seq")
        }
        workspaces: dict[str, dict[str, Any]] = {}
        rows = connection.execute("SELECT * FROM workspaces WHERE deleted = 0 ORDER BY seq")
        for row in rows:
            workspaces[row["workspace_id"]] = _empty_workspace(row)
            orgs[row["org_id"]]["workspaces"][row["workspace_id"]] = workspaces[row["workspace_id"]]
        _add_apps(connection, workspaces)
        _add_namespaces(connection, workspaces)
        _add_sources(connection, workspaces)
        _add_secrets_and_actions(connection, workspaces)
        _add_counts(connection, workspaces)
        generated_at = now_iso()
    finally:
        connection.execute("COMMIT")
    return {"generated_at": generated_at, "orgs": orgs}
