"""The OpenAPI 3.1 document, generated from the app's own URL map.

Every served rule's view must declare an `Operation` (`facade.operations.operation`; the app
refuses to start otherwise) and only served rules are documented, so the document cannot list
a route that does not exist or miss one that does. Parameters come from `facade.params` and
body schemas from the `facade.bodies` models, the same definitions the views answer with.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from facade.bodies import ErrorResponse, HTTPValidationError
from facade.csv_bodies import CSV_TYPE
from facade.operations import Operation, operation_of
from facade.params import Param

REF_TEMPLATE = "#/components/schemas/{model}"
Refs = dict[type[BaseModel], dict[str, Any]]


def _parameter(param: Param) -> dict[str, Any]:
    return {
        "name": param.name,
        "in": param.location,
        "required": param.required,
        "description": param.description,
        "schema": param.schema(),
    }


def _response(description: str, content_type: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {content_type: {"schema": schema}}}


def _operation(name: str, operation: Operation, refs: Refs) -> dict[str, Any]:
    body: dict[str, Any] = refs[operation.body] if operation.body else {"type": "object"}
    if operation.content_type != "application/json":
        body = {"type": "string"}
    responses = {"200": _response("Successful response", operation.content_type, body)}
    if operation.csv is not None:
        responses["200"]["content"][CSV_TYPE] = {"schema": {"type": "string"}}
    for status, description in operation.errors.items():
        model = HTTPValidationError if status == "422" else ErrorResponse
        responses[status] = _response(description, "application/json", refs[model])
    return {
        "operationId": name,
        "summary": operation.summary,
        "tags": ["Analytics" if operation.secured else "Operations"],
        "parameters": [_parameter(param) for param in operation.params],
        "responses": responses,
        "security": [{"bearerAuth": []}] if operation.secured else [],
    }


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


def _served(app: Flask) -> dict[str, tuple[str, Operation]]:
    """Each served path (in OpenAPI's `{name}` syntax): its view's name and Operation."""
    served = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        operation = operation_of(view)
        if view is None or operation is None or set(rule.methods or ()) - {"GET", "HEAD"}:
            raise RuntimeError(f"route {rule.rule} ({rule.endpoint}) has no OpenAPI description")
        if not operation.documented:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        served[path] = (view.__name__, operation)
    return served


def document(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of exactly the rules `app` serves."""
    served = _served(app)
    refs, schemas = _schemas([operation for _, operation in served.values()])
    paths = {
        path: {"get": _operation(name, operation, refs)}
        for path, (name, operation) in sorted(served.items())
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "MechaMental Analytics",
            "version": "1.0.0",
            "description": "Workspace analytics of the MechaMental platform, from Prometheus.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
