"""The activity poller against the sandbox: exact counts, bounded polls that catch up."""

from __future__ import annotations

import time
from typing import Any

import requests

from exporter.ledger.activity import SECOND, ActivityPoller, ActivitySettings
from exporter.ledger.store import Ledger
from exporter.platform.client import PlatformClient, PlatformTarget, RequestPolicy


def org_truth(sandbox, org: str) -> dict[tuple[str, str], tuple[int, int]]:
    workspaces = sandbox.truth()["orgs"][org]["workspaces"]
    return {
        (org, ws): (data["executions"]["total"], data["executions"]["failed"])
        for ws, data in workspaces.items()
        if data["executions"]["total"]
    }


def make_poller(sandbox, tmp_path, org: str, settings: ActivitySettings):
    client = PlatformClient(
        PlatformTarget(sandbox.url, sandbox.token), requests.Session(), RequestPolicy(timeout=5)
    )
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    return ActivityPoller(client, ledger, [org], settings), ledger, client


def test_a_poll_reads_at_most_its_budget_and_the_next_one_continues(sandbox, tmp_path):
    # About 120 records per org and second (executions and plain API calls): one second of them,
    # the narrowest window, fits a budget of one page of 200 with room to spare.
    sandbox.set_stream(running=True, rate=250.0, failure_ratio=0.2, api_call_ratio=0.3)
    time.sleep(3.5)
    sandbox.set_stream(running=False)
    org = sandbox.org_ids()[0]
    expected = org_truth(sandbox, org)
    assert sum(total for total, _ in expected.values()) > 200  # more than one poll may read
    settings = ActivitySettings(lag=0, overlap=SECOND // 5, start=0, page_cap=1)
    poller, ledger, _ = make_poller(sandbox, tmp_path, org, settings)
    results: list[Any] = []
    while not results or not results[-1].caught_up:
        results.append(poller.poll(org))
        assert len(results) < 40
    assert len(results) >= 3
    assert all(result.read <= settings.budget for result in results)
    assert [r.end for r in results] == sorted(r.end for r in results)
    assert {key: value for key, value in ledger.view.counts.items() if value[0]} == expected
    assert sum(result.counted for result in results) == sum(t for t, _ in expected.values())
    ledger.close()


def test_new_executions_are_counted_once_across_overlapping_polls(sandbox, tmp_path):
    org = sandbox.org_ids()[1]
    settings = ActivitySettings(lag=0, overlap=30 * SECOND, start=0, page_cap=50)
    poller, ledger, _ = make_poller(sandbox, tmp_path, org, settings)
    poller.poll(org)
    workspace = next(iter(sandbox.truth()["orgs"][org]["workspaces"]))
    for _ in range(3):
        sandbox.insert_executions(workspace, 5, failed=2)
        time.sleep(0.05)
        poller.poll(org)  # every window re-reads the previous ones: nothing may count twice
    poller.poll(org)
    expected = org_truth(sandbox, org)
    assert {key: value for key, value in ledger.view.counts.items() if value[0]} == expected
    ledger.close()


def test_nothing_before_the_configured_start_is_counted(sandbox, tmp_path):
    org = sandbox.org_ids()[2]
    workspace = next(iter(sandbox.truth()["orgs"][org]["workspaces"]))
    sandbox.insert_executions(workspace, 6, failed=1)
    before = org_truth(sandbox, org)
    time.sleep(0.05)
    start = int(time.time() * SECOND)
    time.sleep(0.05)
    settings = ActivitySettings(lag=0, overlap=60 * SECOND, start=start, page_cap=50)
    poller, ledger, _ = make_poller(sandbox, tmp_path, org, settings)
    poller.poll(org)
    assert ledger.view.counts == {}
    sandbox.insert_executions(workspace, 4, failed=3)
    time.sleep(0.05)
    poller.poll(org)  # the overlap reaches back before the start: those stay uncounted
    after = org_truth(sandbox, org)
    new = {
        key: (total - before.get(key, (0, 0))[0], failed - before.get(key, (0, 0))[1])
        for key, (total, failed) in after.items()
    }
    assert dict(ledger.view.counts) == {key: value for key, value in new.items() if value[0]}
    ledger.close()
