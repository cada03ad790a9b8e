"""Time buckets of the execution series: hours in UTC; calendar days, weeks and months in any
IANA zone.

A series of N buckets ends with the current, partial one (from its start to "now"). Counter
values are read at the boundaries p0 < p1 < ... < pN (the bucket starts, then "now"); bucket k
holds what the counter gained in (p(k-1), p(k)]. `reads` groups the boundaries into runs of
equal spacing, so each run is one range query whose step and window equal that spacing (a DST
day of 23 or 25 hours gets a run of its own).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

HOUR = 3600.0


@dataclass(frozen=True)
class Buckets:
    """Bucket start times (unix seconds, oldest first), "now", and the zone of their labels."""

    starts: tuple[float, ...]
    now: float
    zone: tzinfo

    @property
    def boundaries(self) -> tuple[float, ...]:
        """p0 ... pN: every bucket start, then "now"."""
        return (*self.starts, self.now)

    def labels(self) -> list[str]:
        """ISO-8601 start of each bucket in the bucket zone (`Z` when the offset is zero)."""
        return [iso_time(start, self.zone) for start in self.starts]


@dataclass(frozen=True)
class Run:
    """Boundaries read by one range query: indices first..last, spaced by `step` seconds."""

    first: int
    last: int
    start: float
    step: float

    @property
    def shift(self) -> float:
        """How far later the range is sent so that it starts on a multiple of its step, in whole
        milliseconds; its selectors look back as far (`offset`). 0 for a single boundary.

        Query caches (VictoriaMetrics', a Thanos query frontend's) round a range's start down to
        a multiple of its step: a day of a zone east or west of UTC would move by hours.
        """
        if self.last == self.first:
            return 0.0
        return round(-self.start % self.step * 1000) % round(self.step * 1000) / 1000

    @property
    def indices(self) -> slice:
        """The run's boundaries, as a slice of every boundary."""
        return slice(self.first, self.last + 1)

    @property
    def end(self) -> float:
        """The last boundary of the run, where it is read."""
        return self.start + (self.last - self.first) * self.step


def iso_time(at: float, zone: tzinfo = UTC) -> str:
    """ISO-8601 with seconds and the zone's offset, `Z` for UTC."""
    text = datetime.fromtimestamp(at, zone).isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def hourly(now: float, hours: int) -> Buckets:
    """`hours` UTC hour buckets, the last one the current hour up to `now`."""
    current = now - now % HOUR
    return Buckets(tuple(current - i * HOUR for i in range(hours - 1, -1, -1)), now, UTC)


def _midnight(day: datetime, zone: tzinfo) -> float:
    # A midnight skipped by a DST jump resolves (fold=0) to the instant of the jump, which is
    # when that calendar day really starts.
    return datetime.combine(day.date(), time(0), tzinfo=zone).timestamp()


def daily(now: float, days: int, zone: tzinfo) -> Buckets:
    """`days` calendar-day buckets of `zone`, the last one today up to `now`."""
    today = datetime.fromtimestamp(now, zone)
    starts = tuple(_midnight(today - timedelta(days=i), zone) for i in range(days - 1, -1, -1))
    return Buckets(starts, now, zone)


def weekly(now: float, weeks: int, zone: tzinfo, week_start: int) -> Buckets:
    """`weeks` calendar-week buckets of `zone` starting on weekday `week_start` (0: Monday),
    the last one the current week up to `now`."""
    today = datetime.fromtimestamp(now, zone)
    this_week = today - timedelta(days=(today.weekday() - week_start) % 7)
    starts = tuple(
        _midnight(this_week - timedelta(weeks=i), zone) for i in range(weeks - 1, -1, -1)
    )
    return Buckets(starts, now, zone)


def _month_start(year: int, month: int, zone: tzinfo) -> float:
    return _midnight(datetime(year, month, 1), zone)


def monthly(now: float, months: int, zone: tzinfo) -> Buckets:
    """`months` calendar-month buckets of `zone`, the last one the current month up to `now`."""
    today = datetime.fromtimestamp(now, zone)
    index = today.year * 12 + today.month - 1
    starts = tuple(
        _month_start((index - i) // 12, (index - i) % 12 + 1, zone)
        for i in range(months - 1, -1, -1)
    )
    return Buckets(starts, now, zone)


def days_of(buckets: Buckets) -> Buckets:
    """The calendar days of `buckets.zone` from the first bucket's start to "now" (weeks and
    months start at a midnight, so each of their buckets is a run of whole days)."""
    first = datetime.fromtimestamp(buckets.starts[0], buckets.zone).date()
    today = datetime.fromtimestamp(buckets.now, buckets.zone).date()
    return daily(buckets.now, (today - first).days + 1, buckets.zone)


def regrouped(buckets: Buckets, days: Buckets, counts: Sequence[int]) -> list[int]:
    """The counts of `days` summed into the buckets that hold them."""
    sums = [0] * len(buckets.starts)
    for start, count in zip(days.starts, counts, strict=True):
        sums[bisect_right(buckets.starts, start) - 1] += count
    return sums


def reads(buckets: Buckets) -> list[Run]:
    """Runs of equally spaced boundaries covering p0 ... pN (p0 joins the first run)."""
    points = buckets.boundaries
    runs: list[Run] = []
    for index in range(1, len(points)):
        step = points[index] - points[index - 1]
        if step <= 0:
            continue  # "now" exactly on a boundary: the partial bucket is empty
        previous = runs[-1] if runs else None
        if previous is not None and previous.last == index - 1 and previous.step == step:
            runs[-1] = Run(previous.first, index, previous.start, step)
        elif previous is None:
            runs.append(Run(index - 1, index, points[index - 1], step))
        else:
            runs.append(Run(index, index, points[index], step))
    return runs
