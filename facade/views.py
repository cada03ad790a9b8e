"""The analytics routes: authenticate, validate, authorize, query, serialize.

Each request is authenticated first; `@operation` validates the declared parameters and
serializes the body model the view returns; the view authorizes and asks one service."""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, g, request

from facade import bodies, detail_bodies, params
from facade.buckets import Buckets
from facade.operations import DETAIL_ERRORS, operation
from facade.promql import Scope
from facade.results import Period
from facade.state import state

api = Blueprint("analytics", __name__)
WORKSPACE = "/v1/orgs/<org_id>/workspaces/<workspace_id>"
WEEKDAYS = {"monday": 0, "sunday": 6}  # `week_start` as datetime.weekday()


def route(rule: str) -> Any:
    """A GET route of the API (no automatic OPTIONS: only documented methods are served)."""
    return api.get(rule, provide_automatic_options=False)


@api.before_request
def authenticate() -> None:
    """Every analytics route needs a valid bearer token."""
    g.principal = state().authenticator.authenticate(request.headers.get("Authorization"))


def _authorized(scope: Scope) -> Scope:
    """`scope`, once the caller's token may read it (Forbidden otherwise)."""
    g.principal.require(scope.org_id, scope.workspace_id)
    return scope


@route("/v1/orgs/<org_id>/analytics")
@operation("Get org analytics rollup", params=params.ROLLUP_PARAMS, body=bodies.OrgAnalytics)
def org_analytics(org_id: str, workspace_id: str | None) -> bodies.OrgAnalytics:
    """The org rollup, optionally narrowed to one workspace."""
    scope = _authorized(Scope(org_id, workspace_id))
    return bodies.OrgAnalytics.of(state().inventory.rollup(scope))


@route(f"{WORKSPACE}/analytics")
@operation(
    "Get workspace analytics summary",
    params=params.WORKSPACE_PARAMS,
    body=bodies.WorkspaceAnalytics,
)
def workspace_analytics(org_id: str, workspace_id: str) -> bodies.WorkspaceAnalytics:
    """The workspace summary."""
    scope = _authorized(Scope(org_id, workspace_id))
    return bodies.WorkspaceAnalytics.of(state().inventory.summary(scope))


@route(f"{WORKSPACE}/analytics/resources")
@operation("Get resource counts", params=params.WORKSPACE_PARAMS, body=bodies.ResourceCounts)
def resource_counts(org_id: str, workspace_id: str) -> bodies.ResourceCounts:
    """The nine resource counts."""
    scope = _authorized(Scope(org_id, workspace_id))
    return bodies.ResourceCounts(**state().inventory.resources(scope))


@route(f"{WORKSPACE}/analytics/executions")
@operation("Get execution metrics", params=params.WORKSPACE_PARAMS, body=bodies.ExecutionMetrics)
def execution_metrics(org_id: str, workspace_id: str) -> bodies.ExecutionMetrics:
    """Execution totals and success rate."""
    scope = _authorized(Scope(org_id, workspace_id))
    return bodies.ExecutionMetrics.of(state().inventory.executions(scope))


def _days(days: int, tz: str | None) -> Buckets:
    """The last `days` calendar days of the `tz` zone (UTC by default) for the detail answers."""
    return state().details.buckets(None, days, _zone(tz))


def _zone(tz: str | None) -> tzinfo:
    """The zone a series is counted in (validated by its parameter): UTC unless named."""
    return ZoneInfo(tz) if tz else UTC


@route(f"{WORKSPACE}/analytics/executions/hourly")
@operation("Get hourly execution data", params=params.HOURLY_PARAMS, body=bodies.TimeSeries)
def hourly_executions(org_id: str, workspace_id: str, hours: int) -> bodies.TimeSeries:
    """Executions per UTC hour."""
    scope = _authorized(Scope(org_id, workspace_id))
    return bodies.TimeSeries.of(state().series.hourly(scope, hours))


@route(f"{WORKSPACE}/analytics/executions/daily")
@operation("Get daily execution data", params=params.DAILY_PARAMS, body=bodies.TimeSeries)
def daily_executions(
    org_id: str, workspace_id: str, days: int, tz: str | None
) -> bodies.TimeSeries:
    """Executions per calendar day, UTC or in the `tz` zone."""
    scope = _authorized(Scope(org_id, workspace_id))
    return bodies.TimeSeries.of(state().series.daily(scope, days, _zone(tz)))


@route(f"{WORKSPACE}/analytics/executions/weekly")
@operation("Get weekly execution data", params=params.WEEKLY_PARAMS, body=bodies.TimeSeries)
def weekly_executions(
    org_id: str, workspace_id: str, weeks: int, tz: str | None, week_start: str
) -> bodies.TimeSeries:
    """Executions per calendar week, UTC or in the `tz` zone, from `week_start` at midnight."""
    scope = _authorized(Scope(org_id, workspace_id))
    weekday = WEEKDAYS[week_start]
    return bodies.TimeSeries.of(state().series.weekly(scope, weeks, _zone(tz), weekday))


@route(f"{WORKSPACE}/analytics/executions/monthly")
@operation("Get monthly execution data", params=params.MONTHLY_PARAMS, body=bodies.TimeSeries)
def monthly_executions(
    org_id: str, workspace_id: str, months: int, tz: str | None
) -> bodies.TimeSeries:
    """Executions per calendar month, UTC or in the `tz` zone."""
    scope = _authorized(Scope(org_id, workspace_id))
    return bodies.TimeSeries.of(state().series.monthly(scope, months, _zone(tz)))


