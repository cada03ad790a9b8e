"""Under every platform fault the exporter keeps serving, reports it, keeps its data, recovers."""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.exporter.conftest import ExporterProcess, Samples, launch_exporter, select
from tests.support.sandbox import SandboxServer
from vocabulary import catalogue as cat

RETRY_AFTER = 0.5
INVENTORY_GAUGES = tuple(
    f.sample_name for f in (*cat.INVENTORY_FAMILIES, *cat.APP_FAMILIES, *cat.NAMESPACE_FAMILIES)
)
COUNTERS = (
    *(f.sample_name for f in cat.EXECUTION_FAMILIES),
    cat.COLLECTOR_FAILURES.sample_name,
    cat.PLATFORM_REQUESTS.sample_name,
)


class Watcher:
    """Scrapes the exporter and fails as soon as any counter goes down between two scrapes."""

    def __init__(self, exporter: ExporterProcess) -> None:
        self.exporter = exporter
        self.last: dict[Any, float] = {}

    def scrape(self) -> Samples:
        samples = self.exporter.scrape()
        for key, value in samples.items():
            if key[0] in COUNTERS:
                assert value >= self.last.get(key, 0.0), ("counter went down", key)
                self.last[key] = value
        return samples

    def wait_for(self, predicate, timeout: float = 30.0) -> Samples:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            samples = self.scrape()
            if predicate(samples):
                return samples
            time.sleep(0.2)
        raise AssertionError(f"condition not met; {self.exporter.process.log_hint}")

    def failures(self, samples: Samples, collector: str) -> float:
        return samples[(cat.COLLECTOR_FAILURES.sample_name, frozenset({("collector", collector)}))]

    def healthy(self, samples: Samples) -> bool:
        return all(self.exporter.up(samples, name) == 1.0 for name in cat.COLLECTORS)


def inventory_of(samples: Samples) -> dict[Any, float]:
    return {key: value for key, value in samples.items() if key[0] in INVENTORY_GAUGES}


def without_times(samples: Samples) -> dict[Any, float]:
    """The inventory gauges but each workspace's collection time."""
    return {
        key: value
        for key, value in inventory_of(samples).items()
        if key[0] != cat.WORKSPACE_COLLECTED.sample_name
    }


@pytest.fixture(scope="module")
def platform(tmp_path_factory) -> Iterator[SandboxServer]:
    server = SandboxServer(tmp_path_factory.mktemp("fault-sandbox"), seed=3, orgs=2, workspaces=5)
    try:
        server.start()
        server.set_stream(running=True, rate=5.0, failure_ratio=0.3)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def watcher(platform, tmp_path_factory) -> Iterator[Watcher]:
    exporter = launch_exporter(
        platform,
        tmp_path_factory.mktemp("fault-exporter"),
        request_timeout=0.5,
        max_retries=1,
        backoff_base=0.05,
        backoff_max=0.1,
    )
    try:
        watched = Watcher(exporter)
        watched.wait_for(watched.healthy)
        yield watched
    finally:
        exporter.process.stop()


@pytest.fixture
def baseline(platform, watcher) -> Iterator[Samples]:
    """A healthy exporter before the fault; faults cleared and recovery checked after."""
    platform.clear_faults()
    samples = watcher.wait_for(watcher.healthy)
    yield samples
    platform.clear_faults()
    watcher.wait_for(watcher.healthy)
    assert watcher.exporter.health().status_code == 200


