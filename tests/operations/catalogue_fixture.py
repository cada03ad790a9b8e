"""A tiny loopback server serving catalogue-shaped exposition text, for dashboard tests.

Every family of `vocabulary/catalogue.py` is served with every combination of a few label values;
counters and histograms advance on every scrape so `rate()` has something to measure. Families on
the platform's clock carry explicit timestamps as far behind now as the exporter's settled
point, so a panel that reads them like scrape-time series finds nothing.
`/exporter/metrics` serves the exporter's families, `/facade/metrics` the façade's.
"""

from __future__ import annotations

import itertools
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.utils import floatToGoString

from vocabulary import catalogue, details
from vocabulary.catalogue import Family

# Values of every label the catalogue uses; a new label fails loudly here.
LABEL_VALUES: dict[str, tuple[str, ...]] = {
    "org_id": ("org-a", "org-b"),
    "workspace_id": ("ws-1", "ws-2"),
    # Two names per workspace at once, as mid-rename: panels must still show one row each.
    "workspace_name": ("Support Bot", 'Claims "EU"'),
    "source_type": ("pdf", "md"),
    "status": ("completed", "failed"),
    "scope": ("workspace", "namespace"),
    "secret_type": ("api_key", "oauth"),
    "active": ("true", "false"),
    "kind": catalogue.ACTION_KINDS,
    "enabled": ("true", "false"),
    "app_id": ("app-1",),
    "namespace_id": ("ns-1",),
    "collector": catalogue.COLLECTORS,
    "level": catalogue.DETAIL_LEVELS,
    "endpoint": ("/v1/orgs/{org_id}/workspaces", "/v1/orgs/{org_id}/activity"),
    "route": ("/v1/orgs/<org_id>/analytics", "/healthz"),
    "method": ("GET",),
    "reason": ("unreachable", "timeout"),
    "augmentation_id": ("aug-1", details.OVERFLOW),
    "error_code": ("MODEL_TIMEOUT", f"{details.STATUS_CODE_PREFIX}500", details.OVERFLOW),
    "label": tuple(details.LABEL_CAPS),
}
FAMILY_LABEL_VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    (catalogue.WORKSPACE_RESOURCES.name, "resource"): catalogue.RESOURCE_KINDS,
    (catalogue.APP_RESOURCES.name, "resource"): catalogue.APP_RESOURCE_KINDS,
    (catalogue.NAMESPACE_RESOURCES.name, "resource"): catalogue.NAMESPACE_RESOURCE_KINDS,
    (catalogue.PLATFORM_REQUESTS.name, "code"): ("200", "429", "500", "error"),
    (catalogue.FACADE_REQUESTS.name, "code"): ("200", "404", "503"),
    (details.TOKENS.name, "kind"): ("prompt", "completion", details.OVERFLOW),
    **{
        (family.name, "app_id"): ("app-1", details.OVERFLOW)
        for family in (*details.APP_DETAIL_FAMILIES, *details.PIPELINE_DETAIL_FAMILIES)
    },
}
BUCKETS = ("0.1", "0.25", "0.5", "1.0", "2.5", "+Inf")
FAMILY_BUCKETS = {
    details.EXECUTION_DURATION.name: (*map(floatToGoString, details.DURATION_BUCKETS), "+Inf"),
}
# Families on the platform's clock and how far (s) their samples trail now: the lateness of
# docs/metrics.md ("Two clocks").
BY_TIME = (
    catalogue.EXECUTIONS_BY_TIME,
    catalogue.EXECUTIONS_FAILED_BY_TIME,
    *details.DETAIL_FAMILIES,
)
SETTLED_LAG = 600.0
ALWAYS_ONE = (
    catalogue.WORKSPACE_INFO,
    catalogue.APP_INFO,
    catalogue.NAMESPACE_INFO,
    catalogue.COLLECTOR_UP,
    catalogue.DETAIL_ENABLED,
)


def label_sets(family: Family) -> Iterator[tuple[str, ...]]:
    """Every combination of the label values of a family."""
    choices = [
        FAMILY_LABEL_VALUES.get((family.name, label)) or LABEL_VALUES[label]
        for label in family.labels
    ]
    yield from itertools.product(*choices)


def weight(family: Family, values: tuple[str, ...]) -> int:
    """A stable small number (1..5) per series, so series differ from each other."""
    return 1 + zlib.crc32("|".join((family.name, *values)).encode()) % 5


def gauge_value(family: Family, values: tuple[str, ...], now: float) -> float:
    """A plausible gauge value: 1 for info/up/enabled, now for timestamps, else small counts."""
    if family in ALWAYS_ONE:
        return 1.0
    if family.name.endswith("_timestamp_seconds"):
        return now
    return float(weight(family, values))


def render_family(family: Family, tick: int, now: float) -> Metric:
    """One family with all its series at scrape number `tick`."""
    labels = list(family.labels)
    at = now - SETTLED_LAG if family in BY_TIME else None
    if family.kind == "gauge":
        metric: Any = GaugeMetricFamily(family.name, family.help, labels=labels)
        for values in label_sets(family):
            metric.add_metric(list(values), gauge_value(family, values, now))
    elif family.kind == "counter":
        metric = CounterMetricFamily(family.name, family.help, labels=labels)
        for values in label_sets(family):
            # Executions advance fastest, so failures stay a share of them.
            step = 10 if family is catalogue.EXECUTIONS else weight(family, values)
            metric.add_metric(list(values), float(step * tick), timestamp=at)
    else:
        metric = HistogramMetricFamily(family.name, family.help, labels=labels)
        bounds = FAMILY_BUCKETS.get(family.name, BUCKETS)
        for values in label_sets(family):
            buckets = [
                (le, float(tick * min(i + 1, len(bounds) - 1))) for i, le in enumerate(bounds)
            ]
            metric.add_metric(list(values), buckets, sum_value=0.4 * tick, timestamp=at)
    return metric


class CatalogueCollector:
    """A prometheus_client collector over the families of one component."""

    def __init__(self, component: str) -> None:
        self.families = [f for f in catalogue.ALL_FAMILIES if f.component == component]
        self.ticks = 0
        self._lock = threading.Lock()

    def collect(self) -> Iterator[Metric]:
        """Every family of the component, one scrape later than the last call."""
        with self._lock:
            self.ticks += 1
            tick = self.ticks
        now = time.time()
        for family in self.families:
            yield render_family(family, tick, now)


class CatalogueServer:
    """A loopback HTTP server with `/exporter/metrics` and `/facade/metrics`."""

    def __init__(self) -> None:
        registries = {}
        for component in ("exporter", "facade"):
            registry = CollectorRegistry(auto_describe=False)
            registry.register(CatalogueCollector(component))
            registries[f"/{component}/metrics"] = registry

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                registry = registries.get(self.path)
                if registry is None:
                    self.send_error(404)
                    return
                body = generate_latest(registry)
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                """Keep test output quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> CatalogueServer:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
