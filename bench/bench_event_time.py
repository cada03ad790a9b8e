"""Event-time bench: what counting on the platform's clock adds per poll and per render.

Per poll: a ledger commit of one poll's records (spread over the workspaces, timestamps over
the last minute) with the event-time bookkeeping, against the same commit's work without it
(the seen ids, the running counts and the marks, in the same transaction shape), on real
SQLite files. Per render: the by-time families of every workspace against the live execution
counters of the same workspaces (both rendered by `generate_latest`); the exposition renders
either once per ledger commit, not per scrape.

Run: `.venv/bin/python bench/bench_event_time.py [--workspaces 1000 --records 2000]`.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from prometheus_client import generate_latest

from exporter.inventory.snapshot import InventorySnapshot
from exporter.ledger.event_time import SECOND
from exporter.ledger.store import Ledger, _add_counts
from exporter.metrics import families
from exporter.metrics.event_time import EventTimeCollector
from exporter.platform.api import ExecutionRecord

ROUNDS = 15


def polls(workspaces: int, records: int, rounds: int) -> list[list[ExecutionRecord]]:
    """`rounds` polls of `records` executions each, 15 s apart, over every workspace."""
    start = int(time.time()) - rounds * 15
    return [
        [
            ExecutionRecord(
                f"r{poll}-{n}",
                (start + poll * 15) * SECOND + n * 15 * SECOND // records,
                f"ws-{n % workspaces:05d}",
                n % 7 == 0,
            )
            for n in range(records)
        ]
        for poll in range(rounds)
    ]


def with_event_time(path: Path, batches: list[list[ExecutionRecord]]) -> tuple[list[float], Ledger]:
    ledger = Ledger(path)
    seconds = []
    for batch in batches:
        end = batch[-1].micros + SECOND
        started = time.perf_counter()
        ledger.commit("org-a", batch, end, end - 3600 * SECOND, settled=end - 600 * SECOND)
        seconds.append(time.perf_counter() - started)
    return seconds, ledger


def without_event_time(path: Path, batches: list[list[ExecutionRecord]]) -> list[float]:
    """The same commits as the ledger made them before event time: seen ids, counts, the
    high-water mark, pruning, and reading the counts back, in one transaction."""
    Ledger(path).close()  # the schema
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    seconds = []
    for batch in batches:
        end = batch[-1].micros + SECOND
        started = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        added: Counter[tuple[str, bool]] = Counter()
        for record in batch:
            cursor = connection.execute(
                "INSERT OR IGNORE INTO seen (org_id, record_id, micros) VALUES (?, ?, ?)",
                ("org-a", record.record_id, record.micros),
            )
            if cursor.rowcount == 1:
                added[(record.workspace_id, record.failed)] += 1
        _add_counts(connection, "org-a", added)
        connection.execute(
            "INSERT INTO high_water VALUES ('org-a', ?) ON CONFLICT (org_id) "
            "DO UPDATE SET micros = max(micros, excluded.micros)",
            (end,),
        )
        connection.execute("DELETE FROM seen WHERE micros < ?", (end - 3600 * SECOND,))
        rows = connection.execute("SELECT * FROM executions").fetchall()
        connection.execute("SELECT * FROM high_water").fetchall()
        connection.execute("COMMIT")
        seconds.append(time.perf_counter() - started)
        assert rows
    connection.close()
    return seconds


def render_seconds(render: object, repeat: int = 20) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        generate_latest(render)  # type: ignore[arg-type]
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


class _Families:
    def __init__(self, metrics: list) -> None:
        self._metrics = metrics

    def collect(self):
        return iter(self._metrics)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workspaces", type=int, default=1000)
    parser.add_argument("--records", type=int, default=2000)
    args = parser.parse_args()
    batches = polls(args.workspaces, args.records, ROUNDS)
    with tempfile.TemporaryDirectory() as work:
        new, ledger = with_event_time(Path(work) / "new.sqlite3", batches)
        old = without_event_time(Path(work) / "old.sqlite3", batches)
        view = ledger.view
        snapshot = InventorySnapshot()
        collector = EventTimeCollector(lambda: snapshot, lambda: view, lambda org, b: None)
        by_time = render_seconds(_Families(collector.families((snapshot, view))))
        live = render_seconds(_Families(families.execution_families(snapshot, view)))
        ledger.close()
    poll_new, poll_old = statistics.median(new), statistics.median(old)
    print(f"{args.workspaces} workspaces, {args.records} records per poll, {ROUNDS} polls")
    print(
        f"per poll (ledger commit): {poll_new * 1000:.1f} ms with event time, "
        f"{poll_old * 1000:.1f} ms without ({poll_new / poll_old:.2f}x)"
    )
    print(
        f"per render: by-time families {by_time * 1000:.2f} ms, live counters "
        f"{live * 1000:.2f} ms ({by_time / live:.2f}x); both once per ledger commit, "
        "not per scrape"
    )


if __name__ == "__main__":
    main()