FAULTS = {
    "latency": {"latency_ms": 800},
    "server errors": {"error_rate": 1.0},
    "timeouts": {"hang_ms": 2000},
    "malformed JSON": {"malformed_rate": 1.0},
    "errors on one list only": {"error_rate": 1.0, "paths": "/sources$"},
}


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_a_fault_drops_up_keeps_the_gauges_and_recovers(platform, watcher, baseline, fault):
    platform.set_faults(**fault)
    fault_set = time.time()
    failures = watcher.failures(baseline, "inventory")
    samples = watcher.wait_for(
        lambda s: (
            watcher.exporter.up(s, "inventory") == 0.0
            and watcher.failures(s, "inventory") > failures
        )
    )
    # The gauges still show the last good pass: the same values, collected before the fault...
    assert without_times(samples) == without_times(baseline)
    collected = select(samples, cat.WORKSPACE_COLLECTED.sample_name).values()
    assert max(collected) < fault_set + 0.5
    # ... and nothing moves while further passes fail; a pass that began before the fault may
    # have finished some workspaces, the next one fails every workspace.
    failures = watcher.failures(samples, "inventory")
    later = watcher.wait_for(lambda s: watcher.failures(s, "inventory") > failures)
    assert inventory_of(later) == inventory_of(samples)
    stale = select(later, cat.STALE_WORKSPACES.sample_name)
    assert sum(stale.values()) == len(select(baseline, cat.WORKSPACE_INFO.sample_name))
    response = watcher.exporter.health()
    assert response.status_code == 503
    assert "inventory" in response.json()["reasons"]
    if "paths" not in fault:  # the activity endpoint suffers the same fault
        watcher.wait_for(lambda s: watcher.exporter.up(s, "activity") == 0.0)
    platform.clear_faults()
    recovered = watcher.wait_for(watcher.healthy)
    assert set(select(recovered, cat.STALE_WORKSPACES.sample_name).values()) == {0.0}


def test_a_429_storm_is_waited_out_as_told(platform, watcher, baseline):
    platform.set_faults(rate_limit={"rate": 1.0, "retry_after": RETRY_AFTER})
    platform.reset_requests()
    started = time.time()
    samples = watcher.wait_for(lambda s: watcher.exporter.up(s, "inventory") == 0.0)
    time.sleep(3 * RETRY_AFTER)
    seen = platform.requests_seen()
    elapsed = time.time() - started
    platform.clear_faults()
    assert without_times(samples) == without_times(baseline)
    times = [entry["time"] for entry in seen["recent"] if entry["status"] == 429]
    assert times and seen["total"] == len(seen["recent"])
    # Only a request already on its way when the faults were set may have been answered.
    assert all(e["time"] <= times[0] for e in seen["recent"] if e["status"] != 429), seen
    # Requests already in flight when the first 429 came back arrive together; after that the
    # whole exporter sends one probe per retry_after.
    burst = [t for t in times if t - times[0] < RETRY_AFTER / 2]
    later = times[len(burst) :]
    gaps = [b - a for a, b in itertools.pairwise(later)]
    assert all(gap >= RETRY_AFTER * 0.95 for gap in gaps), gaps
    assert len(later) <= math.ceil(elapsed / RETRY_AFTER) + 1
    assert len(burst) <= 1 + 8 + 1  # at most every worker of the pool and the activity poller


def test_a_workspace_vanishing_mid_walk_leaves_the_inventory(platform, watcher, baseline):
    infos = select(baseline, cat.WORKSPACE_INFO.sample_name)
    labels = sorted(infos, key=sorted)[0]
    org, ws = dict(labels)["org_id"], dict(labels)["workspace_id"]
    before_total = select(baseline, cat.EXECUTIONS.sample_name, org_id=org, workspace_id=ws)
    platform.set_faults(vanish_workspace=ws)
    samples = watcher.wait_for(
        lambda s: not select(s, cat.WORKSPACE_INFO.sample_name, org_id=org, workspace_id=ws)
    )
    assert ws not in platform.truth()["orgs"][org]["workspaces"]
    assert select(samples, cat.WORKSPACE_RESOURCES.sample_name, workspace_id=ws) == {}
    assert select(samples, cat.APP_INFO.sample_name, workspace_id=ws) == {}
    others = {
        k: v
        for k, v in inventory_of(samples).items()
        if dict(k[1]).get("workspace_id") != ws and k[0] != cat.WORKSPACE_COLLECTED.sample_name
    }
    expected = {
        k: v
        for k, v in inventory_of(baseline).items()
        if dict(k[1]).get("workspace_id") != ws and k[0] != cat.WORKSPACE_COLLECTED.sample_name
    }
    assert others == expected
    # A gone workspace is news, not a failure; its execution counter never goes down.
    assert watcher.healthy(samples)
    after_total = select(samples, cat.EXECUTIONS.sample_name, org_id=org, workspace_id=ws)
    assert sum(after_total.values()) >= sum(before_total.values())
