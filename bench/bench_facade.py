"""Façade benchmarks on the 93-day test history and on live data.

1. Median latency of the summary, hourly (168 h) and daily (90 days, America/New_York)
   endpoints over HTTP, divided by the median latency of the very queries the façade sent,
   replayed straight to Prometheus by a plain `requests` session.
2. Daily 90 in a DST zone: one range query per equally spaced run (what the façade does)
   against one instant query per boundary. Weeks and months in UTC counted per calendar day
   and summed (what the façade does) against read at their own boundaries; ws-a01 has a
   counter reset in the current week and month.
3. Requests per second of the summary endpoint under `mm-analytics facade` (gunicorn, two
   workers) at 1, 8 and 32 concurrent clients. The clients run on the same two cores.

Run: `.venv/bin/python bench/bench_facade.py` (builds or reuses the cached history TSDB);
`bench/bench_facade.py latency calendar` runs only those parts (`latency`, `daily`,
`calendar`, `throughput`).
"""

from __future__ import annotations

import logging
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import requests
from werkzeug.serving import make_server

from stack.supervisor import REPO_ROOT, ManagedProcess, free_port, python_command

if str(REPO_ROOT) not in sys.path:  # run as `python bench/bench_facade.py`
    sys.path.insert(0, str(REPO_ROOT))

from facade import FacadeConfig, create_app, promql
from facade.buckets import daily, days_of, monthly, reads, regrouped, weekly
from facade.credentials import JwtSettings
from facade.state import EXTENSION
from facade.tokens import mint_token, permissions_for
from tests.support import loopback
from tests.support.facade_http import RecordingSession
from tests.support.facade_live import LiveStack
from tests.support.history import END
from tests.support.history_build import history_tsdb
from tests.support.prometheus import PrometheusServer

