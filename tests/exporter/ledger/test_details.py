"""Detail counts in the ledger: by effective time, capped durably, folded, upgraded, kill-proof."""

from __future__ import annotations

import random
import sqlite3
import textwrap
from collections import Counter
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.ledger import event_time
from exporter.ledger.event_time import SECOND
from exporter.ledger.file import SCHEMA_VERSION
from exporter.ledger.store import Ledger, _read_only_view
from exporter.platform.api import ExecutionRecord
from exporter.platform.details import ExecutionDetails
from tests.exporter.ledger.killing import kill_while_committing
from vocabulary.details import DURATION_BUCKETS, LABEL_CAPS, OVERFLOW

T0 = 1_764_000_000  # a 15-minute boundary (s)


def execution(name: str, seconds: float, ws: str = "ws-1", **details: object) -> ExecutionRecord:
    failed = bool(details.pop("failed", False))
    return ExecutionRecord(name, round(seconds * SECOND), ws, failed, ExecutionDetails(**details))  # type: ignore[arg-type]


def shown(ledger: Ledger, at: int, org: str = "org-a", ws: str = "ws-1") -> dict:
    """The workspace's details once the org is shown at `at` (s)."""
    ledger.mark_exposed(org, at)
    assert ledger.view.events[org].exposure_time() == at
    return dict(ledger.view.details.get(org, {}).get(ws, {}))


