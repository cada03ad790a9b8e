"""`mm-analytics backfill`: write the platform's history before each org's live start into a
Prometheus data dir or a running VictoriaMetrics, resumably; the exporter's own settings are
read as `mm-analytics exporter` reads them (config file, `EXPORTER_*` environment, the same
flags)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

import requests

from exporter.app import FLAGS
from exporter.backfill.blocks import BlockWriter, find_promtool
from exporter.backfill.progress import Progress, duration
from exporter.backfill.reader import ActivityReader
from exporter.backfill.run import Backfill, OrgPlan, plan
from exporter.backfill.victoria import ImportWriter
from exporter.backfill.writer import BackfillError, HistoryWriter
from exporter.config import ConfigError, ExporterConfig, load_command_line_config
from exporter.ledger.event_time import SECOND
from exporter.ledger.store import Ledger, LedgerError
from exporter.metrics.details import counted_families
from exporter.platform.client import PlatformClient
from exporter.platform.errors import PlatformError
from exporter.service import platform_session
from exporter.setting_values import timestamp

log = logging.getLogger("exporter.backfill")
PROG = "mm-analytics backfill"
SETTINGS = ("platform_url", "org_ids", "ledger_path", "log_level")
DEFAULT_DAYS = 90


def build_parser() -> argparse.ArgumentParser:
    """The command line; the exporter's settings also come from its file and environment."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Write the activity before each org's live start (kept in the ledger) into "
        "a Prometheus data dir or VictoriaMetrics as the by-time execution counters, ending at "
        "0 at that start. "
        "A stopped run continues where it stopped; a finished one does nothing.",
    )
    span = parser.add_mutually_exclusive_group()
    span.add_argument("--days", type=int, default=None, help=f"days back (default {DEFAULT_DAYS})")
    span.add_argument("--since", default=None, help="ISO-8601 time to backfill from")
    store = parser.add_mutually_exclusive_group(required=True)
    store.add_argument("--prometheus-data-dir", type=Path, help="TSDB directory (promtool blocks)")
    store.add_argument(
        "--victoriametrics-url", help="VictoriaMetrics to import into (http://host:8428)"
    )
    parser.add_argument(
        "--workers", type=int, default=4, help="days written at once (promtool waits on fsync)"
    )
    parser.add_argument("--promtool", default=None, help="promtool binary (default: on PATH)")
    parser.add_argument("--config", type=Path, default=None, help="the exporter's config file")
    for key in SETTINGS:
        parser.add_argument("--" + key.replace("_", "-"), dest=key, default=None, help=FLAGS[key])
    return parser


def since_micros(args: argparse.Namespace, now: float) -> int:
    """Where the history begins (µs): `--since`, else `--days` before now."""
    if args.since is not None:
        try:
            return round(timestamp(args.since) * SECOND)
        except ValueError as error:
            raise BackfillError(f"--since: {error}") from None
    days = DEFAULT_DAYS if args.days is None else args.days
    if days < 0:
        raise BackfillError("--days must not be negative")
    return round((now - days * 86_400) * SECOND)


def platform_client(config: ExporterConfig) -> PlatformClient:
    """A platform client with the exporter's target and request policy."""
    session = platform_session(1, config.platform_url)
    return PlatformClient(config.platform_target(), session, config.request_policy())


def org_starts(config: ExporterConfig, ledger: Ledger, now: float) -> dict[str, int]:
    """Each org's live start (µs): the configured one, else the ledger's (recorded now if new)."""
    if config.activity_start is not None:
        return {org: round(config.activity_start * SECOND) for org in config.org_ids}
    begin = round((now - config.activity_lag) * SECOND)
    return {org: ledger.begin(org, begin) for org in config.org_ids}


def history_writer(args: argparse.Namespace) -> HistoryWriter:
    """promtool blocks into the data dir, or imports into VictoriaMetrics."""
    if args.victoriametrics_url is not None:
        return ImportWriter(args.victoriametrics_url, requests.Session(), args.workers)
    return BlockWriter(args.prometheus_data_dir, find_promtool(args.promtool), args.workers)


def backfill(config: ExporterConfig, args: argparse.Namespace, now: float) -> str:
    """Run the backfill; its summary line. BackfillError and the boundaries' errors escape."""
    since = since_micros(args, now)
    writer = history_writer(args)
    ledger = Ledger(config.ledger_path, config.label_caps)
    try:
        writer.prepare()
        plans = plan(ledger, org_starts(config, ledger, now), since)
        progress = Progress(sum(len(p.windows) for p in plans), sys.stderr)
        client = platform_client(config)
        reader = ActivityReader(client, progress.add_records)
        kinds = counted_families(config.app_metrics, config.pipeline_metrics)
        Backfill(ledger, reader, writer, progress, kinds).run(plans)
        platform_requests = sum(client.counter.snapshot().values())
        return summary(plans, progress, writer, platform_requests, time.time() - now)
    finally:
        writer.close()
        ledger.close()


def summary(
    plans: list[OrgPlan], progress: Progress, writer: HistoryWriter, requests: int, s: float
) -> str:
    """One line of what the run did."""
    if not any(p.windows for p in plans):
        return "nothing to backfill: the history is already written"
    return (
        f"backfilled {progress.records:,} records, {progress.days} days of {len(plans)} orgs: "
        f"{writer.written} {writer.unit}, {requests} platform requests in {duration(s)}"
    )


def main(argv: list[str]) -> int:
    """Backfill; 0 when done, 2 for a bad setting or when the backfill cannot go on."""
    args = build_parser().parse_args(argv)
    try:
        flags = {key: getattr(args, key) for key in SETTINGS}
        config = load_command_line_config(args.config, flags, os.environ)
    except ConfigError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(level=config.log_level, format="%(asctime)s %(levelname)s %(message)s")
    try:
        print(backfill(config, args, time.time()), flush=True)
    except (BackfillError, PlatformError, LedgerError) as error:
        print(f"{PROG}: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    return 0
