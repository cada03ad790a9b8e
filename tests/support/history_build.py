"""Backfill the history into a Prometheus TSDB once, cached under `.cache/history/<key>/`.

The key hashes the generator's sources, so editing the history rebuilds it. The root conftest
starts `python -m tests.support.history_build` in the background as soon as the session has
collected a test that needs it; `history_tsdb()` waits for that build (or runs one itself).
A file lock keeps two sessions from building the same key at once.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from stack.supervisor import REPO_ROOT, find_binary
from tests.support.history import END
from tests.support.history_openmetrics import all_series, block_windows, write_window

CACHE_ROOT = REPO_ROOT / ".cache" / "history"
SOURCES = (
    "history.py",
    "history_details.py",
    "history_inventory.py",
    "history_openmetrics.py",
)  # what shapes the data
PROMTOOL_JOBS = 2
UNUSED_AFTER = 86400.0  # seconds since a build was last used before another may remove it

_background: subprocess.Popen[bytes] | None = None


def history_key() -> str:
    """A hash of everything that shapes the backfilled TSDB."""
    digest = hashlib.sha256()
    for name in SOURCES:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


def cache_dir() -> Path:
    """Where the TSDB of the current generator lives once built."""
    return CACHE_ROOT / history_key()


def _complete(directory: Path) -> bool:
    return (directory / "complete").exists()


@contextlib.contextmanager
def _locked(key: str) -> Iterator[None]:
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    with (CACHE_ROOT / f"{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _promtool(promtool: str, source: Path, tsdb: Path) -> None:
    result = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(source), str(tsdb)],
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"promtool failed on {source.name}: {result.stderr.decode()[-2000:]}")
    source.unlink()


def _backfill(work: Path) -> tuple[int, int]:
    """Write the window files and backfill them, overlapping generation with promtool."""
    promtool = find_binary("promtool")
    series = all_series(END)
    tsdb = work / "tsdb"
    tsdb.mkdir(parents=True)
    samples = 0
    windows = block_windows()
    with ThreadPoolExecutor(PROMTOOL_JOBS) as pool:
        futures: list[Future[None]] = []
        for start, end in windows:
            path = work / f"{start}.om"
            samples += write_window(series, start, end, path)
            futures.append(pool.submit(_promtool, promtool, path, tsdb))
        for future in futures:
            future.result()
    return len(windows), samples


def _remove_unused(key: str) -> None:
    """Remove the builds of other generator versions unused for `UNUSED_AFTER`: worktrees of
    other versions share the cache, and may be building or reading theirs right now."""
    cutoff = time.time() - UNUSED_AFTER
    for stale in CACHE_ROOT.iterdir():
        if stale.name.startswith(key):
            continue
        used = stale / "complete" if (stale / "complete").exists() else stale
        if used.stat().st_mtime > cutoff:
            continue
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        elif stale.suffix == ".lock":
            stale.unlink(missing_ok=True)


def build() -> Path:
    """Build the TSDB of the current generator unless it is cached; returns its directory."""
    key = history_key()
    target = CACHE_ROOT / key
    with _locked(key):
        if _complete(target):
            (target / "complete").touch()  # in use: kept while other versions are built
            return target
        _remove_unused(key)
        work = CACHE_ROOT / f"{key}.building"
        shutil.rmtree(work, ignore_errors=True)
        started = time.monotonic()
        windows, samples = _backfill(work)
        seconds = time.monotonic() - started
        (work / "complete").write_text(f"{windows} blocks, {samples} samples, {seconds:.1f} s\n")
        shutil.rmtree(target, ignore_errors=True)
        work.rename(target)
    return target


def _stop_background() -> None:
    if _background is not None and _background.poll() is None:
        _background.terminate()
        _background.wait(30)


def start_background_build() -> None:
    """Start building the TSDB in a child process unless it is cached or already building."""
    global _background  # noqa: PLW0603 - one build per test session
    if _background is not None or _complete(cache_dir()):
        return
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    log = (CACHE_ROOT / "build.log").open("ab")
    _background = subprocess.Popen(
        [sys.executable, "-m", "tests.support.history_build"],
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    atexit.register(_stop_background)


def history_tsdb(timeout: float = 900.0) -> Path:
    """The cached TSDB directory, waiting for the background build or building it here."""
    if _background is not None:
        code = _background.wait(timeout)
        if code != 0:
            log = (CACHE_ROOT / "build.log").read_text()[-3000:]
            raise RuntimeError(f"history build failed with {code}:\n{log}")
    return build() / "tsdb"


def main() -> int:
    """Build the history TSDB (the background job's entry point)."""
    print(f"history TSDB ready in {build()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