SECRET = "bench-secret-0123456789abcdef-0123456789abcdef"
ROUNDS = 60
BASE = "/v1/orgs/org-alpha/workspaces/ws-a01/analytics"
Params = dict[str, str | int | float]
ENDPOINTS: dict[str, tuple[str, Params]] = {
    "summary": (BASE, {}),
    "hourly 168": (f"{BASE}/executions/hourly", {"hours": 168}),
    "daily 90 (America/New_York)": (
        f"{BASE}/executions/daily",
        {"days": 90, "tz": "America/New_York"},
    ),
    "weekly 13 (America/New_York)": (
        f"{BASE}/executions/weekly",
        {"weeks": 13, "tz": "America/New_York"},
    ),
    "monthly 3 (America/New_York)": (
        f"{BASE}/executions/monthly",
        {"months": 3, "tz": "America/New_York"},
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
def facade_http(prometheus_url: str, session: requests.Session) -> Iterator[str]:
    """The façade, clock pinned to the history's end, on a loopback port."""
    config = FacadeConfig(
        prometheus_url=prometheus_url,
        prometheus_engine="prometheus",  # known: no build information call among the replayed
        jwt=JwtSettings(("HS256",), secret=SECRET),
    )
    app = create_app(config, clock=lambda: END, session=session)
    with loopback.serving(make_server("127.0.0.1", free_port(), app, threaded=True)) as url:
        yield url


def get(client: requests.Session, url: str, params: Params) -> Callable[[], object]:
    """One GET, as an action to time."""
    return lambda: client.get(url, params=params, timeout=30)


def replay(prometheus_url: str, calls: list[tuple[str, dict[str, str]]]) -> Callable[[], None]:
    """Send the recorded query API calls again with a plain session."""
    plain = requests.Session()

    def run() -> None:
        for endpoint, params in calls:
            plain.post(
                f"{prometheus_url}/api/v1/{endpoint}", data=params, timeout=30
            ).raise_for_status()

    return run


def latency_ratios(prometheus: PrometheusServer) -> None:
    """Part 1: façade median ÷ direct median, per endpoint."""
    token = mint_token(SECRET, "org-alpha", permissions_for([]), 3600)
    recorder = RecordingSession()
    client = requests.Session()
    client.headers["Authorization"] = f"Bearer {token}"
    print(f"{'endpoint':<30}{'façade ms':>11}{'direct ms':>11}{'ratio':>8}{'queries':>9}")
    with facade_http(prometheus.url, recorder) as url:
        for name, (path, params) in ENDPOINTS.items():
            recorder.calls.clear()
            client.get(url + path, params=params, timeout=30).raise_for_status()
            calls = list(recorder.calls)
            facade_ms = median_ms(get(client, url + path, params))
            direct_ms = median_ms(replay(prometheus.url, calls))
            ratio = facade_ms / direct_ms
            print(f"{name:<30}{facade_ms:>11.2f}{direct_ms:>11.2f}{ratio:>8.2f}{len(calls):>9}")


def daily_strategies(prometheus: PrometheusServer) -> None:
    """Part 2: range queries per run against one instant query per boundary."""
    scope = promql.Scope("org-alpha", "ws-a01")
    buckets = daily(END, 90, ZoneInfo("America/New_York"))
    points = buckets.boundaries
    plain = requests.Session()
    api = f"{prometheus.url}/api/v1"

    def per_boundary() -> None:
        for index in range(1, len(points)):
            query = promql.counter_reads(scope, points[index] - points[index - 1])
            params: Params = {"query": query, "time": points[index]}
            plain.get(f"{api}/query", params=params, timeout=30)

    def per_run() -> None:
        for run in reads(buckets):
            params: Params = {
                "query": promql.counter_reads(scope, run.step, run.shift),
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


def load(url: str, headers: dict[str, str], clients: int, seconds: float) -> float:
    """Requests per second that `clients` threads get answered with 200 in `seconds`."""
    done = [0] * clients
    deadline = time.monotonic() + seconds

    def worker(index: int) -> None:
        session = requests.Session()
        while time.monotonic() < deadline:
            if session.get(url, headers=headers, timeout=30).status_code == 200:
                done[index] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / seconds


def throughput(workdir: Path, threads: int) -> None:
    """Part 3: summary requests/s under gunicorn with two workers, on live data."""
    stack = LiveStack(workdir / "live").start()
    port = free_port()
    env = {"FACADE_PROMETHEUS_URL": stack.prometheus.url, "FACADE_JWT_SECRET": SECRET}
    facade = ManagedProcess(
        "facade",
        python_command(
            "facade", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", str(threads)
        ),
        log_path=workdir / "facade.log",
        env=env,
        ready_url=f"http://127.0.0.1:{port}/healthz",
    )
    try:
        facade.start(ready_timeout=60)
        org, workspace = stack.org_id, stack.workspace_id
        url = f"http://127.0.0.1:{port}/v1/orgs/{org}/workspaces/{workspace}/analytics"
        headers = {"Authorization": f"Bearer {mint_token(SECRET, org, ['analytics:*:view'])}"}
        assert requests.get(url, headers=headers, timeout=10).status_code == 200
        print(f"\nsummary under gunicorn, 2 workers, {threads} thread(s) each:")
        for clients in (1, 8, 32):
            rate = load(url, headers, clients, 8.0)
            print(f"  {clients:>2} concurrent clients: {rate:7.0f} requests/s")
    finally:
        facade.stop()
        stack.stop()


PARTS = ("latency", "daily", "calendar", "throughput")


def main(parts: list[str]) -> int:
    """Run the named parts (all of them by default) and print the figures."""
    parts = parts or list(PARTS)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log between figures
    workdir = Path(tempfile.mkdtemp(prefix="bench-facade-"))
    try:
        with history_prometheus(workdir / "history") as prometheus:
            if "latency" in parts:
                latency_ratios(prometheus)
            if "daily" in parts:
                daily_strategies(prometheus)
            if "calendar" in parts:
                calendar_strategies(prometheus)
        for threads in (1, 4) if "throughput" in parts else ():
            throughput(workdir / f"threads-{threads}", threads)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
