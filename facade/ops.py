"""Operational routes without authentication: health, readiness, metrics, the OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from prometheus_client import CONTENT_TYPE_LATEST

from facade import promql
from facade.bodies import Status
from facade.operations import API_ERRORS, operation
from facade.state import state

ops = Blueprint("ops", __name__)


def route(rule: str) -> Any:
    """A GET route without automatic OPTIONS."""
    return ops.get(rule, provide_automatic_options=False)


@route("/healthz")
@operation("Liveness of the façade", body=Status, errors={}, secured=False)
def healthz() -> Status:
    """The process serves requests."""
    return Status(status="ok")


@route("/readyz")
@operation(
    "Readiness: Prometheus answers queries",
    body=Status,
    errors={"503": API_ERRORS["503"]},
    secured=False,
)
def readyz() -> Status:
    """Prometheus answers queries (503 in the error envelope otherwise)."""
    facade = state()
    facade.client.instant(promql.ping(), facade.clock())
    return Status(status="ready")


@route("/metrics")
@operation("The façade's own metrics", errors={}, secured=False, content_type="text/plain")
def metrics() -> Response:
    """The façade's own metrics in the Prometheus text format."""
    return Response(state().metrics.exposition(), mimetype=None, content_type=CONTENT_TYPE_LATEST)


@route("/openapi.json")
@operation("This document", errors={}, secured=False)
def openapi() -> Response:
    """The OpenAPI 3.1 description of every route served here."""
    return jsonify(state().openapi)
