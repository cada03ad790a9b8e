"""The metric catalogue: every metric name, type, label set and HELP text of the stack.

The exporter renders only these families, the façade queries only these names, and the
recording rules, alerts and dashboards may use nothing else (besides names recorded by a
rule); `tests/test_contract.py` enforces it and `docs/metrics.md` lists the same table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PREFIX = "mechamental_"

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
DETAIL_LEVELS = ("app", "namespace")

CACHED = " Collected by the scheduled inventory pass, not at scrape time."

Kind = Literal["gauge", "counter", "histogram"]
Component = Literal["exporter", "facade"]


@dataclass(frozen=True)
class Family:
    """One metric family: its name without the `_total` suffix of counters, type, labels, HELP."""

    name: str
    kind: Kind
    labels: tuple[str, ...]
    help: str
    component: Component = "exporter"

    @property
    def sample_name(self) -> str:
        """The name the samples of this family carry (counters end in `_total`)."""
        return f"{self.name}_total" if self.kind == "counter" else self.name

    @property
    def sample_names(self) -> tuple[str, ...]:
        """Every series name the family exposes."""
        if self.kind == "histogram":
            return tuple(f"{self.name}{suffix}" for suffix in ("_bucket", "_sum", "_count"))
        return (self.sample_name,)


WS = ("org_id", "workspace_id")
APP = (*WS, "app_id")
NS = (*APP, "namespace_id")


def _family(name: str, kind: Kind, labels: tuple[str, ...], help_text: str) -> Family:
    return Family(PREFIX + name, kind, labels, help_text)


WORKSPACE_INFO = _family(
    "workspace_info",
    "gauge",
    (*WS, "workspace_name"),
    "A workspace known to the exporter and its name (the id if it has none); always 1." + CACHED,
)
WORKSPACE_RESOURCES = _family(
    "workspace_resources",
    "gauge",
    (*WS, "resource"),
    "Resources of a workspace by kind (the nine kinds of the analytics summary)." + CACHED,
)
WORKSPACE_COLLECTED = _family(
    "workspace_collected_timestamp_seconds",
    "gauge",
    WS,
    "Unix time of the last successful inventory collection of the workspace.",
)
EXECUTIONS = _family(
    "executions",
    "counter",
    WS,
    "Finished executions of the workspace, from the durable activity ledger.",
)
EXECUTIONS_FAILED = _family(
    "executions_failed",
    "counter",
    WS,
    "Finished executions of the workspace that failed, from the durable activity ledger.",
)
BY_TIME = " whose activity timestamp is before the sample's own (explicit) timestamp."
EXECUTIONS_BY_TIME = _family("executions_by_time", "counter", WS, "Executions" + BY_TIME)
EXECUTIONS_FAILED_BY_TIME = _family(
    "executions_failed_by_time", "counter", WS, "Failed executions" + BY_TIME
)
HISTORY = " before the exporter's live polls began, counted by `mm-analytics backfill`."
EXECUTIONS_HISTORY = _family("executions_history", "gauge", WS, "Executions" + HISTORY)
EXECUTIONS_FAILED_HISTORY = _family("executions_failed_history", "gauge", WS, "Failed" + HISTORY)
EXECUTIONS_COMPLETE = _family(
    "executions_complete_timestamp_seconds",
    "gauge",
    ("org_id",),
    "Unix time up to which the org's executions by time are complete (the settled point).",
)
LATE_EXECUTIONS = _family(
    "exporter_late_executions",
    "counter",
    ("org_id",),
    "Executions written after their time was settled; each counts at the settled point.",
)
SOURCES = _family(
    "sources",
    "gauge",
    (*WS, "source_type", "status", "scope"),
    "Sources of a workspace by type, processing status and scope (workspace or namespace)."
    + CACHED,
)
SOURCES_INDEXED = _family(
    "sources_indexed", "gauge", WS, "Sources of a workspace that are indexed." + CACHED
)
SOURCES_PENDING = _family(
    "sources_pending",
    "gauge",
    WS,
    "Sources of a workspace that are neither indexed nor failed." + CACHED,
)
SOURCE_CHUNKS = _family(
    "source_chunks", "gauge", WS, "Chunks over all sources of a workspace." + CACHED
)
SOURCE_TOKENS = _family(
    "source_tokens", "gauge", WS, "Tokens over all sources of a workspace." + CACHED
)
SOURCE_BYTES = _family(
    "source_bytes", "gauge", WS, "Size in bytes of all sources of a workspace." + CACHED
)
SECRETS = _family(
    "secrets",
    "gauge",
    (*WS, "secret_type", "active"),
    "Secrets of a workspace by type and whether they are active (true/false)." + CACHED,
)
ACTIONS = _family(
    "actions",
    "gauge",
    (*WS, "kind", "enabled"),
    "Actions of a workspace by kind (trigger/scheduled) and whether enabled (true/false)." + CACHED,
)
APP_INFO = _family("app_info", "gauge", APP, "An app known to the exporter; always 1." + CACHED)
APP_RESOURCES = _family(
    "app_resources",
    "gauge",
    (*APP, "resource"),
    "Resources of an app by kind (augmentations, namespaces, endpoints, releases)." + CACHED,
)
NAMESPACE_INFO = _family(
    "namespace_info", "gauge", NS, "A namespace known to the exporter; always 1." + CACHED
)
NAMESPACE_RESOURCES = _family(
    "namespace_resources",
    "gauge",
    (*NS, "resource"),
    "Resources of a namespace by kind (threads, sources)." + CACHED,
)
COLLECTOR_UP = _family(
    "exporter_collector_up",
    "gauge",
    ("collector",),
    "Whether the last run of the collector (inventory or activity) succeeded (1) or not (0).",
)
COLLECTOR_LAST_SUCCESS = _family(
    "exporter_collector_last_success_timestamp_seconds",
    "gauge",
    ("collector",),
    "Unix time of the last successful run of the collector.",
)
COLLECTOR_DURATION = _family(
    "exporter_collector_duration_seconds",
    "gauge",
    ("collector",),
    "Duration of the last run of the collector, in seconds.",
)
COLLECTOR_FAILURES = _family(
    "exporter_collector_failures", "counter", ("collector",), "Runs of the collector that failed."
)
STALE_WORKSPACES = _family(
    "exporter_stale_workspaces",
    "gauge",
    ("org_id",),
    "Workspaces whose last collection failed and show their previous values; one per owned org.",
)
PLATFORM_REQUESTS = _family(
    "exporter_platform_requests",
    "counter",
    ("endpoint", "code"),
    "Requests to the platform by endpoint and HTTP status code (`error` when no response).",
)
LEDGER_HIGH_WATER = _family(
    "exporter_ledger_high_water_timestamp_seconds",
    "gauge",
    ("org_id",),
    "Unix time up to which the activity of the org is counted in the ledger.",
)
LEDGER_LAG = _family(
    "exporter_ledger_lag_seconds",
    "gauge",
    ("org_id",),
    "Seconds between now and the ledger's high-water mark for the org.",
)
DETAIL_ENABLED = _family(
    "exporter_detail_enabled",
    "gauge",
    ("level",),
    "Whether the per-app or per-namespace families are exported (1) or switched off (0).",
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
    *SELF_FAMILIES,
    *FACADE_FAMILIES,
)


def sample_names() -> frozenset[str]:
    """Every series name the stack exposes."""
    return frozenset(name for family in ALL_FAMILIES for name in family.sample_names)
