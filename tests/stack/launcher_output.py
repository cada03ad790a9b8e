"""Reading what `mm-analytics up` prints, shared by the tests that launch it."""

from __future__ import annotations

import contextlib
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping

BANNER_END = "Ctrl-C stops everything."


def read_lines(stream, lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def wait_for_banner(
    launcher: subprocess.Popen[str], lines: queue.Queue[str], timeout: float
) -> str:
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline and (launcher.poll() is None or not lines.empty()):
        try:
            seen.append(lines.get(timeout=0.5))
        except queue.Empty:
            continue
        if BANNER_END in seen[-1]:
            return "".join(seen)
    raise AssertionError("no banner within the deadline:\n" + "".join(seen))


@contextlib.contextmanager
def running_up(
    argv: list[str], env: Mapping[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`mm-analytics up` started with `argv`, its banner once printed; stopped with SIGTERM
    (SIGKILL after a minute) when the block ends, so a failed test leaves no children."""
    launcher = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env=None if env is None else dict(env),
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=read_lines, args=(launcher.stdout, lines), daemon=True).start()
    try:
        yield launcher, wait_for_banner(launcher, lines, timeout=120)
    finally:
        if launcher.poll() is None:
            launcher.send_signal(signal.SIGTERM)
            try:
                launcher.wait(timeout=60)
            except subprocess.TimeoutExpired:
                launcher.kill()
                launcher.wait()
        if launcher.stdout is not None:
            launcher.stdout.close()
