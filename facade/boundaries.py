"""Exact counts per bucket of a counter on the platform's clock, per value of its labels.

One range query per run of equally spaced boundaries (sent from a multiple of its step, its
selectors looking back by as much, see `buckets.Run.shift`; an instant query for a run of one)
reads, at each boundary and for each value of the counted labels, the counter's last sample: the
floor's own query. Whether a bucket may hold a counter reset comes from one read of the whole
span (`span_resets`, sent with the workspace check): with no more resets than the boundary
values show, only the buckets that show one have their raw samples fetched. Otherwise the
windows are read again with their resets and minimum, and every bucket they find suspect is
recounted from raw samples. A series absent at the first boundary is 0 there when the
workspace's executions are seen in that window (every family is shown at the same times, so it
had not started); otherwise one long-lookback query gives its value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

from facade import buckets as calendar
from facade import promql
from facade.counting import (
    BoundaryRead,
    Points,
    boundary_values,
    bucket_counts,
    may_have_reset,
    visible_resets,
)
from facade.prometheus import PrometheusClient, Sample, Series
from facade.promql import Part
from facade.promql.counters import (
    COUNTED_LABEL,
    EXECUTIONS_COUNTED,
    Counted,
    counter_before,
    counter_reads,
    counter_samples,
)

Group = tuple[str, ...]  # the values of a Counted's `by` labels
Reads = list[BoundaryRead | None]  # one per boundary (None: no sample in its window)
SpanResets = dict[Group, tuple[int, float]]  # per group: its series and their resets


def span_of(buckets: calendar.Buckets) -> float | None:
    """How far back from "now" the boundary reads reach: to the start of the first boundary's
    window (None: nothing to read)."""
    runs = calendar.reads(buckets)
    return buckets.now - runs[0].start + runs[0].step if runs else None


def span_resets_of(samples: Sequence[Sample], families: Sequence[Counted]) -> list[SpanResets]:
    """The results of `counters.span_resets` per family: each group's series and resets."""
    found: list[SpanResets] = [{} for _ in families]
    for sample in samples:
        index = int(sample.labels.get(COUNTED_LABEL, "0"))
        groups = found[index]
        group = group_of(families[index], sample.labels)
        series, resets = groups.get(group, (0, 0.0))
        groups[group] = (series + 1, resets + sample.value)
    return found


def group_of(counted: Counted, labels: Mapping[str, str]) -> Group:
    """The values of `counted.by` in `labels`."""
    return tuple(labels.get(name, "") for name in counted.by)


@dataclass(frozen=True)
class BoundaryReads:
    """Every group's reads at every boundary, and whether the workspace's executions had a
    sample in each boundary's window."""

    groups: dict[Group, Reads]
    seen: list[bool]
    checked: bool = True  # whether each read holds its window's resets and minimum


def _columns(
    series: list[Series], run: calendar.Run, counted: Counted, reads: BoundaryReads
) -> None:
    columns: dict[Group, dict[int, dict[str, float]]] = {}
    for item in series:
        part = item.labels.get(promql.PART_LABEL, "")
        for at, value in item.points:
            index = run.first + round((at - run.shift - run.start) / run.step)
            if part == Part.COUNTER_SEEN or (
                counted == EXECUTIONS_COUNTED and part == Part.COUNTER_VALUE
            ):
                reads.seen[index] = True
            if part != Part.COUNTER_SEEN:
                column = columns.setdefault(group_of(counted, item.labels), {})
                column.setdefault(index, {})[part] = value
    size = len(reads.seen)
    for group, found in columns.items():
        target = reads.groups.setdefault(group, [None] * size)
        for index, parts in found.items():
            target[index] = BoundaryRead(
                value=parts.get(Part.COUNTER_VALUE),
                resets=parts.get(Part.COUNTER_RESETS, 0.0),
                minimum=parts.get(Part.COUNTER_MIN),
            )


