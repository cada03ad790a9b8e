"""`mm-analytics up`: the whole stack as local processes until Ctrl-C or SIGTERM.

Starts, in order, the sandbox platform (unless a real platform is given), the exporter,
VictoriaMetrics (with `--store victoriametrics`), Prometheus, Alertmanager and the façade, each
in its own process group with its log under the state directory; prints their URLs, a demo
token and a curl line; stops every child on exit.
"""

from __future__ import annotations

import secrets
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import requests
import yaml

from facade.tokens import mint_token
from stack import prometheus_files, stores
from stack.options import DEFAULT_PORTS, Options, parse_options
from stack.supervisor import (
    ManagedProcess,
    StackError,
    alertmanager_argv,
    find_binary,
    prometheus_argv,
    python_command,
)

__all__ = ["DEFAULT_PORTS", "Options", "main", "parse_options", "run"]
SANDBOX_TOKEN = "sandbox-token"  # noqa: S105 - the sandbox's well-known demo token


def render_prometheus_config(options: Options) -> Path:
    """Write the packaged prometheus.yml with this run's ports and its own copy of the rules,
    whose alert links point at the configured base."""
    source = options.prometheus_dir
    config: dict[str, Any] = yaml.safe_load((source / "prometheus.yml").read_text())
    config["global"]["scrape_interval"] = options.scrape_interval
    config["global"].pop("scrape_timeout", None)  # Prometheus then caps it at the interval
    rules = prometheus_files.render_rules(source, options.state_dir / "rules", options.links_url)
    config["rule_files"] = [str(rules)]
    if not options.with_alertmanager:
        config["scrape_configs"] = [
            job for job in config["scrape_configs"] if job["job_name"] != "alertmanager"
        ]
    for job in config["scrape_configs"]:
        if job["job_name"] in options.ports:
            target = f"127.0.0.1:{options.ports[job['job_name']]}"
            job["static_configs"] = [{**job["static_configs"][0], "targets": [target]}]
    if options.with_alertmanager:
        target = f"127.0.0.1:{options.ports['alertmanager']}"
        config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [target]}]}]}
    else:
        config.pop("alerting", None)
    stores.add_remote_write(config, options)
    path = options.state_dir / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def jwt_secret(state_dir: Path) -> str:
    """The façade's signing secret for this state directory, made once and kept private."""
    path = state_dir / "jwt-secret"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


