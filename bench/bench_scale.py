"""Prometheus and VictoriaMetrics side by side at 10,000 workspaces over 4 exporter shards.

Four exporters (`--shard k/4`, one org of 2,500 workspaces each) walk the synthetic platform
(`bench/synthetic_platform.py`, 1 app and 1 namespace per workspace); a Prometheus and a
VictoriaMetrics (`-promscrape.config`, the same scrape file) scrape all four every 15 s in the
same run. Once both hold every workspace, it prints for each store: ingestion samples/s over a
minute (from each store's own counter), RSS, disk, and the façade's median latency for the
summary, hourly 168, daily 90 in America/New_York and the org rollup of 2,500 workspaces
(the façade pointed at each store, `FACADE_PROMETHEUS_ENGINE=victoriametrics` for
VictoriaMetrics), with each VictoriaMetrics ÷ Prometheus ratio.

The history is the live run's only (a few minutes): the hourly and daily answers read their
boundaries over mostly empty ranges, so their medians are those of the queries, not of 90 days
of samples.

Run: `.venv/bin/python bench/bench_scale.py [--workspaces 2500]`.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import requests
import yaml
from werkzeug.serving import make_server

from stack.supervisor import REPO_ROOT, free_port

if str(REPO_ROOT) not in sys.path:  # run as `python bench/bench_scale.py`
    sys.path.insert(0, str(REPO_ROOT))

from bench.shard_fleet import ShardFleet
from facade import create_app
from facade.config import load_config
from facade.tokens import mint_token, permissions_for
from tests.support import loopback
from tests.support.prometheus import PrometheusServer, scrape_config
from tests.support.victoria import VictoriaMetricsServer
from vocabulary import catalogue as cat

SHARDS = 4
SCRAPE_INTERVAL = "15s"
INGEST_WINDOW = 60.0
ROUNDS = 20
SECRET = "bench-secret-0123456789abcdef-0123456789abcdef"
# Each store's own count of samples it has taken in.
INGESTED = {
    "prometheus": "prometheus_tsdb_head_samples_appended_total",
    "victoria": "vm_rows_inserted_total",
}


def own_counter(url: str, name: str) -> float:
    """The sum of a counter over its label sets, from a store's own `/metrics`."""
    text = requests.get(f"{url}/metrics", timeout=30).text
    return sum(
        float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith(name) and line[len(name)] in " {"
    )


def disk_mib(path: Path) -> float:
    """Bytes of every file under `path`, in MiB."""
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file()) / 2**20


def wait_for_workspaces(query: Callable[[str], list], expected: int, timeout: float = 600) -> None:
    """Until a store holds `expected` workspaces."""
    expr = f"count({cat.WORKSPACE_INFO.sample_name})"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = query(expr)
        if result and int(float(result[0]["value"][1])) == expected:
            return
        time.sleep(2)
    raise TimeoutError(f"{expr} never reached {expected}")


def median_ms(action: Callable[[], int]) -> tuple[float, int]:
    """Median wall time in ms of `action` after a warm-up, and the warm-up's status code."""
    status = action()
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), status


@contextmanager
def facade(store_url: str, engine: str) -> Iterator[str]:
    """The façade on the real clock, pointed at one store, on a loopback port."""
    env = {
        "FACADE_PROMETHEUS_URL": store_url,
        "FACADE_JWT_SECRET": SECRET,
        "FACADE_PROMETHEUS_ENGINE": engine,
        "FACADE_PROMETHEUS_TIMEOUT": "60",
    }
    app = create_app(load_config(env))
    with loopback.serving(make_server("127.0.0.1", free_port(), app, threaded=True)) as url:
        yield url


Medians = dict[str, tuple[float, int]]


def facade_medians(store_url: str, engine: str, org: str) -> tuple[Medians, dict[str, Any]]:
    """Median latency and status of each measured route of the façade over one store, and its
    org rollup."""
    base = f"/v1/orgs/{org}/workspaces/ws-00000/analytics"
    routes: dict[str, tuple[str, dict[str, str | int]]] = {
        "summary": (base, {}),
        "hourly 168": (f"{base}/executions/hourly", {"hours": 168}),
        "daily 90 America/New_York": (
            f"{base}/executions/daily",
            {"days": 90, "tz": "America/New_York"},
        ),
        "org rollup": (f"/v1/orgs/{org}/analytics", {}),
    }
    client = requests.Session()
    client.headers["Authorization"] = "Bearer " + mint_token(SECRET, org, permissions_for([]), 3600)
    with facade(store_url, engine) as url:
        rollup = client.get(url + routes["org rollup"][0], timeout=120).json()
        medians = {
            name: median_ms(getter(client, url + path, params))
            for name, (path, params) in routes.items()
        }
    return medians, rollup


def getter(client: requests.Session, url: str, params: dict[str, str | int]) -> Callable[[], int]:
    """One GET as an action to time, returning its status code."""
    return lambda: client.get(url, params=params, timeout=120).status_code


