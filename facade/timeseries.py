"""Hourly, daily, weekly and monthly execution series, exact to the execution.

Per request: one instant query checks the workspace and the activity collector's freshness
while, from the reading pool, the counter's values at the bucket boundaries and its resets are
read (`facade.boundaries`).
Weeks and months are counted as their calendar days and summed; asking further back than the
retention is a 422 before any query (`facade.retention`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, tzinfo
from functools import partial

from facade import buckets as calendar
from facade import promql, retention
from facade.boundaries import BoundaryReader
from facade.boundary_reads import BoundaryReads, Group
from facade.config import DEFAULT_RETENTION_DAYS
from facade.promql.counters import EXECUTIONS_COUNTED, Counted
from facade.readings import Reader, Reading
from facade.results import Period, TimeSeries

METRIC = "executions"


class ExecutionSeriesService:
    """Executions per hour or per calendar day, week or month of one workspace."""

    def __init__(self, reader: Reader, retention_days: float = DEFAULT_RETENTION_DAYS) -> None:
        self.reader = reader
        # The runs of boundaries are read at once while the request's thread checks the
        # workspace (none of these threads waits on another).
        pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="boundary-reads")
        self.boundaries = BoundaryReader(reader.client, pool)
        self.retention_days = retention_days

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
        counts = self.checked(scope, buckets, (EXECUTIONS_COUNTED,))[1][0]
        return counts.get((), [0] * len(buckets.starts))

    def checked(
        self,
        scope: promql.Scope,
        buckets: calendar.Buckets,
        counted: Sequence[Counted],
        parts: promql.Parts | None = None,
    ) -> tuple[Reading, list[dict[Group, list[int]]]]:
        """The check's reading of `parts` (existence and freshness by default) and the exact
        counts per bucket of each group of each `counted`, read while the workspace is checked."""
        reads = [self.boundaries.start(scope, buckets, item) for item in counted]
        checks = promql.existence_parts(scope) if parts is None else parts
        reading = self.reader.read(checks, ("activity",), buckets.now)
        self.reader.require(reading, scope)
        return reading, [
            self.boundaries.counts(scope, buckets, item, found())
            for item, found in zip(counted, reads, strict=True)
        ]

    def _reads(self, scope: promql.Scope, buckets: calendar.Buckets) -> BoundaryReads:
        return self.boundaries.reads(scope, buckets, EXECUTIONS_COUNTED)

    def counts(
        self,
        scope: promql.Scope,
        buckets: calendar.Buckets,
        reads: BoundaryReads | None = None,
    ) -> list[int]:
        """Exact executions per bucket, from the boundary `reads` when already read."""
        counts = self.boundaries.counts(scope, buckets, EXECUTIONS_COUNTED, reads)
        return counts.get((), [0] * len(buckets.starts))
