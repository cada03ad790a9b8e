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
    hides_reset,
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


def reset_plan(samples: Samples, boundaries: Sequence[float]) -> list[int]:
    """The buckets the boundary values and the resets of windows reaching back two buckets
    send to raw samples."""
    reads = reads_of(samples, boundaries)
    resets = []
    for k, end in enumerate(boundaries):
        start = boundaries[k - 2] if k >= 2 else boundaries[0] - (boundaries[1] - boundaries[0])
        window = [v for t, v in samples if start <= t <= end]
        resets.append(float(sum(1 for a, b in itertools.pairwise(window) if b < a)))
    seen = [read is not None for read in reads]
    return [k for k in range(1, len(boundaries)) if hides_reset(k, reads, resets, seen)]


def count_from_resets(samples: Samples, boundaries: Sequence[float]) -> list[int]:
    """The façade's computation when the boundary values are read with the resets of windows
    reaching back two buckets."""
    before = [v for t, v in samples if t <= boundaries[0]]
    values = boundary_values(reads_of(samples, boundaries), before[-1] if before else None)
    raw = {
        k: [[(t, v) for t, v in samples if boundaries[k - 1] <= t <= boundaries[k]]]
        for k in reset_plan(samples, boundaries)
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


def test_two_bucket_windows_rule_resets_out_or_find_them() -> None:
    growth = [(float(t), float(t // 10)) for t in range(0, 401, 15)]
    assert reset_plan(growth, BOUNDARIES) == []
    drops = [(10.0, 5.0), (90.0, 9.0), (120.0, 2.0), (180.0, 7.0), (310.0, 1.0), (390.0, 4.0)]
    assert set(reset_plan(drops, BOUNDARIES)) >= {2, 4}
    assert count_from_resets(drops, BOUNDARIES) == walk(drops, BOUNDARIES)


def test_a_reset_the_values_hide_is_found() -> None:
    climbs = [(50.0, 100.0), (150.0, 5.0), (190.0, 150.0)]
    assert reset_plan(climbs, [0.0, 100.0, 200.0]) == [1, 2]  # 1: nothing before it seen
    assert count_from_resets(climbs, [0.0, 100.0, 200.0]) == walk(climbs, [0.0, 100.0, 200.0])
    # Two resets in one bucket show as one drop.
    twice = [(50.0, 10.0), (120.0, 2.0), (140.0, 1.0), (190.0, 3.0)]
    assert count_from_resets(twice, [0.0, 100.0, 200.0]) == walk(twice, [0.0, 100.0, 200.0])


def test_a_reset_after_an_empty_bucket_is_found() -> None:
    """The last sample before the reset lies two buckets back, outside the reset window."""
    gap = [(50.0, 100.0), (350.0, 5.0), (390.0, 180.0)]
    assert reset_plan(gap, BOUNDARIES) == [1, 4]
    assert count_from_resets(gap, BOUNDARIES) == walk(gap, BOUNDARIES)


def test_an_old_first_value_or_a_late_starter() -> None:
    old = [(-500.0, 40.0), (150.0, 45.0)]
    assert reset_plan(old, BOUNDARIES) == [2]
    assert count_from_resets(old, BOUNDARIES) == walk(old, BOUNDARIES)
    reset_after_old = [(-500.0, 40.0), (150.0, 3.0), (160.0, 90.0)]
    assert count_from_resets(reset_after_old, BOUNDARIES) == walk(reset_after_old, BOUNDARIES)
    late = [(250.0, 3.0), (350.0, 9.0)]
    assert reset_plan(late, BOUNDARIES) == [3]
    assert count_from_resets(late, BOUNDARIES) == walk(late, BOUNDARIES)


def test_a_detail_that_had_not_started_needs_no_recount() -> None:
    """An empty window where the workspace's executions are seen: the series had not started."""
    reads = [None, None, BoundaryRead(4.0)]
    assert not hides_reset(2, reads, [0.0, 0.0, 0.0], [True, True, True])
    assert hides_reset(2, reads, [0.0, 0.0, 0.0], [True, False, True])


def test_resets_the_previous_bucket_shows_need_no_second_recount() -> None:
    """A two-bucket window sees the previous bucket's reset again; its raw samples explain it."""
    reads = [BoundaryRead(9.0), BoundaryRead(3.0), BoundaryRead(6.0)]
    previous = [[(0.0, 9.0), (50.0, 1.0), (100.0, 3.0)]]
    assert not hides_reset(2, reads, [0.0, 1.0, 1.0], [True] * 3, previous)
    assert hides_reset(2, reads, [0.0, 1.0, 2.0], [True] * 3, previous)
    assert hides_reset(2, reads, [0.0, 1.0, 1.0], [True] * 3)
