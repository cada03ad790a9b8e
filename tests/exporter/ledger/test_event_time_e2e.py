"""A real exporter on the sandbox: executions by execution time, records written late."""

from __future__ import annotations

import time
from collections.abc import Callable

import requests

from tests.exporter.conftest import ExporterProcess, Samples, launch_exporter, parse_samples
from vocabulary import catalogue as cat

LATENESS = 3.0


def exposition(exporter: ExporterProcess) -> str:
    return requests.get(f"{exporter.url}/metrics", timeout=10).text


def by_time(text: str, org: str, workspace: str) -> tuple[float, float, float]:
    """(total, failed, sample time in s) of the workspace's counters on the platform's clock."""
    values: dict[str, tuple[float, float]] = {}
    for line in text.splitlines():
        for family in (cat.EXECUTIONS_BY_TIME, cat.EXECUTIONS_FAILED_BY_TIME):
            if line.startswith(family.sample_name + "{") and f'workspace_id="{workspace}"' in line:
                assert f'org_id="{org}"' in line
                _, value, stamp = line.rsplit(" ", 2)
                values[family.name] = (float(value), int(stamp) / 1000)
    (total, at), (failed, failed_at) = (
        values[cat.EXECUTIONS_BY_TIME.name],
        values[cat.EXECUTIONS_FAILED_BY_TIME.name],
    )
    assert at == failed_at
    return total, failed, at


def shown_after(
    exporter: ExporterProcess, org: str, ws: str, moment: float
) -> Callable[[Samples], bool]:
    """Whether the exporter shows the workspace's counts at a time after `moment`."""

    def check(_: Samples) -> bool:
        try:
            return by_time(exposition(exporter), org, ws)[2] > moment
        except KeyError:  # not settled yet for the first time
            return False

    return check


def test_executions_count_at_their_own_time_and_late_ones_once(sandbox, tmp_path):
    org = sandbox.org_ids()[0]
    workspace = next(iter(sandbox.truth()["orgs"][org]["workspaces"]))
    exporter = launch_exporter(
        sandbox,
        tmp_path,
        activity_interval=0.5,
        activity_lateness=LATENESS,
        activity_overlap=30,
        activity_late_horizon=120,
        activity_sweep_interval=1,
        exposure_hold=1,
    )
    try:
        check_late_records(sandbox, exporter, org, workspace)
    finally:
        exporter.process.stop()


def truth_of(sandbox, org: str, workspace: str) -> tuple[int, int]:
    counts = sandbox.truth()["orgs"][org]["workspaces"][workspace]["executions"]
    return counts["total"], counts["failed"]


def check_late_records(sandbox, exporter: ExporterProcess, org: str, workspace: str) -> None:
    """The sandbox is shared: other tests' executions are there too, so compare with its truth."""
    start = time.time()
    before = truth_of(sandbox, org, workspace)
    sandbox.insert_executions(workspace, 5, failed=2)
    # Written 1 s after its time, inside the lateness: it counts at its own time.
    late = {"workspace_id": workspace, "count": 1, "late_seconds": 1}
    sandbox._control("POST", "executions", late)
    exporter.wait_for(shown_after(exporter, org, workspace, time.time()), timeout=30)
    total, failed, at = by_time(exposition(exporter), org, workspace)
    assert (total, failed, at > start) == (before[0] + 6, before[1] + 2, True)
    late_key = (cat.LATE_EXECUTIONS.sample_name, frozenset({("org_id", org)}))
    assert exporter.scrape()[late_key] == 0  # the record 1 s late landed at its own time

    # Written 20 s after its time, far beyond the lateness: counted once, at the settled point.
    sandbox._control("POST", "executions", {**late, "late_seconds": 20})
    samples = exporter.wait_for(lambda s: s.get(late_key) == 1, timeout=30)
    live_key = frozenset({("org_id", org), ("workspace_id", workspace)})
    assert samples[(cat.EXECUTIONS.sample_name, live_key)] == before[0] + 7
    exporter.wait_for(shown_after(exporter, org, workspace, time.time()), timeout=30)
    assert (
        by_time(exposition(exporter), org, workspace)[0]
        == before[0] + 7
        == truth_of(sandbox, org, workspace)[0]
    )
    assert parse_samples(exposition(exporter))  # explicit timestamps parse
