"""The whole stack for the chaos suite, each part killable: sandbox platform (streaming),
exporter, Prometheus scraping it every second, and the façade under gunicorn.

`ChaosStack.kill(part)` sends SIGKILL to the part's whole process group and `restart(part)`
starts it again on the same port with the same state on disk (ledger, TSDB), as a supervisor
would.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from pathlib import Path

from facade.tokens import mint_token, permissions_for
from stack.supervisor import ManagedProcess, free_port, python_command, wait_http
from tests.exporter.conftest import ExporterProcess, kill_and_note, launch_exporter
from tests.support.prometheus import PrometheusServer, scrape_config
from tests.support.sandbox import SandboxServer

PARTS = ("exporter", "prometheus", "facade")
JWT_SECRET = "chaos-suite-secret-0123456789abcdef-0123456789abcdef"


class ChaosStack:
    """The four processes of one chaos run, under `workdir`."""

    def __init__(self, workdir: Path, sandbox: SandboxServer) -> None:
        self.workdir = workdir
        self.sandbox = sandbox
        self.exporter_port = free_port()
        self.ledger = workdir / "exporter" / "ledger.sqlite3"
        self.exporter: ExporterProcess | None = None
        self.prometheus = PrometheusServer(
            workdir / "prometheus",
            scrape_configs=[scrape_config("exporter", [f"127.0.0.1:{self.exporter_port}"], "1s")],
        )
        self.facade_url = f"http://127.0.0.1:{free_port()}"
        bind = self.facade_url.removeprefix("http://")
        self.facade_tmp = workdir / "facade-tmp"  # where the façade keeps its worker metrics
        self.facade_tmp.mkdir(parents=True, exist_ok=True)
        self.facade = ManagedProcess(
            "facade",
            python_command("facade", "--bind", bind, "--workers", "2"),
            log_path=workdir / "facade.log",
            env={
                "FACADE_PROMETHEUS_URL": self.prometheus.url,
                "FACADE_JWT_SECRET": JWT_SECRET,
                "TMPDIR": str(self.facade_tmp),
            },
            ready_url=f"{self.facade_url}/healthz",
        )
        # (process id, exit status) of every process killed, by part.
        self.killed: dict[str, list[tuple[int, int | None]]] = {part: [] for part in PARTS}
        self.restart_seconds: dict[str, float] = dict.fromkeys(PARTS, 0.0)  # waiting for restarts

    def token(self, org_id: str) -> str:
        """A bearer token that reads the whole org."""
        return mint_token(JWT_SECRET, org_id, permissions_for(()), ttl=3600)

    def start(self) -> ChaosStack:
        """Start every part (the sandbox runs already)."""
        for part in PARTS:
            self.restart(part)
        return self

    def restart(self, part: str, *, wait: bool = True) -> None:
        """Start `part` again (it is not running) and, with `wait`, wait until it answers."""
        started = time.monotonic()
        try:
            self._start(part, wait)
        finally:
            self.restart_seconds[part] += time.monotonic() - started

    def _start(self, part: str, wait: bool) -> None:
        if part == "exporter":
            directory = self.workdir / "exporter"
            directory.mkdir(exist_ok=True)
            self.exporter = launch_exporter(
                self.sandbox, directory, port=self.exporter_port, ledger=self.ledger, wait=wait
            )
            return
        process = self.process(part)
        ready = process.ready_url
        if not wait:
            process.ready_url = None
        try:
            process.start(ready_timeout=60)
        finally:
            process.ready_url = ready

    def wait_ready(self) -> None:
        """Wait until every part answers (parts restarted without waiting included)."""
        for part in PARTS:
            process = self.process(part)
            ready = process.ready_url or f"{self.exporter_url}/metrics"
            wait_http(ready, 60, process)

    @property
    def exporter_url(self) -> str:
        """The exporter's base URL (the same port across restarts)."""
        return f"http://127.0.0.1:{self.exporter_port}"

    def process(self, part: str) -> ManagedProcess:
        """The process of one part."""
        if part == "exporter":
            assert self.exporter is not None
            return self.exporter.process
        return self.prometheus.process if part == "prometheus" else self.facade

    @property
    def kills(self) -> Counter[str]:
        """How many processes were killed, by part."""
        return Counter({part: len(ended) for part, ended in self.killed.items()})

    def kill(self, part: str) -> None:
        """SIGKILL the part's process group, and note which process ended, and how."""
        kill_and_note(self.process(part), part, self.killed)

    def stop(self) -> None:
        """Stop every part that runs."""
        for part in PARTS:
            with contextlib.suppress(AssertionError):
                self.process(part).stop()
