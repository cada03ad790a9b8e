"""The stacks of the event-time suite and the wall clock they run on.

The exporters guarantee a sample at every `GRID` boundary (`exposure_boundary`), so a stream
straddles a real one within a minute instead of a quarter hour; every quarter hour, hour and
local midnight is a boundary of that grid too, so the same code makes those exact. Every run
streams across one such boundary (`Timeline.boundary`): the suite picks the next one far enough
ahead once its stacks run, and each run places its actions at offsets from it. `settle` waits,
in Prometheus, until the exporter has settled past a moment and the by-time counters carry
samples from after it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from stack.supervisor import ManagedProcess, free_port
from tests.exporter.conftest import ExporterProcess, kill_and_note, launch_exporter
from tests.hardening.chaos_exporter import wait_until
from tests.support.prometheus import PrometheusServer, scrape_config
from tests.support.sandbox import SandboxServer
from vocabulary import catalogue as cat

QUARTER_HOUR = 900
GRID = 60  # seconds: the exporters' `exposure_boundary`, a divisor of the quarter hour
PARTS = ("exporter", "prometheus")


def next_boundary(after: float) -> int:
    """The first boundary of the grid (unix seconds) at or after `after`."""
    return math.ceil(after / GRID) * GRID


@dataclass(frozen=True)
class Timeline:
    """Moments given as seconds before (negative) or after a real boundary of the grid."""

    boundary: int

    @classmethod
    def ahead(cls, lead: float) -> Timeline:
        """The first boundary at least `lead` seconds from now."""
        return cls(next_boundary(time.time() + lead))

    def at(self, offset: float) -> float:
        """The unix time `offset` seconds from the boundary."""
        return self.boundary + offset

    def wait(self, offset: float) -> None:
        """Sleep until `offset` seconds from the boundary (at once when that has passed)."""
        time.sleep(max(0.0, self.at(offset) - time.time()))


def new_sandbox(workdir: Path, seed: int) -> SandboxServer:
    """A started sandbox of 2 orgs × 3 workspaces, its stream paused, no history."""
    return SandboxServer(workdir / "sandbox", seed=seed, orgs=2, workspaces=3).start()


def insert_executions(
    sandbox: SandboxServer, workspace_id: str, count: int, failed: int, late_seconds: float
) -> list[str]:
    """Insert executions written now and stamped `late_seconds` ago; returns their ids."""
    body = {
        "workspace_id": workspace_id,
        "count": count,
        "failed": failed,
        "late_seconds": late_seconds,
    }
    response = requests.post(f"{sandbox.url}/_sandbox/executions", json=body, timeout=30)
    assert response.status_code == 200, response.text
    return list(response.json()["ids"])


class ConfiguredStack:
    """A sandbox read by one exporter with its own settings (on the suite's grid), scraped
    every second by Prometheus; either process can be SIGKILLed and started again on the same
    port and state on disk (ledger, TSDB), as a supervisor would."""

    def __init__(self, workdir: Path, sandbox: SandboxServer, **settings: Any) -> None:
        self.workdir = workdir
        self.sandbox = sandbox
        self.settings = {"exposure_boundary": GRID, **settings}
        self.exporter_port = free_port()
        self.exporter: ExporterProcess | None = None
        self.prometheus = PrometheusServer(
            workdir / "prometheus",
            scrape_configs=[scrape_config("exporter", [f"127.0.0.1:{self.exporter_port}"], "1s")],
        )
        # (process id, exit status) of every process killed, by part.
        self.killed: dict[str, list[tuple[int, int | None]]] = {part: [] for part in PARTS}

    def start(self) -> ConfiguredStack:
        """Start the exporter and Prometheus."""
        for part in PARTS:
            self.restart(part)
        return self

    def restart(self, part: str, *, wait: bool = True) -> None:
        """Start `part` (not running) and, with `wait`, wait until it answers."""
        if part == "prometheus":
            self.prometheus.start()
            return
        directory = self.workdir / "exporter"
        directory.mkdir(parents=True, exist_ok=True)
        self.exporter = launch_exporter(
            self.sandbox, directory, port=self.exporter_port, wait=wait, **self.settings
        )

    def process(self, part: str) -> ManagedProcess:
        """The process of one part."""
        if part == "prometheus":
            return self.prometheus.process
        assert self.exporter is not None
        return self.exporter.process

    def kill(self, part: str) -> None:
        """SIGKILL the part's process group, and note which process ended, and how."""
        kill_and_note(self.process(part), part, self.killed)

    def stop(self) -> None:
        """Stop Prometheus and the exporter."""
        self.prometheus.stop()
        if self.exporter is not None:
            self.exporter.process.stop()


def settle(prometheus: PrometheusServer, org_ids: list[str], after: float) -> None:
    """Wait until every org is complete past `after` and every by-time series has a sample
    stamped after it, as Prometheus holds them."""
    complete = f"min({cat.EXECUTIONS_COMPLETE.sample_name})"
    orgs = f"count({cat.EXECUTIONS_COMPLETE.sample_name})"
    stamped = f"min(timestamp({cat.EXECUTIONS_BY_TIME.sample_name}))"
    seen: dict[str, float | None] = {}

    def settled() -> bool:
        seen.update(
            orgs=prometheus.scalar(orgs),
            complete=prometheus.scalar(complete),
            stamped=prometheus.scalar(stamped),
        )
        return (
            seen["orgs"] == len(org_ids)
            and (seen["complete"] or 0.0) >= after
            and (seen["stamped"] or 0.0) >= after
        )

    wait_until(settled, 90, lambda: f"settled past {after}: {seen}")
