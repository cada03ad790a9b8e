"""The ten analytics routes of the spec: authenticate, validate, authorize, query, serialize."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, g, jsonify, request

from facade import params, serializers
from facade.promql import Scope
from facade.state import state

api = Blueprint("analytics", __name__)
WORKSPACE = "/v1/orgs/<org_id>/workspaces/<workspace_id>"


def route(rule: str) -> Any:
    """A GET route of the API (no automatic OPTIONS: only documented methods are served)."""
    return api.get(rule, provide_automatic_options=False)


@api.before_request
def authenticate() -> None:
    """Every analytics route needs a valid bearer token."""
    g.principal = state().authenticator.authenticate(request.headers.get("Authorization"))


def _scope(route_params: Sequence[params.Param]) -> tuple[Scope, dict[str, Any]]:
    values = params.parse(route_params, request.view_args or {}, request.args)
    g.principal.require(values["org_id"], values.get("workspace_id"))
    scope = Scope(
        values["org_id"],
        values.get("workspace_id"),
        values.get("app_id"),
        values.get("namespace_id"),
    )
    return scope, values


@route("/v1/orgs/<org_id>/analytics")
def org_analytics(org_id: str) -> Response:
    """The org rollup, optionally narrowed to one workspace."""
    scope, _ = _scope(params.ROLLUP_PARAMS)
    return jsonify(serializers.org(state().inventory.rollup(scope)))


@route(f"{WORKSPACE}/analytics")
def workspace_analytics(org_id: str, workspace_id: str) -> Response:
    """The workspace summary."""
    scope, _ = _scope(params.WORKSPACE_PARAMS)
    return jsonify(serializers.workspace(state().inventory.summary(scope)))


@route(f"{WORKSPACE}/analytics/resources")
def resource_counts(org_id: str, workspace_id: str) -> Response:
    """The nine resource counts."""
    scope, _ = _scope(params.WORKSPACE_PARAMS)
    return jsonify(state().inventory.resources(scope))


@route(f"{WORKSPACE}/analytics/executions")
def execution_metrics(org_id: str, workspace_id: str) -> Response:
    """Execution totals and success rate."""
    scope, _ = _scope(params.WORKSPACE_PARAMS)
    return jsonify(serializers.executions(state().inventory.executions(scope)))


@route(f"{WORKSPACE}/analytics/executions/hourly")
def hourly_executions(org_id: str, workspace_id: str) -> Response:
    """Executions per UTC hour."""
    scope, values = _scope(params.HOURLY_PARAMS)
    return jsonify(serializers.series(state().series.hourly(scope, values["hours"])))


@route(f"{WORKSPACE}/analytics/executions/daily")
def daily_executions(org_id: str, workspace_id: str) -> Response:
    """Executions per calendar day, UTC or in the `tz` zone."""
    scope, values = _scope(params.DAILY_PARAMS)
    zone = ZoneInfo(values["tz"]) if values["tz"] else UTC
    return jsonify(serializers.series(state().series.daily(scope, values["days"], zone)))


@route(f"{WORKSPACE}/apps/<app_id>/analytics")
def app_analytics(org_id: str, workspace_id: str, app_id: str) -> Response:
    """Resource counts of one app."""
    scope, _ = _scope(params.APP_PARAMS)
    return jsonify(serializers.app(state().inventory.app(scope)))


@route(f"{WORKSPACE}/namespaces/<namespace_id>/analytics")
def namespace_analytics(org_id: str, workspace_id: str, namespace_id: str) -> Response:
    """Resource counts of one namespace."""
    scope, _ = _scope(params.NAMESPACE_PARAMS)
    return jsonify(serializers.namespace(state().inventory.namespace(scope)))


@route(f"{WORKSPACE}/analytics/actions")
def action_analytics(org_id: str, workspace_id: str) -> Response:
    """Action counts."""
    scope, _ = _scope(params.WORKSPACE_PARAMS)
    return jsonify(serializers.actions(state().inventory.actions(scope)))


@route(f"{WORKSPACE}/analytics/secrets")
def secret_analytics(org_id: str, workspace_id: str) -> Response:
    """Secret counts."""
    scope, _ = _scope(params.WORKSPACE_PARAMS)
    return jsonify(serializers.secrets(state().inventory.secrets(scope)))


@route(f"{WORKSPACE}/analytics/sources")
def source_analytics(org_id: str, workspace_id: str) -> Response:
    """Source counts."""
    scope, _ = _scope(params.WORKSPACE_PARAMS)
    return jsonify(serializers.sources(state().inventory.sources(scope)))
