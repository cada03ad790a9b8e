"""Freshness per org: two exporter shards over the sandbox, scraped by a real Prometheus; when
one stops, the orgs it owns answer 503 (stale) at once, never 404 for their vanished series,
while the other shard's orgs still answer 200."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from exporter.shards import Shard
from facade import FacadeConfig, create_app
from facade.credentials import JwtSettings
from tests.exporter.conftest import ExporterProcess, launch_exporter
from tests.facade.conftest import JWT_SECRET
from tests.support.facade_http import ApiClient
from tests.support.prometheus import PrometheusServer, scrape_config
from tests.support.sandbox import SandboxServer
from vocabulary import catalogue as cat

SHARDS = (Shard(1, 2), Shard(2, 2))


class ShardedStack:
    """A sandbox of four orgs, one exporter per shard, one Prometheus scraping both."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        # Seed 9 gives each of the two shards two of the four orgs.
        self.sandbox = SandboxServer(workdir / "sandbox", seed=9, orgs=4, workspaces=1)
        self.exporters: dict[Shard, ExporterProcess] = {}
        self.prometheus: PrometheusServer | None = None
        self.owned: dict[Shard, tuple[str, ...]] = {}
        self.workspaces: dict[str, str] = {}  # each org's first workspace

    def start(self) -> None:
        """Start every process; return once both shards have collected every org."""
        self.sandbox.start()
        orgs = self.sandbox.org_ids()
        self.owned = {shard: shard.select(orgs) for shard in SHARDS}
        truth = self.sandbox.truth()["orgs"]
        self.workspaces = {org: next(iter(body["workspaces"])) for org, body in truth.items()}
        for shard in SHARDS:
            ledger = self.workdir / f"ledger-{shard.index}.sqlite3"
            self.exporters[shard] = launch_exporter(
                self.sandbox, self.workdir, ledger=ledger, shard=shard
            )
        self.prometheus = PrometheusServer(
            self.workdir / "prometheus",
            scrape_configs=[scrape_config("exporter", list(self.targets().values()))],
        ).start()
        # Every org listed by its owner, both collectors of both shards succeeded.
        owned = f"count({cat.STALE_WORKSPACES.sample_name})"
        collected = f"count({cat.COLLECTOR_LAST_SUCCESS.sample_name} > 0)"
        self.prometheus.wait_for(f"{owned} == {len(orgs)}", bool)
        self.prometheus.wait_for(f"{collected} == {2 * len(cat.COLLECTORS)}", bool)

    def targets(self) -> dict[Shard, str]:
        """Each shard's scrape target, `host:port`."""
        return {shard: e.url.removeprefix("http://") for shard, e in self.exporters.items()}

    def stop(self) -> None:
        """Stop every process that was started."""
        if self.prometheus is not None:
            self.prometheus.stop()
        for exporter in self.exporters.values():
            exporter.process.stop()
        self.sandbox.stop()


@pytest.fixture(scope="module")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShardedStack]:
    stack = ShardedStack(tmp_path_factory.mktemp("shards"))
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def summary_status(api: ApiClient, token: Callable[..., str], stack: ShardedStack) -> dict:
    """Each org's summary status code (the first workspace of each org)."""
    return {
        org: api.get(f"/v1/orgs/{org}/workspaces/{workspace}/analytics", token(org)).status_code
        for org, workspace in stack.workspaces.items()
    }


def test_a_stopped_shard_makes_only_its_own_orgs_stale(
    sharded: ShardedStack, client_of: Callable[[Flask], ApiClient], token: Callable[..., str]
) -> None:
    stopped, running = SHARDS
    assert sharded.owned[stopped] and sharded.owned[running]  # both shards own orgs
    assert sorted(sharded.owned[stopped] + sharded.owned[running]) == sorted(sharded.workspaces)
    assert sharded.prometheus is not None
    # Each exporter lists exactly the orgs of its shard.
    listed: dict[str, set[str]] = {}
    for item in sharded.prometheus.query(cat.STALE_WORKSPACES.sample_name):
        listed.setdefault(item["metric"]["instance"], set()).add(item["metric"]["org_id"])
    assert listed == {
        target: set(sharded.owned[shard]) for shard, target in sharded.targets().items()
    }
    config = FacadeConfig(
        prometheus_url=sharded.prometheus.url,
        jwt=JwtSettings(("HS256",), secret=JWT_SECRET),
    )
    assert config.stale_after == 300  # the default: the stopped shard is refused long before
    api = client_of(create_app(config))
    assert set(summary_status(api, token, sharded).values()) == {200}

    sharded.exporters[stopped].process.stop()
    stopped_at = time.time()
    expected = {org: 503 if org in sharded.owned[stopped] else 200 for org in sharded.workspaces}
    deadline = time.monotonic() + 30
    while (statuses := summary_status(api, token, sharded)) != expected:
        # Until Prometheus' next scrape fails the stopped shard's orgs still answer 200.
        assert set(statuses.values()) <= {200, 503}, statuses
        assert time.monotonic() < deadline, statuses
        time.sleep(0.2)
    # Still so a few seconds on: the running shard's orgs are not judged by the stopped one.
    time.sleep(2)
    assert summary_status(api, token, sharded) == expected

    org = sharded.owned[stopped][0]
    response = api.get(f"/v1/orgs/{org}/workspaces/{sharded.workspaces[org]}/analytics", token(org))
    body = response.get_json()
    assert response.status_code == 503
    assert list(body) == ["error", "message", "details", "timestamp", "status_code"]
    assert body["error"] == "SERVICE_UNAVAILABLE"
    assert body["details"]["reason"] == "stale"
    assert body["details"]["collector"] == "inventory"
    # The stopped shard's last success before it stopped, not a "never".
    last_success = body["details"]["last_success"]
    assert stopped_at - 10 < last_success <= stopped_at
    assert response.headers["Retry-After"] == "15"
    # An org no exporter owns is still unknown, judged by every exporter's freshness.
    unknown = api.get("/v1/orgs/org-nobody/workspaces/ws-1/analytics", token("org-nobody"))
    assert unknown.status_code == 404
