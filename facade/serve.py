"""`mm-analytics facade`: serve the façade with gunicorn, configured from `FACADE_*`.

The configuration is checked before gunicorn starts, so a mistake is one readable message
instead of a crash loop of workers. Workers share their metrics through a fresh
`PROMETHEUS_MULTIPROC_DIR`, removed on exit.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from types import FrameType

from facade.config import ConfigError, load_config


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mm-analytics facade",
        description="Serve the analytics REST façade (configuration from FACADE_* variables).",
    )
    parser.add_argument("--bind", default="127.0.0.1:8000", help="host:port to listen on")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per worker (more than 1: gthread workers)"
    )
    parser.add_argument("--timeout", type=int, default=30, help="worker timeout in seconds")
    return parser


def gunicorn_argv(args: argparse.Namespace) -> list[str]:
    """The gunicorn command line for the parsed options."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:facade.gunicorn_conf",
        "--bind",
        args.bind,
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--timeout",
        str(args.timeout),
    ]


def main(argv: list[str]) -> int:
    """Run gunicorn until it exits or this process is told to stop."""
    args = _parser().parse_args(argv)
    try:
        load_config(os.environ)
    except ConfigError as exc:
        print(f"mm-analytics facade: {exc}", file=sys.stderr)
        return 2
    metrics_dir = tempfile.mkdtemp(prefix="mm-facade-metrics-")
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": metrics_dir}
    server = subprocess.Popen(gunicorn_argv(args), env=env)  # noqa: S603 - fixed argv

    def forward(signum: int, frame: FrameType | None) -> None:
        server.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    try:
        return server.wait()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        shutil.rmtree(metrics_dir, ignore_errors=True)
