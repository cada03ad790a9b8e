"""The OpenAPI 3.1 document, generated from the app's own URL map.

Every served rule must have an entry in OPERATIONS (the app refuses to start otherwise) and
only served rules are documented, so the document cannot list a route that does not exist or
miss one that does. Parameters come from `facade.params`, the same definitions the views use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from werkzeug.routing import Map

from facade import params
from facade.openapi_schemas import SCHEMAS, ref

API_ERRORS = {
    "401": "No token, or an invalid or expired one",
    "403": "Another org's token, or a missing permission",
    "404": "Unknown org, workspace, app or namespace",
    "422": "Invalid parameter",
    "500": "Unexpected error",
    "503": "Prometheus unreachable or too slow, or the exporter's data is stale (Retry-After)",
}
DISABLED = {"501": "The exporter does not export this level of detail"}


@dataclass(frozen=True)
class Operation:
    """What the document says about one route."""

    summary: str
    parameters: tuple[params.Param, ...] = ()
    schema: str | None = None
    errors: tuple[tuple[str, str], ...] = tuple(API_ERRORS.items())
    secured: bool = True
    content_type: str = "application/json"


OPERATIONS = {
    "analytics.org_analytics": Operation(
        "Get org analytics rollup", params.ROLLUP_PARAMS, "OrgAnalytics"
    ),
    "analytics.workspace_analytics": Operation(
        "Get workspace analytics summary", params.WORKSPACE_PARAMS, "WorkspaceAnalytics"
    ),
    "analytics.resource_counts": Operation(
        "Get resource counts", params.WORKSPACE_PARAMS, "ResourceCounts"
    ),
    "analytics.execution_metrics": Operation(
        "Get execution metrics", params.WORKSPACE_PARAMS, "ExecutionMetrics"
    ),
    "analytics.hourly_executions": Operation(
        "Get hourly execution data", params.HOURLY_PARAMS, "TimeSeries"
    ),
    "analytics.daily_executions": Operation(
        "Get daily execution data", params.DAILY_PARAMS, "TimeSeries"
    ),
    "analytics.app_analytics": Operation(
        "Get app analytics",
        params.APP_PARAMS,
        "AppAnalytics",
        (*API_ERRORS.items(), *DISABLED.items()),
    ),
    "analytics.namespace_analytics": Operation(
        "Get namespace analytics",
        params.NAMESPACE_PARAMS,
        "NamespaceAnalytics",
        (*API_ERRORS.items(), *DISABLED.items()),
    ),
    "analytics.action_analytics": Operation(
        "Get action analytics", params.WORKSPACE_PARAMS, "ActionAnalytics"
    ),
    "analytics.secret_analytics": Operation(
        "Get secret analytics", params.WORKSPACE_PARAMS, "SecretAnalytics"
    ),
    "analytics.source_analytics": Operation(
        "Get source analytics", params.WORKSPACE_PARAMS, "SourceAnalytics"
    ),
    "ops.healthz": Operation("Liveness of the façade", schema="Status", errors=(), secured=False),
    "ops.readyz": Operation(
        "Readiness: Prometheus answers queries",
        schema="Status",
        errors=(("503", API_ERRORS["503"]),),
        secured=False,
    ),
    "ops.metrics": Operation(
        "The façade's own metrics", errors=(), secured=False, content_type="text/plain"
    ),
    "ops.openapi": Operation("This document", errors=(), secured=False),
}


def _parameter(param: params.Param) -> dict[str, Any]:
    return {
        "name": param.name,
        "in": param.location,
        "required": param.required,
        "description": param.description,
        "schema": param.schema(),
    }


def _response(description: str, content_type: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {content_type: {"schema": schema}}}


def _operation(endpoint: str, operation: Operation) -> dict[str, Any]:
    body: dict[str, Any] = ref(operation.schema) if operation.schema else {"type": "object"}
    if operation.content_type != "application/json":
        body = {"type": "string"}
    responses = {"200": _response("Successful response", operation.content_type, body)}
    for status, description in operation.errors:
        schema = "HTTPValidationError" if status == "422" else "ErrorResponse"
        responses[status] = _response(description, "application/json", ref(schema))
    return {
        "operationId": endpoint.rsplit(".", maxsplit=1)[-1],
        "summary": operation.summary,
        "tags": ["Analytics" if operation.secured else "Operations"],
        "parameters": [_parameter(param) for param in operation.parameters],
        "responses": responses,
        "security": [{"bearerAuth": []}] if operation.secured else [],
    }


def document(url_map: Map) -> dict[str, Any]:
    """The OpenAPI document of exactly the rules in `url_map`."""
    paths: dict[str, Any] = {}
    for rule in url_map.iter_rules():
        operation = OPERATIONS.get(rule.endpoint)
        if operation is None or set(rule.methods or ()) - {"GET", "HEAD"}:
            raise RuntimeError(f"route {rule.rule} ({rule.endpoint}) has no OpenAPI description")
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        paths.setdefault(path, {})["get"] = _operation(rule.endpoint, operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "MechaMental Analytics",
            "version": "1.0.0",
            "description": "Workspace analytics of the MechaMental platform, from Prometheus.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
