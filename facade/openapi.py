"""The OpenAPI 3.1 document, generated from the app's own URL map.

Every served rule's view must declare an `Operation` (`facade.operations.operation`; the app
refuses to start otherwise) and only served rules are documented, so the document cannot list
a route that does not exist or miss one that does. Parameters come from `facade.params` and
body schemas from the `facade.bodies` models, the same definitions the views answer with.
Written for SDK generators: operationIds are the view names (pinned by the tests), operations
are described by their views' docstrings and the permission they need, objects stay open, and
the headers clients read (`Retry-After`, `WWW-Authenticate`, `Last-Modified`) are declared.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from facade.bodies import ErrorResponse, HTTPValidationError
from facade.csv_bodies import CSV_TYPE
from facade.last_modified import LAST_MODIFIED
from facade.operations import Operation, operation_of

REF_TEMPLATE = "#/components/schemas/{model}"
Refs = dict[type[BaseModel], dict[str, Any]]
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"apiKeyAuth": []}]
SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A JWT of one org (claim `org_id`) whose `permissions` (or compact "
        "`workspaces` claim) grant the operation's permission; `mm-analytics token` mints one.",
    },
    "apiKeyAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "API key",
        "description": "A static API key (`mmk_...`) of the keys file, sent as a bearer token.",
    },
}
# Headers of some answers, by status.
HEADERS: dict[str, dict[str, Any]] = {
    "401": {
        "WWW-Authenticate": {
            "description": "`Bearer`: how to authenticate",
            "schema": {"type": "string"},
        }
    },
    "503": {
        "Retry-After": {
            "description": "Seconds to wait before asking again",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}


def _response(description: str, content_type: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {content_type: {"schema": schema}}}


def _permission(operation: Operation) -> str:
    """The permission the operation needs, from where its workspace id comes."""
    locations = {param.location for param in operation.params if param.name == "workspace_id"}
    if "path" in locations:
        return "analytics:{workspace_id}:view (or analytics:*:view for the whole org)"
    if "query" in locations:
        return "analytics:*:view, or analytics:{workspace_id}:view with `workspace_id`"
    return "analytics:*:view"


def _responses(operation: Operation, refs: Refs) -> dict[str, Any]:
    body: dict[str, Any] = refs[operation.body] if operation.body else {"type": "object"}
    if operation.content_type != "application/json":
        body = {"type": "string"}
    ok = _response("Successful response", operation.content_type, body)
    if operation.secured:
        ok["headers"] = {
            LAST_MODIFIED: {
                "description": "The time of the data as an HTTP date: `updated_at` where the "
                "body has it, else the exporter's last successful collection it was read from",
                "schema": {"type": "string"},
            }
        }
    responses = {"200": ok}
    if operation.csv is not None:
        responses["200"]["content"][CSV_TYPE] = {"schema": {"type": "string"}}
    for status, description in operation.errors.items():
        model = HTTPValidationError if status == "422" else ErrorResponse
        responses[status] = _response(description, "application/json", refs[model])
        if status in HEADERS:
            responses[status]["headers"] = HEADERS[status]
    return responses


def _operation(name: str, view_doc: str, operation: Operation, refs: Refs) -> dict[str, Any]:
    found: dict[str, Any] = {
        "operationId": name,
        "summary": operation.summary,
        "description": view_doc,
        "tags": ["Analytics" if operation.secured else "Operations"],
        "parameters": [param.document() for param in operation.params],
        "responses": _responses(operation, refs),
        "security": SECURITY if operation.secured else [],
    }
    if operation.secured:
        permission = _permission(operation)
        found["description"] += f"\n\nPermission: {permission}."
        found["x-required-permission"] = permission
    return found


def _schemas(operations: list[Operation]) -> tuple[Refs, dict[str, Any]]:
    """A `$ref` per body model, and the component schemas of every model they use."""
    bodies = [operation.body for operation in operations if operation.body is not None]
    models: list[type[BaseModel]] = list(
        dict.fromkeys([*bodies, ErrorResponse, HTTPValidationError])
    )
    found, schemas = models_json_schema(
        [(model, "serialization") for model in models], ref_template=REF_TEMPLATE
    )
    return {model: found[model, "serialization"] for model in models}, schemas.get("$defs", {})


def _served(app: Flask) -> dict[str, tuple[str, str, Operation]]:
    """Each served path (in OpenAPI's `{name}` syntax): its view's name, docstring, Operation."""
    served = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        operation = operation_of(view)
        if view is None or operation is None or set(rule.methods or ()) - {"GET", "HEAD"}:
            raise RuntimeError(f"route {rule.rule} ({rule.endpoint}) has no OpenAPI description")
        if not operation.documented:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        served[path] = (view.__name__, (view.__doc__ or operation.summary).strip(), operation)
    return served


def document(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of exactly the rules `app` serves."""
    served = _served(app)
    refs, schemas = _schemas([operation for _, _, operation in served.values()])
    paths = {
        path: {"get": _operation(name, doc, operation, refs)}
        for path, (name, doc, operation) in sorted(served.items())
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "MechaMental Analytics",
            "version": "1.0.0",
            "description": "Workspace analytics of the MechaMental platform, from Prometheus.",
        },
        # Relative: the document describes the server it is read from, whatever its address.
        "servers": [{"url": "/", "description": "The façade serving this document"}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }
