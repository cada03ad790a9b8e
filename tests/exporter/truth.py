"""The sandbox truth's shape rebuilt from scraped samples, so tests compare like with like."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.exporter.conftest import Samples, select
from vocabulary import catalogue as cat


def _by(samples: Samples, name: str, org: str, ws: str) -> list[tuple[dict[str, str], float]]:
    return [
        (dict(labels), value)
        for labels, value in select(samples, name, org_id=org, workspace_id=ws).items()
    ]


def _one(samples: Samples, family: cat.Family, org: str, ws: str) -> int:
    values = [value for _, value in _by(samples, family.sample_name, org, ws)]
    assert len(values) == 1, (family.name, org, ws, values)
    return int(values[0])


def _sum_by(rows: list[tuple[dict[str, str], float]], label: str) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for labels, value in rows:
        totals[labels[label]] += int(value)
    return {key: count for key, count in totals.items() if count}


def _sources(samples: Samples, org: str, ws: str) -> dict[str, Any]:
    rows = _by(samples, cat.SOURCES.sample_name, org, ws)
    scopes = _sum_by(rows, "scope")
    return {
        "total_sources": sum(int(value) for _, value in rows),
        "indexed_sources": _one(samples, cat.SOURCES_INDEXED, org, ws),
        "failed_sources": _sum_by(rows, "status").get("failed", 0),
        "pending_sources": _one(samples, cat.SOURCES_PENDING, org, ws),
        "total_chunks": _one(samples, cat.SOURCE_CHUNKS, org, ws),
        "total_tokens": _one(samples, cat.SOURCE_TOKENS, org, ws),
        "total_bytes": _one(samples, cat.SOURCE_BYTES, org, ws),
        "workspace_sources": scopes.get("workspace", 0),
        "namespace_sources": scopes.get("namespace", 0),
        "sources_by_type": _sum_by(rows, "source_type"),
        "sources_by_status": _sum_by(rows, "status"),
    }


def _secrets(samples: Samples, org: str, ws: str) -> dict[str, Any]:
    rows = _by(samples, cat.SECRETS.sample_name, org, ws)
    return {
        "total_secrets": sum(int(value) for _, value in rows),
        "active_secrets": _sum_by(rows, "active").get("true", 0),
        "secrets_by_type": _sum_by(rows, "secret_type"),
    }


def _actions(samples: Samples, org: str, ws: str) -> dict[str, int]:
    rows = _by(samples, cat.ACTIONS.sample_name, org, ws)
    kinds = _sum_by(rows, "kind")
    return {
        "total_actions": sum(int(value) for _, value in rows),
        "enabled_actions": _sum_by(rows, "enabled").get("true", 0),
        "trigger_actions": kinds.get("trigger", 0),
        "scheduled_actions": kinds.get("scheduled", 0),
    }


def _apps(samples: Samples, org: str, ws: str) -> dict[str, Any]:
    apps: dict[str, dict[str, Any]] = {
        labels["app_id"]: {"app_id": labels["app_id"]}
        for labels, _ in _by(samples, cat.APP_INFO.sample_name, org, ws)
    }
    for labels, value in _by(samples, cat.APP_RESOURCES.sample_name, org, ws):
        apps[labels["app_id"]][labels["resource"]] = int(value)
    return apps


def _namespaces(samples: Samples, org: str, ws: str) -> dict[str, Any]:
    namespaces: dict[str, dict[str, Any]] = {
        labels["namespace_id"]: {"namespace_id": labels["namespace_id"], "app_id": labels["app_id"]}
        for labels, _ in _by(samples, cat.NAMESPACE_INFO.sample_name, org, ws)
    }
    for labels, value in _by(samples, cat.NAMESPACE_RESOURCES.sample_name, org, ws):
        namespaces[labels["namespace_id"]][labels["resource"]] = int(value)
    return namespaces


def exported_workspace(samples: Samples, org: str, ws: str) -> dict[str, Any]:
    """One workspace as the truth describes it, read from the exporter's samples."""
    resources = {
        labels["resource"]: int(value)
        for labels, value in _by(samples, cat.WORKSPACE_RESOURCES.sample_name, org, ws)
    }
    return {
        "resources": resources,
        "sources": _sources(samples, org, ws),
        "secrets": _secrets(samples, org, ws),
        "actions": _actions(samples, org, ws),
        "apps": _apps(samples, org, ws),
        "namespaces": _namespaces(samples, org, ws),
    }


def comparable(truth_workspace: dict[str, Any]) -> dict[str, Any]:
    """The truth of one workspace without what the gauges do not carry, zero counts dropped."""
    expected = {
        key: truth_workspace[key]
        for key in ("resources", "sources", "secrets", "actions", "apps", "namespaces")
    }
    sources = dict(expected["sources"])
    for key in ("sources_by_type", "sources_by_status"):
        sources[key] = {name: count for name, count in sources[key].items() if count}
    secrets = dict(expected["secrets"])
    secrets["secrets_by_type"] = {k: v for k, v in secrets["secrets_by_type"].items() if v}
    return {**expected, "sources": sources, "secrets": secrets}


def executions(samples: Samples) -> dict[tuple[str, str], tuple[int, int]]:
    """(org, workspace) → (total, failed) from the execution counters."""
    totals = select(samples, cat.EXECUTIONS.sample_name)
    failed = select(samples, cat.EXECUTIONS_FAILED.sample_name)
    return {
        (dict(k)["org_id"], dict(k)["workspace_id"]): (int(v), int(failed[k]))
        for k, v in totals.items()
    }


def truth_executions(truth: dict[str, Any]) -> dict[tuple[str, str], tuple[int, int]]:
    """(org, workspace) → (total, failed) from the sandbox truth."""
    return {
        (org, ws): (data["executions"]["total"], data["executions"]["failed"])
        for org, org_data in truth["orgs"].items()
        for ws, data in org_data["workspaces"].items()
    }
