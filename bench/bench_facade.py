"""Façade benchmarks on the 93-day test history and on live data.

1. Median latency of each endpoint over HTTP (summary, hourly 168, daily 90 in UTC, in
   Europe/Berlin and in America/New_York, weekly 13 and monthly 3 in America/New_York on ws-a01,
   which has a counter reset; hourly 168 and daily 90 on ws-a03, which has none; the org
   rollup), with no response cache, divided by the median latency of its floor on the same
   Prometheus in the same run: the cheapest PromQL that yields the same exact answer
   (`bench.floor`), sent over a plain requests session as a client asking Prometheus would
   (`bench.floor.floor_session`). The façade (its queries over its urllib3 pool) is served as
   `mm-analytics facade` serves it (gunicorn, its settings, two workers of four threads), its
   clock pinned at the history's end (`bench.pinned_facade`); the queries it sent are counted on
   an in-process copy. The last column is the median of a repeated request with the response
   cache on (`FACADE_CACHE_SECONDS`). Before its last 8 days the history holds scrapes only in
   three two-hour windows a day (00, 04 and 18 UTC): a Berlin midnight (23:00 UTC) has no sample
   in the 5 minutes before it there, so those days are read whole, as a real gap would be; New
   York midnights (04:00–05:00 UTC) fall inside the windows.
2. Daily 90 in a DST zone: one range query per equally spaced run (what the façade does)
   against one instant query per boundary. Weeks and months in UTC counted per calendar day
   and summed (what the façade does) against read at their own boundaries; ws-a01 has a
   counter reset in the current week and month.
3. Requests per second (wrk, 32 connections) of the summary endpoint under `mm-analytics facade`
   (gunicorn, two workers, four threads) with and without the response cache, of a Flask
   hello-world under the same gunicorn settings, and of Prometheus answering the summary's query
   itself; the ratios to the hello-world. wrk runs on the same two cores.

4. The latency endpoint (hours=168, and days=90 in America/New_York) on ws-a04, which has
   execution details, against its floor (the duration histogram's bucket values per run of
   boundaries), as in part 1.

5. Each query a series request sends (hourly 168 and daily 90 on ws-a03, the latency on ws-a04),
   timed alone on the same Prometheus, and the request in process, without the HTTP hop.

Run: `.venv/bin/python bench/bench_facade.py` (builds or reuses the cached history TSDB);
`bench/bench_facade.py latency calendar` runs only those parts (`latency`, `details`, `daily`,
`calendar`, `queries`, `throughput`).
"""

from __future__ import annotations

import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC
from functools import partial
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import requests
from werkzeug.serving import make_server

from stack.supervisor import REPO_ROOT, free_port

if str(REPO_ROOT) not in sys.path:  # run as `python bench/bench_facade.py`
    sys.path.insert(0, str(REPO_ROOT))

from bench.floor import (
    floor_session,
    gunicorn_app,
    gunicorn_hello,
    hello_url,
    instant_floor,
    series_floor,
    summary_query,
    wrk_rate,
)
from bench.pinned_facade import NOW_VARIABLE
from facade import FacadeConfig, create_app, promql
from facade.buckets import daily, days_of, hourly, monthly, reads, regrouped, weekly
from facade.credentials import JwtSettings
from facade.promql import counters
from facade.state import EXTENSION
from facade.tokens import mint_token, permissions_for
from tests.support import loopback
from tests.support.facade_http import RecordingPool
from tests.support.facade_live import LiveStack
from tests.support.history import END
from tests.support.history_build import history_tsdb
from tests.support.prometheus import PrometheusServer

