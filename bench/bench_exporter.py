"""Exporter bench against a sandbox of 1,000 workspaces: requests, pass time, render cost, RSS.

Prints, each next to the baseline measured in the same run:
- platform requests of one inventory pass ÷ the fewest the paging allows (from the truth);
- the inventory pass duration, reported by the exporter process itself;
- `/metrics` render time for the sample count, cached vs `prometheus_client.generate_latest`
  on the same families;
- the exporter process' peak RSS.

Run: `.venv/bin/python bench/bench_exporter.py [--orgs 4 --workspaces 250]`.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import requests
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from exporter.inventory.schedule import InventoryCollection
from exporter.inventory.snapshot import InventorySnapshot
from exporter.ledger.store import LedgerView
from exporter.metrics.collectors import MetricSources
from exporter.metrics.exposition import CachedExposition
from exporter.metrics.registry import build_registry
from exporter.platform import api
from exporter.platform.client import PlatformClient, PlatformTarget, RequestCounter
from exporter.status import RunStatus
from stack.supervisor import ManagedProcess, free_port, python_command
from vocabulary import catalogue as cat

TOKEN = "bench-token"
PAGE = 200  # the maximum `limit` of every list the pass reads items from


def pages(count: int, limit: int = PAGE) -> int:
    """Requests to read a list of `count` items: at least one, even for an empty list."""
    return max(1, math.ceil(count / limit))


def minimum_requests(truth: dict[str, Any]) -> int:
    """The fewest requests one pass can make: items read at the maximum limit, counts in one."""
    total = 0
    for org in truth["orgs"].values():
        total += pages(len(org["workspaces"]))
        for ws in org["workspaces"].values():
            apps = ws["apps"].values()
            total += pages(len(apps)) + pages(ws["resources"]["augmentations"])
            total += pages(ws["resources"]["sources"]) + pages(ws["resources"]["secrets"])
            total += 1  # model entitlements: a count
            total += sum(pages(app["namespaces"]) + 1 for app in apps)  # namespaces, endpoints
            # Actions are listed per app; the truth has only the workspace's total.
            total += max(len(apps), math.ceil(ws["resources"]["actions"] / PAGE))
            total += len(ws["namespaces"])  # threads: a count per namespace
    return total


def start_sandbox(workdir: Path, orgs: int, workspaces: int) -> tuple[ManagedProcess, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [
        f"--port={port}",
        f"--db={workdir / 'sandbox.db'}",
        f"--orgs={orgs}",
        f"--workspaces={workspaces}",
        f"--token={TOKEN}",
        "--no-stream",
        "--seed=7",
    ]
    process = ManagedProcess(
        "sandbox",
        python_command("sandbox", *args),
        log_path=workdir / "sandbox.log",
        ready_url=f"{url}/healthz",
    )
    return process.start(ready_timeout=120), url


def start_exporter(workdir: Path, url: str, org_ids: list[str]) -> tuple[ManagedProcess, str]:
    port = free_port()
    env = {
        "EXPORTER_PLATFORM_URL": url,
        "EXPORTER_PLATFORM_TOKEN": TOKEN,
        "EXPORTER_ORG_IDS": ",".join(org_ids),
        "EXPORTER_LISTEN_ADDRESS": f"127.0.0.1:{port}",
        "EXPORTER_LEDGER_PATH": str(workdir / "ledger.sqlite3"),
        "EXPORTER_INVENTORY_INTERVAL": "3600",
        "EXPORTER_ACTIVITY_INTERVAL": "3600",
    }
    process = ManagedProcess(
        "exporter",
        python_command("exporter"),
        env=env,
        log_path=workdir / "exporter.log",
        ready_url=f"http://127.0.0.1:{port}/metrics",
    )
    return process.start(), f"http://127.0.0.1:{port}"


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = requests.get(f"{url}/metrics", timeout=60).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def wait_for_pass(url: str, process: ManagedProcess, timeout: float = 900) -> dict[Any, float]:
    key = (cat.COLLECTOR_LAST_SUCCESS.sample_name, (("collector", "inventory"),))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.alive, process.log_hint
        samples = scrape(url)
        if samples.get(key, 0) > 0:
            return samples
        time.sleep(0.5)
    raise TimeoutError("the inventory pass did not finish")


def peak_rss_mib(pid: int) -> float:
    """VmHWM (peak resident set) of a Linux process, else its current RSS."""
    status = Path(f"/proc/{pid}/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return psutil.Process(pid).memory_info().rss / 2**20


def best_of(runs: int, action: Callable[[], object]) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


def exporter_figures(url: str, process: ManagedProcess, truth: dict[str, Any]) -> None:
    samples = wait_for_pass(url, process)
    inventory_requests = sum(
        value
        for (name, labels), value in samples.items()
        if name == cat.PLATFORM_REQUESTS.sample_name
        and dict(labels)["endpoint"] != api.ACTIVITY.template
    )
    minimum = minimum_requests(truth)
    duration = samples[(cat.COLLECTOR_DURATION.sample_name, (("collector", "inventory"),))]
    workspaces = sum(len(org["workspaces"]) for org in truth["orgs"].values())
    print(f"workspaces                    {workspaces}")
    print(
        f"inventory requests per pass   {inventory_requests:.0f}  (minimum {minimum}, "
        f"ratio {inventory_requests / minimum:.3f})"
    )
    print(
        f"inventory pass duration       {duration:.2f} s  ({duration / workspaces * 1000:.1f} ms "
        "per workspace, concurrency 8)"
    )
    cpu = psutil.Process(process.pid).cpu_times()
    print(
        f"exporter CPU for the pass     {cpu.user + cpu.system:.1f} s  (the sandbox does the rest)"
    )
    scrape_time = best_of(5, lambda: requests.get(f"{url}/metrics", timeout=60).content)
    print(f"/metrics scrape over HTTP     {scrape_time * 1000:.1f} ms (best of 5)")
    print(f"exporter peak RSS             {peak_rss_mib(process.pid):.1f} MiB")


def render_sources(snapshot: InventorySnapshot, org_ids: list[str]) -> MetricSources:
    """What the collectors read: `snapshot` and a ledger with counts for its workspaces."""
    ledger = LedgerView({key: (100, 3) for key in snapshot.workspaces}, {}, 1)
    return MetricSources(
        snapshot=lambda: snapshot,
        ledger=lambda: ledger,
        status=RunStatus(),
        requests=RequestCounter(),
        org_ids=tuple(org_ids),
    )


def render_row(snapshot: InventorySnapshot, org_ids: list[str]) -> None:
    """One line of the render table: samples, baseline, cached render cold and warm."""
    sources = render_sources(snapshot, org_ids)
    registry = build_registry(sources)
    renderer = CachedExposition(registry)
    body = generate_latest(registry)
    assert renderer.render() == body, "the cached exposition must be byte-identical"
    samples = sum(1 for line in body.splitlines() if not line.startswith(b"#"))
    baseline = best_of(3, lambda: generate_latest(registry))
    cold = best_of(3, lambda: CachedExposition(registry).render())
    warm = best_of(20, renderer.render)
    print(
        f"{len(snapshot.workspaces):>10} {samples:>8} {baseline * 1000:>14.1f} "
        f"{baseline / samples * 1e6:>10.2f} {cold * 1000:>11.1f} {warm * 1000:>11.2f} "
        f"{baseline / warm:>8.0f}x"
    )


def render_figures(url: str, org_ids: list[str]) -> None:
    """/metrics render time against sample count, next to `generate_latest`, same families."""
    client = PlatformClient(PlatformTarget(url, TOKEN), requests.Session())
    inventory = InventoryCollection(client, org_ids)
    inventory.run()
    inventory.close()
    everything = list(inventory.snapshot.workspaces.values())
    print(
        "\nworkspaces  samples  generate_latest  µs/sample  cached new  cached hit    ratio"
        "\n                                  ms                     ms          ms"
    )
    for count in sorted({min(count, len(everything)) for count in (10, 100, len(everything))}):
        render_row(InventorySnapshot.build(everything[:count]), org_ids)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=4)
    parser.add_argument("--workspaces", type=int, default=250, help="per org")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-exporter-") as directory:
        workdir = Path(directory)
        started = time.perf_counter()
        sandbox, url = start_sandbox(workdir, args.orgs, args.workspaces)
        exporter = None
        try:
            print(f"sandbox seeded and ready in   {time.perf_counter() - started:.1f} s")
            truth = requests.get(f"{url}/_sandbox/truth", timeout=120).json()
            org_ids = list(truth["orgs"])
            exporter, exporter_url = start_exporter(workdir, url, org_ids)
            exporter_figures(exporter_url, exporter, truth)
            exporter.stop()
            render_figures(url, org_ids)
        finally:
            if exporter is not None:
                exporter.stop()
            sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
