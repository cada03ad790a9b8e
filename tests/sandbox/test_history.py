"""The seeded history: its shape, its determinism, and paging over its windows."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from sandbox.boundaries import BURST_ZONES, hour_boundaries, local_midnights
from sandbox.events import WorkspaceTarget
from sandbox.history import HistoryDraw, HistoryPlan
from sandbox.timefmt import to_micros
from tests.sandbox.conftest import HISTORY_DAYS, HISTORY_END
from tests.sandbox.platform_walk import org_path, pages, walk
from tests.support.sandbox import SandboxServer

END = datetime.fromisoformat(HISTORY_END.replace("Z", "+00:00"))
START = END - timedelta(days=HISTORY_DAYS)


def _rows(sandbox: SandboxServer, sql: str = "") -> list[sqlite3.Row]:
    connection = sqlite3.connect(f"file:{sandbox.db_path}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        return connection.execute(
            "SELECT * FROM activity WHERE ts_us < ? " + sql, (to_micros(END),)
        ).fetchall()
    finally:
        connection.close()


def _near(stamps: list[int], instants: list[int]) -> list[int]:
    """How many of `stamps` lie within 5 s of each instant."""
    return [sum(1 for ts in stamps if abs(ts - at) <= 5_000_000) for at in instants]


def test_shape_daily_weekly_and_bursts(history_sandbox: SandboxServer) -> None:
    rows = _rows(history_sandbox, "ORDER BY seq")
    executions = [r for r in rows if r["execution_id"] is not None]
    assert 0.2 <= 1 - len(executions) / len(rows) <= 0.4, "plain API calls mixed in"
    assert 0.05 <= sum(1 - r["success"] for r in executions) / len(executions) <= 0.15
    assert min(r["ts_us"] for r in rows) >= to_micros(START)
    assert all(r["written_us"] == r["ts_us"] for r in rows), "history was written on time"
    per_day = Counter(datetime.fromtimestamp(r["ts_us"] / 1e6, UTC).date() for r in executions)
    days = [START.date() + timedelta(days=n) for n in range(HISTORY_DAYS + 1)]
    assert all(per_day[day] > 0 for day in days), "every day has executions"
    weekdays = [per_day[d] for d in days[1:-1] if d.weekday() < 5]
    weekends = [per_day[d] for d in days[1:-1] if d.weekday() >= 5]
    assert sum(weekdays) / len(weekdays) > 1.5 * sum(weekends) / len(weekends)
    per_hour = Counter(datetime.fromtimestamp(r["ts_us"] / 1e6, UTC).hour for r in executions)
    assert max(per_hour.values()) > 2 * min(per_hour.values()), "a daily rhythm"
    stamps = sorted(r["ts_us"] for r in executions)
    inner = (to_micros(START) + 10_000_000, to_micros(END) - 10_000_000)
    assert min(_near(stamps, hour_boundaries(*inner))) >= 2, "a burst at every UTC hour"
    for zone in BURST_ZONES:
        midnights = local_midnights(zone, *inner)
        assert len(midnights) >= HISTORY_DAYS - 1
        assert min(_near(stamps, midnights)) >= 3, zone


def test_ids_grow_with_timestamps(history_sandbox: SandboxServer) -> None:
    rows = _rows(history_sandbox, "ORDER BY seq")
    assert [r["ts_us"] for r in rows] == sorted(r["ts_us"] for r in rows)
    assert [r["id"] for r in rows] == sorted({r["id"] for r in rows})


def test_same_seed_same_history(history_sandbox: SandboxServer, start_sandbox) -> None:
    twin = start_sandbox(
        "twin",
        orgs=2,
        workspaces=6,
        history_days=HISTORY_DAYS,
        extra_args=("--history-rate=60", f"--history-end={HISTORY_END}"),
    )
    ours = [tuple(r) for r in _rows(history_sandbox, "AND written_us = ts_us ORDER BY seq")]
    theirs = [tuple(r) for r in _rows(twin, "ORDER BY seq")]
    assert theirs == ours and len(ours) > 30_000


def test_histories_of_one_seed_agree_on_shared_hours() -> None:
    targets = [WorkspaceTarget("org-a", f"ws-{n}", ("app-1", "app-2")) for n in range(7)]
    end = to_micros(END)
    plans = [HistoryPlan(7, 2, 50.0, 0.1, 0.3, end - shift) for shift in (0, 5_400_000_000)]
    drawn = [[r for hour in HistoryDraw(plan, targets).hours() for r in hour] for plan in plans]
    shared = (plans[0].start_us, plans[1].end_us)
    inside = [[r for r in records if shared[0] <= r[0] < shared[1]] for records in drawn]
    assert inside[0] == inside[1] and len(inside[0]) > 1000
    other = HistoryPlan(8, 2, 50.0, 0.1, 0.3, end)
    assert [r for hour in HistoryDraw(other, targets).hours() for r in hour] != drawn[0]


def test_paging_a_window_is_complete_and_unique(history_sandbox: SandboxServer) -> None:
    org = history_sandbox.org_ids()[0]
    start, end = START + timedelta(days=3), START + timedelta(days=5)
    window: dict[str, Any] = {"start_time": start.isoformat(), "end_time": end.isoformat()}
    walked = walk(history_sandbox, org_path(org, "activity"), "activities", **window)
    expected = _rows(
        history_sandbox,
        f"AND org_id = '{org}' AND ts_us >= {to_micros(start)} AND ts_us < {to_micros(end)}",
    )
    assert [r["id"] for r in walked] == [
        r["id"] for r in sorted(expected, key=lambda r: (r["ts_us"], r["seq"]))
    ]
    assert len({r["id"] for r in walked}) == len(walked) > 500


def test_a_record_written_behind_the_cursor_is_missed_never_repeated(
    history_sandbox: SandboxServer,
) -> None:
    org = history_sandbox.org_ids()[0]
    ws = next(iter(history_sandbox.truth()["orgs"][org]["workspaces"]))
    path = org_path(org, "activity")
    window: dict[str, Any] = {
        "start_time": (START + timedelta(days=10)).isoformat(),
        "end_time": (START + timedelta(days=11)).isoformat(),
    }
    first = history_sandbox.get(path, limit=100, **window).json()
    cursor_time = datetime.fromisoformat(
        first["activities"][-1]["timestamp"].rstrip("Z") + "+00:00"
    )
    now = datetime.now(UTC)
    behind, ahead = cursor_time - timedelta(minutes=30), cursor_time + timedelta(minutes=30)
    inserted = {}
    for name, moment in (("behind", behind), ("ahead", ahead)):
        answer = requests.post(
            f"{history_sandbox.url}/_sandbox/executions",
            json={"workspace_id": ws, "count": 2, "late_seconds": (now - moment).total_seconds()},
            timeout=30,
        ).json()
        inserted[name] = set(answer["ids"])
    rest = pages(
        history_sandbox,
        path,
        100,
        cursor=first["next_cursor"],
        start_time=window["start_time"],
        end_time=window["end_time"],
    )
    walked = first["activities"] + [item for body in rest for item in body["activities"]]
    ids = [item["id"] for item in walked]
    assert len(ids) == len(set(ids)), "no record served twice"
    assert inserted["ahead"] <= set(ids) and not inserted["behind"] & set(ids)
    reread = walk(history_sandbox, path, "activities", limit=100, static=False, **window)
    assert {r["id"] for r in reread} == set(ids) | inserted["behind"], "a re-read finds it"
    keys = [(r["timestamp"].rstrip("Z"), r["id"]) for r in reread]
    assert keys == sorted(keys)