SECRET = "bench-secret-0123456789abcdef-0123456789abcdef"
ROUNDS = 60
BASE = "/v1/orgs/org-alpha/workspaces/ws-a01/analytics"
Params = dict[str, str | int | float]
SCOPE = promql.Scope("org-alpha", "ws-a01")  # a counter reset 6 hours before the end
QUIET = "/v1/orgs/org-alpha/workspaces/ws-a03/analytics"
QUIET_SCOPE = promql.Scope("org-alpha", "ws-a03")  # no reset in 93 days
Floor = Callable[[str], Callable[[], object]]  # the store's query API URL -> timed action
ENDPOINTS: dict[str, tuple[str, Params, Floor]] = {
    "summary": (BASE, {}, lambda api: instant_floor(api, summary_query(SCOPE), END)),
    "hourly 168": (
        f"{BASE}/executions/hourly",
        {"hours": 168},
        lambda api: series_floor(api, SCOPE, hourly(END, 168)),
    ),
    "daily 90 (UTC)": (
        f"{BASE}/executions/daily",
        {"days": 90},
        lambda api: series_floor(api, SCOPE, daily(END, 90, UTC)),
    ),
    "daily 90 (Europe/Berlin)": (
        f"{BASE}/executions/daily",
        {"days": 90, "tz": "Europe/Berlin"},
        lambda api: series_floor(api, SCOPE, daily(END, 90, ZoneInfo("Europe/Berlin"))),
    ),
    "daily 90 (America/New_York)": (
        f"{BASE}/executions/daily",
        {"days": 90, "tz": "America/New_York"},
        lambda api: series_floor(api, SCOPE, daily(END, 90, ZoneInfo("America/New_York"))),
    ),
    "weekly 13 (America/New_York)": (
        f"{BASE}/executions/weekly",
        {"weeks": 13, "tz": "America/New_York"},
        lambda api: series_floor(api, SCOPE, weekly(END, 13, ZoneInfo("America/New_York"), 0)),
    ),
    "monthly 3 (America/New_York)": (
        f"{BASE}/executions/monthly",
        {"months": 3, "tz": "America/New_York"},
        lambda api: series_floor(api, SCOPE, monthly(END, 3, ZoneInfo("America/New_York"))),
    ),
    "hourly 168, ws-a03 (no reset)": (
        f"{QUIET}/executions/hourly",
        {"hours": 168},
        lambda api: series_floor(api, QUIET_SCOPE, hourly(END, 168)),
    ),
    "daily 90 (UTC), ws-a03": (
        f"{QUIET}/executions/daily",
        {"days": 90},
        lambda api: series_floor(api, QUIET_SCOPE, daily(END, 90, UTC)),
    ),
    "org rollup": (
        "/v1/orgs/org-alpha/analytics",
        {},
        lambda api: instant_floor(api, summary_query(SCOPE.org), END),
    ),
}


DETAILED = "/v1/orgs/org-alpha/workspaces/ws-a04/analytics"
DETAILED_SCOPE = promql.Scope("org-alpha", "ws-a04")  # execution details, no reset
DETAIL_ENDPOINTS: dict[str, tuple[str, Params, Floor]] = {
    "latency hourly 168, ws-a04": (
        f"{DETAILED}/executions/latency",
        {"hours": 168},
        lambda api: series_floor(api, DETAILED_SCOPE, hourly(END, 168), counters.DURATION_BUCKETS),
    ),
    "latency daily 90 (NY), ws-a04": (
        f"{DETAILED}/executions/latency",
        {"days": 90, "tz": "America/New_York"},
        lambda api: series_floor(
            api,
            DETAILED_SCOPE,
            daily(END, 90, ZoneInfo("America/New_York")),
            counters.DURATION_BUCKETS,
        ),
    ),
}


def median_ms(action: Callable[[], object], rounds: int = ROUNDS) -> float:
    """Median wall time of `action` in milliseconds, after two warm-up runs."""
    action()
    action()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def wait_for_compaction(data: Path, timeout: float = 240.0) -> None:
    """Wait until Prometheus has merged the backfilled two-hour blocks (its first pass starts
    about a minute after startup), so the figures are those of a settled TSDB."""

    def blocks() -> int:
        return sum(1 for path in data.iterdir() if (path / "meta.json").exists())

    initial, deadline = blocks(), time.monotonic() + timeout
    stable_since, last = time.monotonic(), initial
    while time.monotonic() < deadline:
        time.sleep(1)
        count = blocks()
        if count != last:
            stable_since, last = time.monotonic(), count
        elif count < initial / 2 and time.monotonic() - stable_since > 5:
            print(f"TSDB compacted from {initial} to {count} blocks")
            return
    print(f"TSDB still has {last} of {initial} blocks after {timeout:.0f} s")


@contextmanager
def history_prometheus(workdir: Path) -> Iterator[PrometheusServer]:
    """Prometheus over a hard-linked copy of the cached history."""
    data = workdir / "data"
    shutil.copytree(history_tsdb(), data, copy_function=os.link)
    server = PrometheusServer(workdir, data_dir=data).start()
    try:
        wait_for_compaction(data)
        yield server
    finally:
        server.stop()


@contextmanager
def facade_http(prometheus_url: str, recorder: RecordingPool) -> Iterator[str]:
    """The façade in process, clock pinned to the history's end, on a loopback port."""
    config = FacadeConfig(
        prometheus_url=prometheus_url,
        prometheus_engine="prometheus",  # known: no build information call among the recorded
        jwt=JwtSettings(("HS256",), secret=SECRET),
    )
    app = create_app(config, clock=lambda: END, http=recorder)
    with loopback.serving(make_server("127.0.0.1", free_port(), app, threaded=True)) as url:
        yield url


