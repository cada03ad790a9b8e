"""`mm-analytics up --store victoriametrics`: Prometheus remote-writes every sample, explicit
timestamps included, into VictoriaMetrics; the backfill imports the history there; the façade
reads it and answers the sandbox's truth."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests
import yaml

from stack.options import DEFAULT_PORTS, STORE_PORTS
from stack.supervisor import free_port, python_command
from tests.stack.launcher_output import running_up
from tests.stack.test_up import assert_facade_equals_truth
from vocabulary import catalogue as cat

pytestmark = pytest.mark.slow

BY_TIME = cat.EXECUTIONS_BY_TIME.sample_name
# The exporter's clock settings in this run: executions are final 5 s after their time and
# boundaries are 10 s apart, so explicit timestamps (fresh edges, a boundary) appear at once;
# the sandbox writes every execution on time, as that lateness needs.
SETTINGS = {
    "EXPORTER_ACTIVITY_LATENESS": "5",
    "EXPORTER_EXPOSURE_BOUNDARY": "10",
    "SANDBOX_LATE_RATIO": "0",
}
BOUNDARY_MS = 10_000
# Prometheus' remote_write skips samples stamped before its queue started (the WAL watcher's
# start time): those are compared from this long after Prometheus' own start.
REMOTE_WRITE_START_MS = 5_000
Samples = dict[frozenset[tuple[str, str]], list[tuple[int, float]]]


@pytest.fixture()
def launched(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, int], str]]:
    ports = {service: free_port() for service in {**DEFAULT_PORTS, **STORE_PORTS}}
    argv = python_command(
        "up",
        "--store=victoriametrics",
        f"--state-dir={tmp_path / 'state'}",
        "--scrape-interval=1s",
        "--rate=5",
        "--history-days=1",
        "--backfill-days=2",
        "--no-alertmanager",
        *(f"--{service}-port={port}" for service, port in ports.items()),
    )
    with running_up(argv, {**os.environ, **SETTINGS}) as (launcher, banner):
        yield launcher, ports, banner


def prometheus_samples(url: str, selector: str, until: float, since_ms: int = 0) -> Samples:
    """Every raw sample of the last hour up to `until` (s), stamped after `since_ms`, that
    Prometheus holds for `selector`."""
    params: dict[str, Any] = {"query": f"{selector}[1h]", "time": until}
    body = requests.get(f"{url}/api/v1/query", params=params, timeout=30).json()
    found: Samples = {}
    for series in body["data"]["result"]:
        points = [(round(float(at) * 1000), float(value)) for at, value in series["values"]]
        if later := [point for point in points if point[0] > since_ms]:
            found[frozenset(series["metric"].items())] = later
    return found


def victoria_samples(url: str, selector: str, until: float, since_ms: int = 0) -> Samples:
    """The same raw samples as VictoriaMetrics exports them, each once (a boundary shown on
    several scrapes arrives once per scrape; -dedup.minScrapeInterval=1ms drops the repeats
    when VictoriaMetrics merges its parts, and readings never count them)."""
    params: dict[str, Any] = {"match[]": selector, "start": until - 3600, "end": until}
    response = requests.get(f"{url}/api/v1/export", params=params, timeout=30)
    found: Samples = {}
    for line in response.text.splitlines():
        series: dict[str, Any] = yaml.safe_load(line)
        points = zip(series["timestamps"], series["values"], strict=True)
        if later := sorted({(at, float(v)) for at, v in points if at > since_ms}):
            found[frozenset(series["metric"].items())] = later
    return found


def started_ms(prometheus: str) -> int:
    """When Prometheus started (ms)."""
    info = requests.get(f"{prometheus}/api/v1/status/runtimeinfo", timeout=10).json()
    moment = datetime.fromisoformat(info["data"]["startTime"][:26].rstrip("Z") + "+00:00")
    return round(moment.timestamp() * 1000)


def test_up_with_victoriametrics_serves_exact_answers_from_it(launched, tmp_path: Path) -> None:
    launcher, ports, banner = launched
    prometheus = f"http://127.0.0.1:{ports['prometheus']}"
    victoria = f"http://127.0.0.1:{ports['victoriametrics']}"
    assert victoria in banner
    config = yaml.safe_load((tmp_path / "state" / "prometheus.yml").read_text())
    assert [item["url"] for item in config["remote_write"]] == [f"{victoria}/api/v1/write"]

    facade = f"http://127.0.0.1:{ports['facade']}"
    secret = (tmp_path / "state" / "jwt-secret").read_text().strip()
    assert_facade_equals_truth(f"http://127.0.0.1:{ports['sandbox']}", facade, secret)

    # The by-time counters carry the exporter's timestamps (boundaries, fresh edges); every
    # sample Prometheus appended once its remote_write ran reaches VictoriaMetrics with the same
    # timestamp and value.
    live = f'{{__name__="{BY_TIME}",job="exporter"}}'
    since = started_ms(prometheus) + REMOTE_WRITE_START_MS
    deadline = time.monotonic() + 60
    while True:
        # Samples are stamped 5 s back when scraped and sent within seconds: compare older ones.
        until = time.time() - 20
        scraped = prometheus_samples(prometheus, live, until, since)
        held = victoria_samples(victoria, live, until, since)
        stamps = {at for points in scraped.values() for at, _ in points}
        if held == scraped and any(at % BOUNDARY_MS == 0 for at in stamps):
            break
        missing = {key: set(points) ^ set(held.get(key, [])) for key, points in scraped.items()}
        assert time.monotonic() < deadline, (missing, stamps)
        time.sleep(1)
    assert scraped  # every workspace's series, each with a sample stamped after the start
    # The history went to VictoriaMetrics only (Prometheus' data dir holds no blocks of it).
    history = f'{{__name__="{BY_TIME}",job="mechamental-backfill"}}'
    assert victoria_samples(victoria, history, until + 5)
    assert not prometheus_samples(prometheus, history, until + 5)

    children = psutil.Process(launcher.pid).children(recursive=True)
    launcher.send_signal(signal.SIGTERM)
    assert launcher.wait(timeout=60) == 0
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []
