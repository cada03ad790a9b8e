"""Reading what `mm-analytics up` prints, shared by the tests that launch it."""

from __future__ import annotations

import queue
import subprocess
import time

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
