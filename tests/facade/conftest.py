"""Fixtures of the façade tests: the backfilled history served by a real Prometheus and a real
VictoriaMetrics, the app pinned to the history's end, tokens, and a client that checks answers
against OpenAPI. Tests run on Prometheus unless their module is marked `on_every_store`."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask

from facade import FacadeConfig, create_app
from facade.credentials import JwtSettings
from facade.state import EXTENSION
from facade.tokens import mint_token, permissions_for
from tests.support.facade_http import (
    ApiClient,
    HttpApi,
    OpenApiChecker,
    RecordingPool,
    serving_app,
)
from tests.support.facade_live import LiveStack
from tests.support.history import END
from tests.support.history_build import history_tsdb
from tests.support.history_stores import reads_history
from tests.support.history_truth import HistoryTruth
from tests.support.prometheus import PrometheusServer
from tests.support.victoria import VictoriaMetricsServer

JWT_SECRET = "history-tests-secret-0123456789abcdef-0123456789"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests that need the backfilled history last, while it builds in the background."""
    items.sort(key=reads_history)


@pytest.fixture(scope="session")
def history_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """A real Prometheus serving the backfilled history (a hard-linked copy of the cache)."""
    source = history_tsdb()
    workdir = tmp_path_factory.mktemp("history-prometheus")
    data = workdir / "data"
    # Blocks are immutable and Prometheus replaces files rather than editing them, so links
    # keep the cache intact at no copying cost.
    shutil.copytree(source, data, copy_function=os.link)
    server = PrometheusServer(workdir, data_dir=data).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def history_victoriametrics(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[VictoriaMetricsServer]:
    """A real VictoriaMetrics holding the same history, imported from the same TSDB."""
    server = VictoriaMetricsServer(tmp_path_factory.mktemp("history-victoria")).start()
    try:
        server.load_tsdb(history_tsdb())
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def history_store(request: pytest.FixtureRequest) -> PrometheusServer | VictoriaMetricsServer:
    """The store the history is read from: Prometheus, or the parameter of `on_every_store`."""
    store = getattr(request, "param", "prometheus")
    found: PrometheusServer | VictoriaMetricsServer = request.getfixturevalue(f"history_{store}")
    return found


@pytest.fixture(scope="session")
def truth() -> HistoryTruth:
    """Expected answers, from the history's events."""
    return HistoryTruth()


@pytest.fixture(scope="session")
def base_config(history_store: PrometheusServer | VictoriaMetricsServer) -> FacadeConfig:
    """HS256 tokens against the history's store, its engine asked by the façade."""
    return FacadeConfig(
        prometheus_url=history_store.url,
        prometheus_timeout=10.0,
        jwt=JwtSettings(("HS256",), secret=JWT_SECRET),
    )


@pytest.fixture(scope="session")
def make_app(base_config: FacadeConfig) -> Callable[..., Flask]:
    """Build an app pinned to the history's end, with config overrides."""

    def build(http: RecordingPool | None = None, **overrides: object) -> Flask:
        config = replace(base_config, **overrides)  # type: ignore[arg-type]
        return create_app(config, clock=lambda: END, http=http or RecordingPool())

    return build


@pytest.fixture(scope="session")
def pool_recorder() -> RecordingPool:
    """The pool through which the shared app sends every query."""
    return RecordingPool()


@pytest.fixture(scope="session")
def app(make_app: Callable[..., Flask], pool_recorder: RecordingPool) -> Flask:
    """The façade over the history, "now" pinned to its end."""
    return make_app(http=pool_recorder)


@pytest.fixture(scope="session")
def served(app: Flask) -> Iterator[str]:
    """The base URL of the shared app served over HTTP on loopback."""
    with serving_app(app) as url:
        yield url


@pytest.fixture(scope="session")
def checker(app: Flask) -> OpenApiChecker:
    """Validates every answer of the tests against the app's OpenAPI document."""
    return OpenApiChecker(app.extensions[EXTENSION].openapi)


@pytest.fixture
def api(app: Flask, checker: OpenApiChecker) -> ApiClient:
    """A client of the shared app."""
    return ApiClient(app.test_client(), checker)


@pytest.fixture
def http_api(served: str, checker: OpenApiChecker) -> HttpApi:
    """A client of the shared app over HTTP."""
    return HttpApi(served, checker)


@pytest.fixture
def client_of(checker: OpenApiChecker) -> Callable[[Flask], ApiClient]:
    """A checked client of another app."""
    return lambda other: ApiClient(other.test_client(), checker)


@pytest.fixture(scope="session")
def token() -> Callable[..., str]:
    """A valid HS256 token for an org and workspaces (none: the whole org)."""

    def mint(org_id: str, *workspaces: str, ttl: int = 600) -> str:
        return mint_token(JWT_SECRET, org_id, permissions_for(workspaces), ttl)

    return mint


@pytest.fixture
def tmp_file(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a file under tmp_path."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


@pytest.fixture(scope="session")
def live_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    """The sandbox read by a real exporter with its per-app and per-namespace families off,
    scraped every second by a real Prometheus."""
    stack = LiveStack(tmp_path_factory.mktemp("live"), detail=False).start()
    yield stack
    stack.stop()
