"""`/_sandbox/truth/executions` agrees with a recount straight from SQLite, in UTC hours and in
local days of zones with odd offsets and clock changes."""

from __future__ import annotations

from datetime import datetime

import pytest
import requests

from tests.sandbox.conftest import HISTORY_END
from tests.sandbox.recompute_executions import execution_rows, recount, served_counts
from tests.support.sandbox import SandboxServer


def _executions(sandbox: SandboxServer, **params: str | float) -> requests.Response:
    return requests.get(f"{sandbox.url}/_sandbox/truth/executions", params=params, timeout=60)


def _hours(bucket: dict) -> float:
    start, end = (
        datetime.fromisoformat(bucket[k].replace("Z", "+00:00")) for k in ("start_utc", "end_utc")
    )
    return (end - start).total_seconds() / 3600


@pytest.mark.parametrize(
    ("resolution", "tz"),
    [("hour", "UTC"), ("day", "UTC"), ("day", "Asia/Kathmandu"), ("day", "Australia/Lord_Howe")],
)
def test_buckets_equal_a_recount_from_sqlite(
    history_sandbox: SandboxServer, resolution: str, tz: str
) -> None:
    response = _executions(history_sandbox, resolution=resolution, tz=tz, late_after=0)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["resolution"], body["tz"]) == (resolution, tz)
    rows = execution_rows(history_sandbox.db_path)
    assert len(rows) > 30_000
    assert served_counts(body, resolution) == recount(rows, resolution, tz)
    truth = history_sandbox.truth()["orgs"]
    for ws, entry in body["workspaces"].items():
        assert entry["total"] == sum(b["total"] for b in entry["buckets"])
        assert entry["failed"] == sum(b["failed"] for b in entry["buckets"])
        executions = truth[entry["org_id"]]["workspaces"][ws]["executions"]
        assert (entry["total"], entry["failed"]) == (executions["total"], executions["failed"])
        assert all(b["total"] > 0 for b in entry["buckets"])


@pytest.mark.parametrize(
    ("tz", "day", "start", "hours"),
    [
        ("Europe/Berlin", "2026-10-25", "2026-10-25T00:00:00+02:00", 25),
        ("Australia/Lord_Howe", "2026-10-04", "2026-10-04T00:00:00+10:30", 23.5),
        ("Asia/Kathmandu", "2026-10-04", "2026-10-04T00:00:00+05:45", 24),
        ("America/St_Johns", "2026-10-20", "2026-10-20T00:00:00-02:30", 24),
    ],
)
def test_local_days_last_as_long_as_the_zone_makes_them(
    history_sandbox: SandboxServer, tz: str, day: str, start: str, hours: float
) -> None:
    body = _executions(
        history_sandbox, resolution="day", tz=tz, start=day, end=f"{day}T12:00"
    ).json()
    assert (body["start"], _hours({"start_utc": body["start"], "end_utc": body["end"]})) == (
        start,
        hours,
    )
    buckets = [b for entry in body["workspaces"].values() for b in entry["buckets"]]
    assert buckets, "the day holds executions"
    assert {b["start"] for b in buckets} == {start}
    assert {_hours(b) for b in buckets} == {hours}
    rows = execution_rows(history_sandbox.db_path)
    expected = {key: value for key, value in recount(rows, "day", tz).items() if key[1] == day}
    assert served_counts(body, "day") == expected


def test_late_records_are_counted_by_their_timestamp(history_sandbox: SandboxServer) -> None:
    ws = next(iter(history_sandbox.truth()["orgs"][history_sandbox.org_ids()[1]]["workspaces"]))
    before = _executions(history_sandbox, late_after=3000).json()["workspaces"][ws]
    answer = requests.post(
        f"{history_sandbox.url}/_sandbox/executions",
        # Shaped like the seeded records, which other tests of the shared sandbox inspect.
        json={
            "workspace_id": ws,
            "count": 5,
            "failed": 2,
            "late_seconds": 3600,
            "token_usage": {"prompt": 120, "completion": 40},
            "error_codes": ["TOOL_ERROR"],
        },
        timeout=30,
    ).json()
    after = _executions(history_sandbox, late_after=3000).json()["workspaces"][ws]
    assert after["total"] - before["total"] == 5
    assert after["late"] - before["late"] == 5
    assert (
        _executions(history_sandbox, late_after=4000).json()["workspaces"][ws]["late"]
        == (before["late"])
    )
    rows = execution_rows(history_sandbox.db_path)
    hour = recount(rows, "hour", "UTC", late_after=3000)
    served = served_counts(_executions(history_sandbox, late_after=3000).json(), "hour")
    assert served == hour
    assert len(answer["ids"]) == 5


@pytest.mark.parametrize(
    "params",
    [
        {"tz": "Mars/Olympus"},
        {"tz": "../etc"},
        {"resolution": "week"},
        {"late_after": "-1"},
        {"start": "not a time"},
        {"start": "2020-01-01", "end": HISTORY_END},
        {"bucket": "hour"},
    ],
)
def test_bad_queries_are_422(history_sandbox: SandboxServer, params: dict) -> None:
    response = _executions(history_sandbox, **params)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][0] == "query"
