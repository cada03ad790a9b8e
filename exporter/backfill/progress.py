"""Progress of a backfill: one line updated in place on a terminal, else a log line every 10 s."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TextIO

log = logging.getLogger(__name__)
TERMINAL_INTERVAL = 0.2  # seconds between redraws of the line
LOG_INTERVAL = 10.0


def duration(seconds: float) -> str:
    """`1h02m`, `3m05s` or `12s`."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class Progress:
    """Records read and days done of `total_days`, with the rate and the time left."""

    def __init__(
        self,
        total_days: int,
        stream: TextIO,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total_days = total_days
        self.records = 0
        self.days = 0
        self._stream = stream
        self._terminal = stream.isatty()
        self._clock = clock
        self._started = self._shown = clock()

    def add_records(self, count: int) -> None:
        """Records of one page were read."""
        self.records += count
        self._show()

    def add_day(self) -> None:
        """One day of one org is written and committed."""
        self.days += 1
        self._show()

    def line(self) -> str:
        """The figures as one line."""
        elapsed = max(self._clock() - self._started, 1e-9)
        left = "?"
        if self.days:
            left = duration(elapsed / self.days * (self.total_days - self.days))
        return (
            f"{self.records:,} records, {self.days}/{self.total_days} days, "
            f"{self.records / elapsed:,.0f} records/s, {left} left"
        )

    def _show(self) -> None:
        now = self._clock()
        interval = TERMINAL_INTERVAL if self._terminal else LOG_INTERVAL
        if now - self._shown < interval:
            return
        self._shown = now
        if self._terminal:
            self._stream.write(f"\r{self.line()}\x1b[K")
            self._stream.flush()
        else:
            log.info("backfill: %s", self.line())

    def finish(self) -> str:
        """End the line on a terminal; the final figures."""
        if self._terminal:
            self._stream.write(f"\r{self.line()}\x1b[K\n")
            self._stream.flush()
        return self.line()