@route(f"{WORKSPACE}/analytics/executions/latency")
@operation(
    "Get execution latency", params=params.LATENCY_PARAMS, body=detail_bodies.ExecutionLatency
)
def execution_latency(
    org_id: str, workspace_id: str, hours: int | None, days: int | None, tz: str | None
) -> detail_bodies.ExecutionLatency:
    """Latency quantiles of finished executions per UTC hour (default 24) or calendar day, UTC
    or in the `tz` zone. Each quantile lies in the same latency bucket as the exact
    (nearest-rank) quantile, so it is off by less than that bucket's width."""
    params.require_one_window(hours, days, tz)
    scope = _authorized(Scope(org_id, workspace_id))
    period: Period = "hourly" if days is None else "daily"
    buckets = state().details.buckets(hours, days, _zone(tz))
    return detail_bodies.ExecutionLatency.of(state().details.latency(scope, buckets, period))


@route(f"{WORKSPACE}/analytics/tokens")
@operation("Get token usage", params=params.DAILY_PARAMS, body=detail_bodies.TokenUsage)
def token_usage(
    org_id: str, workspace_id: str, days: int, tz: str | None
) -> detail_bodies.TokenUsage:
    """Tokens used by finished executions per calendar day and kind, UTC or in the `tz` zone."""
    scope = _authorized(Scope(org_id, workspace_id))
    return detail_bodies.TokenUsage.of(state().details.tokens(scope, _days(days, tz)))


@route(f"{WORKSPACE}/apps/<app_id>/analytics/executions")
@operation(
    "Get app executions",
    params=params.APP_DAILY_PARAMS,
    body=detail_bodies.AppExecutions,
    errors=DETAIL_ERRORS,
)
def app_executions(
    org_id: str, workspace_id: str, app_id: str, days: int, tz: str | None
) -> detail_bodies.AppExecutions:
    """Executions of one app per calendar day, UTC or in the `tz` zone, and per pipeline."""
    scope = _authorized(Scope(org_id, workspace_id, app_id=app_id))
    return detail_bodies.AppExecutions.of(state().details.app(scope, _days(days, tz)))


@route(f"{WORKSPACE}/analytics/failures")
@operation("Get failures by error code", params=params.DAILY_PARAMS, body=detail_bodies.Failures)
def execution_failures(
    org_id: str, workspace_id: str, days: int, tz: str | None
) -> detail_bodies.Failures:
    """Failed executions by error code over the last calendar days, UTC or in the `tz` zone."""
    scope = _authorized(Scope(org_id, workspace_id))
    return detail_bodies.Failures.of(state().details.failures(scope, _days(days, tz)))


@route(f"{WORKSPACE}/apps/<app_id>/analytics")
@operation(
    "Get app analytics",
    params=params.APP_PARAMS,
    body=bodies.AppAnalytics,
    errors=DETAIL_ERRORS,
)
def app_analytics(org_id: str, workspace_id: str, app_id: str) -> bodies.AppAnalytics:
    """Resource counts of one app."""
    scope = _authorized(Scope(org_id, workspace_id, app_id=app_id))
    return bodies.AppAnalytics.of(state().inventory.app(scope))


@route(f"{WORKSPACE}/namespaces/<namespace_id>/analytics")
@operation(
    "Get namespace analytics",
    params=params.NAMESPACE_PARAMS,
    body=bodies.NamespaceAnalytics,
    errors=DETAIL_ERRORS,
)
def namespace_analytics(
    org_id: str, workspace_id: str, namespace_id: str
) -> bodies.NamespaceAnalytics:
    """Resource counts of one namespace."""
    scope = _authorized(Scope(org_id, workspace_id, namespace_id=namespace_id))
    return bodies.NamespaceAnalytics.of(state().inventory.namespace(scope))


@route(f"{WORKSPACE}/analytics/actions")
@operation("Get action analytics", params=params.WORKSPACE_PARAMS, body=bodies.ActionAnalytics)
def action_analytics(org_id: str, workspace_id: str) -> bodies.ActionAnalytics:
    """Action counts."""
    scope = _authorized(Scope(org_id, workspace_id))
    return bodies.ActionAnalytics.of(state().inventory.actions(scope))


@route(f"{WORKSPACE}/analytics/secrets")
@operation("Get secret analytics", params=params.WORKSPACE_PARAMS, body=bodies.SecretAnalytics)
def secret_analytics(org_id: str, workspace_id: str) -> bodies.SecretAnalytics:
    """Secret counts."""
    scope = _authorized(Scope(org_id, workspace_id))
    return bodies.SecretAnalytics.of(state().inventory.secrets(scope))


@route(f"{WORKSPACE}/analytics/sources")
@operation("Get source analytics", params=params.WORKSPACE_PARAMS, body=bodies.SourceAnalytics)
def source_analytics(org_id: str, workspace_id: str) -> bodies.SourceAnalytics:
    """Source counts."""
    scope = _authorized(Scope(org_id, workspace_id))
    return bodies.SourceAnalytics.of(state().inventory.sources(scope))