def test_details_count_by_effective_time_and_a_late_one_at_the_settled_point(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    settled = (T0 + 600) * SECOND
    first = [
        execution("a", T0 + 1, app_id="app-1", duration_ms=25, tokens=(("prompt", 10),)),
        execution("b", T0 + 2, app_id="app-1", augmentation_id="aug-1", failed=True,
                  error_code="RATE_LIMITED", duration_ms=26),
        execution("c", T0 + 3, failed=True, status_code=500, duration_ms=1_800_001),
        execution("d", T0 + 4, failed=True),
    ]  # fmt: skip
    ledger.commit("org-a", first, settled, 0, settled=settled)
    assert shown(ledger, T0 + 1) == {}  # the org's first second: nothing before it
    assert shown(ledger, T0 + 2) == {
        ("duration", "0"): 1, ("duration_sum",): 25, ("tokens", "prompt"): 10, ("app", "app-1"): 1,
    }  # fmt: skip
    late = [execution("e", T0 + 5, duration_ms=1000, tokens=(("prompt", 5),))]
    ledger.commit("org-a", late, (T0 + 700) * SECOND, 0, settled=settled)
    done = {
        ("duration", "0"): 1,
        ("duration", "1"): 1,
        ("duration", str(len(DURATION_BUCKETS))): 1,
        ("duration_sum",): 25 + 26 + 1_800_001,
        ("tokens", "prompt"): 10,
        ("app", "app-1"): 2,
        ("app_failed", "app-1"): 1,
        ("pipeline", "app-1", "aug-1"): 1,
        ("pipeline_failed", "app-1", "aug-1"): 1,
        ("code", "RATE_LIMITED"): 1,
        ("code", "status_500"): 1,
        ("code", "status_unknown"): 1,
    }
    assert shown(ledger, T0 + 600) == done  # the late execution leaves this time as it was
    ledger.commit("org-a", [], (T0 + 800) * SECOND, 0)
    assert shown(ledger, T0 + 601) == done | {
        ("duration", "5"): 1, ("duration_sum",): done[("duration_sum",)] + 1000,
        ("tokens", "prompt"): 15,
    }  # fmt: skip
    ledger.close()


def test_caps_admit_the_first_values_per_workspace_for_good(tmp_path: Path):
    path = tmp_path / "ledger.sqlite3"
    ledger = Ledger(path, LABEL_CAPS | {"error_code": 2, "kind": 1})
    codes = ["A", "B", "C", "A", "D"]
    first = [
        execution(f"r{n}", T0 + n, failed=True, error_code=code, tokens=(("x", 1), ("y", 2)))
        for n, code in enumerate(codes)
    ]
    first.append(execution("other-ws", T0, ws="ws-2", failed=True, error_code="C"))
    ledger.commit("org-a", first, (T0 + 60) * SECOND, 0)
    counted = shown(ledger, T0 + 60)
    assert {k: v for k, v in counted.items() if k[0] == "code"} == {
        ("code", "A"): 2, ("code", "B"): 1, ("code", OVERFLOW): 2,
    }  # fmt: skip
    assert counted[("tokens", "x")] == 5 and counted[("tokens", OVERFLOW)] == 10
    assert counted[("overflow", "error_code")] == 2 and counted[("overflow", "kind")] == 5
    assert ledger.view.details["org-a"]["ws-2"] == {("code", "C"): 1}
    ledger.close()
    # A lower cap after a restart never moves an admitted value; a higher one admits new ones.
    lower = Ledger(path, LABEL_CAPS | {"error_code": 1})
    retry = [execution("s1", T0 + 61, failed=True, error_code="B")]
    lower.commit("org-a", retry, (T0 + 62) * SECOND, 0)
    assert shown(lower, T0 + 62)[("code", "B")] == 2
    lower.close()
    higher = Ledger(path, LABEL_CAPS | {"error_code": 3})
    higher.commit(
        "org-a", [execution("s2", T0 + 63, failed=True, error_code="D")], (T0 + 64) * SECOND, 0
    )
    higher.commit(
        "org-a", [execution("s3", T0 + 64, failed=True, error_code="C")], (T0 + 65) * SECOND, 0
    )
    counted = shown(higher, T0 + 65)
    assert counted[("code", "D")] == 1 and counted[("code", OVERFLOW)] == 3
    higher.close()


def truth(records: list[ExecutionRecord], before: int) -> Counter[tuple[str, ...]]:
    """Durations, tokens and apps of the records before `before` (s), counted from scratch."""
    found: Counter[tuple[str, ...]] = Counter()
    for record in records:
        if record.micros // SECOND < before:
            found[("app", str(record.details.app_id))] += 1
            found[("duration_sum",)] += record.details.duration_ms or 0
            for kind, count in record.details.tokens:
                found[("tokens", kind)] += count
    return found


@settings(max_examples=8, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3_600), st.integers(0, 10**7)), min_size=1, max_size=40),
    st.lists(st.integers(1, 4_000), min_size=1, max_size=4),
)
def test_every_exposure_time_shows_exactly_what_came_before_it(tmp_path_factory, items, steps):
    path = tmp_path_factory.mktemp("details") / "ledger.sqlite3"
    ledger = Ledger(path)
    records = [
        execution(f"r{n}", T0 + at, app_id=f"app-{n % 3}", duration_ms=ms, tokens=(("p", n),))
        for n, (at, ms) in enumerate(items)
    ]
    ledger.commit("org-a", records, (T0 + 4_000) * SECOND, 0)
    at = ledger.view.events["org-a"].exposure_time()
    for step in steps:
        at = min(T0 + 4_000, at + step)
        values = shown(ledger, at)
        assert {k: v for k, v in values.items() if k[0] != "duration"} == truth(records, at)
        assert sum(v for k, v in values.items() if k[0] == "duration") == sum(
            record.micros // SECOND < at for record in records
        )
        with sqlite3.connect(path) as connection:  # nothing shown is left in the slots
            (oldest,) = connection.execute("SELECT min(slot) FROM detail_slots").fetchone()
        assert oldest is None or oldest >= at
    ledger.close()


