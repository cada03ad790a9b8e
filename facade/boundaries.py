"""Exact counts per bucket of a counter on the platform's clock, per value of its labels.

One range query per run of equally spaced boundaries (sent from a multiple of its step, its
selectors looking back by as much, see `buckets.Run.shift`; an instant query for a run of one)
reads, at each boundary and for each value of the counted labels, the counter's last sample in
the `EDGE_SECONDS` before it (the whole bucket for a run where the workspace's executions have
no sample that close, and for a run of one). A second query per run, sent at the same time,
reads the `resets()` of every series over windows reaching back two buckets (Prometheus decodes
the samples two overlapping windows share once, so this costs about one read of the span; a run
of one sends both in one query): with one series per group, only the buckets it finds a reset in
that the raw samples of the bucket before do not explain, and those after an empty window, have
their raw samples fetched (`counting.hides_reset`). With several series of a group (scrape jobs,
a backfill next to the live counter) the windows are read again with their resets and minimum,
and every bucket they find suspect is recounted from raw samples. A series absent at the first
boundary is 0 there when the workspace's executions are seen in that window (every family is
shown at the same times, so it had not started); otherwise one long-lookback query gives its
value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor

from facade import buckets as calendar
from facade import promql
from facade.boundary_reads import (
    RESETS_PARTS,
    BoundaryReads,
    Group,
    Reads,
    columns,
    forget,
    group_of,
    part_of,
    reset_columns,
)
from facade.counting import (
    Points,
    boundary_values,
    bucket_counts,
    hides_reset,
    may_have_reset,
    reset_candidates,
)
from facade.prometheus import PrometheusClient, Series
from facade.promql.counters import (
    Counted,
    counter_before,
    counter_reads,
    counter_resets,
    counter_samples,
)

# How far before a boundary its value is looked for first. The exporter shows a sample at every
# 15-minute boundary (docs/metrics.md), so the last sample at or before a bucket boundary lies
# within this window whenever the exporter was up; 5 minutes is also Prometheus' own lookback,
# so samples on a scrape's clock are found too. Only where the workspace's executions have no
# sample in it is the whole bucket read.
EDGE_SECONDS = 300.0
# Up to this many boundaries of a run without a sample that close are read again one by one;
# more, and the run is read again whole.
MAX_SINGLE_REREADS = 4


def _reaches(runs: Sequence[calendar.Run]) -> list[float]:
    """Per run, how far its reset windows reach back: two buckets, the previous one as long as
    the longest window before the run's boundaries (a run starts where the spacing changes)."""
    return [
        run.step + max(run.step, runs[index - 1].step if index else 0.0)
        for index, run in enumerate(runs)
    ]


