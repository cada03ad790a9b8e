"""The engine behind the query API: asked once, and what each engine's queries carry.

VictoriaMetrics is the real single node, with the history imported or a few fresh samples.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from zoneinfo import ZoneInfo

import pytest
import requests
from flask import Flask

from facade import FacadeConfig, create_app
from facade.engines import Engine, from_buildinfo
from facade.prometheus import PrometheusClient, connection_pool
from facade.promql import Scope
from facade.promql.counters import counter_reads
from tests.support.facade_http import ApiClient, RecordingPool
from tests.support.history import END
from tests.support.history_truth import HistoryTruth
from tests.support.prometheus import PrometheusServer
from tests.support.victoria import VictoriaMetricsServer
from vocabulary import catalogue as cat

KOLKATA_DAYS = "/v1/orgs/org-alpha/workspaces/ws-a01/analytics/executions/daily"


def detected(url: str) -> Engine:
    """What a client in `auto` mode finds behind `url`."""
    client = PrometheusClient(url, http=connection_pool(url), timeout=10.0, engine="auto")
    return client.engine


def test_auto_asks_the_build_information(
    history_prometheus: PrometheusServer, history_victoriametrics: VictoriaMetricsServer
) -> None:
    assert detected(history_prometheus.url) == Engine.PROMETHEUS
    assert detected(history_victoriametrics.url) == Engine.VICTORIAMETRICS
    mimir = {"application": "Grafana Mimir", "version": "2.10.0", "revision": "5a2d6e2"}
    assert from_buildinfo({"status": "success", "data": mimir}) == Engine.MIMIR
    assert from_buildinfo(None) == Engine.PROMETHEUS  # 404 of a Prometheus older than 2.14


def test_victoriametrics_queries_carry_nocache_and_aligned_ranges(
    make_app: Callable[..., Flask],
    client_of: Callable[[Flask], ApiClient],
    truth: HistoryTruth,
    history_victoriametrics: VictoriaMetricsServer,
) -> None:
    pool = RecordingPool()
    app = make_app(
        http=pool, prometheus_url=history_victoriametrics.url, insecure_disable_auth=True
    )
    body = client_of(app).get(KOLKATA_DAYS, days=90, tz="Asia/Kolkata").get_json()
    assert body["data"] == truth.daily("ws-a01", 90, ZoneInfo("Asia/Kolkata"))
    endpoints = [endpoint for endpoint, _ in pool.calls]
    assert endpoints.count("buildinfo") == 1
    queries = [params for endpoint, params in pool.calls if endpoint != "buildinfo"]
    assert queries
    assert all(params["nocache"] == params["deny_partial_response"] == "1" for params in queries)
    ranges = [params for endpoint, params in pool.calls if endpoint == "query_range"]
    assert ranges  # each from a multiple of its step; a single boundary is an instant query
    for params in ranges:
        assert float(params["start"]) % float(params["step"]) == 0
        assert params["start"] != params["end"]


def test_a_cache_that_aligns_ranges_changes_no_bucket(
    make_app: Callable[..., Flask],
    client_of: Callable[[Flask], ApiClient],
    truth: HistoryTruth,
    history_victoriametrics: VictoriaMetricsServer,
) -> None:
    """Without `nocache`, VictoriaMetrics moves a 90-day range that starts at a Kolkata midnight
    to a UTC midnight; the façade's ranges start at UTC midnights already."""
    scope = Scope("org-alpha", "ws-a01")
    day = 86400
    start = END - END % day - 89 * day - 19800  # 90 Kolkata midnights, 18:30 UTC each
    params: dict[str, str | float] = {
        "query": counter_reads(scope, day),
        "start": start,
        "end": start + 89 * day,
        "step": day,
    }
    url = f"{history_victoriametrics.url}/api/v1/query_range"

    def first_time(**extra: str) -> float:
        answer = requests.get(url, params={**params, **extra}, timeout=30).json()
        return float(answer["data"]["result"][0]["values"][0][0])

    assert first_time(nocache="1") == start
    assert first_time() == start - day + 19800  # rounded down to the UTC midnight before
    app = make_app(
        prometheus_url=history_victoriametrics.url,
        prometheus_engine="prometheus",  # no nocache
        insecure_disable_auth=True,
    )
    for zone in ("Asia/Kolkata", "Asia/Kathmandu", "America/New_York"):
        body = client_of(app).get(KOLKATA_DAYS, days=90, tz=zone).get_json()
        assert body["data"] == truth.daily("ws-a01", 90, ZoneInfo(zone)), zone


@pytest.fixture(scope="module")
def fresh_victoria(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VictoriaMetricsServer]:
    """An empty VictoriaMetrics for samples written seconds ago."""
    server = VictoriaMetricsServer(tmp_path_factory.mktemp("fresh-victoria")).start()
    yield server
    server.stop()


def write_collections(server: VictoriaMetricsServer, times: list[int]) -> None:
    """One workspace collected at each of `times`, as the exporter would expose it."""
    lines = []
    workspace = '{org_id="org-fresh",workspace_id="ws-fresh"}'
    for at in times:
        lines += [
            f"{cat.WORKSPACE_INFO.sample_name}{workspace} 1 {at * 1000}",
            f"{cat.WORKSPACE_COLLECTED.sample_name}{workspace} {at} {at * 1000}",
            *(
                f'{cat.COLLECTOR_LAST_SUCCESS.sample_name}{{collector="{name}"}} {at} {at * 1000}'
                for name in ("inventory", "activity")
            ),
        ]
    url = f"{server.url}/api/v1/import/prometheus"
    requests.post(url, data="\n".join(lines) + "\n", timeout=30).raise_for_status()
    server.flush()


def test_updated_at_is_the_newest_collection_not_30_seconds_ago(
    fresh_victoria: VictoriaMetricsServer, client_of: Callable[[Flask], ApiClient]
) -> None:
    """VictoriaMetrics evaluates a query within 30 s of its clock 30 s earlier, unless nocache."""
    now = int(time.time())
    write_collections(fresh_victoria, [now - 90, now - 5])
    path = "/v1/orgs/org-fresh/workspaces/ws-fresh/analytics"
    answers = {}
    for engine in ("auto", "prometheus"):
        config = FacadeConfig(
            prometheus_url=fresh_victoria.url, prometheus_engine=engine, insecure_disable_auth=True
        )
        response = client_of(create_app(config)).get(path)
        assert response.status_code == 200, response.get_json()
        answers[engine] = response.get_json()["updated_at"]
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 5))
    assert answers["auto"] == stamp
    assert answers["prometheus"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 90))
