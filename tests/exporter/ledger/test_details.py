"""Detail counts in the ledger: by effective time, capped durably, folded, upgraded, kill-proof."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from exporter.ledger import event_time
from exporter.ledger.details import SeriesCounts
from exporter.ledger.event_time import BOUNDARY, SECOND
from exporter.ledger.file import SCHEMA_VERSION
from exporter.ledger.store import Ledger, _read_only_view
from exporter.platform.api import ExecutionRecord
from exporter.platform.details import ExecutionDetails
from vocabulary.details import DURATION_BUCKETS, LABEL_CAPS, OVERFLOW

T0 = 1_764_000_000  # a 15-minute boundary (s)


def execution(name: str, seconds: float, ws: str = "ws-1", **details: object) -> ExecutionRecord:
    failed = bool(details.pop("failed", False))
    return ExecutionRecord(name, round(seconds * SECOND), ws, failed, ExecutionDetails(**details))  # type: ignore[arg-type]


def values(ledger: Ledger, at: int, org: str = "org-a", ws: str = "ws-1") -> dict:
    series = ledger.view.details.get(org, {}).get(ws, {})
    found = {key: counts.value_at(at) for key, counts in series.items()}
    return {key: value for key, value in found.items() if value is not None}


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
    assert values(ledger, T0 + 1) == {}
    assert values(ledger, T0 + 2) == {
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
    assert values(ledger, T0 + 600) == done  # the late execution leaves this time as it was
    assert values(ledger, T0 + 601) == done | {
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
    counted = values(ledger, T0 + 60)
    assert {k: v for k, v in counted.items() if k[0] == "code"} == {
        ("code", "A"): 2, ("code", "B"): 1, ("code", OVERFLOW): 2,
    }  # fmt: skip
    assert counted[("tokens", "x")] == 5 and counted[("tokens", OVERFLOW)] == 10
    assert counted[("overflow", "error_code")] == 2 and counted[("overflow", "kind")] == 5
    assert values(ledger, T0 + 60, ws="ws-2") == {("code", "C"): 1}
    ledger.close()
    # A lower cap after a restart never moves an admitted value; a higher one admits new ones.
    lower = Ledger(path, LABEL_CAPS | {"error_code": 1})
    lower.commit(
        "org-a", [execution("s1", T0 + 61, failed=True, error_code="B")], (T0 + 62) * SECOND, 0
    )
    assert values(lower, T0 + 62)[("code", "B")] == 2
    lower.close()
    higher = Ledger(path, LABEL_CAPS | {"error_code": 3})
    more = [execution("s2", T0 + 63, failed=True, error_code=c) for c in ("D", "E")]
    higher.commit("org-a", more[:1], (T0 + 64) * SECOND, 0)
    higher.commit(
        "org-a", [execution("s3", T0 + 64, failed=True, error_code="C")], (T0 + 65) * SECOND, 0
    )
    counted = values(higher, T0 + 65)
    assert counted[("code", "D")] == 1 and counted[("code", OVERFLOW)] == 3
    higher.close()


def test_folding_keeps_every_value_at_every_boundary(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    rng = random.Random(5)
    records = [
        execution(f"r{n}", T0 + rng.randrange(4 * BOUNDARY), app_id=f"app-{n % 3}",
                  duration_ms=rng.randrange(10**7), tokens=(("prompt", n),))
        for n in range(300)
    ]  # fmt: skip
    end = (T0 + 4 * BOUNDARY) * SECOND
    ledger.commit("org-a", records, end, 0)
    boundaries = [T0 + k * BOUNDARY for k in range(5)]
    before = [values(ledger, t) for t in boundaries]
    ledger.mark_exposed("org-a", T0 + 4 * BOUNDARY)  # folds what is before T0 + 3 boundaries
    assert [values(ledger, t) for t in boundaries[3:]] == before[3:]
    with sqlite3.connect(tmp_path / "ledger.sqlite3") as connection:
        (base,) = connection.execute("SELECT count(*) FROM detail_base").fetchone()
        (oldest,) = connection.execute("SELECT min(slot) FROM detail_slots").fetchone()
    assert base > 0 and oldest >= T0 + 3 * BOUNDARY
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
    assert values(ledger, T0 + 1) == {("duration", "0"): 1, ("duration_sum",): 3}
    ledger.close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert _read_only_view(path).details == Ledger(path).view.details  # committed, read only


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from exporter.ledger.store import Ledger
    from exporter.platform.api import ExecutionRecord
    from exporter.platform.details import ExecutionDetails

    caps = {"app_id": 2, "augmentation_id": 2, "error_code": 2, "kind": 2}
    ledger = Ledger(Path(sys.argv[1]), caps)
    mark = ledger.view.high_water.get("org-a", 0)
    batch = max(1, mark - 3)  # replay a few batches, as the overlap window does
    while True:
        items = [
            ExecutionRecord(f"r{batch}-{n}", batch * 10**6, f"ws-{n % 3}", n % 4 == 0,
                            ExecutionDetails(app_id=f"app-{batch % 5}", error_code=f"E{n}",
                                             duration_ms=n * 100, tokens=(("prompt", 2),)))
            for n in range(10)
        ]
        ledger.commit("org-a", items, high_water=batch, prune_before=batch - 5)
        if batch == max(1, mark - 3):
            print("committed", flush=True)  # killed only once it is committing
        batch += 1
    """
)


def test_kill_9_neither_loses_nor_double_counts_a_detail(tmp_path: Path):
    path = tmp_path / "ledger.sqlite3"
    rng = random.Random(17)
    for _ in range(4):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None and child.stdout.readline() == "committed\n"
        time.sleep(rng.uniform(0.1, 0.4))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        ledger = Ledger(path)
        view, batches = ledger.view, ledger.view.high_water["org-a"]
        ledger.close()
        sums: dict[str, int] = {}
        for series in view.details["org-a"].values():
            for key, counts in series.items():
                sums[key[0]] = sums.get(key[0], 0) + (counts.value_at(2**40) or 0)
        assert sum(total for total, _ in view.counts.values()) == 10 * batches
        assert sums["duration"] == sums["app"] == 10 * batches
        assert sums["duration_sum"] == 4500 * batches and sums["tokens"] == 20 * batches
        assert sums["code"] == sums["app_failed"] == 3 * batches
        assert isinstance(next(iter(view.details["org-a"]["ws-0"].values())), SeriesCounts)
