"""The façade's own metrics (the catalogue's `facade_*` families) and response headers.

Metrics live in a registry of their own per app. Under gunicorn, `facade.serve` sets
`PROMETHEUS_MULTIPROC_DIR` so every worker writes its values there and `/metrics` merges them:
a scrape reaching any worker then sees the whole server.
"""

from __future__ import annotations

import contextlib
import glob
import os
import time
from collections.abc import Iterable

from flask import Flask, Response, g, request
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

from vocabulary.catalogue import FACADE_PROMETHEUS_ERRORS, FACADE_REQUEST_DURATION, FACADE_REQUESTS

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Strict-Transport-Security": "max-age=31536000",
}
# A worker's values file starts with 8 header bytes; a shorter one is still being created.
MINIMAL_FILE_BYTES = 8
# Unknown paths and methods share one label value each: scans must not grow the series count.
UNMATCHED_ROUTE = "unmatched"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class SettledFilesCollector(MultiProcessCollector):
    """The workers' merged series, leaving out a file a worker is creating at this moment.

    A worker creates its file empty and then sizes it; read in between, the file has no header
    and the standard collector fails the whole scrape. Its series are in the next scrape.
    """

    def collect(self) -> Iterable[Metric]:
        files = []
        for path in glob.glob(os.path.join(self._path, "*.db")):
            with contextlib.suppress(OSError):  # a file of a worker that just exited
                if os.path.getsize(path) >= MINIMAL_FILE_BYTES:
                    files.append(path)
        return self.merge(files, accumulate=True)


class FacadeMetrics:
    """Request counts and latencies by route, failed Prometheus queries by reason, and the
    serving process' standard `process_*` series (CPU, memory, open files, start time)."""

    def __init__(self) -> None:
        # `*_created` series are not in the catalogue (and no dashboard or rule reads them).
        disable_created_metrics()
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        self.requests = Counter(
            FACADE_REQUESTS.name,
            FACADE_REQUESTS.help,
            FACADE_REQUESTS.labels,
            registry=self.registry,
        )
        self.duration = Histogram(
            FACADE_REQUEST_DURATION.name,
            FACADE_REQUEST_DURATION.help,
            FACADE_REQUEST_DURATION.labels,
            registry=self.registry,
        )
        self.prometheus_errors = Counter(
            FACADE_PROMETHEUS_ERRORS.name,
            FACADE_PROMETHEUS_ERRORS.help,
            FACADE_PROMETHEUS_ERRORS.labels,
            registry=self.registry,
        )

    def count_prometheus_error(self, reason: str) -> None:
        """Record one failed Prometheus query."""
        self.prometheus_errors.labels(reason=reason).inc()

    def observe(self, route: str, method: str, code: int, seconds: float) -> None:
        """Record one served request."""
        self.requests.labels(route=route, method=method, code=str(code)).inc()
        self.duration.labels(route=route).observe(seconds)

    def exposition(self) -> bytes:
        """The text exposition of every worker (multiprocess mode) or of this process; the
        `process_*` series are those of the worker that answers."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            merged = CollectorRegistry()
            SettledFilesCollector(merged)
            ProcessCollector(registry=merged)
            return generate_latest(merged)
        return generate_latest(self.registry)


def init_app(app: Flask, metrics: FacadeMetrics) -> None:
    """Time every request, count it by route template, and add the security headers."""

    @app.before_request
    def start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def finish(response: Response) -> Response:
        # A view may set its own policy or caching (the docs pages and their assets do).
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        route = request.url_rule.rule if request.url_rule is not None else UNMATCHED_ROUTE
        started = g.get("started", time.perf_counter())
        method = request.method if request.method in KNOWN_METHODS else "other"
        metrics.observe(route, method, response.status_code, time.perf_counter() - started)
        return response
