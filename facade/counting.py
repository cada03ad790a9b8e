"""Exact execution counts per bucket from counter values read at the bucket boundaries.

The counter's value at a boundary is its last sample at or before it. A bucket without a
counter reset gains exactly value(end) - value(start); never `increase()`, which extrapolates
to fractions. A bucket that may hold a reset is recounted from its raw samples: a sample below
its predecessor means the counter restarted from zero, so it adds its whole value.
"""

from __future__ import annotations

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


def visible_resets(values: Sequence[float], series: int, resets: float) -> list[int] | None:
    """The buckets holding a reset of a group, when its boundary `values` show them all.

    `series` and `resets` come from one read of the whole span (`resets()` of every series,
    from the first boundary's window to the last boundary), which must include the sample
    that `values[0]` is. With one series, each bucket whose end value is below its start value
    holds at least one reset, and each of those is a different decrease between two of its
    samples; as many such buckets as resets over the span leave none elsewhere, not even one
    followed by regrowth past the old value. Else (None) every window must be checked.
    """
    if series > 1:
        return None
    dropped = [index for index in range(1, len(values)) if values[index] < values[index - 1]]
    return dropped if len(dropped) == round(resets) else None


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
