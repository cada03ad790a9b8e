"""Series the exporters expose per workspace, per app and per namespace, at 1,000 and 10,000.

Four exporter shards walk the synthetic platform (`bench/synthetic_platform.py`: 2 apps per
workspace, 2 namespaces per app); every sample of every shard's `/metrics` is counted by the
most specific id it carries (namespace, app, workspace, org, none), and each count divided by
the number of those things. Prints a table per size, the per-family series per workspace, and
the `sample_limit` a scrape of one shard needs. With `--activity-interval S` every workspace
runs an execution with details every S seconds (`bench/synthetic_activity.py`, 3 apps a
workspace then) and the fleet runs `--minutes` before it is counted, so the detail families
show a realistic spread; the exporters' RSS and `/metrics` response times are printed too.

Run: `.venv/bin/python bench/bench_cardinality.py [--sizes 1000 10000] [--activity-interval 2]`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import psutil
import requests

from stack.supervisor import REPO_ROOT

if str(REPO_ROOT) not in sys.path:  # run as `python bench/bench_cardinality.py`
    sys.path.insert(0, str(REPO_ROOT))

from bench.shard_fleet import Sample, ShardFleet

SHARDS = 4
APPS = 2  # per workspace
ACTIVE_APPS = 3  # per workspace, with activity (each with two pipelines)
NAMESPACES = 2  # per app
LEVELS = ("namespace_id", "app_id", "workspace_id", "org_id")


def level(labels: dict[str, str]) -> str:
    """The most specific id a sample carries ("exporter" for none)."""
    return next((name for name in LEVELS if name in labels), "exporter")


def report(samples: list[Sample], workspaces: int, apps: int = APPS, shards: int = SHARDS) -> None:
    """The per-level table and the per-family series per workspace."""
    by_level = Counter(level(labels) for _, labels in samples)
    units = {
        "namespace_id": workspaces * apps * NAMESPACES,
        "app_id": workspaces * apps,
        "workspace_id": workspaces,
        "org_id": shards,
        "exporter": shards,
    }
    print(f"\n{workspaces} workspaces, {len(samples)} series over {shards} shards")
    print("level         series      per unit")
    for name, count in by_level.most_common():
        print(f"{name:<13} {count:>8}  {count / units[name]:>10.2f}")
    per_workspace = Counter(name for name, labels in samples if level(labels) == "workspace_id")
    print(
        "per workspace, by family: "
        + ", ".join(
            f"{name.removeprefix('mechamental_')} {count / workspaces:.2f}"
            for name, count in per_workspace.most_common()
        )
    )
    per_shard = len(samples) / shards
    print(
        f"series per shard {per_shard:.0f} ({per_shard / (workspaces / shards):.1f} per workspace)"
    )


def measure(
    workdir: Path, workspaces: int, activity: int = 0, minutes: float = 0.0, shards: int = SHARDS
) -> None:
    """Walk `workspaces` over the shards and report what they expose."""
    apps = ACTIVE_APPS if activity else APPS
    fleet = ShardFleet(workdir, shards, workspaces // shards, apps, NAMESPACES)
    fleet.activity_interval = activity
    try:
        fleet.start()
        seconds = fleet.wait_for_inventory()
        print(f"\nfirst inventory pass of every shard: {seconds:.0f} s")
        scrape_for(fleet, minutes * 60)
        report(fleet.samples(), workspaces, apps, shards)
        if activity:
            report_processes(fleet)
    finally:
        fleet.stop()


def scrape_for(fleet: ShardFleet, seconds: float) -> None:
    """Scrape every exporter every 5 s for `seconds`, as Prometheus would: only served
    scrapes move the by-time samples past a boundary."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for url in fleet.urls:
            requests.get(f"{url}/metrics", timeout=120)
        time.sleep(5)


def report_processes(fleet: ShardFleet) -> None:
    """Each exporter's RSS and the time its `/metrics` takes, the next scrape after a commit
    (rendered) and one right after it (cached)."""
    for url, pid in zip(fleet.urls, fleet.exporter_pids(), strict=True):
        rss = psutil.Process(pid).memory_info().rss / 2**20
        timings = []
        for _ in range(8):
            started = time.perf_counter()
            requests.get(f"{url}/metrics", timeout=120)
            timings.append(time.perf_counter() - started)
            time.sleep(2)
        print(
            f"{url}: RSS {rss:.0f} MiB; /metrics slowest {max(timings) * 1000:.0f} ms, "
            f"fastest {min(timings) * 1000:.0f} ms"
        )


def main() -> int:
    """Measure each size in turn."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--activity-interval", type=int, default=0)
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--shards", type=int, default=SHARDS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cardinality-") as directory:
        for size in args.sizes:
            started = time.perf_counter()
            where = Path(directory) / str(size)
            measure(where, size, args.activity_interval, args.minutes, args.shards)
            print(f"measured in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
