"""Live data for the façade: the sandbox platform, read by a real `mm-analytics exporter` and
scraped by a real Prometheus every second, on the real clock.

The exporter can run with its per-app and per-namespace families switched off (the façade then
answers 501 for those levels). Expected answers come from the sandbox's ground truth; `start()`
returns once Prometheus holds every workspace of the truth with its exact execution counts.
With `query_log`, Prometheus writes every PromQL query it evaluates to that file (its own
`query_log_file`), so tests can read the queries it actually received.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from stack.supervisor import ManagedProcess, free_port
from tests.exporter.conftest import launch_exporter
from tests.support.prometheus import PrometheusServer, scrape_config
from tests.support.sandbox import SandboxServer
from vocabulary import catalogue as cat

# Executions inserted into every workspace (total, failed), distinct per workspace position so
# that a count read from the wrong workspace cannot pass for the right one.
BASE_EXECUTIONS = (41, 3)


class LiveStack:
    """Sandbox → exporter → Prometheus, all real processes on free loopback ports."""

    def __init__(
        self,
        workdir: Path,
        *,
        orgs: int = 2,
        workspaces: int = 2,
        detail: bool = False,
        query_log: bool = False,
    ) -> None:
        self.workdir = workdir
        self.sandbox = SandboxServer(workdir / "sandbox", orgs=orgs, workspaces=workspaces)
        self.exporter_port = free_port()
        self.detail = detail
        self.query_log: Path | None = workdir / "queries.jsonl" if query_log else None
        self.prometheus = PrometheusServer(
            workdir / "prometheus",
            scrape_configs=[scrape_config("exporter", [f"127.0.0.1:{self.exporter_port}"], "1s")],
            query_log=self.query_log,
        )
        self.exporter: ManagedProcess | None = None
        self.truth: dict[str, Any] = {}

    def start(self, timeout: float = 60.0) -> LiveStack:
        """Start every process and wait until Prometheus holds the sandbox's truth."""
        try:
            self.sandbox.start()
            self._insert_executions()
            self.truth = self.sandbox.truth()
            detail = str(self.detail).lower()  # with or without per-app/namespace families
            self.exporter = launch_exporter(
                self.sandbox,
                self.workdir,
                port=self.exporter_port,
                request_timeout=5,
                app_metrics=detail,
                namespace_metrics=detail,
            ).process
            self.prometheus.start()
            self._wait_for_truth(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every process that was started."""
        self.prometheus.stop()
        if self.exporter is not None:
            self.exporter.stop()
        self.sandbox.stop()

    def _insert_executions(self) -> None:
        total, failed = BASE_EXECUTIONS
        for position, (_, workspace_id) in enumerate(self._pairs(self.sandbox.truth())):
            self.sandbox.insert_executions(workspace_id, total + position, failed + position)

    @staticmethod
    def _pairs(truth: dict[str, Any]) -> list[tuple[str, str]]:
        return [
            (org_id, workspace_id)
            for org_id, org in truth["orgs"].items()
            for workspace_id in org["workspaces"]
        ]

    def queries(self, since: int = 0) -> tuple[list[str], int]:
        """PromQL queries Prometheus evaluated after byte offset `since` of its query log, and
        the offset to read on from (a line still being written is left for the next call)."""
        assert self.query_log is not None, "LiveStack(query_log=True) keeps a query log"
        data = self.query_log.read_bytes()[since:] if self.query_log.exists() else b""
        complete = data[: data.rfind(b"\n") + 1]
        queries = [json.loads(line)["params"]["query"] for line in complete.splitlines() if line]
        return queries, since + len(complete)

    def workspaces(self) -> list[tuple[str, str]]:
        """Every (org_id, workspace_id) of the truth, in the sandbox's order."""
        return self._pairs(self.truth)

    def workspace(self, org_id: str, workspace_id: str) -> dict[str, Any]:
        """The truth of one workspace (resources, executions, sources, apps, ...)."""
        found: dict[str, Any] = self.truth["orgs"][org_id]["workspaces"][workspace_id]
        return found

    @property
    def org_id(self) -> str:
        """The first org of the truth."""
        return self.workspaces()[0][0]

    @property
    def workspace_id(self) -> str:
        """The first workspace of the first org."""
        return self.workspaces()[0][1]

    def _exported_executions(self) -> dict[tuple[str, str], int]:
        result = self.prometheus.query(cat.EXECUTIONS.sample_name)
        return {
            (item["metric"]["org_id"], item["metric"]["workspace_id"]): int(float(item["value"][1]))
            for item in result
        }

    def _wait_for_truth(self, timeout: float) -> None:
        expected = {
            pair: self.workspace(*pair)["executions"]["total"] for pair in self.workspaces()
        }
        # Both collectors have succeeded (a never-run collector reports 0) and every workspace
        # of the truth is in the inventory.
        collected = f"count({cat.COLLECTOR_LAST_SUCCESS.sample_name} > 0)"
        listed = f"count({cat.WORKSPACE_INFO.sample_name})"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.exporter is not None and not self.exporter.alive:
                raise AssertionError(f"exporter exited; {self.exporter.log_hint}")
            ready = self.prometheus.scalar(collected) == len(cat.COLLECTORS)
            ready = ready and self.prometheus.scalar(listed) == len(expected)
            if ready and self._exported_executions() == expected:
                return
            time.sleep(0.25)
        raise AssertionError(
            f"Prometheus never held the truth {expected}; got {self._exported_executions()}"
        )
