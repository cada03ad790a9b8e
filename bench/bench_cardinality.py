"""Series the exporters expose per workspace, per app and per namespace, at 1,000 and 10,000.

Four exporter shards walk the synthetic platform (`bench/synthetic_platform.py`: 2 apps per
workspace, 2 namespaces per app); every sample of every shard's `/metrics` is counted by the
most specific id it carries (namespace, app, workspace, org, none), and each count divided by
the number of those things. Prints a table per size, the per-family series per workspace, and
the `sample_limit` a scrape of one shard needs.

Run: `.venv/bin/python bench/bench_cardinality.py [--sizes 1000 10000]`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from stack.supervisor import REPO_ROOT

if str(REPO_ROOT) not in sys.path:  # run as `python bench/bench_cardinality.py`
    sys.path.insert(0, str(REPO_ROOT))

from bench.shard_fleet import Sample, ShardFleet

SHARDS = 4
APPS = 2  # per workspace
NAMESPACES = 2  # per app
LEVELS = ("namespace_id", "app_id", "workspace_id", "org_id")


def level(labels: dict[str, str]) -> str:
    """The most specific id a sample carries ("exporter" for none)."""
    return next((name for name in LEVELS if name in labels), "exporter")


def report(samples: list[Sample], workspaces: int) -> None:
    """The per-level table and the per-family series per workspace."""
    by_level = Counter(level(labels) for _, labels in samples)
    units = {
        "namespace_id": workspaces * APPS * NAMESPACES,
        "app_id": workspaces * APPS,
        "workspace_id": workspaces,
        "org_id": SHARDS,
        "exporter": SHARDS,
    }
    print(f"\n{workspaces} workspaces, {len(samples)} series over {SHARDS} shards")
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
    per_shard = len(samples) / SHARDS
    print(
        f"series per shard {per_shard:.0f} ({per_shard / (workspaces / SHARDS):.1f} per workspace)"
    )


def measure(workdir: Path, workspaces: int) -> None:
    """Walk `workspaces` over four shards and report what they expose."""
    fleet = ShardFleet(workdir, SHARDS, workspaces // SHARDS, APPS, NAMESPACES)
    try:
        fleet.start()
        seconds = fleet.wait_for_inventory()
        print(f"\nfirst inventory pass of every shard: {seconds:.0f} s")
        report(fleet.samples(), workspaces)
    finally:
        fleet.stop()


def main() -> int:
    """Measure each size in turn."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cardinality-") as directory:
        for size in args.sizes:
            started = time.perf_counter()
            measure(Path(directory) / str(size), size)
            print(f"measured in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
