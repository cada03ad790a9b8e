"""Writing Prometheus blocks: promtool in a staging directory, then a rename into the data dir.

The staging directory lives inside the data dir (so a rename never crosses file systems, even
when the data dir is a mounted volume) under a name that is not a block ULID, which Prometheus
ignores. A block appears in the data dir only whole, under the ULID promtool gave it (a block
directory named otherwise makes Prometheus compact it again and again); Prometheus loads new
block directories by itself within about a minute and merges overlapping blocks, dropping
identical samples, so a window written twice after a crash counts once.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from exporter.backfill.openmetrics import render
from exporter.backfill.writer import BackfillError, Points

STAGING = "backfill-staging"
ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
PACKAGE = "prometheus"  # the Debian package that ships promtool
# promtool's default cuts a day's input into twelve 2-hour blocks; at most a day (promtool picks
# 18-hour ranges) makes two or three: fewer fsyncs, and far fewer blocks for a query over months
# of the detail families' series to open.
MAX_BLOCK_DURATION = "24h"


def find_promtool(path: str | None = None) -> str:
    """promtool's path (the given one, else from PATH); BackfillError naming the package."""
    found = shutil.which(path or "promtool")
    if found is None:
        raise BackfillError(
            f"promtool is not installed: install the Debian package '{PACKAGE}' "
            f"(apt-get install -y {PACKAGE}) or put promtool on PATH"
        )
    return found


class BlockWriter:
    """Turns OpenMetrics texts into blocks with `workers` promtool processes at a time."""

    def __init__(self, data_dir: Path, promtool: str, workers: int = 2) -> None:
        self.data_dir = data_dir
        self.staging = data_dir / STAGING
        # Its own directory per run: promtool processes of a killed run may still be writing
        # into theirs, and must not make this run's directories fail or mix with them.
        self.run_dir = self.staging / f"run-{os.getpid()}-{time.time_ns()}"
        self._promtool = promtool
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="promtool")
        self.target = f"Prometheus data dir {data_dir}"
        self.unit = "blocks"
        self.written = 0

    def prepare(self) -> None:
        """Check the data dir can take blocks and empty the staging directory."""
        try:
            if not self.data_dir.is_dir():
                raise BackfillError(f"Prometheus data dir {self.data_dir} is not a directory")
            shutil.rmtree(self.staging, ignore_errors=True)  # what a stopped run left
            self.run_dir.mkdir(parents=True)
        except OSError as error:
            raise BackfillError(
                f"Prometheus data dir {self.data_dir} cannot be written: {error}"
            ) from None

    def submit(self, name: str, points: Points) -> Future[Path]:
        """Start promtool on the OpenMetrics text of the input `name`."""
        directory = self.run_dir / name
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        source = directory / "input.om"
        source.write_text(render(points), encoding="utf-8")
        return self._pool.submit(self._create, source, directory / "blocks")

    def _create(self, source: Path, output: Path) -> Path:
        command = [
            "tsdb", "create-blocks-from", "openmetrics", "--quiet",
            f"--max-block-duration={MAX_BLOCK_DURATION}", str(source), str(output),
        ]  # fmt: skip
        result = subprocess.run(  # noqa: S603 - promtool with paths this module chose
            [self._promtool, *command],
            capture_output=True,
            check=False,
        )
        if result.returncode != 0:
            message = result.stderr.decode(errors="replace").strip().splitlines()
            raise BackfillError(f"promtool failed on {source.name}: {' '.join(message)[-500:]}")
        return output

    def install(self, name: str, future: Future[Path]) -> int:
        """Wait for the input's promtool run and move its blocks into the data dir."""
        try:
            return self._move(name, future)
        except OSError as error:
            raise BackfillError(f"cannot move blocks into {self.data_dir}: {error}") from None

    def _move(self, name: str, future: Future[Path]) -> int:
        moved = 0
        for block in sorted(future.result().iterdir()):
            if ULID.match(block.name) and (block / "meta.json").exists():
                block.rename(self.data_dir / block.name)
                moved += 1
        _sync_directory(self.data_dir)
        shutil.rmtree(self.run_dir / name, ignore_errors=True)
        self.written += moved
        return moved

    def close(self) -> None:
        """Stop the promtool workers and remove the staging directory."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.staging, ignore_errors=True)


def _sync_directory(path: Path) -> None:
    """Make the renames durable before the ledger says the window is written."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
