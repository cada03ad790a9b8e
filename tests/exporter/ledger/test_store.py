"""The SQLite ledger: exact, idempotent, monotonic, durable across kill -9, loud when broken."""

from __future__ import annotations

import random
import sqlite3
import textwrap

import pytest

from exporter.ledger.store import Ledger, LedgerCorrupt, LedgerError
from exporter.platform.api import ExecutionRecord
from tests.exporter.ledger.killing import kill_while_committing


def records(prefix: str, count: int, workspace: str = "ws-1", failed_every: int = 0, at: int = 0):
    return [
        ExecutionRecord(
            f"{prefix}-{n}", at + n, workspace, bool(failed_every) and n % failed_every == 0
        )
        for n in range(count)
    ]


def test_commits_count_each_record_once(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    first = ledger.commit("org-a", records("r", 10, failed_every=5), high_water=100, prune_before=0)
    assert (first.counted, first.duplicates) == (10, 0)
    again = records("r", 12, failed_every=5) + records("x", 3, workspace="ws-2")
    second = ledger.commit("org-a", again, high_water=200, prune_before=0)
    assert (second.counted, second.duplicates) == (5, 10)
    view = ledger.view
    assert view.counts == {("org-a", "ws-1"): (12, 3), ("org-a", "ws-2"): (3, 0)}
    assert view.high_water == {"org-a": 200}
    ledger.close()
    reopened = Ledger(tmp_path / "ledger.sqlite3")
    assert dict(reopened.view.counts) == dict(view.counts)
    assert dict(reopened.view.high_water) == dict(view.high_water)
    reopened.close()


def test_the_high_water_mark_never_moves_back(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    ledger.commit("org-a", [], high_water=500, prune_before=0)
    ledger.commit("org-a", [], high_water=300, prune_before=0)
    assert ledger.view.high_water["org-a"] == 500
    ledger.close()
    assert Ledger(tmp_path / "ledger.sqlite3").view.high_water["org-a"] == 500


def test_seen_ids_are_forgotten_only_before_the_prune_mark(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    ledger.commit("org-a", records("r", 10, at=0), high_water=10, prune_before=0)
    result = ledger.commit("org-a", [], high_water=20, prune_before=5)
    assert result.pruned == 5
    replay = ledger.commit("org-a", records("r", 10, at=0), high_water=20, prune_before=5)
    # Ids at or after the mark are still known; the forgotten ones could only come back if the
    # platform served records older than the overlap window, which the poller never asks for.
    assert (replay.counted, replay.duplicates) == (5, 5)
    ledger.close()


def test_orgs_are_counted_separately(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    ledger.commit("org-a", records("r", 2), high_water=1, prune_before=0)
    ledger.commit("org-b", records("r", 3), high_water=2, prune_before=0)
    assert ledger.view.counts == {("org-a", "ws-1"): (2, 0), ("org-b", "ws-1"): (3, 0)}
    ledger.close()


def test_a_file_that_is_not_a_ledger_is_never_reset(tmp_path):
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database at all " * 200)
    before = garbage.read_bytes()
    with pytest.raises(LedgerCorrupt, match=r"not a usable SQLite database|cannot be read"):
        Ledger(garbage)
    assert garbage.read_bytes() == before
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE something_else (x)")
    with pytest.raises(LedgerCorrupt, match="schema version 0"):
        Ledger(foreign)


def test_a_ledger_that_cannot_be_written_keeps_its_state(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    ledger = Ledger(path)
    ledger.commit("org-a", records("r", 4), high_water=10, prune_before=0)
    before = ledger.view
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another writer holds the database
    try:
        with pytest.raises(LedgerError, match="cannot be written: database is locked"):
            ledger.commit("org-a", records("s", 4), high_water=20, prune_before=0)
        assert ledger.view is before
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    ledger.commit("org-a", records("s", 4), high_water=20, prune_before=0)
    assert ledger.view.counts[("org-a", "ws-1")] == (8, 0)
    ledger.close()


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from exporter.ledger.store import Ledger
    from exporter.platform.api import ExecutionRecord

    ledger = Ledger(Path(sys.argv[1]))
    mark = ledger.view.high_water.get("org-a", -1)
    batch = max(0, mark - 3)  # replay a few batches, as the overlap window does
    while True:
        items = [ExecutionRecord(f"r{batch}-{n}", batch, f"ws-{n % 3}", n % 4 == 0)
                 for n in range(10)]
        ledger.commit("org-a", items, high_water=batch, prune_before=batch - 5)
        if batch == max(0, mark - 3):
            print("committed", flush=True)  # killed only once it is committing
        batch += 1
    """
)


def test_kill_9_neither_loses_nor_double_counts(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    rng = random.Random(11)
    marks = []
    for _ in range(6):
        view = kill_while_committing(CHILD, path, rng, 0.6)
        mark = view.high_water["org-a"]
        marks.append(mark)
        batches = mark + 1  # every batch up to the mark, each exactly once
        assert sum(total for total, _ in view.counts.values()) == 10 * batches
        assert sum(failed for _, failed in view.counts.values()) == 3 * batches
    assert marks == sorted(marks) and marks[-1] > marks[0]
