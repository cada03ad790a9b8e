"""What `mm-analytics up` is asked to run: ports, platform, sandbox, history, store, files."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from stack import prometheus_files

DEFAULT_PORTS = {
    "sandbox": 8900,
    "exporter": 9877,
    "prometheus": 9090,
    "alertmanager": 9093,
    "facade": 8000,
}
# Ports of the services a choice of store adds.
STORE_PORTS = {"victoriametrics": 8428}
STORES = ("prometheus", *STORE_PORTS)
MIN_RETENTION_DAYS = 100  # the daily analytics reach back 90 days
DAYS_PER_UNIT = {"d": 1, "w": 7, "y": 365}


@dataclass(frozen=True)
class Options:
    """What `mm-analytics up` was asked to run."""

    state_dir: Path
    ports: dict[str, int]
    platform_url: str | None
    platform_token: str | None
    org_ids: tuple[str, ...]
    seed: int
    rate: float
    scrape_interval: str
    with_alertmanager: bool
    prometheus_dir: Path
    links_url: str
    history_days: int = 90
    backfill_days: int = 90
    store: str = "prometheus"
    retention: str = "120d"

    def url(self, service: str) -> str:
        """The loopback URL of a service."""
        return f"http://127.0.0.1:{self.ports[service]}"


def argument_parser(environ: Mapping[str, str]) -> argparse.ArgumentParser:
    """The options of `mm-analytics up`; the file locations default from the environment."""
    parser = argparse.ArgumentParser(prog="mm-analytics up", description=__doc__)
    parser.add_argument("--state-dir", type=Path, default=Path(".state"))
    for service, port in {**DEFAULT_PORTS, **STORE_PORTS}.items():
        parser.add_argument(f"--{service}-port", type=int, default=port, metavar="PORT")
    parser.add_argument("--platform-url", help="read a real platform instead of the sandbox")
    parser.add_argument("--platform-token", help="service token for --platform-url")
    parser.add_argument("--org-ids", default="", help="comma-separated org ids (real platform)")
    parser.add_argument("--seed", type=int, default=7, help="sandbox seed")
    parser.add_argument("--rate", type=float, default=2.0, help="sandbox executions per second")
    parser.add_argument("--scrape-interval", default="15s")
    parser.add_argument(
        "--history-days", type=int, default=90, help="days of past activity a new sandbox holds"
    )
    parser.add_argument(
        "--backfill-days",
        type=int,
        default=90,
        help="days of history to backfill into Prometheus (0: none; a finished backfill is kept)",
    )
    parser.add_argument("--no-alertmanager", action="store_true")
    parser.add_argument(
        "--store",
        choices=STORES,
        default="prometheus",
        help="where the samples are kept and read: the embedded Prometheus, or VictoriaMetrics"
        " that Prometheus remote-writes to (default prometheus)",
    )
    parser.add_argument(
        "--retention",
        default="120d",
        help=f"how long the store keeps samples, at least {MIN_RETENTION_DAYS}d (e.g. 120d, 1y)",
    )
    parser.add_argument(
        "--prometheus-dir",
        type=Path,
        default=prometheus_files.prometheus_dir(environ),
        help="prometheus.yml, alertmanager.yml and rules/ (default: the files packaged with"
        f" mm-analytics; ${prometheus_files.PROMETHEUS_DIR_SETTING})",
    )
    parser.add_argument(
        "--links-url",
        default=prometheus_files.links_url(environ),
        help="external base of the alerts' runbook and dashboard links (default"
        f" {prometheus_files.DEFAULT_LINKS_URL}; ${prometheus_files.LINKS_URL_SETTING})",
    )
    return parser


def parse_options(argv: Sequence[str], environ: Mapping[str, str] = os.environ) -> Options:
    """Options from the command line and the environment; every port is overridable."""
    parser = argument_parser(environ)
    args = parser.parse_args(list(argv))
    if args.platform_url and not (args.platform_token and args.org_ids):
        parser.error("--platform-url needs --platform-token and --org-ids")
    if not prometheus_files.is_absolute_url(args.links_url):
        parser.error(f"--links-url needs an absolute http(s) URL, not {args.links_url!r}")
    days = retention_days(args.retention)
    if days is None or days < MIN_RETENTION_DAYS:
        parser.error(f"--retention needs at least {MIN_RETENTION_DAYS}d, not {args.retention!r}")
    services = {**DEFAULT_PORTS, **STORE_PORTS}
    ports = {service: getattr(args, f"{service}_port") for service in services}
    return Options(
        state_dir=args.state_dir.resolve(),
        ports=ports,
        platform_url=args.platform_url,
        platform_token=args.platform_token,
        org_ids=tuple(org for org in args.org_ids.split(",") if org),
        seed=args.seed,
        rate=args.rate,
        scrape_interval=args.scrape_interval,
        with_alertmanager=not args.no_alertmanager,
        prometheus_dir=args.prometheus_dir.resolve(),
        links_url=args.links_url.rstrip("/"),
        history_days=args.history_days,
        backfill_days=args.backfill_days,
        store=args.store,
        retention=args.retention,
    )


def retention_days(text: str) -> int | None:
    """The days of a retention both stores read alike (`120d`, `20w`, `1y`), else None."""
    match = re.fullmatch(r"(\d+)([dwy])", text)
    return int(match.group(1)) * DAYS_PER_UNIT[match.group(2)] if match else None
