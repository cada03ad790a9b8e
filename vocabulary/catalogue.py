"""The metric catalogue: every metric name, type, label set and HELP text of the stack.

The exporter renders only these families, the façade queries only these names, and the
recording rules, alerts and dashboards may use nothing else (besides names recorded by a
rule); `tests/test_contract.py` enforces it and `docs/metrics.md` lists the same table.
"""

from __future__ import annotations

from vocabulary import details
from vocabulary.family import APP, NS, PREFIX, WS, Family, family

__all__ = ["APP", "NS", "PREFIX", "WS", "Family"]

# The nine resource kinds of the workspace summary, in the spec's order.
RESOURCE_KINDS = (
    "sources",
    "augmentations",
    "endpoints",
    "namespaces",
    "apps",
    "threads",
    "actions",
    "secrets",
    "models",
)
APP_RESOURCE_KINDS = ("augmentations", "namespaces", "endpoints", "releases")
NAMESPACE_RESOURCE_KINDS = ("threads", "sources")
ACTION_KINDS = ("trigger", "scheduled")
COLLECTORS = ("inventory", "activity")
DETAIL_LEVELS = ("app", "namespace", "pipeline")

CACHED = " Collected by the scheduled inventory pass, not at scrape time."

WORKSPACE_INFO = family(
    "workspace_info",
    "gauge",
    (*WS, "workspace_name"),
    "A workspace known to the exporter and its name (the id if it has none); always 1." + CACHED,
)
WORKSPACE_RESOURCES = family(
    "workspace_resources",
    "gauge",
    (*WS, "resource"),
    "Resources of a workspace by kind (the nine kinds of the analytics summary)." + CACHED,
)
WORKSPACE_COLLECTED = family(
    "workspace_collected_timestamp_seconds",
    "gauge",
    WS,
    "Unix time of the last successful inventory collection of the workspace.",
)
EXECUTIONS = family(
    "executions",
    "counter",
    WS,
    "Finished executions of the workspace, from the durable activity ledger.",
)
EXECUTIONS_FAILED = family(
    "executions_failed",
    "counter",
    WS,
    "Finished executions of the workspace that failed, from the durable activity ledger.",
)
BY_TIME = " whose activity timestamp is before the sample's own (explicit) timestamp."
EXECUTIONS_BY_TIME = family("executions_by_time", "counter", WS, "Executions" + BY_TIME)
EXECUTIONS_FAILED_BY_TIME = family(
    "executions_failed_by_time", "counter", WS, "Failed executions" + BY_TIME
)
HISTORY = " before the exporter's live polls began, counted by `mm-analytics backfill`."
EXECUTIONS_HISTORY = family("executions_history", "gauge", WS, "Executions" + HISTORY)
EXECUTIONS_FAILED_HISTORY = family("executions_failed_history", "gauge", WS, "Failed" + HISTORY)
EXECUTIONS_COMPLETE = family(
    "executions_complete_timestamp_seconds",
    "gauge",
    ("org_id",),
    "Unix time up to which the org's executions by time are complete (the settled point).",
)
LATE_EXECUTIONS = family(
    "exporter_late_executions",
    "counter",
    ("org_id",),
    "Executions written after their time was settled; each counts at the settled point.",
)
SOURCES = family(
    "sources",
    "gauge",
    (*WS, "source_type", "status", "scope"),
    "Sources of a workspace by type, processing status and scope (workspace or namespace)."
    + CACHED,
)
SOURCES_INDEXED = family(
    "sources_indexed", "gauge", WS, "Sources of a workspace that are indexed." + CACHED
)
SOURCES_PENDING = family(
    "sources_pending",
    "gauge",
    WS,
    "Sources of a workspace that are neither indexed nor failed." + CACHED,
)
SOURCE_CHUNKS = family(
    "source_chunks", "gauge", WS, "Chunks over all sources of a workspace." + CACHED
)
SOURCE_TOKENS = family(
    "source_tokens", "gauge", WS, "Tokens over all sources of a workspace." + CACHED
)
SOURCE_BYTES = family(
    "source_bytes", "gauge", WS, "Size in bytes of all sources of a workspace." + CACHED
)
SECRETS = family(
    "secrets",
    "gauge",
    (*WS, "secret_type", "active"),
    "Secrets of a workspace by type and whether they are active (true/false)." + CACHED,
)
ACTIONS = family(
    "actions",
    "gauge",
    (*WS, "kind", "enabled"),
    "Actions of a workspace by kind (trigger/scheduled) and whether enabled (true/false)." + CACHED,
)
APP_INFO = family("app_info", "gauge", APP, "An app known to the exporter; always 1." + CACHED)
APP_RESOURCES = family(
    "app_resources",
    "gauge",
    (*APP, "resource"),
    "Resources of an app by kind (augmentations, namespaces, endpoints, releases)." + CACHED,
)
NAMESPACE_INFO = family(
    "namespace_info", "gauge", NS, "A namespace known to the exporter; always 1." + CACHED
)
NAMESPACE_RESOURCES = family(
    "namespace_resources",
    "gauge",
    (*NS, "resource"),
    "Resources of a namespace by kind (threads, sources)." + CACHED,
)
COLLECTOR_UP = family(
    "exporter_collector_up",
    "gauge",
    ("collector",),
    "Whether the last run of the collector (inventory or activity) succeeded (1) or not (0).",
)
COLLECTOR_LAST_SUCCESS = family(
    "exporter_collector_last_success_timestamp_seconds",
    "gauge",
    ("collector",),
    "Unix time of the last successful run of the collector.",
)
COLLECTOR_DURATION = family(
    "exporter_collector_duration_seconds",
    "gauge",
    ("collector",),
    "Duration of the last run of the collector, in seconds.",
)
COLLECTOR_FAILURES = family(
    "exporter_collector_failures", "counter", ("collector",), "Runs of the collector that failed."
)
STALE_WORKSPACES = family(
    "exporter_stale_workspaces",
    "gauge",
    ("org_id",),
    "Workspaces whose last collection failed and show their previous values; one per owned org.",
)
PLATFORM_REQUESTS = family(
    "exporter_platform_requests",
    "counter",
    ("endpoint", "code"),
    "Requests to the platform by endpoint and HTTP status code (`error` when no response).",
)
LEDGER_HIGH_WATER = family(
    "exporter_ledger_high_water_timestamp_seconds",
    "gauge",
    ("org_id",),
    "Unix time up to which the activity of the org is counted in the ledger.",
)
LEDGER_LAG = family(
    "exporter_ledger_lag_seconds",
    "gauge",
    ("org_id",),
    "Seconds between now and the ledger's high-water mark for the org.",
)
DETAIL_ENABLED = family(
    "exporter_detail_enabled",
    "gauge",
    ("level",),
    "Whether the per-app, per-namespace or per-pipeline families are exported (1) or not (0).",
)

