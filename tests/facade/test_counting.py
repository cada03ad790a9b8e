"""Exact counts from boundary values: carried-forward gaps, resets, several scrape jobs.

Each case states a counter's samples; the expected counts come from walking those samples
one by one (an increase adds its difference, a decrease is a restart from zero).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from facade.counting import (
    BoundaryRead,
    boundary_values,
    bucket_counts,
    gained,
    may_have_reset,
)

Samples = Sequence[tuple[float, float]]


def walk(samples: Samples, boundaries: Sequence[float]) -> list[int]:
    """The reference: per bucket (b[k-1], b[k]], the executions its samples reveal."""
    counts = [0] * (len(boundaries) - 1)
    previous = 0.0
    for at, value in samples:
        gain = value - previous if value >= previous else value
        for k in range(1, len(boundaries)):
            if boundaries[k - 1] < at <= boundaries[k]:
                counts[k - 1] += int(gain)
        previous = value
    return counts


def reads_of(samples: Samples, boundaries: Sequence[float]) -> list[BoundaryRead | None]:
    """What the range query returns: per boundary, the window back to the previous one."""
    reads: list[BoundaryRead | None] = []
    for k, end in enumerate(boundaries):
        start = boundaries[k - 1] if k else end - (boundaries[1] - boundaries[0])
        window = [(t, v) for t, v in samples if start <= t <= end]
        if not window:
            reads.append(None)
            continue
        values = [v for _, v in window]
        resets = sum(1 for a, b in itertools.pairwise(values) if b < a)
        reads.append(BoundaryRead(values[-1], resets, min(values)))
    return reads


def count(samples: Samples, boundaries: Sequence[float]) -> list[int]:
    """The façade's computation over in-memory samples."""
    reads = reads_of(samples, boundaries)
    before = [v for t, v in samples if t <= boundaries[0]]
    values = boundary_values(reads, before[-1] if before else None)
    raw = {
        k: [[(t, v) for t, v in samples if boundaries[k - 1] <= t <= boundaries[k]]]
        for k in range(1, len(boundaries))
        if may_have_reset(reads[k], values[k - 1])
    }
    return bucket_counts(boundaries, values, raw)


BOUNDARIES = [0.0, 100.0, 200.0, 300.0, 400.0]


def test_plain_growth() -> None:
    samples = [(float(t), float(t // 10)) for t in range(0, 401, 15)]
    assert count(samples, BOUNDARIES) == walk(samples, BOUNDARIES)


def test_reset_inside_a_bucket_and_across_a_boundary() -> None:
    samples = [
        (10.0, 5.0),
        (90.0, 9.0),
        (120.0, 2.0),
        (180.0, 7.0),
        (250.0, 8.0),
        (310.0, 1.0),
        (390.0, 4.0),
    ]
    assert count(samples, BOUNDARIES) == walk(samples, BOUNDARIES)


def test_reset_that_climbs_back_above_the_boundary_value() -> None:
    """100 → 5 → 150: only the minimum after the boundary reveals the reset."""
    samples = [(50.0, 100.0), (150.0, 5.0), (190.0, 150.0)]
    boundaries = [0.0, 100.0, 200.0]
    assert count(samples, boundaries) == walk(samples, boundaries)


def test_empty_windows_carry_the_last_value_forward() -> None:
    samples = [(10.0, 3.0), (350.0, 9.0)]
    assert count(samples, BOUNDARIES) == walk(samples, BOUNDARIES)


def test_first_boundary_falls_back_to_an_older_sample() -> None:
    samples = [(-500.0, 40.0), (150.0, 45.0)]
    assert count(samples, BOUNDARIES) == walk(samples, BOUNDARIES)


def test_sample_on_a_boundary_belongs_to_the_bucket_it_ends() -> None:
    samples = [(0.0, 0.0), (100.0, 4.0), (101.0, 6.0)]
    assert count(samples, BOUNDARIES) == walk(samples, BOUNDARIES)


def test_several_jobs_count_once() -> None:
    assert bucket_counts(
        [0.0, 10.0], [0.0, 9.0], {1: [[(3.0, 2.0), (8.0, 9.0)], [(5.0, 4.0)]]}
    ) == [9]
    assert gained(10.0, 0.0, [(1.0, 12.0), (2.0, 3.0), (3.0, 5.0)]) == 7.0
