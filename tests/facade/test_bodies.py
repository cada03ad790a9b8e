"""Response bodies: one model serializes an answer and describes it in the OpenAPI document."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from pydantic import BaseModel

from facade import bodies, openapi
from facade.openapi import REF_TEMPLATE
from facade.operations import operation
from facade.results import (
    Executions,
    OrgAnalytics,
    ScopedCounts,
    SourceAnalytics,
    TimeSeries,
    WorkspaceAnalytics,
)
from facade.state import EXTENSION
from vocabulary.catalogue import APP_RESOURCE_KINDS, NAMESPACE_RESOURCE_KINDS, RESOURCE_KINDS

RESOURCES = {kind: index for index, kind in enumerate(RESOURCE_KINDS)}
NOW = 1_700_000_000.0


def dumped(body: BaseModel) -> str:
    """The body as the façade sends it (compact JSON, keys in field order)."""
    return json.dumps(body.model_dump(mode="json"), separators=(",", ":"))


def test_count_fields_are_the_catalogue_kinds_in_the_spec_order() -> None:
    assert tuple(bodies.ResourceCounts.model_fields) == RESOURCE_KINDS
    assert tuple(bodies.AppAnalytics.model_fields) == ("app_id", *APP_RESOURCE_KINDS)
    assert tuple(bodies.NamespaceAnalytics.model_fields) == (
        "namespace_id",
        *NAMESPACE_RESOURCE_KINDS,
    )


def test_the_org_rollup_sums_its_workspaces_and_keeps_the_oldest_time() -> None:
    rollup = OrgAnalytics(
        "org-alpha",
        (
            WorkspaceAnalytics("ws-b", RESOURCES, Executions(10, 3), NOW - 3.5),
            WorkspaceAnalytics("ws-a", RESOURCES, Executions(0, 0), NOW - 10),
        ),
    )
    body = bodies.OrgAnalytics.of(rollup)
    assert dumped(body.executions) == ('{"total":10,"success":7,"failed":3,"success_rate":0.7}')
    assert body.resources.models == 2 * RESOURCES["models"]
    assert body.updated_at == "2023-11-14T22:13:10Z"
    assert list(body.model_dump()) == [
        "org_id",
        "workspace_count",
        "resources",
        "executions",
        "workspaces",
        "updated_at",
    ]
    assert dumped(body.workspaces[1].executions) == (
        '{"total":0,"success":0,"failed":0,"success_rate":0.0}'
    )


def test_bodies_keep_the_spec_keys_and_types() -> None:
    sources = SourceAnalytics(1, 2, 3, 4, 5, 6, 7, 8, 9, {"file": 1}, {"indexed": 2})
    assert dumped(bodies.SourceAnalytics.of(sources)) == (
        '{"total_sources":1,"indexed_sources":2,"failed_sources":3,"pending_sources":4,'
        '"total_chunks":5,"total_tokens":6,"total_bytes":7,"workspace_sources":8,'
        '"namespace_sources":9,"sources_by_type":{"file":1},"sources_by_status":{"indexed":2}}'
    )
    app = ScopedCounts("app-1", dict.fromkeys(APP_RESOURCE_KINDS, 1))
    assert dumped(bodies.AppAnalytics.of(app)) == (
        '{"app_id":"app-1","augmentations":1,"namespaces":1,"endpoints":1,"releases":1}'
    )
    series = TimeSeries("executions", "daily", ("2024-01-01T00:00:00+01:00",), (3,))
    assert dumped(bodies.TimeSeries.of(series)) == (
        '{"metric":"executions","period":"daily",'
        '"data":[{"timestamp":"2024-01-01T00:00:00+01:00","value":3}]}'
    )


def test_a_body_refuses_what_its_schema_forbids() -> None:
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        bodies.ExecutionMetrics(total=-1, success=0, failed=0, success_rate=0.0)
    with pytest.raises(ValueError, match="Extra inputs"):
        bodies.Status(status="ok", extra="no")  # type: ignore[call-arg]


def test_the_document_holds_each_model_schema(app: Flask) -> None:
    components = app.extensions[EXTENSION].openapi["components"]["schemas"]
    for name in ("OrgAnalytics", "TimeSeries", "ErrorResponse", "HTTPValidationError"):
        model = getattr(bodies, name)
        schema: dict[str, Any] = model.model_json_schema(
            ref_template=REF_TEMPLATE, mode="serialization"
        )
        schema.pop("$defs", None)
        assert components[name] == schema


def small_app() -> Flask:
    """An app with one documented route."""
    app = Flask("documented", static_folder=None)

    @app.get("/status", provide_automatic_options=False)
    @operation("A status", body=bodies.Status, errors={}, secured=False)
    def status() -> bodies.Status:
        return bodies.Status(status="fine")

    return app


def test_a_declared_body_is_answered_as_its_json() -> None:
    app = small_app()
    answer = app.test_client().get("/status")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "fine"}
    assert openapi.document(app)["paths"]["/status"]["get"]["responses"]["200"]["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/Status"}}
    }


def test_a_view_answering_another_model_is_an_error() -> None:
    app = small_app()

    @app.get("/wrong", provide_automatic_options=False)
    @operation("A wrong body", body=bodies.Status, errors={}, secured=False)
    def wrong() -> bodies.ExecutionMetrics:
        return bodies.ExecutionMetrics(total=0, success=0, failed=0, success_rate=0.0)

    app.testing = True  # let the error reach the test instead of a bare 500
    with pytest.raises(TypeError, match="wrong answered ExecutionMetrics, not Status"):
        app.test_client().get("/wrong")


def test_a_route_without_an_operation_stops_the_document() -> None:
    app = small_app()

    @app.get("/undocumented", provide_automatic_options=False)
    def undocumented() -> str:
        return "served without a description"

    assert app.test_client().get("/undocumented").status_code == 200
    with pytest.raises(RuntimeError, match=r"route /undocumented \(undocumented\) has no OpenAPI"):
        openapi.document(app)