FACADE_REQUESTS = Family(
    PREFIX + "facade_requests",
    "counter",
    ("route", "method", "code"),
    "HTTP requests served by the façade, by route template, method and status code.",
    component="facade",
)
FACADE_REQUEST_DURATION = Family(
    PREFIX + "facade_request_duration_seconds",
    "histogram",
    ("route",),
    "Latency of the façade's HTTP responses by route template, in seconds.",
    component="facade",
)
FACADE_PROMETHEUS_ERRORS = Family(
    PREFIX + "facade_prometheus_errors",
    "counter",
    ("reason",),
    "Prometheus queries of the façade that failed, by reason (unreachable, timeout, error).",
    component="facade",
)

INVENTORY_FAMILIES = (
    WORKSPACE_INFO,
    WORKSPACE_RESOURCES,
    WORKSPACE_COLLECTED,
    SOURCES,
    SOURCES_INDEXED,
    SOURCES_PENDING,
    SOURCE_CHUNKS,
    SOURCE_TOKENS,
    SOURCE_BYTES,
    SECRETS,
    ACTIONS,
)
APP_FAMILIES = (APP_INFO, APP_RESOURCES)
NAMESPACE_FAMILIES = (NAMESPACE_INFO, NAMESPACE_RESOURCES)
EXECUTION_FAMILIES = (EXECUTIONS, EXECUTIONS_FAILED)
HISTORY_FAMILIES = (EXECUTIONS_HISTORY, EXECUTIONS_FAILED_HISTORY)
EVENT_TIME_FAMILIES = (
    EXECUTIONS_BY_TIME,
    EXECUTIONS_FAILED_BY_TIME,
    EXECUTIONS_COMPLETE,
    LATE_EXECUTIONS,
)
SELF_FAMILIES = (
    COLLECTOR_UP,
    COLLECTOR_LAST_SUCCESS,
    COLLECTOR_DURATION,
    COLLECTOR_FAILURES,
    STALE_WORKSPACES,
    PLATFORM_REQUESTS,
    LEDGER_HIGH_WATER,
    LEDGER_LAG,
    DETAIL_ENABLED,
)
FACADE_FAMILIES = (FACADE_REQUESTS, FACADE_REQUEST_DURATION, FACADE_PROMETHEUS_ERRORS)

ALL_FAMILIES = (
    *INVENTORY_FAMILIES,
    *APP_FAMILIES,
    *NAMESPACE_FAMILIES,
    *EXECUTION_FAMILIES,
    *HISTORY_FAMILIES,
    *EVENT_TIME_FAMILIES,
    *details.DETAIL_FAMILIES,
    *SELF_FAMILIES,
    *FACADE_FAMILIES,
)


def sample_names() -> frozenset[str]:
    """Every series name the stack exposes."""
    return frozenset(name for family in ALL_FAMILIES for name in family.sample_names)
