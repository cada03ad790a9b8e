"""`mm-analytics facade`: serve the façade with gunicorn, configured from `FACADE_*`.

The configuration is checked before gunicorn starts, so a mistake is one readable message
instead of a crash loop of workers. Workers share their metrics through a fresh
`PROMETHEUS_MULTIPROC_DIR`, removed on exit. A façade killed outright (SIGKILL, the OOM killer)
cannot remove it, so each start removes the directories no running façade holds: every
directory carries a lock file that this process and gunicorn (which inherits the descriptor)
hold locked for as long as any of them lives.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import FrameType

from facade.config import ConfigError, load_config


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mm-analytics facade",
        description="Serve the analytics REST façade (configuration from FACADE_* variables).",
    )
    parser.add_argument("--bind", default="127.0.0.1:8000", help="host:port to listen on")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    # Threaded workers: one slow client then holds a thread, not a whole worker.
    parser.add_argument(
        "--threads", type=int, default=4, help="threads per worker (gthread workers)"
    )
    parser.add_argument("--timeout", type=int, default=30, help="worker timeout in seconds")
    return parser


METRICS_DIR_PREFIX = "mm-facade-metrics-"
LOCK_NAME = ".owner.lock"


def remove_abandoned_metrics_dirs(parent: Path) -> None:
    """Remove the metrics directories under `parent` whose lock nobody holds."""
    for directory in parent.glob(f"{METRICS_DIR_PREFIX}*"):
        try:
            descriptor = os.open(directory / LOCK_NAME, os.O_RDWR)
        except OSError:
            continue  # not one of ours, or not ours to remove
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # a running façade holds it
        finally:
            os.close(descriptor)
        shutil.rmtree(directory, ignore_errors=True)


def claim_metrics_dir(parent: Path) -> tuple[Path, int]:
    """A new metrics directory and the descriptor of its held lock (to pass to gunicorn)."""
    # Built under a name the cleanup ignores, locked, then renamed: never removable half-made.
    building = Path(tempfile.mkdtemp(prefix=f".{METRICS_DIR_PREFIX}", dir=parent))
    descriptor = os.open(building / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    directory = building.with_name(building.name[1:])
    building.rename(directory)
    return directory, descriptor


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
    parent = Path(tempfile.gettempdir())
    remove_abandoned_metrics_dirs(parent)
    metrics_dir, lock = claim_metrics_dir(parent)
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    argv = gunicorn_argv(args)
    server = subprocess.Popen(argv, env=env, pass_fds=(lock,))  # noqa: S603 - fixed argv

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
        with contextlib.suppress(OSError):
            os.close(lock)
