"""Details bench: what execution details add to a commit, a render, the series and memory.

On real SQLite files, in this process: `--polls` polls of `--records` executions each (15 s
apart, spread over `--workspaces` workspaces, details as `bench.synthetic_activity` makes them,
default caps) committed with their details, against the same records without details. Then,
over the resulting ledger view: the `/metrics` render of the execution and detail families
with the details (the exporter's direct text, and `generate_latest` over `prometheus_client`
objects, checked equal) and without them (the floor; each renders once per ledger commit), the
detail series per workspace by family, and the memory the details' view takes.

Run: `.venv/bin/python bench/bench_details.py [--workspaces 1000 --records 5000 --polls 60]`.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from prometheus_client import generate_latest
from prometheus_client.registry import CollectorRegistry

from stack.supervisor import REPO_ROOT

if str(REPO_ROOT) not in sys.path:  # run as `python bench/bench_details.py`
    sys.path.insert(0, str(REPO_ROOT))

from bench.synthetic_activity import record
from exporter.inventory.snapshot import InventorySnapshot
from exporter.ledger.event_time import SECOND
from exporter.ledger.store import Ledger, LedgerView
from exporter.metrics.details import DetailCollector
from exporter.metrics.event_time import EventTimeCollector
from exporter.platform.api import ExecutionRecord, execution_record
from exporter.platform.details import NO_DETAILS
from vocabulary import catalogue as cat

APPS = 3


def polls(workspaces: int, records: int, rounds: int) -> list[list[ExecutionRecord]]:
    """`rounds` polls of `records` executions each, 15 s apart, over every workspace."""
    start = int(time.time()) - rounds * 15 - 60
    batches = []
    for poll in range(rounds):
        items = [
            record(start + poll * 15 + n * 15 // records, f"ws-{n % workspaces:05d}", APPS)
            for n in range(records)
        ]
        batches.append([execution_record(item) for item in items])
    return batches  # type: ignore[return-value]


def commit_all(path: Path, batches: list[list[ExecutionRecord]]) -> tuple[list[float], Ledger]:
    """Seconds per commit, and the ledger (open)."""
    ledger = Ledger(path)
    seconds = []
    for batch in batches:
        end = batch[-1].micros + SECOND
        started = time.perf_counter()
        ledger.commit("org-a", batch, end, end - 3600 * SECOND, settled=end)
        seconds.append(time.perf_counter() - started)
        events = ledger.view.events["org-a"]
        shown_at = events.exposure_time()
        if shown_at == events.exposed:  # as scrapes record a boundary shown (after the hold)
            ledger.mark_exposed("org-a", shown_at - shown_at % 900 + 900)
    return seconds, ledger


def render_seconds(render: Callable[[], bytes], repeat: int = 5) -> float:
    """The median seconds of `render()`."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        render()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def renders(view: LedgerView, bare_view: LedgerView) -> dict[str, float]:
    """Seconds per render of the by-time families: the exporter's own render with details (as
    the exposition renders each state collector), `generate_latest` over the same families
    (`prometheus_client`'s objects), and the executions alone without details (the floor)."""
    snapshot = InventorySnapshot()
    by_time = EventTimeCollector(lambda: snapshot, lambda: view, lambda org, b: None)
    details = DetailCollector(lambda: snapshot, lambda: view)
    bare = EventTimeCollector(lambda: snapshot, lambda: bare_view, lambda org, b: None)
    state, bare_state = details.state(), bare.state()

    def exporter() -> bytes:
        return by_time.exposition(state) + details.exposition(state)

    assert exporter() == generate_latest(registry(view, True))  # the same bytes, or no figure
    return {
        "exporter": render_seconds(exporter),
        "prometheus_client": render_seconds(lambda: generate_latest(registry(view, True))),
        "floor": render_seconds(lambda: bare.exposition(bare_state)),
    }


def registry(view: LedgerView, details: bool) -> CollectorRegistry:
    """The by-time executions and, with `details`, the detail families of `view`."""
    snapshot = InventorySnapshot()
    built = CollectorRegistry(auto_describe=False)
    built.register(EventTimeCollector(lambda: snapshot, lambda: view, lambda org, b: None))
    if details:
        built.register(DetailCollector(lambda: snapshot, lambda: view))
    return built


def per_workspace(view: LedgerView, workspaces: int) -> Counter[str]:
    """Detail samples per workspace, by family."""
    text = generate_latest(registry(view, True)).decode()
    names = Counter(line.split("{", 1)[0] for line in text.splitlines() if "{" in line)
    return Counter({name: count / workspaces for name, count in names.items()})


def view_bytes(path: Path) -> int:
    """Bytes a fresh view of the ledger holds (the details included)."""
    gc.collect()
    tracemalloc.start()
    ledger = Ledger(path)
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    ledger.close()
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=1000)
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--polls", type=int, default=60)
    args = parser.parse_args()
    batches = polls(args.workspaces, args.records, args.polls)
    plain = [[dataclasses.replace(r, details=NO_DETAILS) for r in batch] for batch in batches]
    with tempfile.TemporaryDirectory() as work:
        with_details, ledger = commit_all(Path(work) / "details.sqlite3", batches)
        without, bare = commit_all(Path(work) / "bare.sqlite3", plain)
        view, bare_view = ledger.view, bare.view
        ledger.close()
        bare.close()
        rendered = renders(view, bare_view)
        memory = view_bytes(Path(work) / "details.sqlite3")
        bare_memory = view_bytes(Path(work) / "bare.sqlite3")
    new, old = statistics.median(with_details), statistics.median(without)
    print(f"{args.workspaces} workspaces, {args.records} records per poll, {args.polls} polls")
    print(f"per poll (ledger commit): {new * 1000:.0f} ms with details, {old * 1000:.0f} ms "
          f"without ({new / old:.2f}x); last poll {with_details[-1] * 1000:.0f} ms")  # fmt: skip
    floor = rendered["floor"]
    print("per render (by-time families, once per commit, not per scrape): "
          f"{floor * 1000:.0f} ms without details (the floor)")  # fmt: skip
    for name in ("exporter", "prometheus_client"):
        print(f"  with details, {name}: {rendered[name] * 1000:.0f} ms "
              f"({rendered[name] / floor:.1f}x the floor)")  # fmt: skip
    print(f"ledger view in memory: {memory / 2**20:.1f} MiB with details, "
          f"{bare_memory / 2**20:.1f} MiB without")  # fmt: skip
    counts = per_workspace(view, args.workspaces)
    executions = {cat.EXECUTIONS_BY_TIME.sample_name, cat.EXECUTIONS_FAILED_BY_TIME.sample_name}
    detail = sum(count for name, count in counts.items() if name not in executions)
    print(f"series per workspace: {detail:.1f} detail series (default caps)")
    for name, count in counts.most_common():
        print(f"  {name.removeprefix('mechamental_')}: {count:.2f}")


if __name__ == "__main__":
    main()
