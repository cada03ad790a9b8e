"""The whole stack for the load and soak benches: `mm-analytics up` on free ports.

`LaunchedStack` starts the launcher in a temporary state directory, mints tokens with the
signing secret it wrote there, finds its child processes (for CPU and RSS figures) and waits
until Prometheus holds data for every workspace, app and namespace the sandbox generated.
"""

from __future__ import annotations

import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import requests

from facade.tokens import mint_token
from stack.launcher import DEFAULT_PORTS
from stack.supervisor import ManagedProcess, free_port, python_command
from vocabulary import catalogue as cat

TOKEN_TTL = 24 * 3600


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so `finally` stops the stack instead of orphaning it."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


class StackFailed(RuntimeError):
    """The stack did not start, did not get its data in time, or lost a process."""


@dataclass(frozen=True)
class Targets:
    """The ids the façade can answer about, as Prometheus has them."""

    workspaces: tuple[tuple[str, str], ...]  # (org_id, workspace_id)
    apps: tuple[tuple[str, str, str], ...]  # (org_id, workspace_id, app_id)
    namespaces: tuple[tuple[str, str, str], ...]  # (org_id, workspace_id, namespace_id)

    @property
    def org_ids(self) -> tuple[str, ...]:
        """Every org that has a workspace."""
        return tuple(sorted({org for org, _ in self.workspaces}))


@dataclass(frozen=True)
class StackOptions:
    """How to run the stack: sandbox stream rate, scrape interval, Alertmanager or not, and
    how long the façade keeps an answer."""

    rate: float = 2.0
    seed: int = 7
    scrape_interval: str = "5s"
    alertmanager: bool = False
    cache_seconds: float = 15.0  # FACADE_CACHE_SECONDS: the exporter's activity interval


class LaunchedStack:
    """`mm-analytics up` as one child process; its own children are the services."""

    def __init__(self, workdir: Path, options: StackOptions) -> None:
        self.state_dir = workdir / "state"
        self.ports = {service: free_port() for service in DEFAULT_PORTS}
        argv = [
            f"--state-dir={self.state_dir}",
            f"--scrape-interval={options.scrape_interval}",
            f"--rate={options.rate}",
            f"--seed={options.seed}",
            *(f"--{service}-port={port}" for service, port in self.ports.items()),
        ]
        if not options.alertmanager:
            argv.append("--no-alertmanager")
        self.launcher = ManagedProcess(
            "up",
            python_command("up", *argv),
            log_path=workdir / "up.log",
            env={"FACADE_CACHE_SECONDS": f"{options.cache_seconds:g}"},
            ready_url=f"{self.url('facade')}/healthz",
        )

    def url(self, service: str) -> str:
        """The loopback URL of one service."""
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self, timeout: float = 180.0) -> LaunchedStack:
        """Start every service and wait until the façade answers its health check."""
        self.launcher.start(ready_timeout=timeout)
        return self

    def stop(self) -> None:
        """Stop the launcher, which stops every service it started."""
        self.launcher.stop(timeout=30)

    def check_alive(self) -> None:
        """Raise StackFailed when the launcher (it exits as soon as a service exits) is gone."""
        if not self.launcher.alive:
            raise StackFailed(f"the stack stopped; {self.launcher.log_hint}")

    def token(self, org_id: str) -> str:
        """A whole-org JWT signed with the secret the launcher made for the façade."""
        return mint_token(self.jwt_secret(), org_id, ["analytics:*:view"], TOKEN_TTL)

    def jwt_secret(self) -> str:
        """The façade's HS256 signing secret."""
        return (self.state_dir / "jwt-secret").read_text().strip()

    def service(self, name: str) -> psutil.Process:
        """The launcher's child running `mm-analytics <name>`, or the Prometheus server."""
        for child in psutil.Process(self.launcher.pid).children():
            argv = child.cmdline()
            if name == "prometheus" and Path(argv[0]).name == "prometheus":
                return child
            if "stack.cli" in argv and argv[argv.index("stack.cli") + 1 :][:1] == [name]:
                return child
        raise StackFailed(f"no {name} process under the launcher")

    def tree(self, name: str) -> list[psutil.Process]:
        """A service's process and all its descendants (the façade: gunicorn and its workers)."""
        root = self.service(name)
        return [root, *root.children(recursive=True)]

    def query(self, expression: str) -> list[dict[str, Any]]:
        """An instant query straight to Prometheus: the result list."""
        answer = requests.get(
            f"{self.url('prometheus')}/api/v1/query", params={"query": expression}, timeout=10
        )
        answer.raise_for_status()
        return list(answer.json()["data"]["result"])

    def targets(self) -> Targets:
        """Workspaces, apps and namespaces with series in Prometheus right now."""

        def labels(family: cat.Family, *names: str) -> list[tuple[str, ...]]:
            rows = self.query(family.sample_name)
            return sorted({tuple(row["metric"][name] for name in names) for row in rows})

        workspaces = labels(cat.WORKSPACE_INFO, "org_id", "workspace_id")
        apps = labels(cat.APP_INFO, "org_id", "workspace_id", "app_id")
        namespaces = labels(cat.NAMESPACE_INFO, "org_id", "workspace_id", "namespace_id")
        return Targets(
            tuple((org, ws) for org, ws in workspaces),
            tuple((org, ws, app) for org, ws, app in apps),
            tuple((org, ws, ns) for org, ws, ns in namespaces),
        )

    def expected_workspaces(self) -> int:
        """How many workspaces the sandbox generated (its ground truth)."""
        truth = requests.get(f"{self.url('sandbox')}/_sandbox/truth", timeout=30).json()
        return sum(len(org["workspaces"]) for org in truth["orgs"].values())

    def wait_for_data(self, timeout: float = 180.0) -> Targets:
        """Wait until every workspace has series and executions have been counted."""
        expected = self.expected_workspaces()
        executions = f"sum({cat.EXECUTIONS.sample_name})"
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            found = self.targets()
            counted = sum(float(row["value"][1]) for row in self.query(executions))
            if len(found.workspaces) == expected and found.apps and found.namespaces and counted:
                return found
            if time.monotonic() > deadline:
                raise StackFailed(
                    f"incomplete data in Prometheus after {timeout:.0f} s: "
                    f"{len(found.workspaces)} of {expected} workspaces, {len(found.apps)} apps, "
                    f"{len(found.namespaces)} namespaces, {counted:.0f} executions; "
                    f"logs in {self.state_dir / 'logs'}"
                )
            time.sleep(1)
