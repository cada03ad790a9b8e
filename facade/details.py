"""Execution details of one workspace: latency, tokens, an app's executions and pipelines,
failures by error code.

Each detail family is counted exactly like the execution series: read at the bucket boundaries
per value of its labels (`facade.boundaries`) while the workspace and the activity collector's
freshness are checked. Latency quantiles are estimated from the exact bucket counts
(`facade.quantiles`); everything else is an exact integer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import tzinfo

from facade import buckets as calendar
from facade import promql
from facade.boundary_reads import Group
from facade.errors import NotFound
from facade.inventory import require_detail
from facade.promql import Part, counters
from facade.quantiles import bound, ordered, quantiles_ms
from facade.results import (
    AppSeries,
    Executions,
    FailureCodes,
    Latency,
    LatencySeries,
    Period,
    TokenSeries,
)
from facade.timeseries import ExecutionSeriesService

Counts = dict[Group, list[int]]


def latency_of(cumulative: Mapping[str, int], order: Sequence[str] | None = None) -> Latency:
    """The executions and quantiles of a histogram given by its cumulative count per `le`
    (`order`: its `le` values by increasing bound, when already sorted)."""
    les = ordered(cumulative) if order is None else order
    count = cumulative[les[-1]] if les and math.isinf(bound(les[-1])) else 0
    return Latency(count, quantiles_ms(cumulative, les))


def _windowed(counts: Counts) -> dict[str, int]:
    """Each group's (of one label) count over the whole window, groups with none left out."""
    totals = {group[0]: sum(values) for group, values in counts.items()}
    return {key: total for key, total in sorted(totals.items()) if total > 0}


def _column(counts: Counts, index: int) -> dict[str, int]:
    return {group[0]: values[index] for group, values in counts.items()}


class DetailService:
    """The detail answers of one workspace, counted per hour or calendar day."""

    def __init__(self, series: ExecutionSeriesService) -> None:
        self.series = series
        self.clock = series.reader.clock

    def buckets(self, hours: int | None, days: int | None, zone: tzinfo) -> calendar.Buckets:
        """`hours` UTC hours, else `days` calendar days of `zone`, the current one last."""
        if days is None:
            return calendar.hourly(self.clock(), hours or 24)
        return calendar.daily(self.clock(), days, zone)

    def latency(
        self, scope: promql.Scope, buckets: calendar.Buckets, period: Period
    ) -> LatencySeries:
        """Durations per bucket and over the window, from the histogram's bucket counts."""
        counts = self._counts(scope, buckets, (counters.DURATION_BUCKETS,))[0]
        order = ordered(group[0] for group in counts)
        per_bucket = tuple(
            latency_of(_column(counts, index), order) for index in range(len(buckets.starts))
        )
        window = {group[0]: sum(values) for group, values in counts.items()}
        return LatencySeries(period, latency_of(window), tuple(buckets.labels()), per_bucket)

    def tokens(self, scope: promql.Scope, buckets: calendar.Buckets) -> TokenSeries:
        """Tokens per kind per day, every kind used in the window in every day."""
        counts = self._counts(scope, buckets, (counters.TOKENS,))[0]
        kinds = _windowed(counts)
        by_kind = tuple(
            {kind: counts[(kind,)][index] for kind in kinds} for index in range(len(buckets.starts))
        )
        return TokenSeries(tuple(buckets.labels()), by_kind)

    def failures(self, scope: promql.Scope, buckets: calendar.Buckets) -> FailureCodes:
        """Failed executions per error code over the window."""
        counts = self._counts(scope, buckets, (counters.FAILURES_BY_CODE,))[0]
        return FailureCodes(_windowed(counts))

    def app(self, scope: promql.Scope, buckets: calendar.Buckets) -> AppSeries:
        """One app's executions per day and its pipelines' over the window (FeatureDisabled
        while the app or pipeline level of detail is off, NotFound for an unknown app)."""
        families = (
            counters.APP_EXECUTIONS,
            counters.APP_EXECUTIONS_FAILED,
            counters.PIPELINE_EXECUTIONS,
            counters.PIPELINE_EXECUTIONS_FAILED,
        )
        checks = {**promql.existence_parts(scope), **promql.app_parts(scope)}
        reading, (total, failed, pipelines, pipelines_failed) = self.series.checked(
            scope, buckets, families, checks
        )
        require_detail(reading, "app")
        require_detail(reading, "pipeline")
        if not reading.samples(Part.APP) and not total:
            raise NotFound("app", str(scope.app_id))
        zeros = [0] * len(buckets.starts)
        per_day = zip(total.get((), zeros), failed.get((), zeros), strict=True)
        failed_by_pipeline = _windowed(pipelines_failed)
        return AppSeries(
            str(scope.app_id),
            tuple(buckets.labels()),
            tuple(Executions(day_total, day_failed) for day_total, day_failed in per_day),
            {
                pipeline: Executions(count, failed_by_pipeline.get(pipeline, 0))
                for pipeline, count in _windowed(pipelines).items()
            },
        )

    def _counts(
        self, scope: promql.Scope, buckets: calendar.Buckets, families: Sequence[counters.Counted]
    ) -> list[Counts]:
        return self.series.checked(scope, buckets, families)[1]
