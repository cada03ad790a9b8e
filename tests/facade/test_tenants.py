"""The façade through Debian's vmauth in the layouts of a VictoriaMetrics cluster (tenant in the
path), Mimir (`/prometheus`, `X-Scope-OrgID`) and Thanos (`THANOS-TENANT`), all reaching the
single node that holds the history: the same answers as from the single node itself, and a
refused tenant is the JSON 503 envelope."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from facade.engines import Engine
from facade.state import EXTENSION
from tests.support.facade_envelopes import DAILY, HOURLY, SUMMARY, assert_envelope
from tests.support.facade_http import ApiClient, serving
from tests.support.history_truth import HistoryTruth
from tests.support.tenants import LAYOUTS, Layout, VmAuthServer, tenant_gateway, vmauth_config
from tests.support.victoria import VictoriaMetricsServer

REQUESTS: tuple[tuple[str, dict[str, Any]], ...] = (
    (SUMMARY, {}),
    (f"{SUMMARY}/sources", {}),
    ("/v1/orgs/org-beta/analytics", {}),
    (HOURLY, {"hours": 168}),
    (DAILY, {"days": 90, "tz": "Asia/Kolkata"}),
    (DAILY, {"days": 90, "tz": "America/New_York"}),
)
CLUSTER, MIMIR, THANOS = LAYOUTS


@pytest.fixture(scope="module")
def vmauth_url(
    tmp_path_factory: pytest.TempPathFactory, history_victoriametrics: VictoriaMetricsServer
) -> Iterator[str]:
    """vmauth routing every layout, through the tenant gateway, to the history's single node."""
    with serving(tenant_gateway(history_victoriametrics.url)) as gateway:
        server = VmAuthServer(tmp_path_factory.mktemp("vmauth"), vmauth_config(gateway))
        server.start()
        try:
            yield server.url
        finally:
            server.stop()


@pytest.fixture
def through(make_app: Callable[..., Flask], vmauth_url: str) -> Callable[..., Flask]:
    """A façade whose store is vmauth under a layout's prefix, sending the given headers."""

    def build(layout: Layout, headers: dict[str, str]) -> Flask:
        return make_app(
            prometheus_url=vmauth_url + layout.prefix,
            prometheus_headers=tuple(headers.items()),
            insecure_disable_auth=True,
        )

    return build


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
def test_every_layout_answers_as_the_single_node(
    layout: Layout,
    through: Callable[..., Flask],
    make_app: Callable[..., Flask],
    client_of: Callable[[Flask], ApiClient],
    history_victoriametrics: VictoriaMetricsServer,
    truth: HistoryTruth,
) -> None:
    direct = client_of(
        make_app(prometheus_url=history_victoriametrics.url, insecure_disable_auth=True)
    )
    app = through(layout, layout.headers())
    proxied = client_of(app)
    for path, query in REQUESTS:
        response = proxied.get(path, **query)
        assert response.status_code == 200, (path, response.get_json())
        assert response.get_json() == direct.get(path, **query).get_json(), path
    kolkata = proxied.get(DAILY, days=90, tz="Asia/Kolkata").get_json()
    assert kolkata["data"] == truth.daily("ws-a01", 90, ZoneInfo("Asia/Kolkata"))
    assert app.extensions[EXTENSION].client.engine == Engine.VICTORIAMETRICS  # asked via vmauth


@pytest.mark.parametrize(
    ("layout", "headers"),
    [
        (CLUSTER, {"Authorization": "Bearer unknown-token"}),  # vmauth: no such user
        (CLUSTER, MIMIR.headers()),  # vmauth: tenant 1 has no route to account 0
        (MIMIR, {**MIMIR.headers(), "X-Scope-OrgID": "tenant-2"}),  # the gateway: wrong tenant
        (THANOS, {"Authorization": f"Bearer {THANOS.token}"}),  # the gateway: no tenant header
    ],
    ids=["unknown-token", "other-tenants-path", "wrong-org-id", "missing-thanos-tenant"],
)
def test_a_refused_tenant_is_the_json_503_envelope(
    layout: Layout,
    headers: dict[str, str],
    through: Callable[..., Flask],
    client_of: Callable[[Flask], ApiClient],
) -> None:
    api = client_of(through(layout, headers))
    for path in (SUMMARY, DAILY):
        assert_envelope(api.get(path), 503, reason="error", retry_after=15)
