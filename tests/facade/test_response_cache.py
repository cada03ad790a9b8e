"""The collection-aligned response cache on the real history: identical requests of one
principal share one store query until the next collection, nothing crosses orgs or principals,
concurrent identical requests wait for one query, and kept answers carry ETag, Cache-Control,
304 and gzip."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from urllib3 import BaseHTTPResponse

from facade import FacadeConfig, create_app
from facade.response_cache import seconds_left
from tests.support.facade_http import RecordingPool
from tests.support.history import END

INTERVAL = 15.0
WORKSPACE = "/v1/orgs/org-alpha/workspaces/ws-a01/analytics"
HOURLY = f"{WORKSPACE}/executions/hourly"


class SlowPool(RecordingPool):
    """A recording pool whose every store call takes at least `delay` seconds longer, so
    concurrent requests overlap."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def urlopen(self, method: str, url: str, *args: Any, **kw: Any) -> BaseHTTPResponse:
        time.sleep(self.delay)
        return super().urlopen(method, url, *args, **kw)


class Cached:
    """An app with a cache of one collection interval and a clock the test moves."""

    def __init__(self, config: FacadeConfig, pool: RecordingPool | None = None) -> None:
        self.now = END
        self.pool = pool or RecordingPool()
        self.app: Flask = create_app(
            replace(config, cache_seconds=INTERVAL), clock=lambda: self.now, http=self.pool
        )

    def queries(self) -> int:
        """Query API calls sent so far (the engine's build information call aside)."""
        return sum(1 for endpoint, _ in self.pool.calls if endpoint.startswith("query"))

    def get(self, path: str, token: str, **headers: str) -> Any:
        headers["Authorization"] = f"Bearer {token}"
        return self.app.test_client().get(path, headers=headers)


@pytest.fixture
def cached(base_config: FacadeConfig) -> Cached:
    return Cached(base_config)


def test_identical_requests_share_one_store_query_until_the_next_collection(
    cached: Cached, token: Callable[..., str]
) -> None:
    alpha = token("org-alpha")
    first = cached.get(HOURLY + "?hours=24", alpha)
    queries = cached.queries()
    assert first.status_code == 200 and queries > 0
    max_age = int(first.headers["Cache-Control"].removeprefix("private, max-age="))
    assert 0 < max_age <= INTERVAL
    cached.now += max_age - 1
    again = cached.get(HOURLY + "?hours=24", alpha)
    assert again.get_json() == first.get_json()
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == "private, max-age=1"
    assert cached.queries() == queries
    cached.now += 1  # the next collection: never older than one interval
    assert cached.get(HOURLY + "?hours=24", alpha).status_code == 200
    assert cached.queries() == 2 * queries


@pytest.mark.parametrize(
    "path",
    [
        "/v1/orgs/org-alpha/workspaces/ws-a04/analytics/executions/latency?days=90",
        "/v1/orgs/org-alpha/workspaces/ws-a04/analytics/tokens",
        "/v1/orgs/org-alpha/workspaces/ws-a04/apps/app-01/analytics/executions",
        "/v1/orgs/org-alpha/workspaces/ws-a04/analytics/failures",
    ],
)
def test_detail_answers_are_kept_like_the_series(
    cached: Cached, token: Callable[..., str], path: str
) -> None:
    alpha = token("org-alpha")
    first = cached.get(path, alpha)
    queries = cached.queries()
    assert first.status_code == 200 and queries > 0
    again = cached.get(path, alpha)
    assert again.get_json() == first.get_json()
    assert again.headers["ETag"] == first.headers["ETag"]
    assert cached.queries() == queries


def test_if_none_match_gets_304_without_a_body(cached: Cached, token: Callable[..., str]) -> None:
    alpha = token("org-alpha")
    etag = cached.get(WORKSPACE, alpha).headers["ETag"]
    unchanged = cached.get(WORKSPACE, alpha, **{"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.data == b""
    assert unchanged.headers["ETag"] == etag
    other = cached.get(WORKSPACE, alpha, **{"If-None-Match": '"another"'})
    assert other.status_code == 200 and other.get_json()["workspace_id"] == "ws-a01"


def test_nothing_crosses_orgs_or_principals(cached: Cached, token: Callable[..., str]) -> None:
    assert cached.get(WORKSPACE, token("org-alpha")).status_code == 200
    queries = cached.queries()
    beta = cached.get(WORKSPACE, token("org-beta"))
    assert beta.status_code == 403 and "ETag" not in beta.headers
    other_workspace = cached.get(WORKSPACE, token("org-alpha", "ws-a02"))
    assert other_workspace.status_code == 403
    assert cached.queries() == queries  # refused before any query, never from the cache
    narrower = cached.get(WORKSPACE, token("org-alpha", "ws-a01"))
    assert narrower.status_code == 200
    assert cached.queries() > queries  # another principal: its own entry
    rollup = "/v1/orgs/org-beta/analytics?workspace_id=ws-b01"
    assert cached.get(rollup, token("org-alpha")).status_code == 403
    assert cached.get(rollup, token("org-beta")).get_json()["org_id"] == "org-beta"


def test_concurrent_identical_requests_cause_one_store_query(
    base_config: FacadeConfig, token: Callable[..., str]
) -> None:
    cached = Cached(base_config, SlowPool(0.2))
    alpha = token("org-alpha")
    start = threading.Barrier(6)
    answers: list[Any] = []

    def ask() -> None:
        start.wait()
        answers.append(cached.get(WORKSPACE, alpha))

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [answer.status_code for answer in answers] == [200] * 6
    assert len({answer.headers["ETag"] for answer in answers}) == 1
    assert cached.queries() == 1


def test_series_are_gzipped_when_the_client_asks(cached: Cached, token: Callable[..., str]) -> None:
    alpha = token("org-alpha")
    plain = cached.get(HOURLY + "?hours=168", alpha)
    assert "Content-Encoding" not in plain.headers
    packed = cached.get(HOURLY + "?hours=168", alpha, **{"Accept-Encoding": "gzip, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert len(packed.data) < len(plain.data)
    assert gzip.decompress(packed.data) == plain.data


def test_csv_and_json_are_kept_apart(cached: Cached, token: Callable[..., str]) -> None:
    alpha = token("org-alpha")
    as_json = cached.get(HOURLY + "?hours=3", alpha)
    as_csv = cached.get(HOURLY + "?hours=3", alpha, Accept="text/csv")
    assert as_json.mimetype == "application/json" and as_csv.mimetype == "text/csv"
    assert as_csv.headers["ETag"] != as_json.headers["ETag"]


@pytest.mark.parametrize(
    ("now", "data_time", "left"),
    [(100.0, None, 15.0), (100.0, 97.0, 12.0), (100.0, 70.0, 15.0), (100.0, 84.0, 14.0)],
)
def test_seconds_left_until_the_next_collection(
    now: float, data_time: float | None, left: float
) -> None:
    assert seconds_left(15.0, now, data_time) == left
