"""The Flask app factory of the analytics façade."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

import urllib3
from flask import Flask

from facade import cors, errors, openapi, telemetry
from facade.auth import Authenticator
from facade.config import ConfigError, FacadeConfig, load_config, problems
from facade.details import DetailService
from facade.docs_pages import docs
from facade.inventory import InventoryService
from facade.operations import RESPONSE_CACHE
from facade.ops import ops
from facade.prometheus import PrometheusClient, connection_pool
from facade.readings import Freshness, Reader
from facade.response_cache import ResponseCache
from facade.state import EXTENSION, FacadeState
from facade.timeseries import ExecutionSeriesService
from facade.views import api
from vocabulary.id_routes import EncodedIdRouting, IdConverter

log = logging.getLogger(__name__)


def _checked(config: FacadeConfig | None) -> FacadeConfig:
    config = config if config is not None else load_config(os.environ)
    found = problems(config)
    if found:
        raise ConfigError(found)
    if config.insecure_disable_auth:
        log.warning("authentication is disabled (FACADE_INSECURE_DISABLE_AUTH): local use only")
    return config


def create_app(
    config: FacadeConfig | None = None,
    *,
    clock: Callable[[], float] | None = None,
    http: urllib3.PoolManager | None = None,
) -> Flask:
    """The façade app; `config` defaults to the `FACADE_*` environment (ConfigError if wrong).

    `clock` returns "now" as unix seconds (the time every query is evaluated at) and `http`
    (a urllib3 pool) carries every request to Prometheus; tests pass their own.
    """
    config = _checked(config)
    clock = clock or time.time
    app = Flask("facade", static_folder=None)
    # Werkzeug would answer `/v1//orgs/...` with its own HTML redirect to a URL built from the
    # Host header; a path with an empty segment is an unknown route (an enveloped 404).
    app.url_map.merge_slashes = False
    # An id may hold `/`, sent as `%2F`: route on the raw path, each id one segment.
    app.url_map.converters["default"] = IdConverter
    app.wsgi_app = EncodedIdRouting(app.wsgi_app)  # type: ignore[method-assign]
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the spec's key order
    metrics = telemetry.FacadeMetrics()
    client = PrometheusClient(
        config.prometheus_url,
        http=http or connection_pool(config.prometheus_url),
        timeout=config.prometheus_timeout,
        headers=dict(config.prometheus_headers),
        on_error=metrics.count_prometheus_error,
        engine=config.prometheus_engine,
    )
    reader = Reader(client, clock, Freshness(config.stale_after, config.retry_after))
    errors.register_error_handlers(app, clock, config.retry_after)
    telemetry.init_app(app, metrics)
    cors.init_app(app, config.cors_origins)
    app.register_blueprint(api)
    app.register_blueprint(ops)
    app.register_blueprint(docs)
    if config.cache_seconds > 0:
        app.extensions[RESPONSE_CACHE] = ResponseCache(config.cache_seconds, clock)
    series = ExecutionSeriesService(reader, config.retention_days)
    app.extensions[EXTENSION] = FacadeState(
        config=config,
        clock=clock,
        client=client,
        authenticator=Authenticator(config),
        inventory=InventoryService(reader),
        series=series,
        details=DetailService(series),
        metrics=metrics,
        openapi=openapi.document(app),
    )
    return app
