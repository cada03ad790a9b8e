"""The words of `/openapi.json` that the models and parameters do not carry themselves.

Field descriptions are keyed by field name (a name means the same in every body) or by
`Model.field` where one model means more; the error codes list every `error` the façade
answers with. `tests/facade/test_openapi_clients.py` checks that every property is described.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, WithJsonSchema

UPDATED_AT = (
    "When the exporter last collected this data successfully (UTC, ISO 8601): the age of the "
    "answer, not of the request. Also sent as the `Last-Modified` header."
)
FIELDS = {
    "sources": "Sources (documents) indexed for retrieval",
    "augmentations": "Augmentations (retrieval configurations)",
    "endpoints": "Published endpoints",
    "namespaces": "Namespaces",
    "apps": "Apps",
    "threads": "Conversation threads",
    "actions": "Actions",
    "secrets": "Secrets",
    "models": "Models configured",
    "releases": "Releases of the app",
    "total": "Finished executions (success + failed)",
    "success": "Executions that succeeded",
    "failed": "Executions that failed",
    "success_rate": "success / total, between 0 and 1; 0 when there were none",
    "org_id": "The org's id",
    "workspace_id": "The workspace's id",
    "app_id": "The app's id",
    "namespace_id": "The namespace's id",
    "workspace_count": "Workspaces in the answer",
    "resources": "Resource counts",
    "executions": "Execution totals",
    "workspaces": "Each workspace of the answer, by id",
    "updated_at": UPDATED_AT,
    "OrgAnalytics.updated_at": "The oldest `updated_at` of its workspaces. " + UPDATED_AT,
    "timestamp": "Start of the bucket (UTC, ISO 8601)",
    "value": "Executions that finished in the bucket",
    "metric": "What is counted (`executions`)",
    "period": "The bucket size",
    "data": "The buckets, oldest first; the last one is the current, partial bucket",
    **{
        f"{model}.metric": f"What is counted (`{name}`)"
        for model, name in (
            ("ExecutionLatency", "execution_latency"),
            ("TokenUsage", "tokens"),
            ("Failures", "failures"),
        )
    },
    "unit": "The unit of the quantiles (`ms`)",
    "count": "Finished executions with a duration",
    **{
        f"p{q}": (
            f"The {q}th percentile of the durations in ms (Prometheus' histogram_quantile "
            "interpolation of exact latency-bucket counts, 0.1 ms): it lies in the same bucket "
            "as the exact nearest-rank percentile, so it is off by less than that bucket's "
            "width; null without executions"
        )
        for q in (50, 90, 95, 99)
    },
    "TokenUsage.total": "Tokens used, all kinds",
    "TokenBucket.total": "Tokens used in the day, all kinds",
    "by_kind": "Tokens per kind (`prompt`, `completion`, ...; `other` over the workspace's cap)",
    "pipelines": "Each pipeline the app ran in the window, most executions first",
    "augmentation_id": "The pipeline's (augmentation's) id; `other` over the workspace's cap",
    "Failures.total": "Failed executions",
    "overflow_code": "The code under which codes over the workspace's cap are counted",
    "codes": "Each error code with failures in the window, most frequent first",
    "error_code": "The error code, `status_<status_code>` without one, or `other` over the cap",
    "FailureCode.count": "Failed executions with this code",
    "share": "count / total, rounded to 4 places",
    "overflow": "Whether this is the overflow code (`other`)",
    "total_actions": "Actions",
    "enabled_actions": "Actions that are enabled",
    "trigger_actions": "Actions run by a trigger",
    "scheduled_actions": "Actions run on a schedule",
    "total_secrets": "Secrets",
    "active_secrets": "Secrets that are active",
    "secrets_by_type": "Secrets per type (types with none are left out)",
    "total_sources": "Sources",
    "indexed_sources": "Sources indexed",
    "failed_sources": "Sources whose indexing failed",
    "pending_sources": "Sources waiting to be indexed",
    "total_chunks": "Chunks of all sources",
    "total_tokens": "Tokens of all sources",
    "total_bytes": "Bytes of all sources",
    "workspace_sources": "Sources shared by the whole workspace",
    "namespace_sources": "Sources of one namespace",
    "sources_by_type": "Sources per type (types with none are left out)",
    "sources_by_status": "Sources per indexing status (statuses with none are left out)",
    "status": "`ok` (alive) or `ready` (Prometheus answers)",
    "error": "A code from ErrorCode (clients should accept codes added later)",
    "message": "What went wrong, for people",
    "details": "What the error concerns; the keys depend on the code",
    "ErrorResponse.timestamp": "When the error happened (UTC, microseconds, no zone suffix)",
    "status_code": "The HTTP status, repeated",
    "detail": "Every invalid parameter",
    "loc": "Where: `path` or `query`, then the parameter's name",
    "msg": "What is wrong, for people",
    "type": "pydantic's error type (`int_parsing`, `less_than_equal`, ...)",
    "input": "The value received",
    "ctx": "The constraint that failed (for example `ge`, `le`, `pattern`)",
}


# Examples of the properties whose values a count does not explain.
EXAMPLES: dict[str, Any] = {
    "org_id": "org-alpha",
    "workspace_id": "ws-a01",
    "app_id": "app-a01",
    "namespace_id": "ns-a01",
    "updated_at": "2025-03-20T10:37:00Z",
    "timestamp": "2025-03-20T10:00:00Z",
    "ErrorResponse.timestamp": "2025-03-20T10:37:30.123456",
    "success_rate": 0.93,
    "metric": "executions",
    "error": "RESOURCE_NOT_FOUND",
    "message": "The requested resource was not found",
    "status_code": 404,
    "loc": ["query", "hours"],
    "msg": "Input should be less than or equal to 168",
    "type": "less_than_equal",
    "status": "ok",
    "p50": 840.3,
    "p90": 4620.0,
    "p95": 8125.5,
    "p99": 41230.8,
    "by_kind": {"completion": 5120, "prompt": 20480},
    "augmentation_id": "aug-a01",
    "error_code": "MODEL_TIMEOUT",
    "share": 0.4125,
}


class ErrorCode(StrEnum):
    """Every error code the API answers with (a client should accept codes added later).

    AUTHENTICATION_FAILED 401, FORBIDDEN 403, RESOURCE_NOT_FOUND 404 (unknown org, workspace,
    app, namespace or route), METHOD_NOT_ALLOWED 405, INTERNAL_SERVER_ERROR 500,
    FEATURE_DISABLED 501 (level of detail not exported), SERVICE_UNAVAILABLE 503 (Prometheus
    unreachable or slow, or data stale), and from the HTTP server: BAD_REQUEST 400 (malformed
    request), URI_TOO_LONG 414, REQUEST_HEADER_FIELDS_TOO_LARGE 431.
    """

    AUTHENTICATION_FAILED = "AUTHENTICATION_FAILED"
    FORBIDDEN = "FORBIDDEN"
    RESOURCE_NOT_FOUND = "RESOURCE_NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    FEATURE_DISABLED = "FEATURE_DISABLED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    BAD_REQUEST = "BAD_REQUEST"
    URI_TOO_LONG = "URI_TOO_LONG"
    REQUEST_HEADER_FIELDS_TOO_LARGE = "REQUEST_HEADER_FIELDS_TOO_LARGE"


# The keys `details` may hold, by the codes that send them.
DETAIL_KEYS: dict[str, dict[str, Any]] = {
    "resource_type": {"type": "string", "description": "RESOURCE_NOT_FOUND: what is unknown"},
    "resource_id": {"type": "string", "description": "RESOURCE_NOT_FOUND: its id or path"},
    "required_permission": {"type": "string", "description": "FORBIDDEN: the permission needed"},
    "method": {"type": "string", "description": "METHOD_NOT_ALLOWED: the method asked"},
    "allowed_methods": {
        "type": "array",
        "items": {"type": "string"},
        "description": "METHOD_NOT_ALLOWED: the methods served",
    },
    "level": {"type": "string", "description": "FEATURE_DISABLED: `app` or `namespace`"},
    "retry_after": {"type": "integer", "description": "SERVICE_UNAVAILABLE: seconds to wait"},
    "reason": {"type": "string", "description": "SERVICE_UNAVAILABLE: why"},
    "collector": {"type": "string", "description": "SERVICE_UNAVAILABLE: the stale collector"},
    "last_success": {
        "type": ["number", "null"],
        "description": "SERVICE_UNAVAILABLE: the collector's last success (unix seconds)",
    },
}
CTX_KEYS: dict[str, dict[str, Any]] = {
    "ge": {"type": "integer", "description": "The smallest value allowed"},
    "le": {"type": "integer", "description": "The largest value allowed"},
    "pattern": {"type": "string", "description": "The pattern the value must match"},
    "min_length": {"type": "integer", "description": "The shortest length allowed"},
    "max_length": {"type": "integer", "description": "The longest length allowed"},
    "error": {"type": "string", "description": "Why the value was refused"},
}


def documented(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """A body model's schema, open to fields added later, each property described."""
    # Built with exactly its fields, documented open (as FastAPI does): a client generated
    # from this document keeps working when a later version adds a field.
    schema.pop("additionalProperties", None)
    for name, prop in schema.get("properties", {}).items():
        text = FIELDS.get(f"{model.__name__}.{name}", FIELDS.get(name))
        if text is not None and "description" not in prop:
            prop["description"] = text
        example = EXAMPLES.get(f"{model.__name__}.{name}", EXAMPLES.get(name))
        if example is not None:
            prop["examples"] = [example]
        prop.pop("title", None)


# Free-form objects with the keys actually sent declared: typed clients can read them.
ErrorDetails = Annotated[
    dict[str, Any],
    WithJsonSchema({"type": "object", "properties": DETAIL_KEYS, "additionalProperties": True}),
]
ValidationContext = Annotated[
    dict[str, Any],
    WithJsonSchema({"type": "object", "properties": CTX_KEYS, "additionalProperties": True}),
]
