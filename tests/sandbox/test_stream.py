"""The activity stream: steady rate, failure ratios (global and per workspace), API calls mixed in,
pause and resume at run time."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from itertools import pairwise

import requests

from tests.sandbox.platform_walk import org_path, walk
from tests.support.sandbox import SandboxServer


def _records(sandbox: SandboxServer) -> list[dict]:
    return [
        record
        for org in sandbox.org_ids()
        for record in walk(sandbox, org_path(org, "activity"), "activities", static=False)
    ]


def _seconds(record: dict) -> float:
    return datetime.fromisoformat(record["timestamp"].rstrip("Z") + "+00:00").timestamp()


def _total_executions(sandbox: SandboxServer) -> int:
    return sum(
        w["executions"]["total"]
        for org in sandbox.truth()["orgs"].values()
        for w in org["workspaces"].values()
    )


def test_rate_ratios_and_spread(start_sandbox) -> None:
    sandbox: SandboxServer = start_sandbox(rate=100.0, failure_ratio=0.25, stream=False)
    workspaces = list(sandbox.truth()["orgs"][sandbox.org_ids()[0]]["workspaces"])
    assert _total_executions(sandbox) == 0, "paused from the start"
    started = time.monotonic()
    sandbox.set_stream(
        running=True, workspace_failure_ratios={workspaces[0]: 1.0, workspaces[1]: 0.0}
    )
    time.sleep(3.0)
    rate = _total_executions(sandbox) / (time.monotonic() - started)
    assert 70 <= rate <= 130, rate
    sandbox.set_stream(running=False)

    records = _records(sandbox)
    executions = [r for r in records if r["execution_id"] is not None]
    api_share = 1 - len(executions) / len(records)
    assert 0.2 <= api_share <= 0.4, api_share
    usual = [r for r in executions if r["workspace_id"] not in workspaces[:2]]
    failed_share = sum(not r["success"] for r in usual) / len(usual)
    assert 0.15 <= failed_share <= 0.35, failed_share
    assert all(not r["success"] for r in executions if r["workspace_id"] == workspaces[0])
    assert all(r["success"] for r in executions if r["workspace_id"] == workspaces[1])
    assert len({r["workspace_id"] for r in executions}) == 24, "spread over all workspaces"
    stamps = sorted(_seconds(r) for r in executions)
    gaps = [b - a for a, b in pairwise(stamps)]
    assert max(gaps) < 1.0, "no long silences"
    largest_batch = max(Counter(stamps).values())
    assert largest_batch <= len(stamps) / 4, "steady, not in bursts"
    assert len(set(stamps)) > len(stamps) / 2, "records spread over time"


def test_pause_and_resume(start_sandbox) -> None:
    sandbox: SandboxServer = start_sandbox(orgs=1, workspaces=2, rate=50.0, stream=True)
    assert sandbox.stream()["running"] is True
    sandbox.set_stream(workspace_failure_ratios={"ws-a": 0.5, "ws-b": 1.0})
    merged = sandbox.set_stream(workspace_failure_ratios={"ws-a": None, "ws-c": 0.0})
    assert merged["workspace_failure_ratios"] == {"ws-b": 1.0, "ws-c": 0.0}
    assert (
        sandbox.set_stream(workspace_failure_ratios={})["workspace_failure_ratios"]
        == merged["workspace_failure_ratios"]
    )
    time.sleep(0.5)
    for bad in ({"rate": -1}, {"failure_ratio": 2}, {"api_call_ratio": 1}, {"speed": 1}):
        response = requests.put(f"{sandbox.url}/_sandbox/stream", json=bad, timeout=10)
        assert response.status_code == 422, bad
    paused = sandbox.set_stream(running=False)
    assert paused["running"] is False and paused["rate"] == 50.0
    count = _total_executions(sandbox)
    assert count > 0
    time.sleep(0.6)
    assert _total_executions(sandbox) == count
    sandbox.set_stream(running=True, rate=200.0)
    time.sleep(0.6)
    assert _total_executions(sandbox) >= count + 60
