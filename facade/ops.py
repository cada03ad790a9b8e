"""Operational routes without authentication: health, readiness, metrics, the OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from prometheus_client import CONTENT_TYPE_LATEST

from facade import promql
from facade.state import state

ops = Blueprint("ops", __name__)


def route(rule: str) -> Any:
    """A GET route without automatic OPTIONS."""
    return ops.get(rule, provide_automatic_options=False)


@route("/healthz")
def healthz() -> Response:
    """The process serves requests."""
    return jsonify({"status": "ok"})


@route("/readyz")
def readyz() -> Response:
    """Prometheus answers queries (503 in the error envelope otherwise)."""
    facade = state()
    facade.client.instant(promql.ping(), facade.clock())
    return jsonify({"status": "ready"})


@route("/metrics")
def metrics() -> Response:
    """The façade's own metrics in the Prometheus text format."""
    return Response(state().metrics.exposition(), mimetype=None, content_type=CONTENT_TYPE_LATEST)


@route("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of every route served here."""
    return jsonify(state().openapi)
