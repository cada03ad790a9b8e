"""Hourly, daily, weekly and monthly execution series, exact to the execution.

Per request, at once: one range query per run of equally spaced boundaries (sent from a
multiple of its step, its selectors looking back by as much, see `buckets.Run.shift`; an
instant query for a run of one) reads the counter's last sample at each boundary, while one
instant query checks the workspace, the activity collector's freshness and whether the counter
decreased anywhere from the window before the first boundary to "now". When it did not, and
the first boundary's window holds a sample, the boundary values alone give the exact counts.
Otherwise each boundary's resets and minimum over the window back to the previous boundary are
read the same way; only when the first boundary's window is empty is one long-lookback query
added, and only buckets that may hold a counter reset have their raw samples fetched. Weeks and
months are counted as their calendar days and summed; asking further back than the retention
is a 422 before any query (`facade.retention`).
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
Query = Callable[[promql.Scope, float, float], promql.Parts]  # scope, window, shift
# How many of the latest buckets are checked alone for the counter's resets: a reset is most
# often recent, and these windows add little to the check of the whole span.
RECENT_BUCKETS = (1, 2, 4, 8, 16)


Columns = dict[int, dict[str, float]]  # boundary index -> part -> value


def _columns_of(series: list[Series], run: calendar.Run, columns: Columns) -> None:
    for item in series:
        part = item.labels.get(promql.PART_LABEL, "")
        for at, value in item.points:
            index = run.first + round((at - run.shift - run.start) / run.step)
            columns.setdefault(index, {})[part] = value


def _read(column: dict[str, float] | None) -> BoundaryRead | None:
    if column is None:
        return None
    return BoundaryRead(
        value=column.get(promql.Part.COUNTER_VALUE),
        resets=column.get(promql.Part.COUNTER_RESETS, 0.0),
        minimum=column.get(promql.Part.COUNTER_MIN),
    )


class ExecutionSeriesService:
    """Executions per hour or per calendar day, week or month of one workspace."""

    def __init__(self, reader: Reader, retention_days: float = DEFAULT_RETENTION_DAYS) -> None:
        self.reader = reader
        self.client = reader.client
        self.retention_days = retention_days
        # Boundary values are read while the request's thread checks the workspace.
        self.pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="boundary-values")

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
        ServiceUnavailable otherwise), its boundary values read while it is checked."""
        points = buckets.boundaries
        values = self.pool.submit(self._columns, scope, buckets, promql.counter_values)
        last = len(points) - 1
        suffixes = [size for size in RECENT_BUCKETS if size < last]
        # The span starts one window before the first boundary: the last sample at or before it
        # is in the span whenever the first boundary's window holds a sample.
        span = 2 * points[0] - points[1] if last else points[0]
        windows = [points[-1] - span, *(points[-1] - points[last - size] for size in suffixes)]
        reading = self.reader.read(
            promql.series_parts(scope, windows), ("activity",), now=buckets.now
        )
        self.reader.require(reading, scope)
        resets = {
            index: round(value)
            for index, value in reading.by(promql.Part.SPAN_RESETS, promql.WINDOW_LABEL).items()
        }
        columns = values.result()
        first = _read(columns.get(0))
        if (first is None or first.value is None) and self._before(scope, points[0]) is not None:
            return self.counts(scope, buckets, columns)
        # Here every sample up to the first boundary's is in the span, or there is none before
        # it (a counter that started later, from 0).
        total = resets.get("0", 0)
        if total == 0:
            reads = [_read(columns.get(index)) for index in range(len(points))]
            return bucket_counts(points, boundary_values(reads, None), {})
        # Every decrease of the span within the last `size` buckets: only they are checked.
        recent = (size for index, size in enumerate(suffixes, 1) if resets.get(str(index)) == total)
        return self.counts(scope, buckets, columns, last - next(recent, last))

    def _before(self, scope: promql.Scope, at: float) -> float | None:
        """The counter's last sample at or before `at`, however old (None: no sample)."""
        found = self.client.instant(promql.counter_before(scope), at)
        return found[0].value if found else None

    def _read_run(self, scope: promql.Scope, run: calendar.Run, query: Query) -> list[Series]:
        """One read of a run: a range query, or an instant query for one boundary (no query
        cache or frontend moves an instant query, while a one-point range could be moved to a
        multiple of its step)."""
        if run.last == run.first:
            found = self.client.instant(promql.tagged(query(scope, run.step, 0.0)), run.start)
            return [Series(sample.labels, ((run.start, sample.value),)) for sample in found]
        return self.client.range(
            promql.tagged(query(scope, run.step, run.shift)),
            run.start + run.shift,
            run.end + run.shift,
            run.step,
        )

    def _columns(
        self,
        scope: promql.Scope,
        buckets: calendar.Buckets,
        query: Query,
        columns: Columns | None = None,
        first: int = 0,
    ) -> Columns:
        """`query`'s parts at boundaries `first`... of `buckets`, added to `columns`."""
        columns = {} if columns is None else columns
        later = calendar.Buckets(buckets.starts[first:], buckets.now, buckets.zone)
        for run in calendar.reads(later):
            moved = calendar.Run(run.first + first, run.last + first, run.start, run.step)
            _columns_of(self._read_run(scope, run, query), moved, columns)
        return columns

    def counts(
        self,
        scope: promql.Scope,
        buckets: calendar.Buckets,
        values: Columns | None = None,
        checked_from: int = 0,
    ) -> list[int]:
        """Exact executions per bucket, from the boundary `values` already read, if any; resets
        are looked for from boundary `checked_from` on (none can lie before it)."""
        points = buckets.boundaries
        if values is None:
            columns = self._columns(scope, buckets, promql.counter_values)
        else:
            columns = {index: dict(column) for index, column in values.items()}
        self._columns(scope, buckets, promql.counter_checks, columns, checked_from)
        reads = [_read(columns.get(index)) for index in range(len(points))]
        before = None
        if reads[0] is None or reads[0].value is None:
            before = self._before(scope, points[0])
        values_at = boundary_values(reads, before)
        samples = {
            index: [
                item.points
                for item in self.client.instant_matrix(
                    promql.counter_samples(scope, points[index] - points[index - 1]), points[index]
                )
            ]
            for index in range(1, len(points))
            if may_have_reset(reads[index], values_at[index - 1])
        }
        return bucket_counts(points, values_at, samples)
