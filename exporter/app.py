"""`mm-analytics exporter`: run the exporter until SIGTERM or SIGINT, then stop cleanly."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from dataclasses import MISSING, fields
from pathlib import Path

from exporter.config import (
    CONFIG_PATH_ENV,
    ConfigError,
    ExporterConfig,
    env_name,
    load_command_line_config,
)
from exporter.ledger.store import LedgerError
from exporter.service import ExporterService

log = logging.getLogger("exporter")
# The settings most often given on the command line; every other one is a file key or env var.
FLAGS = {
    "platform_url": "base URL of the MechaMental platform API",
    "org_ids": "comma-separated org ids to export",
    "shard": "k/N: export only shard k of N of the org ids (see exporter.shards)",
    "listen_address": "host:port of /metrics and /healthz (default 127.0.0.1:9877)",
    "ledger_path": "SQLite ledger of execution counts (default exporter-ledger.sqlite3)",
    "inventory_interval": "seconds between inventory passes (default 60)",
    "activity_interval": "seconds between activity polls (default 15)",
    "log_level": "DEBUG, INFO, WARNING or ERROR (default INFO)",
}


def settings_help() -> str:
    """Every setting with its environment variable and default, for `--help`."""
    lines = ["settings (config file key, environment variable, default):"]
    shown = {"activity_start": "the first poll, kept in the ledger (earlier activity: backfill)"}
    for field in fields(ExporterConfig):
        default = "required" if field.default is MISSING else field.default
        if field.default_factory is not MISSING:  # a mapping, written as the environment takes it
            default = ",".join(f"{k}={v}" for k, v in field.default_factory().items())
        default = shown.get(field.name, default)
        lines.append(f"  {field.name:<20} {env_name(field.name):<30} {default}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The command line; each flag beats `EXPORTER_<KEY>`, which beats the config file."""
    parser = argparse.ArgumentParser(
        prog="mm-analytics exporter",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=settings_help(),
        description="Export MechaMental platform analytics to Prometheus. Every setting is a "
        "config file key or an EXPORTER_<KEY> environment variable (the service token only "
        "EXPORTER_PLATFORM_TOKEN or the file, never a flag).",
    )
    parser.add_argument(
        "--config", type=Path, default=None, help=f"YAML config file (or {CONFIG_PATH_ENV})"
    )
    for key, text in FLAGS.items():
        parser.add_argument("--" + key.replace("_", "-"), dest=key, default=None, help=text)
    return parser


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s",
        stream=sys.stderr,
    )
    # A line per job run every few seconds drowns what matters.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def main(argv: list[str]) -> int:
    """Run the exporter; 0 after a clean stop, 2 for a bad config, 1 when it cannot start."""
    args = build_parser().parse_args(argv)
    try:
        flags = {key: getattr(args, key) for key in FLAGS}
        config = load_command_line_config(args.config, flags, os.environ)
    except ConfigError as error:
        print(f"mm-analytics exporter: {error}", file=sys.stderr)
        return 2
    _configure_logging(config.log_level)
    try:
        service = ExporterService(config)
    except (LedgerError, OSError) as error:
        log.error("cannot start: %s", error)
        return 1
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, frame: stop.set())
    service.start()
    while not stop.wait(1.0):
        pass
    log.info("stopping")
    service.stop()
    return 0
