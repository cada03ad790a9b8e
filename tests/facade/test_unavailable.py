"""503 with Retry-After when Prometheus is stopped or too slow, or the exporter's data is stale;
501 when the exporter has switched the per-app and per-namespace families off."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from facade import FacadeConfig, create_app
from facade.credentials import JwtSettings
from tests.facade.conftest import JWT_SECRET
from tests.support.facade_envelopes import SUMMARY, assert_envelope
from tests.support.facade_http import ApiClient, RecordingPool, serving, stalling_proxy
from tests.support.facade_live import LiveStack
from tests.support.history import END
from tests.support.history_openmetrics import COLLECTOR_LAG, SELF_INTERVAL
from tests.support.prometheus import PrometheusServer
from vocabulary.catalogue import FACADE_PROMETHEUS_ERRORS


def prometheus_errors(app: Flask, reason: str) -> float:
    """The app's own count of failed Prometheus queries for one reason."""
    registry = app.extensions["mechamental_facade"].metrics.registry
    return (
        registry.get_sample_value(FACADE_PROMETHEUS_ERRORS.sample_name, {"reason": reason}) or 0.0
    )


def test_stopped_prometheus_is_503_with_retry_after(
    tmp_path: Path,
    make_app: Callable[..., Flask],
    client_of: Callable[[Flask], ApiClient],
    token: Callable[..., str],
) -> None:
    prometheus = PrometheusServer(tmp_path).start()
    app = make_app(prometheus_url=prometheus.url, retry_after=7)
    api = client_of(app)
    assert api.get("/readyz").get_json() == {"status": "ready"}
    prometheus.stop()
    response = api.get(SUMMARY, token("org-alpha"))
    assert_envelope(response, 503, reason="unreachable", retry_after=7)
    assert response.headers["Retry-After"] == "7"
    assert_envelope(api.get("/readyz"), 503, reason="unreachable")
    assert api.get("/healthz").status_code == 200  # the process itself is fine
    assert prometheus_errors(app, "unreachable") == 2


def test_prometheus_slower_than_the_timeout_is_503(
    make_app: Callable[..., Flask],
    client_of: Callable[[Flask], ApiClient],
    token: Callable[..., str],
    history_prometheus: PrometheusServer,
) -> None:
    with serving(stalling_proxy(history_prometheus.url, delay=1.5)) as slow:
        app = make_app(prometheus_url=slow, prometheus_timeout=0.3)
        response = client_of(app).get(SUMMARY, token("org-alpha"))
    assert_envelope(response, 503, reason="timeout", retry_after=15)
    assert response.headers["Retry-After"] == "15"
    assert prometheus_errors(app, "timeout") == 1


def test_a_path_prefix_reaches_prometheus_behind_it(
    make_app: Callable[..., Flask],
    client_of: Callable[[Flask], ApiClient],
    token: Callable[..., str],
    history_prometheus: PrometheusServer,
) -> None:
    """A proxy that serves the query API under /prometheus, as Mimir does."""
    with serving(
        stalling_proxy(history_prometheus.url, delay=0, strip_prefix="/prometheus")
    ) as url:
        app = make_app(prometheus_url=f"{url}/prometheus")
        response = client_of(app).get(SUMMARY, token("org-alpha"))
    assert response.status_code == 200
    assert response.get_json()["workspace_id"] == "ws-a01"


def test_stale_exporter_data_is_503(
    make_app: Callable[..., Flask],
    client_of: Callable[[Flask], ApiClient],
    token: Callable[..., str],
) -> None:
    """The history's collectors last succeeded 3 s before "now": older than a 1 s limit."""
    api = client_of(make_app(stale_after=1.0))
    last_success = END - END % SELF_INTERVAL - COLLECTOR_LAG
    cases = {
        SUMMARY: "inventory",
        f"{SUMMARY}/sources": "inventory",
        f"{SUMMARY}/executions/hourly": "activity",
        f"{SUMMARY}/executions": "activity",
    }
    for path, collector in cases.items():
        response = api.get(path, token("org-alpha"))
        assert_envelope(
            response, 503, reason="stale", collector=collector, last_success=last_success
        )
        assert response.headers["Retry-After"] == "15"


def live_app(prometheus: PrometheusServer) -> Flask:
    """The façade on the real clock against the live Prometheus."""
    config = FacadeConfig(
        prometheus_url=prometheus.url, jwt=JwtSettings(("HS256",), secret=JWT_SECRET)
    )
    return create_app(config)


def test_live_data_and_switched_off_detail_levels(
    live_stack: LiveStack,
    client_of: Callable[[Flask], ApiClient],
    token: Callable[..., str],
) -> None:
    api = client_of(live_app(live_stack.prometheus))
    org, workspace = live_stack.org_id, live_stack.workspace_id
    live = f"/v1/orgs/{org}/workspaces/{workspace}"
    expected = live_stack.workspace(org, workspace)
    auth = token(org)
    summary = api.get(f"{live}/analytics", auth).get_json()
    assert summary["resources"] == expected["resources"]
    assert summary["executions"]["total"] == expected["executions"]["total"]
    assert summary["executions"]["failed"] == expected["executions"]["failed"]
    for level, path in (
        ("app", f"{live}/apps/app-01/analytics"),
        ("app", f"{live}/apps/app-01/analytics/executions"),
        ("namespace", f"{live}/namespaces/ns-01/analytics"),
    ):
        response = api.get(path, auth)
        body = assert_envelope_live(response, 501)
        assert body["error"] == "FEATURE_DISABLED"
        assert body["details"] == {"level": level}


def assert_envelope_live(response: TestResponse, status: int) -> dict[str, Any]:
    """The envelope on the real clock: the timestamp is checked for its format only."""
    body: dict[str, Any] = response.get_json()
    assert response.status_code == status
    assert list(body) == ["error", "message", "details", "timestamp", "status_code"]
    datetime.strptime(body["timestamp"], "%Y-%m-%dT%H:%M:%S.%f")  # the spec's format
    return body


class ExplodingPool(RecordingPool):
    """A pool whose transport breaks in a way no client error explains."""

    def urlopen(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals")


def test_unexpected_errors_are_a_500_envelope_without_details(
    make_app: Callable[..., Flask],
    client_of: Callable[[Flask], ApiClient],
    token: Callable[..., str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = client_of(make_app(http=ExplodingPool()))
    with caplog.at_level(logging.ERROR):
        response = api.get(SUMMARY, token("org-alpha"))
    body = assert_envelope(response, 500)
    assert body["error"] == "INTERNAL_SERVER_ERROR"
    assert body["message"] == "An unexpected error occurred"
    assert body["details"] == {}
    assert b"secret internals" not in response.data
    assert any("secret internals" in r.getMessage() or r.exc_info for r in caplog.records)