class Stores:
    """The Prometheus and the VictoriaMetrics scraping the same exporters."""

    def __init__(self, workdir: Path, targets: list[str]) -> None:
        job = scrape_config("exporters", targets, SCRAPE_INTERVAL)
        self.prometheus = PrometheusServer(workdir / "prometheus", scrape_configs=[job])
        scrape_file = workdir / "vm-scrape.yml"
        workdir.mkdir(parents=True, exist_ok=True)
        scrape_file.write_text(yaml.safe_dump({"scrape_configs": [job]}))
        # Queries may take as long as Prometheus' own default limit (2 minutes, not 30 s).
        self.victoria = VictoriaMetricsServer(
            workdir / "victoria",
            extra_args=[f"-promscrape.config={scrape_file}", "-search.maxQueryDuration=2m"],
        )

    def start(self) -> None:
        """Start both, one after the other."""
        self.prometheus.start()
        self.victoria.start()

    def stop(self) -> None:
        """Stop both."""
        self.prometheus.stop()
        self.victoria.stop()

    def urls(self) -> dict[str, str]:
        """Each store's base URL."""
        return {"prometheus": self.prometheus.url, "victoria": self.victoria.url}

    def pids(self) -> dict[str, int]:
        """Each store's process id."""
        return {"prometheus": self.prometheus.process.pid, "victoria": self.victoria.process.pid}

    def data_dirs(self) -> dict[str, Path]:
        """Each store's data directory."""
        return {"prometheus": self.prometheus.data_dir, "victoria": self.victoria.workdir / "data"}


def ingestion(stores: Stores) -> dict[str, float]:
    """Samples/s each store took in over `INGEST_WINDOW` seconds."""
    urls = stores.urls()
    before = {name: own_counter(url, INGESTED[name]) for name, url in urls.items()}
    started = time.monotonic()
    time.sleep(INGEST_WINDOW)
    after = {name: own_counter(url, INGESTED[name]) for name, url in urls.items()}
    elapsed = time.monotonic() - started
    return {name: (after[name] - before[name]) / elapsed for name in urls}


def row(name: str, prometheus: float, victoria: float, unit: str) -> None:
    """One line: both figures and VictoriaMetrics ÷ Prometheus."""
    ratio = victoria / prometheus if prometheus else float("nan")
    print(f"{name:<34}{prometheus:>14.1f}{victoria:>14.1f}  {unit:<10}{ratio:>8.2f}")


def measure(workdir: Path, workspaces: int) -> None:
    """Start everything, wait for the data, print every figure."""
    fleet = ShardFleet(workdir / "fleet", SHARDS, workspaces, inventory_interval=300)
    stores: Stores | None = None
    try:
        fleet.start()
        stores = Stores(workdir, fleet.targets)
        stores.start()
        print(f"first inventory pass of every shard: {fleet.wait_for_inventory():.0f} s")
        total = workspaces * SHARDS
        wait_for_workspaces(stores.prometheus.query, total)
        wait_for_workspaces(stores.victoria.query, total)
        series = len(fleet.samples())
        print(
            f"{total} workspaces, {series} series over {SHARDS} shards, "
            f"scraped every {SCRAPE_INTERVAL}"
        )
        rates = ingestion(stores)
        stores.victoria.flush()
        rss = {
            name: psutil.Process(pid).memory_info().rss / 2**20
            for name, pid in stores.pids().items()
        }
        disk = {name: disk_mib(path) for name, path in stores.data_dirs().items()}
        org = fleet.org_ids[0]
        latency, rollup = {}, {}
        for name, url, engine in (
            ("prometheus", stores.prometheus.url, "prometheus"),
            ("victoria", stores.victoria.url, "victoriametrics"),
        ):
            latency[name], rollup[name] = facade_medians(url, engine, org)
        print(f"\n{'':<34}{'Prometheus':>14}{'VictoriaM.':>14}  {'unit':<10}{'VM ÷ P':>8}")
        row("ingestion", rates["prometheus"], rates["victoria"], "samples/s")
        row("RSS", rss["prometheus"], rss["victoria"], "MiB")
        row("disk", disk["prometheus"], disk["victoria"], "MiB")
        for route, (p_ms, p_status) in latency["prometheus"].items():
            v_ms, v_status = latency["victoria"][route]
            row(f"façade {route}", p_ms, v_ms, "ms median")
            if {p_status, v_status} != {200}:
                print(f"  ! statuses: Prometheus {p_status}, VictoriaMetrics {v_status}")
        check_rollups(rollup, workspaces)
    finally:
        if stores is not None:
            stores.stop()
        fleet.stop()


def check_rollups(rollup: dict[str, dict[str, Any]], workspaces: int) -> None:
    """Both stores' org rollups hold every workspace and the same exact resource sums."""
    counts = {name: body.get("workspace_count") for name, body in rollup.items()}
    print(f"\norg rollup workspace_count by store: {counts} (expected {workspaces})")
    assert set(counts.values()) == {workspaces}, [body.get("details") for body in rollup.values()]
    assert rollup["prometheus"]["resources"] == rollup["victoria"]["resources"]
    # One app and one namespace per workspace on the synthetic platform: exact sums.
    assert rollup["prometheus"]["resources"]["apps"] == workspaces
    assert rollup["prometheus"]["resources"]["namespaces"] == workspaces


def main() -> int:
    """Measure once, in a temporary directory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=2500, help="per shard (one org each)")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per timed request
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as directory:
        measure(Path(directory), args.workspaces)
    print(f"\nmeasured in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
