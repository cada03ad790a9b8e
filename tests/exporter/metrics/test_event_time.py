"""The by-time collector: a boundary stays on show until served scrapes have seen it for `hold`."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import generate_latest

from exporter.inventory.snapshot import InventorySnapshot
from exporter.ledger.event_time import BOUNDARY, SECOND
from exporter.ledger.store import Ledger
from exporter.metrics.event_time import EventTimeCollector
from exporter.platform.api import ExecutionRecord

T0 = 1_764_000_000  # a 15-minute boundary (s)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def shown_time(collector: EventTimeCollector) -> int:
    """The timestamp (s) of the by-time samples in one render."""
    line = next(
        line
        for line in generate_latest(collector).decode().splitlines()
        if line.startswith("mechamental_executions_by_time_total{")
    )
    return int(line.rsplit(" ", 1)[1]) // 1000


def test_only_served_scrapes_move_the_exposure_past_a_boundary(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    record = ExecutionRecord("r1", T0 * SECOND, "ws-1", False)  # its second is shown first
    later = (T0 + 300) * SECOND
    ledger.commit("org-a", [record], later, 0, settled=later)
    clock = Clock()
    collector = EventTimeCollector(
        InventorySnapshot, lambda: ledger.view, ledger.mark_exposed, hold=30, clock=clock
    )
    assert shown_time(collector) == T0
    clock.now = 100.0  # renders ahead of scrapes, however many and however late, are not scrapes
    assert shown_time(collector) == T0
    collector.scraped()
    clock.now = 110.0
    collector.scraped()
    assert shown_time(collector) == T0  # seen for 10 s of a 30 s hold
    clock.now = 131.0
    collector.scraped()
    assert shown_time(collector) == T0 + 300  # the fresh edge
    assert ledger.view.events["org-a"].exposed == T0 + BOUNDARY
    ledger.close()
