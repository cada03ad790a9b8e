"""A real VictoriaMetrics single node for tests: the system binary on a free loopback port."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests

from stack.supervisor import ManagedProcess, find_binary, free_port, victoriametrics_argv

# The façade's history ends in March 2025: a retention that reaches back that far.
LONG_RETENTION = "20y"


class VictoriaMetricsServer:
    """A VictoriaMetrics process with its own storage under `workdir`."""

    def __init__(
        self,
        workdir: Path,
        *,
        retention: str = LONG_RETENTION,
        dedup_interval: str | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        workdir.mkdir(parents=True, exist_ok=True)
        self.process = ManagedProcess(
            "victoria-metrics",
            victoriametrics_argv(
                workdir / "data",
                self.port,
                retention=retention,
                dedup_interval=dedup_interval,
                extra=extra_args,
            ),
            log_path=workdir / "victoria-metrics.log",
            ready_url=f"{self.url}/health",
        )

    def start(self, timeout: float = 60.0) -> VictoriaMetricsServer:
        """Start the process and wait until it answers."""
        self.process.start(ready_timeout=timeout)
        return self

    def stop(self) -> None:
        """Stop the process (its storage stays on disk)."""
        self.process.stop()

    def flush(self) -> None:
        """Make everything ingested so far visible to queries."""
        requests.get(f"{self.url}/internal/force_flush", timeout=60).raise_for_status()

    def load_tsdb(self, tsdb: Path) -> None:
        """Import every block of a Prometheus TSDB directory with `vmctl`, then flush.

        vmctl 1.79 sets up its terminal even when silent (`-s`), so it runs under `script`,
        which gives it a pseudo-terminal.
        """
        command = shlex.join(
            [
                find_binary("vmctl"),
                "prometheus",
                "-s",
                "--vm-disable-progress-bar",
                f"--prom-snapshot={tsdb}",
                f"--vm-addr={self.url}",
                "--prom-concurrency=2",
            ]
        )
        result = subprocess.run(
            ["script", "-qec", command, "/dev/null"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if result.returncode != 0:
            raise RuntimeError(f"vmctl failed: {result.stdout[-2000:]}{result.stderr[-2000:]}")
        self.flush()

    def api(self, path: str, **params: Any) -> Any:
        """GET an `/api/v1/` path without the response cache and return its `data`."""
        response = requests.get(
            f"{self.url}/api/v1/{path}", params={"nocache": "1", **params}, timeout=30
        )
        body = response.json()
        assert body.get("status") == "success", body
        return body["data"]

    def query(self, expr: str, at: float | None = None, **extra: Any) -> list[dict[str, Any]]:
        """Instant query without the response cache; returns the result vector."""
        params: dict[str, Any] = {"query": expr, **extra}
        if at is not None:
            params["time"] = at
        return list(self.api("query", **params)["result"])