@contextmanager
def facade_gunicorn(
    workdir: Path, prometheus_url: str, cache_seconds: float, now: float | None = END
) -> Iterator[str]:
    """The façade under `mm-analytics facade`'s gunicorn settings, its clock pinned at `now`
    (None: the real clock); yields its base URL."""
    env = {
        "FACADE_PROMETHEUS_URL": prometheus_url,
        "FACADE_PROMETHEUS_ENGINE": "prometheus",
        "FACADE_JWT_SECRET": SECRET,
        "FACADE_CACHE_SECONDS": str(cache_seconds),
        **({} if now is None else {NOW_VARIABLE: str(now)}),
    }
    workdir.mkdir(parents=True, exist_ok=True)
    process = gunicorn_app(workdir, "bench.pinned_facade:create()", env, "/healthz")
    try:
        yield str(process.ready_url).removesuffix("/healthz")
    finally:
        process.stop()


def get(client: requests.Session, url: str, params: Params) -> Callable[[], object]:
    """One GET, as an action to time."""
    return lambda: client.get(url, params=params, timeout=30)


def latency_ratios(
    workdir: Path, prometheus: PrometheusServer, endpoints: dict[str, tuple[str, Params, Floor]]
) -> None:
    """Part 1: façade median ÷ floor median, per endpoint, and the cached façade's median."""
    token = mint_token(SECRET, "org-alpha", permissions_for([]), 3600)
    recorder = RecordingPool()
    client = requests.Session()
    client.headers["Authorization"] = f"Bearer {token}"
    api = f"{prometheus.url}/api/v1"
    print(
        f"{'endpoint':<32}{'façade ms':>11}{'floor ms':>10}{'ratio':>8}{'queries':>9}{'kept ms':>9}"
    )
    with (
        facade_http(prometheus.url, recorder) as counted,
        facade_gunicorn(workdir / "facade", prometheus.url, 0.0) as url,
        facade_gunicorn(workdir / "kept", prometheus.url, 60.0) as kept,
    ):
        for name, (path, params, floor) in endpoints.items():
            recorder.calls.clear()
            client.get(counted + path, params=params, timeout=30).raise_for_status()
            queries = len(recorder.calls)
            client.get(url + path, params=params, timeout=30).raise_for_status()
            facade_ms = median_ms(get(client, url + path, params))
            floor_ms = median_ms(floor(api))
            kept_ms = median_ms(get(client, kept + path, params))
            print(
                f"{name:<32}{facade_ms:>11.2f}{floor_ms:>10.2f}{facade_ms / floor_ms:>8.2f}"
                f"{queries:>9}{kept_ms:>9.2f}"
            )


def daily_strategies(prometheus: PrometheusServer) -> None:
    """Part 2: range queries per run against one instant query per boundary."""
    scope = promql.Scope("org-alpha", "ws-a01")
    buckets = daily(END, 90, ZoneInfo("America/New_York"))
    points = buckets.boundaries
    plain = requests.Session()
    api = f"{prometheus.url}/api/v1"

    def per_boundary() -> None:
        for index in range(1, len(points)):
            query = counters.counter_reads(scope, points[index] - points[index - 1])
            params: Params = {"query": query, "time": points[index]}
            plain.get(f"{api}/query", params=params, timeout=30)

    def per_run() -> None:
        for run in reads(buckets):
            params: Params = {
                "query": counters.counter_reads(scope, run.step, run.shift),
                "start": run.start + run.shift,
                "end": run.end + run.shift,
                "step": run.step,
            }
            plain.get(f"{api}/query_range", params=params, timeout=30)

    runs = len(reads(buckets))
    print(
        f"\ndaily 90 America/New_York: {runs} range queries {median_ms(per_run, 20):.1f} ms, "
        f"{len(points) - 1} instant queries {median_ms(per_boundary, 20):.1f} ms"
    )


def calendar_strategies(prometheus: PrometheusServer) -> None:
    """Part 2b: weeks and months counted per day and summed, or at their own boundaries."""
    config = FacadeConfig(prometheus_url=prometheus.url, insecure_disable_auth=True)
    series = create_app(config, clock=lambda: END).extensions[EXTENSION].series
    scope = promql.Scope("org-alpha", "ws-a01")
    for name, buckets in (
        ("weekly 13", weekly(END, 13, UTC, 0)),
        ("monthly 3", monthly(END, 3, UTC)),
    ):
        days = days_of(buckets)
        assert regrouped(buckets, days, series.counts(scope, days)) == series.counts(scope, buckets)
        per_day = median_ms(partial(series.counts, scope, days), 20)
        per_bucket = median_ms(partial(series.counts, scope, buckets), 20)
        print(f"{name} UTC: per day {per_day:.1f} ms, per bucket {per_bucket:.1f} ms")