class Stack:
    """The running children, stopped in reverse order of their start."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.children: list[ManagedProcess] = []
        self.jobs: list[ManagedProcess] = []

    def start(
        self, name: str, argv: list[str], ready: str, env: dict[str, str] | None = None
    ) -> None:
        """Start one child and wait for its ready URL."""
        process = ManagedProcess(
            name,
            argv,
            log_path=self.options.state_dir / "logs" / f"{name}.log",
            env=env,
            ready_url=f"{self.options.url(name)}{ready}",
            die_with_parent=True,  # no orphans even when the launcher is SIGKILLed
        )
        self.children.append(process)
        process.start(ready_timeout=60)

    def run_job(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        """Start a child that ends by itself when its work is done (the history's backfill)."""
        process = ManagedProcess(
            name,
            argv,
            log_path=self.options.state_dir / "logs" / f"{name}.log",
            env=env,
            die_with_parent=True,
        )
        self.jobs.append(process)
        process.start()

    def stop(self) -> None:
        """Stop every child, last started first."""
        for process in reversed([*self.children, *self.jobs]):
            process.stop()

    def exited(self) -> ManagedProcess | None:
        """The first service that is no longer running, if any."""
        return next((child for child in self.children if not child.alive), None)

    def finished_jobs(self) -> list[ManagedProcess]:
        """Jobs that ended since the last call, each reported once."""
        done = [job for job in self.jobs if not job.alive]
        self.jobs = [job for job in self.jobs if job.alive]
        return done


def start_platform(stack: Stack) -> tuple[str, str, tuple[str, ...]]:
    """The platform URL, token and org ids: the given real platform, or a fresh sandbox."""
    options = stack.options
    if options.platform_url and options.platform_token:
        return options.platform_url, options.platform_token, options.org_ids
    stack.start(
        "sandbox",
        python_command(
            "sandbox",
            f"--port={options.ports['sandbox']}",
            f"--db={options.state_dir / 'sandbox.db'}",
            f"--seed={options.seed}",
            f"--rate={options.rate}",
            f"--token={SANDBOX_TOKEN}",
            f"--history-days={options.history_days}",
        ),
        "/healthz",
    )
    org_ids = requests.get(f"{options.url('sandbox')}/_sandbox/orgs", timeout=10).json()["org_ids"]
    return options.url("sandbox"), SANDBOX_TOKEN, tuple(org_ids)


def start_services(stack: Stack) -> tuple[str, str]:
    """Start every service; return the façade's signing secret and the first org id."""
    options = stack.options
    platform_url, token, org_ids = start_platform(stack)
    exporter_env = {
        "EXPORTER_PLATFORM_URL": platform_url,
        "EXPORTER_PLATFORM_TOKEN": token,
        "EXPORTER_ORG_IDS": ",".join(org_ids),
        "EXPORTER_LISTEN_ADDRESS": f"127.0.0.1:{options.ports['exporter']}",
        "EXPORTER_LEDGER_PATH": str(options.state_dir / "ledger.db"),
    }
    stack.start("exporter", python_command("exporter"), "/metrics", exporter_env)
    if options.store == stores.VICTORIAMETRICS:
        stack.start(stores.VICTORIAMETRICS, stores.victoriametrics_command(options), "/health")
    data_dir = options.state_dir / "prometheus"
    config = render_prometheus_config(options)
    port = options.ports["prometheus"]
    argv = prometheus_argv(config, data_dir, port, retention=options.retention)
    stack.start("prometheus", argv, "/-/ready")
    if options.backfill_days > 0:
        target = stores.backfill_target(options, data_dir)
        backfill = python_command("backfill", f"--days={options.backfill_days}", target)
        stack.run_job("backfill", backfill, exporter_env)
    if options.with_alertmanager:
        am_argv = alertmanager_argv(
            options.prometheus_dir / "alertmanager.yml",
            options.state_dir / "alertmanager",
            options.ports["alertmanager"],
        )
        stack.start("alertmanager", am_argv, "/-/ready")
    secret = jwt_secret(options.state_dir)
    facade_env = {**stores.facade_env(options), "FACADE_JWT_SECRET": secret}
    bind = f"--bind=127.0.0.1:{options.ports['facade']}"
    stack.start("facade", python_command("facade", bind), "/healthz", facade_env)
    return secret, org_ids[0]


def banner(stack: Stack, secret: str, org_id: str) -> str:
    """The URLs of the running services, a demo token and a curl line that works."""
    token = mint_token(secret, org_id, ["analytics:*:view"], ttl=24 * 3600)
    lines = ["MechaMental Analytics is running:"]
    lines += [f"  {child.name:<13}{stack.options.url(child.name)}" for child in stack.children]
    lines += [
        f"  logs         {stack.options.state_dir / 'logs'}",
        "",
        f"Demo token (org {org_id}, analytics:*:view, 24 h):",
        f"  {token}",
        "",
        f"  curl -H 'Authorization: Bearer {token}' \\",
        f"    {stack.options.url('facade')}/v1/orgs/{org_id}/analytics",
        "",
        "The first numbers appear after the first inventory pass. Ctrl-C stops everything.",
    ]
    if stack.jobs:
        lines.append(
            "The platform's history is being backfilled meanwhile (daily series fill in when it"
            f" is done): {stack.options.state_dir / 'logs' / 'backfill.log'}"
        )
    return "\n".join(lines)


def run(options: Options, stop: threading.Event) -> int:
    """Run the stack until `stop` is set or a child exits; always stop every child."""
    options.state_dir.mkdir(parents=True, exist_ok=True)
    stack = Stack(options)
    try:
        find_binary("prometheus")
        if options.store == stores.VICTORIAMETRICS:
            find_binary("victoria-metrics")
        if options.with_alertmanager:
            find_binary("prometheus-alertmanager", "alertmanager")
        secret, org_id = start_services(stack)
        print(banner(stack, secret, org_id), flush=True)
        while not stop.wait(0.5):
            for job in stack.finished_jobs():
                outcome = "done" if job.returncode == 0 else f"failed ({job.returncode})"
                print(f"{job.name} {outcome}; {job.log_hint}", flush=True)
            child = stack.exited()
            if child is not None:
                print(
                    f"{child.name} exited ({child.returncode}); {child.log_hint}", file=sys.stderr
                )
                return 1
        return 0
    except StackError as error:
        print(f"mm-analytics up: {error}", file=sys.stderr)
        return 1
    finally:
        stack.stop()


def main(argv: Sequence[str]) -> int:
    """Entry point of `mm-analytics up`."""
    options = parse_options(argv)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    return run(options, stop)