def test_a_version_2_ledger_keeps_its_counts_and_gains_the_details(tmp_path: Path):
    path = tmp_path / "ledger.sqlite3"
    with sqlite3.connect(path) as connection:  # the schema as version 2 wrote it
        connection.executescript(
            event_time.SCHEMA
            + "CREATE TABLE executions (org_id TEXT NOT NULL, workspace_id TEXT NOT NULL, "
            "total INTEGER NOT NULL, failed INTEGER NOT NULL, PRIMARY KEY (org_id, workspace_id));"
            "CREATE TABLE high_water (org_id TEXT PRIMARY KEY, micros INTEGER NOT NULL);"
            "CREATE TABLE seen (org_id TEXT NOT NULL, record_id TEXT NOT NULL, "
            "micros INTEGER NOT NULL, PRIMARY KEY (org_id, record_id));"
            "INSERT INTO executions VALUES ('org-a', 'ws-1', 7, 2);"
            f"INSERT INTO high_water VALUES ('org-a', {T0 * SECOND});"
            "INSERT INTO event_base VALUES ('org-a', 'ws-1', 7, 2);"
            f"INSERT INTO event_marks VALUES ('org-a', {T0 * SECOND}, {T0}, 0, 0);"
            "PRAGMA user_version = 2;"
        )
    held = _read_only_view(path)  # read without writing, as on a read-only filesystem
    assert held.counts[("org-a", "ws-1")] == (7, 2) and not held.details
    ledger = Ledger(path)
    assert ledger.view.counts[("org-a", "ws-1")] == (7, 2)
    assert ledger.view.events["org-a"].workspaces["ws-1"].value_at(T0) == (7, 2)
    ledger.commit("org-a", [execution("a", T0, duration_ms=3)], (T0 + 60) * SECOND, 0)
    assert ledger.view.counts[("org-a", "ws-1")] == (8, 2)
    assert shown(ledger, T0 + 1) == {("duration", "0"): 1, ("duration_sum",): 3}
    ledger.close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert _read_only_view(path).details == {"org-a": {"ws-1": shown(Ledger(path), T0 + 1)}}


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from exporter.ledger.store import Ledger
    from exporter.platform.api import ExecutionRecord
    from exporter.platform.details import ExecutionDetails

    caps = {"app_id": 2, "augmentation_id": 2, "error_code": 2, "kind": 2}
    ledger = Ledger(Path(sys.argv[1]), caps)
    mark = ledger.view.high_water.get("org-a", 2 * 10**6) // 10**6
    batch = max(1, mark - 4)  # replay a few batches, as the overlap window does
    while True:
        items = [
            ExecutionRecord(f"r{batch}-{n}", batch * 10**6, f"ws-{n % 3}", n % 4 == 0,
                            ExecutionDetails(app_id=f"app-{batch % 5}", error_code=f"E{n}",
                                             duration_ms=n * 100, tokens=(("prompt", 2),)))
            for n in range(10)
        ]
        ledger.commit("org-a", items, (batch + 1) * 10**6, (batch - 5) * 10**6)
        ledger.mark_exposed("org-a", batch + 1)
        if batch == max(1, mark - 4):
            print("committed", flush=True)  # killed only once it is committing
        batch += 1
    """
)


def test_kill_9_neither_loses_nor_double_counts_a_detail(tmp_path: Path):
    path = tmp_path / "ledger.sqlite3"
    rng = random.Random(17)
    exposures = []
    for _ in range(4):
        view = kill_while_committing(CHILD, path, rng, 0.4)
        batches = view.high_water["org-a"] // SECOND - 1  # batches 1..n, each exactly once
        assert sum(total for total, _ in view.counts.values()) == 10 * batches
        at = view.events["org-a"].exposure_time()
        exposures.append(at)
        before = at - 1  # batches 1..at-1 are shown
        sums: Counter[str] = Counter()
        for series in view.details["org-a"].values():
            for key, value in series.items():
                sums[key[0]] += value
        assert sums["duration"] == sums["app"] == 10 * before
        assert sums["duration_sum"] == 4500 * before and sums["tokens"] == 20 * before
        assert sums["code"] == sums["app_failed"] == 3 * before
    assert exposures == sorted(exposures) and exposures[-1] > exposures[0]
