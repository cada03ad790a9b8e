"""The spec's JSON shapes, key for key, from the services' results."""

from __future__ import annotations

from typing import Any

from facade.buckets import iso_time
from facade.results import (
    ActionAnalytics,
    Executions,
    OrgAnalytics,
    ScopedCounts,
    SecretAnalytics,
    SourceAnalytics,
    TimeSeries,
    WorkspaceAnalytics,
)


def executions(value: Executions) -> dict[str, Any]:
    """`{total, success, failed, success_rate}`."""
    return {
        "total": value.total,
        "success": value.success,
        "failed": value.failed,
        "success_rate": value.success_rate,
    }


def workspace(value: WorkspaceAnalytics) -> dict[str, Any]:
    """The workspace analytics summary."""
    return {
        "workspace_id": value.workspace_id,
        "resources": dict(value.resources),
        "executions": executions(value.executions),
        "updated_at": iso_time(value.updated_at),
    }


def org(value: OrgAnalytics) -> dict[str, Any]:
    """The org rollup: sums over its workspaces, then each workspace."""
    summaries = value.workspaces
    kinds = summaries[0].resources.keys() if summaries else ()
    total = sum((item.executions for item in summaries), Executions(0, 0))
    return {
        "org_id": value.org_id,
        "workspace_count": len(summaries),
        "resources": {kind: sum(item.resources[kind] for item in summaries) for kind in kinds},
        "executions": executions(total),
        "workspaces": [workspace(item) for item in summaries],
        # The rollup is as current as its least recently collected workspace.
        "updated_at": iso_time(min(item.updated_at for item in summaries)),
    }


def sources(value: SourceAnalytics) -> dict[str, Any]:
    """Source analytics."""
    return {
        "total_sources": value.total,
        "indexed_sources": value.indexed,
        "failed_sources": value.failed,
        "pending_sources": value.pending,
        "total_chunks": value.chunks,
        "total_tokens": value.tokens,
        "total_bytes": value.size_bytes,
        "workspace_sources": value.workspace_scoped,
        "namespace_sources": value.namespace_scoped,
        "sources_by_type": dict(value.by_type),
        "sources_by_status": dict(value.by_status),
    }


def secrets(value: SecretAnalytics) -> dict[str, Any]:
    """Secret analytics."""
    return {
        "total_secrets": value.total,
        "active_secrets": value.active,
        "secrets_by_type": dict(value.by_type),
    }


def actions(value: ActionAnalytics) -> dict[str, Any]:
    """Action analytics."""
    return {
        "total_actions": value.total,
        "enabled_actions": value.enabled,
        "trigger_actions": value.trigger,
        "scheduled_actions": value.scheduled,
    }


def app(value: ScopedCounts) -> dict[str, Any]:
    """App analytics: `{app_id, augmentations, namespaces, endpoints, releases}`."""
    return {"app_id": value.resource_id, **value.counts}


def namespace(value: ScopedCounts) -> dict[str, Any]:
    """Namespace analytics: `{namespace_id, threads, sources}`."""
    return {"namespace_id": value.resource_id, **value.counts}


def series(value: TimeSeries) -> dict[str, Any]:
    """`{metric, period, data: [{timestamp, value}]}`, oldest bucket first."""
    return {
        "metric": value.metric,
        "period": value.period,
        "data": [
            {"timestamp": label, "value": count}
            for label, count in zip(value.labels, value.values, strict=True)
        ],
    }