def throughput(workdir: Path) -> None:
    """Part 3: summary requests/s at 32 connections, live data, against a hello-world."""
    stack = LiveStack(workdir / "live").start()
    hello = gunicorn_hello(workdir, workers=2, threads=4)
    try:
        org, workspace = stack.org_id, stack.workspace_id
        path = f"/v1/orgs/{org}/workspaces/{workspace}/analytics"
        headers = {"Authorization": f"Bearer {mint_token(SECRET, org, ['analytics:*:view'])}"}
        hello_rate = wrk_rate(hello_url(hello), {}, 32)
        query = summary_query(promql.Scope(org, workspace))
        direct = f"{stack.prometheus.url}/api/v1/query?{urlencode({'query': query})}"
        rates = {
            "hello-world": hello_rate,
            "Prometheus, the summary's query": wrk_rate(direct, {}, 32),
        }
        for cache_seconds in (0.0, 15.0):
            served = workdir / f"facade-{cache_seconds:g}"
            with facade_gunicorn(served, stack.prometheus.url, cache_seconds, None) as base:
                url = base + path
                assert requests.get(url, headers=headers, timeout=10).status_code == 200
                rates[f"façade summary, cache {cache_seconds:g} s"] = wrk_rate(url, headers, 32)
        print("\nrequests/s at 32 connections (wrk), gunicorn 2 workers x 4 threads:")
        for name, rate in rates.items():
            print(f"  {name:<36}{rate:9.0f}{rate / hello_rate:8.2f} x hello-world")
    finally:
        hello.stop()
        stack.stop()


PARTS = ("latency", "details", "daily", "calendar", "queries", "throughput")


QUERIED = ("hourly 168, ws-a03 (no reset)", "daily 90 (UTC), ws-a03")


def query_costs(prometheus: PrometheusServer) -> None:
    """Part 5: each query a series request sends, timed alone on the same Prometheus, and the
    request in process (no HTTP hop): what the plan asks of the store."""
    token = mint_token(SECRET, "org-alpha", permissions_for([]), 3600)
    headers = {"Authorization": f"Bearer {token}"}
    recorder = RecordingPool()
    config = FacadeConfig(
        prometheus_url=prometheus.url,
        prometheus_engine="prometheus",
        jwt=JwtSettings(("HS256",), secret=SECRET),
    )
    app = create_app(config, clock=lambda: END, http=recorder).test_client()
    session = floor_session(prometheus.url)
    api = f"{prometheus.url}/api/v1"
    for name, (path, params, _) in {**ENDPOINTS, **DETAIL_ENDPOINTS}.items():
        if name not in (*QUERIED, *DETAIL_ENDPOINTS):
            continue
        request = partial(app.get, path, query_string=params, headers=headers)
        in_process = median_ms(request)
        recorder.calls.clear()
        request()
        print(f"\n{name}: {in_process:.2f} ms in process; each query alone:")
        for endpoint, form in list(recorder.calls):
            alone = median_ms(partial(session.post, f"{api}/{endpoint}", data=form, timeout=30))
            print(f"  {alone:7.2f} ms  {endpoint:<11} {form['query'][:70]}")


def history_parts(workdir: Path, parts: list[str]) -> None:
    """The parts read from the history's Prometheus."""
    with history_prometheus(workdir / "history") as prometheus:
        if "latency" in parts:
            latency_ratios(workdir, prometheus, ENDPOINTS)
        if "details" in parts:
            latency_ratios(workdir / "details", prometheus, DETAIL_ENDPOINTS)
        if "daily" in parts:
            daily_strategies(prometheus)
        if "calendar" in parts:
            calendar_strategies(prometheus)
        if "queries" in parts:
            query_costs(prometheus)


def main(parts: list[str]) -> int:
    """Run the named parts (all of them by default) and print the figures."""
    parts = parts or list(PARTS)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log between figures
    workdir = Path(tempfile.mkdtemp(prefix="bench-facade-"))
    print(f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    try:
        if {"latency", "details", "daily", "calendar", "queries"} & set(parts):
            history_parts(workdir, parts)
        if "throughput" in parts:
            throughput(workdir / "throughput")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