class BoundaryReader:
    """Reads counters at bucket boundaries and counts each bucket exactly."""

    def __init__(self, client: PrometheusClient, pool: Executor | None = None) -> None:
        self.client = client
        self.pool = pool  # when given, the queries of a read are sent at once from its threads

    def _ask(self, run: calendar.Run, query: str) -> list[Series]:
        """`query` over one run (built with `run.shift`): a range query, or an instant query for
        one boundary (no query cache or frontend moves an instant query, while a one-point range
        could be moved to a multiple of its step)."""
        if run.last == run.first:
            found = self.client.instant(query, run.start)
            return [Series(sample.labels, ((run.start, sample.value),)) for sample in found]
        return self.client.range(query, run.start + run.shift, run.end + run.shift, run.step)

    def reads(
        self,
        scope: promql.Scope,
        buckets: calendar.Buckets,
        counted: Counted,
        checked: bool = False,
    ) -> BoundaryReads:
        """The counter's value at every boundary, per group, with its window's resets and
        minimum when `checked`, else with the resets of windows reaching back two buckets."""
        return self.start(scope, buckets, counted, checked)()

    def start(
        self,
        scope: promql.Scope,
        buckets: calendar.Buckets,
        counted: Counted,
        checked: bool = False,
    ) -> Callable[[], BoundaryReads]:
        """`reads` begun: its queries sent from the pool's threads (if any); call to collect."""
        runs = calendar.reads(buckets)
        asked: list[tuple[calendar.Run, str]] = []
        for run, reach in zip(runs, _reaches(runs), strict=True):
            if checked:
                asked.append((run, counter_reads(scope, run.step, run.shift, counted)))
            elif run.last == run.first:  # one small instant query: the resets go with it
                query = counter_reads(scope, run.step, counted=counted, checks=False, reach=reach)
                asked.append((run, query))
            else:  # sent at the same time as the values, from another thread
                window = min(run.step, EDGE_SECONDS)
                asked.append((run, counter_reads(scope, window, run.shift, counted, False)))
                asked.append((run, counter_resets(scope, reach, run.shift, counted)))
        if self.pool is None:
            answers = [self._ask(run, query) for run, query in asked]
        else:
            futures = [self.pool.submit(self._ask, run, query) for run, query in asked]

        def collect() -> BoundaryReads:
            size = len(buckets.boundaries)
            found = BoundaryReads({}, [False] * size, None if checked else {})
            series = answers if self.pool is None else [future.result() for future in futures]
            for (run, _), answer in zip(asked, series, strict=True):
                resets = [item for item in answer if part_of(item) in RESETS_PARTS]
                columns(
                    [item for item in answer if part_of(item) not in RESETS_PARTS],
                    run,
                    counted,
                    found,
                )
                if found.resets is not None:
                    reset_columns(resets, run, counted, size, found.resets)
            for run in runs:
                if not checked and run.last > run.first and run.step > EDGE_SECONDS:
                    self._read_whole(scope, buckets, run, counted, found)
            return found

        return collect

    def _read_whole(
        self,
        scope: promql.Scope,
        buckets: calendar.Buckets,
        run: calendar.Run,
        counted: Counted,
        found: BoundaryReads,
    ) -> None:
        """Read again, whole, the buckets of `run` whose boundary has no sample of the
        workspace's executions in the `EDGE_SECONDS` before it (their value lies further back):
        one by one when they are few (the last boundary, in the minutes before the settled point
        reaches it), else the run."""
        missing = [index for index in range(run.first, run.last + 1) if not found.seen[index]]
        rereads = (
            [run]
            if len(missing) > MAX_SINGLE_REREADS
            else [
                calendar.Run(index, index, buckets.boundaries[index], run.step) for index in missing
            ]
        )
        for again in rereads:
            forget(again, found)
            whole = counter_reads(scope, run.step, again.shift, counted, False)
            columns(self._ask(again, whole), again, counted, found)

    def _before_first(
        self, scope: promql.Scope, points: Sequence[float], counted: Counted, reads: BoundaryReads
    ) -> dict[Group, float]:
        """Each group's value before the first boundary, when its window does not tell."""
        missing = any(read[0] is None or read[0].value is None for read in reads.groups.values())
        if reads.seen[0] or not (missing or not reads.groups):
            return {}
        found = self.client.instant(counter_before(scope, counted), points[0])
        return {group_of(counted, sample.labels): sample.value for sample in found}

    def counts(
        self,
        scope: promql.Scope,
        buckets: calendar.Buckets,
        counted: Counted,
        reads: BoundaryReads | None = None,
    ) -> dict[Group, list[int]]:
        """Exact counts per bucket of every group, from the boundary `reads` when already read."""
        points = buckets.boundaries
        reads = self.reads(scope, buckets, counted) if reads is None else reads
        before = self._before_first(scope, points, counted, reads)
        empty: Reads = [None] * len(points)
        values = {
            group: boundary_values(reads.groups.get(group, empty), before.get(group))
            for group in {*reads.groups, *before}
        }
        if reads.resets is not None and any(
            len(found.series) > 1 for found in reads.resets.values()
        ):
            checked = self.reads(scope, buckets, counted, checked=True)
            return self.counts(scope, buckets, counted, checked)
        candidates = {index for group in values for index in _candidates(reads, values, group)}
        samples: dict[Group, dict[int, list[Points]]] = {}
        for index in sorted(candidates):
            if reads.resets is not None and not any(
                _unexplained(reads, group, index, samples) for group in values
            ):
                continue
            window = points[index] - points[index - 1]
            query = counter_samples(scope, window, counted)
            for item in self.client.instant_matrix(query, points[index]):
                group = samples.setdefault(group_of(counted, item.labels), {})
                group.setdefault(index, []).append(item.points)
        return {
            group: bucket_counts(points, found, samples.get(group, {}))
            for group, found in values.items()
        }


def _candidates(
    reads: BoundaryReads, values: Mapping[Group, list[float]], group: Group
) -> list[int]:
    """The buckets of `group` that may hold a counter reset, before any raw samples are read."""
    found = reads.groups.get(group) or [None] * len(reads.seen)
    if reads.resets is None:
        return [
            index
            for index in range(1, len(found))
            if may_have_reset(found[index], values[group][index - 1])
        ]
    return reset_candidates(found, _resets_of(reads, group), reads.seen)


def _unexplained(
    reads: BoundaryReads,
    group: Group,
    index: int,
    samples: Mapping[Group, Mapping[int, list[Points]]],
) -> bool:
    """Whether a reset bucket `index` of `group` may hold is not explained by the raw samples
    of the bucket before it, when those were read."""
    found = reads.groups.get(group) or [None] * len(reads.seen)
    previous = samples.get(group, {}).get(index - 1, [])
    return hides_reset(index, found, _resets_of(reads, group), reads.seen, previous)


def _resets_of(reads: BoundaryReads, group: Group) -> list[float]:
    """The group's resets per boundary over windows reaching back two buckets (0 unread)."""
    found = None if reads.resets is None else reads.resets.get(group)
    return [0.0] * len(reads.seen) if found is None else found.per_boundary
