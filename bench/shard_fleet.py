"""The synthetic platform and N exporter shards over it, one org per shard, for the benches.

Org ids are the first `org-bench-<i>` that `exporter.shards` puts in each shard, so every
exporter gets the same full list with its own `--shard k/N` and owns exactly one org.
"""

from __future__ import annotations

import itertools
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from exporter.shards import Shard, shard_number
from stack.supervisor import REPO_ROOT, ManagedProcess, free_port, python_command
from vocabulary import catalogue as cat

Sample = tuple[str, dict[str, str]]


def one_org_per_shard(shards: int) -> list[str]:
    """The first `org-bench-<i>` of each shard, in shard order."""
    found: dict[int, str] = {}
    for number in itertools.count():
        org = f"org-bench-{number}"
        found.setdefault(shard_number(org, shards), org)
        if len(found) == shards:
            return [found[index] for index in range(1, shards + 1)]
    raise AssertionError("unreachable")


@dataclass
class ShardFleet:
    """A synthetic platform of `shards` orgs × `workspaces` and one exporter per shard."""

    workdir: Path
    shards: int = 4
    workspaces: int = 2500  # per org, so per shard
    apps: int = 1
    namespaces: int = 1
    inventory_interval: float = 600.0
    # Seconds between a workspace's executions on the platform (0: no activity at all).
    activity_interval: int = 0
    org_ids: list[str] = field(init=False)
    urls: list[str] = field(init=False, default_factory=list)
    processes: list[ManagedProcess] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.org_ids = one_org_per_shard(self.shards)

    def start(self) -> ShardFleet:
        """Start the platform and every exporter (their first inventory pass starts at once)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        platform = ManagedProcess(
            "synthetic-platform",
            [
                sys.executable,
                *("-m", "bench.synthetic_platform", f"--port={port}"),
                *(f"--workspaces={self.workspaces}", f"--apps={self.apps}"),
                f"--namespaces={self.namespaces}",
                f"--activity-interval={self.activity_interval}",
            ],
            env={"PYTHONPATH": str(REPO_ROOT)},
            log_path=self.workdir / "platform.log",
            ready_url=f"http://127.0.0.1:{port}/v1/orgs/x/activity",
        )
        self.processes.append(platform.start())
        for index in range(1, self.shards + 1):
            self._start_exporter(index, f"http://127.0.0.1:{port}")
        return self

    def _start_exporter(self, index: int, platform_url: str) -> None:
        port = free_port()
        env = {
            "EXPORTER_PLATFORM_URL": platform_url,
            "EXPORTER_PLATFORM_TOKEN": "bench-token",
            "EXPORTER_ORG_IDS": ",".join(self.org_ids),
            "EXPORTER_SHARD": str(Shard(index, self.shards)),
            "EXPORTER_LISTEN_ADDRESS": f"127.0.0.1:{port}",
            "EXPORTER_LEDGER_PATH": str(self.workdir / f"ledger-{index}.sqlite3"),
            "EXPORTER_INVENTORY_INTERVAL": str(self.inventory_interval),
            "EXPORTER_ACTIVITY_START": "1970-01-01T00:00:00Z",
        }
        if self.activity_interval:  # details shown at the fresh edge within seconds
            env |= {"EXPORTER_ACTIVITY_LATENESS": "0", "EXPORTER_EXPOSURE_HOLD": "1"}
        url = f"http://127.0.0.1:{port}"
        exporter = ManagedProcess(
            f"exporter-{index}",
            python_command("exporter"),
            env=env,
            log_path=self.workdir / f"exporter-{index}.log",
            ready_url=f"{url}/metrics",
        )
        self.processes.append(exporter.start())
        self.urls.append(url)

    @property
    def targets(self) -> list[str]:
        """`host:port` of every exporter."""
        return [url.removeprefix("http://") for url in self.urls]

    def wait_for_inventory(self, timeout: float = 1800.0) -> float:
        """Seconds until every shard has finished its first inventory pass."""
        started = time.monotonic()
        pending = set(self.urls)
        while pending:
            assert time.monotonic() - started < timeout, f"no inventory from {pending}"
            for process in self.processes:
                assert process.alive, process.log_hint
            pending = {url for url in pending if not self._inventoried(url)}
            time.sleep(2)
        return time.monotonic() - started

    @staticmethod
    def _inventoried(url: str) -> bool:
        text = requests.get(f"{url}/metrics", timeout=60).text
        name = cat.COLLECTOR_LAST_SUCCESS.sample_name
        return any(
            line.startswith(f'{name}{{collector="inventory"}}') and float(line.split()[-1]) > 0
            for line in text.splitlines()
        )

    def samples(self) -> list[Sample]:
        """Every sample of every exporter's `/metrics`, as (name, labels)."""
        found: list[Sample] = []
        for url in self.urls:
            text = requests.get(f"{url}/metrics", timeout=120).text
            for family in text_string_to_metric_families(text):
                found += [(sample.name, sample.labels) for sample in family.samples]
        return found

    def exporter_pids(self) -> list[int]:
        """The process ids of the exporters (the platform is the first process)."""
        return [process.pid for process in self.processes[1:] if process.pid is not None]

    def stop(self) -> None:
        """Stop every process, exporters first."""
        for process in reversed(self.processes):
            process.stop()
