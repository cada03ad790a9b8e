"""JSON schemas (OpenAPI 3.1 / JSON Schema 2020-12) of every body the façade answers with."""

from __future__ import annotations

from typing import Any

from vocabulary.catalogue import APP_RESOURCE_KINDS, NAMESPACE_RESOURCE_KINDS, RESOURCE_KINDS

COUNT = {"type": "integer", "minimum": 0}
COUNTS_BY_NAME = {"type": "object", "additionalProperties": COUNT}
ISO_TIME = {"type": "string", "format": "date-time"}


def ref(name: str) -> dict[str, str]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def strict(properties: dict[str, Any], description: str) -> dict[str, Any]:
    """An object with exactly these properties, all required."""
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _counts(id_name: str | None, kinds: tuple[str, ...], description: str) -> dict[str, Any]:
    properties: dict[str, Any] = {id_name: {"type": "string"}} if id_name else {}
    return strict({**properties, **{kind: COUNT for kind in kinds}}, description)


EXECUTIONS = strict(
    {
        "total": COUNT,
        "success": COUNT,
        "failed": COUNT,
        "success_rate": {"type": "number", "minimum": 0, "maximum": 1},
    },
    "Finished executions; success_rate is 0 when there were none.",
)
WORKSPACE = strict(
    {
        "workspace_id": {"type": "string"},
        "resources": ref("ResourceCounts"),
        "executions": ref("ExecutionMetrics"),
        "updated_at": ISO_TIME,
    },
    "A workspace summary; updated_at is the time of the data (last successful collection).",
)
ORG = strict(
    {
        "org_id": {"type": "string"},
        "workspace_count": COUNT,
        "resources": ref("ResourceCounts"),
        "executions": ref("ExecutionMetrics"),
        "workspaces": {"type": "array", "items": ref("WorkspaceAnalytics")},
        "updated_at": ISO_TIME,
    },
    "Sums over the org's workspaces (or the one requested), then each workspace; updated_at "
    "is the oldest collection among them.",
)
TIME_SERIES = strict(
    {
        "metric": {"type": "string"},
        "period": {"type": "string", "enum": ["hourly", "daily"]},
        "data": {
            "type": "array",
            "items": strict(
                {"timestamp": ISO_TIME, "value": COUNT},
                "One bucket: its start and the executions that finished in it.",
            ),
        },
    },
    "Executions per bucket, oldest first; the last bucket is the current, partial one.",
)
SOURCES = strict(
    {
        **{
            name: COUNT
            for name in (
                "total_sources",
                "indexed_sources",
                "failed_sources",
                "pending_sources",
                "total_chunks",
                "total_tokens",
                "total_bytes",
                "workspace_sources",
                "namespace_sources",
            )
        },
        "sources_by_type": COUNTS_BY_NAME,
        "sources_by_status": COUNTS_BY_NAME,
    },
    "Source counts of a workspace.",
)
ERROR = strict(
    {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "details": {"type": "object"},
        "timestamp": {
            "type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$",
        },
        "status_code": {"type": "integer"},
    },
    "The error envelope; timestamp is UTC.",
)
VALIDATION_ERROR = strict(
    {
        "detail": {
            "type": "array",
            "items": strict(
                {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                    "input": {},
                    "ctx": {"type": "object"},
                },
                "One invalid parameter.",
            ),
        }
    },
    "Request validation failed.",
)

SCHEMAS: dict[str, Any] = {
    "ResourceCounts": _counts(None, RESOURCE_KINDS, "The nine resource counts of a workspace."),
    "ExecutionMetrics": EXECUTIONS,
    "WorkspaceAnalytics": WORKSPACE,
    "OrgAnalytics": ORG,
    "TimeSeries": TIME_SERIES,
    "AppAnalytics": _counts("app_id", APP_RESOURCE_KINDS, "Resource counts of an app."),
    "NamespaceAnalytics": _counts(
        "namespace_id", NAMESPACE_RESOURCE_KINDS, "Resource counts of a namespace."
    ),
    "ActionAnalytics": _counts(
        None,
        ("total_actions", "enabled_actions", "trigger_actions", "scheduled_actions"),
        "Action counts of a workspace.",
    ),
    "SecretAnalytics": strict(
        {"total_secrets": COUNT, "active_secrets": COUNT, "secrets_by_type": COUNTS_BY_NAME},
        "Secret counts of a workspace.",
    ),
    "SourceAnalytics": SOURCES,
    "ErrorResponse": ERROR,
    "HTTPValidationError": VALIDATION_ERROR,
    "Status": strict({"status": {"type": "string"}}, "A health or readiness status."),
}