class BoundaryReader:
    """Reads counters at bucket boundaries and counts each bucket exactly."""

    def __init__(self, client: PrometheusClient, pool: Executor | None = None) -> None:
        self.client = client
        self.pool = pool  # when given, the runs of a read are sent at once from its threads

    def _read_run(
        self, scope: promql.Scope, run: calendar.Run, counted: Counted, checked: bool
    ) -> list[Series]:
        """The counter reads of one run: a range query, or an instant query for one boundary
        (no query cache or frontend moves an instant query, while a one-point range could be
        moved to a multiple of its step)."""
        if run.last == run.first:
            query = counter_reads(scope, run.step, counted=counted, checks=checked)
            found = self.client.instant(query, run.start)
            return [Series(sample.labels, ((run.start, sample.value),)) for sample in found]
        return self.client.range(
            counter_reads(scope, run.step, run.shift, counted, checked),
            run.start + run.shift,
            run.end + run.shift,
            run.step,
        )

    def reads(
        self, scope: promql.Scope, buckets: calendar.Buckets, counted: Counted, checked: bool = True
    ) -> BoundaryReads:
        """The counter's value at every boundary, per group, with its window's resets and
        minimum when `checked`."""
        return self.start(scope, buckets, counted, checked)()

    def start(
        self, scope: promql.Scope, buckets: calendar.Buckets, counted: Counted, checked: bool = True
    ) -> Callable[[], BoundaryReads]:
        """`reads` begun: its runs sent from the pool's threads (if any); call to collect them."""
        runs = calendar.reads(buckets)
        if self.pool is None:
            answers = [self._read_run(scope, run, counted, checked) for run in runs]
        else:
            futures = [
                self.pool.submit(self._read_run, scope, run, counted, checked) for run in runs
            ]

        def collect() -> BoundaryReads:
            found = BoundaryReads({}, [False] * len(buckets.boundaries), checked)
            series = answers if self.pool is None else [future.result() for future in futures]
            for run, answer in zip(runs, series, strict=True):
                _columns(answer, run, counted, found)
            return found

        return collect

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
        spans: SpanResets | None = None,
    ) -> dict[Group, list[int]]:
        """Exact counts per bucket of every group, from the boundary `reads` when already read
        (without checks, `spans` tells where the resets are, see `span_resets_of`)."""
        points = buckets.boundaries
        reads = self.reads(scope, buckets, counted) if reads is None else reads
        before = self._before_first(scope, points, counted, reads)
        empty: Reads = [None] * len(points)
        values = {
            group: boundary_values(reads.groups.get(group, empty), before.get(group))
            for group in {*reads.groups, *before}
        }
        suspects = _suspects(reads, values, before, spans)
        if suspects is None:
            return self.counts(scope, buckets, counted, self.reads(scope, buckets, counted))
        samples: dict[Group, dict[int, list[Points]]] = {}
        for index in sorted(suspects):
            window = points[index] - points[index - 1]
            query = counter_samples(scope, window, counted)
            for item in self.client.instant_matrix(query, points[index]):
                group = samples.setdefault(group_of(counted, item.labels), {})
                group.setdefault(index, []).append(item.points)
        return {
            group: bucket_counts(points, found, samples.get(group, {}))
            for group, found in values.items()
        }


def _suspects(
    reads: BoundaryReads,
    values: Mapping[Group, list[float]],
    before: Mapping[Group, float],
    spans: SpanResets | None,
) -> set[int] | None:
    """The buckets to recount from raw samples (None: the windows must be read with checks)."""
    if reads.checked:
        return {
            index
            for index in range(1, len(reads.seen))
            for group, found in reads.groups.items()
            if may_have_reset(found[index], values[group][index - 1])
        }
    if spans is None:
        return None
    suspects: set[int] = set()
    for group, found in values.items():
        first = reads.groups.get(group, [None])[0]
        if (first is None or first.value is None) and before.get(group):
            return None  # the first value's sample lies before the span
        dropped = visible_resets(found, *spans.get(group, (0, 0.0)))
        if dropped is None:
            return None
        suspects.update(dropped)
    return suspects
