"""Hourly, daily, weekly and monthly execution series, exact to the execution.

Per request: one instant query checks the workspace and the activity collector's freshness
while, from a second thread, one range query per run of equally spaced boundaries (sent from a
multiple of its step, its selectors looking back by as much, see `buckets.Run.shift`; an
instant query for a run of one) reads, at each boundary, the counter's last sample, its resets
and its minimum over the window back to the previous boundary; only when the first boundary's
window is empty is one long-lookback query added, and only buckets that may hold a counter
reset have their raw samples fetched. Weeks and months are counted as their calendar days and
summed; asking further back than the retention is a 422 before any query (`facade.retention`).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, tzinfo
from functools import partial

from facade import buckets as calendar
from facade import promql, retention
from facade.config import DEFAULT_RETENTION_DAYS
from facade.counting import BoundaryRead, boundary_values, bucket_counts, may_have_reset
from facade.prometheus import Series
from facade.readings import Reader
from facade.results import Period, TimeSeries

METRIC = "executions"


def _reads_of(series: list[Series], run: calendar.Run) -> dict[int, BoundaryRead]:
    columns: dict[int, dict[str, float]] = {}
    for item in series:
        part = item.labels.get(promql.PART_LABEL, "")
        for at, value in item.points:
            index = run.first + round((at - run.shift - run.start) / run.step)
            columns.setdefault(index, {})[part] = value
    return {
        index: BoundaryRead(
            value=column.get(promql.Part.COUNTER_VALUE),
            resets=column.get(promql.Part.COUNTER_RESETS, 0.0),
            minimum=column.get(promql.Part.COUNTER_MIN),
        )
        for index, column in columns.items()
    }


class ExecutionSeriesService:
    """Executions per hour or per calendar day, week or month of one workspace."""

    def __init__(self, reader: Reader, retention_days: float = DEFAULT_RETENTION_DAYS) -> None:
        self.reader = reader
        self.client = reader.client
        self.retention_days = retention_days
        # The boundaries are read while the request's thread checks the workspace.
        self.pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="boundary-reads")

    def hourly(self, scope: promql.Scope, hours: int) -> TimeSeries:
        """The last `hours` UTC hours, the current one last."""
        buckets = calendar.hourly(self.reader.clock(), hours)
        return TimeSeries(
            METRIC, "hourly", tuple(buckets.labels()), tuple(self.checked_counts(scope, buckets))
        )

    def daily(self, scope: promql.Scope, days: int, zone: tzinfo = UTC) -> TimeSeries:
        """The last `days` calendar days of `zone`, today last."""
        buckets = calendar.daily(self.reader.clock(), days, zone)
        return TimeSeries(
            METRIC, "daily", tuple(buckets.labels()), tuple(self.checked_counts(scope, buckets))
        )

    def weekly(self, scope: promql.Scope, weeks: int, zone: tzinfo, week_start: int) -> TimeSeries:
        """The last `weeks` calendar weeks of `zone`, each from weekday `week_start` (0: Monday)
        at midnight, this week last."""
        build = partial(calendar.weekly, weeks=weeks, zone=zone, week_start=week_start)
        return self._calendar(scope, "weekly", retention.WEEKS, build)

    def monthly(self, scope: promql.Scope, months: int, zone: tzinfo) -> TimeSeries:
        """The last `months` calendar months of `zone`, this month last."""
        build = partial(calendar.monthly, months=months, zone=zone)
        return self._calendar(scope, "monthly", retention.MONTHS, build)

    def _calendar(
        self,
        scope: promql.Scope,
        period: Period,
        reach: retention.Reach,
        build: Callable[[float], calendar.Buckets],
    ) -> TimeSeries:
        # The reach is checked before Prometheus is asked anything, like any invalid parameter.
        buckets = build(self.reader.clock())
        retention.require_retained(reach, buckets, self.retention_days)
        # Counted per calendar day, then summed: each read spans a day, and a bucket holding a
        # counter reset is recounted from one day of raw samples rather than a month of them.
        days = calendar.days_of(buckets)
        counts = calendar.regrouped(buckets, days, self.checked_counts(scope, days))
        return TimeSeries(METRIC, period, tuple(buckets.labels()), tuple(counts))

    def checked_counts(self, scope: promql.Scope, buckets: calendar.Buckets) -> list[int]:
        """Exact executions per bucket of an existing workspace with fresh data (NotFound or
        ServiceUnavailable otherwise), its boundaries read while it is checked."""
        reads = self.pool.submit(self._reads, scope, buckets)
        reading = self.reader.read(promql.existence_parts(scope), ("activity",), buckets.now)
        self.reader.require(reading, scope)
        return self.counts(scope, buckets, reads.result())

    def _read_run(self, scope: promql.Scope, run: calendar.Run) -> list[Series]:
        """The counter reads of one run: a range query, or an instant query for one boundary
        (no query cache or frontend moves an instant query, while a one-point range could be
        moved to a multiple of its step)."""
        if run.last == run.first:
            found = self.client.instant(promql.counter_reads(scope, run.step), run.start)
            return [Series(sample.labels, ((run.start, sample.value),)) for sample in found]
        return self.client.range(
            promql.counter_reads(scope, run.step, run.shift),
            run.start + run.shift,
            run.end + run.shift,
            run.step,
        )

    def _reads(self, scope: promql.Scope, buckets: calendar.Buckets) -> list[BoundaryRead | None]:
        """The counter's value, resets and minimum at every boundary (None: not read)."""
        reads: list[BoundaryRead | None] = [None] * len(buckets.boundaries)
        for run in calendar.reads(buckets):
            for index, read in _reads_of(self._read_run(scope, run), run).items():
                reads[index] = read
        return reads

    def counts(
        self,
        scope: promql.Scope,
        buckets: calendar.Buckets,
        reads: list[BoundaryRead | None] | None = None,
    ) -> list[int]:
        """Exact executions per bucket, from the boundary `reads` when already read."""
        points = buckets.boundaries
        reads = self._reads(scope, buckets) if reads is None else reads
        before = None
        if reads[0] is None or reads[0].value is None:
            found = self.client.instant(promql.counter_before(scope), points[0])
            before = found[0].value if found else None
        values = boundary_values(reads, before)
        samples = {
            index: [
                item.points
                for item in self.client.instant_matrix(
                    promql.counter_samples(scope, points[index] - points[index - 1]), points[index]
                )
            ]
            for index in range(1, len(points))
            if may_have_reset(reads[index], values[index - 1])
        }
        return bucket_counts(points, values, samples)
