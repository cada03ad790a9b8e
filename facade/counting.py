"""Exact execution counts per bucket from counter values read at the bucket boundaries.

The counter's value at a boundary is its last sample at or before it. A bucket without a
counter reset gains exactly value(end) - value(start); never `increase()`, which extrapolates
to fractions. A bucket that may hold a reset is recounted from its raw samples: a sample below
its predecessor means the counter restarted from zero, so it adds its whole value.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Points = Sequence[tuple[float, float]]


@dataclass(frozen=True)
class BoundaryRead:
    """The counter over the window that ends at one boundary (None: no sample in it)."""

    value: float | None
    resets: float = 0.0
    minimum: float | None = None


def boundary_values(
    reads: Sequence[BoundaryRead | None], before_first: float | None
) -> list[float]:
    """The counter at every boundary.

    A window without samples means the last sample lies before the window, and each window
    reaches back to the previous boundary, so the previous boundary's value carries forward.
    The first boundary falls back to `before_first` (read with a long lookback), else 0.
    """
    values: list[float] = []
    for index, read in enumerate(reads):
        if read is not None and read.value is not None:
            values.append(read.value)
        elif index == 0:
            values.append(before_first or 0.0)
        else:
            values.append(values[-1])
    return values


def may_have_reset(read: BoundaryRead | None, previous_value: float) -> bool:
    """Whether the bucket ending at this read needs its raw samples to be counted exactly."""
    if read is None:
        return False
    return read.resets > 0 or (read.minimum is not None and read.minimum < previous_value)


def after_gap(index: int, reads: Sequence[BoundaryRead | None], seen: Sequence[bool]) -> bool:
    """Whether bucket `index` of one series has samples after an empty window (the series not
    shown where the workspace's executions were `seen` had not started): its last sample before
    may lie further back than any window that ends in the bucket."""
    return reads[index] is not None and reads[index - 1] is None and not seen[index - 1]


def hides_reset(
    index: int,
    reads: Sequence[BoundaryRead | None],
    resets: Sequence[float],
    seen: Sequence[bool],
    previous: Sequence[Points] = (),
) -> bool:
    """Whether bucket `index` of one series may hold a reset, from its boundary `reads` (values
    alone) and `resets[index]`: its decreases between samples over a window ending at boundary
    `index` that holds window `index - 1` as well, and with it the last sample before the bucket
    whenever that window has one (else `after_gap`). The raw samples of bucket `index - 1`, when
    read (`previous`), show how many of those decreases lie there.
    """
    explained = max((decreases(points) for points in previous), default=0)
    return after_gap(index, reads, seen) or resets[index] > explained


def reset_candidates(
    reads: Sequence[BoundaryRead | None], resets: Sequence[float], seen: Sequence[bool]
) -> list[int]:
    """The buckets `hides_reset` may find before any raw samples are read."""
    return [
        index
        for index in range(1, len(reads))
        if resets[index] > 0 or after_gap(index, reads, seen)
    ]


def decreases(points: Points) -> int:
    """How many samples are below the one before them."""
    return sum(1 for (_, before), (_, value) in itertools.pairwise(points) if value < before)


def gained(start_value: float, start: float, points: Points) -> float:
    """What a counter gained after `start` (value `start_value`), counting resets as restarts."""
    total = 0.0
    previous = start_value
    for at, value in points:
        if at <= start:
            continue
        total += value - previous if value >= previous else value
        previous = value
    return total


def bucket_counts(
    boundaries: Sequence[float],
    values: Sequence[float],
    samples: Mapping[int, Sequence[Points]],
) -> list[int]:
    """Executions per bucket; `samples[k]` holds the raw series of bucket k when it may reset.

    With several scrape jobs of one exporter, every job saw the same executions: the largest
    count of any job is the answer.
    """
    counts = []
    for index in range(1, len(boundaries)):
        series = samples.get(index)
        if series:
            start = boundaries[index - 1]
            count = max(gained(values[index - 1], start, points) for points in series)
        else:
            count = values[index] - values[index - 1]
        counts.append(max(0, round(count)))
    return counts
