"""The ground truth recomputed only from what the public platform API serves."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.sandbox.platform_walk import org_path, walk
from tests.support.sandbox import SandboxServer

SCHEDULED = {"cron", "one_time"}


def _app(sandbox: SandboxServer, org: str, ws: str, app: dict[str, Any]) -> dict[str, Any]:
    base = ("workspaces", ws, "apps", app["app_id"])
    releases = walk(sandbox, org_path(org, *base, "releases"), "releases")
    assert app["total_releases"] == len(releases)
    return {
        "app_id": app["app_id"],
        "augmentations": len(
            walk(
                sandbox,
                org_path(org, "augmentations/"),
                "augmentations",
                workspace_id=ws,
                app_id=app["app_id"],
            )
        ),
        "namespaces": len(walk(sandbox, org_path(org, *base, "namespaces"), "namespaces")),
        "endpoints": len(walk(sandbox, org_path(org, *base, "endpoints"), "endpoints")),
        "releases": len(releases),
    }


def _namespaces(
    sandbox: SandboxServer, org: str, ws: str, app_ids: list[str], sources: list[dict[str, Any]]
) -> dict[str, Any]:
    result = {}
    for app_id in app_ids:
        path = org_path(org, "workspaces", ws, "apps", app_id, "namespaces")
        for ns in walk(sandbox, path, "namespaces"):
            ns_id = ns["namespace_id"]
            threads = walk(
                sandbox, org_path(org, "workspaces", ws, "namespaces", ns_id, "threads"), "threads"
            )
            assert ns["thread_ids"] == [thread["thread_id"] for thread in threads]
            own = [s["source_id"] for s in sources if s.get("namespace_id") == ns_id]
            assert ns["source_ids"] == own
            result[ns_id] = {
                "namespace_id": ns_id,
                "app_id": app_id,
                "threads": len(threads),
                "sources": len(own),
            }
    return result


def _sources(sources: list[dict[str, Any]]) -> dict[str, Any]:
    indexed = [s for s in sources if s["is_indexed"]]
    failed = [s for s in sources if s["processing_status"] == "failed"]
    return {
        "total_sources": len(sources),
        "indexed_sources": len(indexed),
        "failed_sources": len(failed),
        "pending_sources": sum(1 for s in sources if s not in indexed and s not in failed),
        "total_chunks": sum(s["total_chunks"] for s in sources),
        "total_tokens": sum(s.get("total_tokens", 0) for s in sources),
        "total_bytes": sum(s.get("size_bytes", 0) for s in sources),
        "workspace_sources": sum(1 for s in sources if s["source_scope"] == "workspace"),
        "namespace_sources": sum(1 for s in sources if s["source_scope"] == "namespace"),
        "sources_by_type": dict(Counter(s["source_type"] for s in sources)),
        "sources_by_status": dict(Counter(s["processing_status"] for s in sources)),
    }


def _actions(actions: list[dict[str, Any]]) -> dict[str, int]:
    scheduled = sum(1 for a in actions if a["schedule_type"] in SCHEDULED)
    return {
        "total_actions": len(actions),
        "enabled_actions": sum(1 for a in actions if a["is_enabled"]),
        "trigger_actions": len(actions) - scheduled,
        "scheduled_actions": scheduled,
    }


def workspace_truth(sandbox: SandboxServer, org: str, ws: str) -> dict[str, Any]:
    """One workspace's truth (executions aside) from its lists."""
    path = ("workspaces", ws)
    apps = {
        a["app_id"]: _app(sandbox, org, ws, a)
        for a in walk(sandbox, org_path(org, *path, "apps"), "apps")
    }
    sources = walk(sandbox, org_path(org, *path, "sources"), "sources")
    secrets = walk(sandbox, org_path(org, *path, "secrets"), "secrets")
    actions = [
        a
        for app_id in apps
        for a in walk(sandbox, org_path(org, *path, "apps", app_id, "actions"), "actions")
    ]
    namespaces = _namespaces(sandbox, org, ws, list(apps), sources)
    return {
        "resources": {
            "sources": len(sources),
            "augmentations": len(
                walk(sandbox, org_path(org, "augmentations/"), "augmentations", workspace_id=ws)
            ),
            "endpoints": sum(a["endpoints"] for a in apps.values()),
            "namespaces": sum(a["namespaces"] for a in apps.values()),
            "apps": len(apps),
            "threads": sum(n["threads"] for n in namespaces.values()),
            "actions": len(actions),
            "secrets": len(secrets),
            "models": len(
                walk(sandbox, org_path(org, *path, "model-entitlements"), "entitlements", limit=100)
            ),
        },
        "sources": _sources(sources),
        "secrets": {
            "total_secrets": len(secrets),
            "active_secrets": sum(1 for s in secrets if s["is_active"]),
            "secrets_by_type": dict(Counter(s["secret_type"] for s in secrets)),
        },
        "actions": _actions(actions),
        "apps": apps,
        "namespaces": namespaces,
    }


def executions_by_workspace(sandbox: SandboxServer, org: str) -> dict[str, dict[str, int]]:
    """Executions of every workspace of an org, counted from its whole activity list."""
    counts: dict[str, dict[str, int]] = {}
    for record in walk(sandbox, org_path(org, "activity"), "activities"):
        if record["execution_id"] is None:
            continue
        entry = counts.setdefault(record["workspace_id"], {"total": 0, "success": 0, "failed": 0})
        entry["total"] += 1
        entry["success" if record["success"] else "failed"] += 1
    return counts


def recompute_truth(sandbox: SandboxServer) -> dict[str, Any]:
    """The truth of every org, shaped like `/_sandbox/truth` without `generated_at` and `info`."""
    orgs: dict[str, Any] = {}
    for org in sandbox.org_ids():
        executions = executions_by_workspace(sandbox, org)
        workspaces = {}
        for item in walk(sandbox, org_path(org, "workspaces"), "workspaces"):
            ws = item["workspace_id"]
            workspaces[ws] = workspace_truth(sandbox, org, ws)
            workspaces[ws]["executions"] = executions.get(
                ws, {"total": 0, "success": 0, "failed": 0}
            )
        orgs[org] = {"workspaces": workspaces}
    return {"orgs": orgs}
