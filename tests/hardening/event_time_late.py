"""Where records written late should be counted, from the sandbox's own rows.

A record the exporter first sees after its org's settled point (the poll's end minus the
lateness) has passed its timestamp counts at that settled point instead, about `lateness`
seconds before it was written. Which side of the lateness a record falls on depends on when
the exporter polled, so records within `MARGIN` of it may land either way: for them the
expectation is a range (`low` counts what must be in an hour, `high` what may be), exact
whenever no such record lies near an hour boundary.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass

HOUR = 3600
# Seconds around the lateness within which a record may be counted either way: the poll
# interval (0.5 s), the lag (0.2 s), the sweep interval (1 s) and scheduling slack.
MARGIN = (1.0, 3.0)
# The settled point a late record counts at, relative to (written - lateness): the previous
# commit's end lies between a few seconds before the record was read and when it was read.
SETTLED_SPREAD = (-5.0, 3.0)


def _hour(seconds: float) -> int:
    return int(seconds // HOUR) * HOUR


def possible_hours(row: sqlite3.Row, lateness: float) -> frozenset[int]:
    """The UTC hours (starts) a record may be counted in on the execution-time clock."""
    stamped, written = row["ts_us"] / 1e6, row["written_us"] / 1e6
    delay = written - stamped
    own = frozenset({_hour(stamped)})
    settled = frozenset(_hour(written - lateness + spread) for spread in SETTLED_SPREAD)
    if delay <= lateness - MARGIN[0]:
        return own
    if delay >= lateness + MARGIN[1]:
        return settled
    return own | settled


@dataclass(frozen=True)
class HourRange:
    """Per (workspace, hour start): executions that must be there, and that may be there."""

    low: Counter[tuple[str, int]]
    high: Counter[tuple[str, int]]

    @classmethod
    def of(cls, rows: list[sqlite3.Row], lateness: float) -> HourRange:
        """The range of every hour that holds or may hold an execution."""
        low: Counter[tuple[str, int]] = Counter()
        high: Counter[tuple[str, int]] = Counter()
        for row in rows:
            hours = possible_hours(row, lateness)
            for hour in hours:
                high[(row["workspace_id"], hour)] += 1
            if len(hours) == 1:
                low[(row["workspace_id"], next(iter(hours)))] += 1
        return cls(low, high)

    def mismatches(self, workspace_id: str, series: list[tuple[float, int]]) -> list[str]:
        """The hours of a served hourly series outside their range."""
        wrong = []
        for start, value in series:
            key = (workspace_id, int(start))
            if not self.low[key] <= value <= self.high[key]:
                wrong.append(
                    f"{workspace_id} hour {int(start)}: served {value}, "
                    f"expected {self.low[key]}..{self.high[key]}"
                )
        return wrong

    def uncertain_hours(self) -> int:
        """How many (workspace, hour) pairs have a range rather than an exact count."""
        return sum(1 for key in self.high if self.low[key] != self.high[key])
