"""Counts on the platform's clock: minutes, the settled point, late records, folding, upgrades."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.ledger.event_time import BOUNDARY, SECOND, SLOT, OrgEvents
from exporter.ledger.file import SCHEMA_VERSION
from exporter.ledger.store import Ledger
from exporter.platform.api import ExecutionRecord

T0 = 1_764_000_000  # a whole 15-minute boundary (s)
MINUTE = 60


def execution(
    name: str, seconds: float, *, failed: bool = False, ws: str = "ws-1"
) -> ExecutionRecord:
    return ExecutionRecord(name, round(seconds * SECOND), ws, failed)


def events(ledger: Ledger, org: str = "org-a") -> OrgEvents:
    return ledger.view.events[org]


def test_each_execution_counts_from_the_end_of_its_own_second(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    records = [
        execution("a", T0 - 2),  # 13:59:58 belongs before the boundary
        execution("b", T0 + 0.5, failed=True),
        execution("c", T0 + 59.9),
        execution("d", T0 + 60),
    ]
    ledger.commit("org-a", records, high_water=(T0 + 120) * SECOND, prune_before=0)
    workspace = events(ledger).workspaces["ws-1"]
    assert workspace.value_at(T0 - 2) == (0, 0)
    assert workspace.value_at(T0) == (1, 0)
    assert workspace.value_at(T0 + SLOT) == (2, 1)
    assert workspace.value_at(T0 + MINUTE) == (3, 1)
    assert workspace.value_at(T0 + MINUTE + SLOT) == (4, 1)
    assert ledger.view.counts[("org-a", "ws-1")] == (4, 1)


def test_a_record_seen_after_its_time_was_settled_counts_at_the_settled_point(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    settled = (T0 + 10 * MINUTE) * SECOND
    ledger.commit("org-a", [execution("a", T0 + 1)], settled, 0, settled=settled)
    before = events(ledger).workspaces["ws-1"].value_at(T0 + 10 * MINUTE)
    result = ledger.commit(
        "org-a", [execution("late", T0 + 30)], (T0 + 20 * MINUTE) * SECOND, 0, settled=settled
    )
    assert result.late == 1 and events(ledger).late == 1
    workspace = events(ledger).workspaces["ws-1"]
    # What was complete before stays as it was; the late execution counts from the next second.
    assert workspace.value_at(T0 + 10 * MINUTE) == before == (1, 0)
    assert workspace.value_at(T0 + 10 * MINUTE + SLOT) == (2, 0)
    assert ledger.view.counts[("org-a", "ws-1")] == (2, 0)


def test_the_settled_point_never_goes_back(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    ledger.commit("org-a", [], T0 * SECOND, 0, settled=T0 * SECOND)
    ledger.commit("org-a", [], T0 * SECOND, 0, settled=(T0 - 600) * SECOND)
    assert events(ledger).settled == T0 * SECOND


def test_the_exposure_waits_at_each_boundary_until_it_was_shown(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    ledger.commit(
        "org-a", [execution("a", T0)], (T0 + 100) * SECOND, 0, settled=(T0 + 100) * SECOND
    )
    assert events(ledger).exposure_time() == T0  # the first execution's second comes first
    ledger.mark_exposed("org-a", T0 + BOUNDARY)
    assert events(ledger).exposure_time() == T0 + 100  # then the fresh edge
    later = (T0 + BOUNDARY + 200) * SECOND
    ledger.commit("org-a", [], later, 0, settled=later)
    assert events(ledger).exposure_time() == T0 + BOUNDARY
    ledger.mark_exposed("org-a", T0 + 2 * BOUNDARY)
    assert events(ledger).exposure_time() == T0 + BOUNDARY + 200


def test_folding_old_minutes_changes_no_value(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    records = [execution(f"r{n}", T0 + n * 97, failed=n % 3 == 0) for n in range(60)]
    settled = (T0 + 3 * BOUNDARY) * SECOND
    ledger.commit("org-a", records, settled, 0, settled=settled)
    times = range(T0 + 2 * BOUNDARY, T0 + 3 * BOUNDARY + 1, 7)
    before = [events(ledger).workspaces["ws-1"].value_at(t) for t in times]
    ledger.mark_exposed("org-a", T0 + 3 * BOUNDARY)
    after = events(ledger).workspaces["ws-1"]
    assert [after.value_at(t) for t in times] == before
    assert len(after.slots) < len(records)
    with sqlite3.connect(tmp_path / "ledger.sqlite3") as connection:
        (folded,) = connection.execute("SELECT folded FROM event_marks").fetchone()
    assert folded == T0 + 2 * BOUNDARY


def test_a_version_1_ledger_is_upgraded_with_its_counts(tmp_path: Path):
    path = tmp_path / "ledger.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.executescript(
            "CREATE TABLE executions (org_id TEXT NOT NULL, workspace_id TEXT NOT NULL, "
            "total INTEGER NOT NULL, failed INTEGER NOT NULL, PRIMARY KEY (org_id, workspace_id));"
            "CREATE TABLE high_water (org_id TEXT PRIMARY KEY, micros INTEGER NOT NULL);"
            "CREATE TABLE seen (org_id TEXT NOT NULL, record_id TEXT NOT NULL, "
            "micros INTEGER NOT NULL, PRIMARY KEY (org_id, record_id));"
            "INSERT INTO executions VALUES ('org-a', 'ws-1', 7, 2);"
            "INSERT INTO high_water VALUES ('org-a', 5);"
            "PRAGMA user_version = 1;"
        )
    ledger = Ledger(path)
    assert ledger.view.counts[("org-a", "ws-1")] == (7, 2)
    ledger.commit("org-a", [execution("a", T0)], (T0 + 60) * SECOND, 0)
    assert events(ledger).workspaces["ws-1"].value_at(T0 + 60) == (1, 0)
    ledger.close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.tuples(st.integers(0, 3_600), st.booleans()), max_size=8),
            st.integers(0, 900),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_a_value_once_complete_never_changes(tmp_path_factory, polls):
    """Whatever order records arrive in, the value at a time up to the settled point is final,
    and the running total is every record counted once."""
    ledger = Ledger(tmp_path_factory.mktemp("ledger") / "ledger.sqlite3")
    complete: dict[int, tuple[int, int]] = {}
    settled, seq = T0, 0
    for batch, advance in polls:
        settled += advance
        records = []
        for offset, failed in batch:
            seq += 1
            records.append(execution(f"r{seq}", T0 + offset, failed=failed))
        ledger.commit("org-a", records, settled * SECOND, 0, settled=settled * SECOND)
        state = events(ledger)
        workspace = state.workspaces.get("ws-1")

        def value(t: int, workspace=workspace) -> tuple[int, int]:
            return workspace.value_at(t) if workspace else (0, 0)

        for t, known in complete.items():
            assert value(t) == known
        for t in range(T0, state.complete_until + 1, 13):
            complete.setdefault(t, value(t))
    counts = ledger.view.counts.get(("org-a", "ws-1"), (0, 0))
    final = events(ledger).workspaces.get("ws-1")
    assert (final.value_at(T0 + 10**6) if final else (0, 0)) == counts
    ledger.close()


def test_a_first_poll_reading_hours_at_once_still_shows_their_boundaries(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    records = [execution("a", T0 - 3 * BOUNDARY - 10), execution("b", T0 - 5)]
    ledger.commit("org-a", records, T0 * SECOND, 0, settled=T0 * SECOND)
    state = events(ledger)
    assert state.exposed == state.exposure_time() == T0 - 3 * BOUNDARY - 10
    assert state.workspaces["ws-1"].value_at(T0 - 2 * BOUNDARY) == (1, 0)
    ledger.close()
