"""Latency quantiles from exact histogram bucket counts, as Prometheus' `histogram_quantile`.

The rank q·n is looked for in the cumulative counts; the first bucket that reaches it holds
the quantile, which is interpolated linearly between that bucket's lower and upper bound
(lower bound 0 for the first bucket; the highest finite bound when the rank falls in `+Inf`).
The exact (nearest-rank) quantile, the ⌈q·n⌉-th smallest duration, lies in the same bucket,
since a cumulative count, an integer, reaches q·n exactly when it reaches ⌈q·n⌉: the estimate is
off by less than that bucket's width (and, in `+Inf`, it is the highest finite bound while the
exact quantile is above it).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence

# The quantiles the latency answers carry, by the name of their field.
QUANTILES: Mapping[str, float] = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}


def bound(le: str) -> float:
    """The upper bound a `le` label value stands for (`+Inf` included)."""
    return float(le)


def ordered(les: Iterable[str]) -> list[str]:
    """`le` label values by increasing bound (to sort many histograms of the same buckets once)."""
    return sorted(les, key=bound)


def histogram_quantile(q: float, cumulative: Mapping[str, int]) -> float | None:
    """The q-quantile of a histogram given by its cumulative count per `le`; None without
    observations (Prometheus answers NaN) or without a `+Inf` bucket."""
    return _quantile(q, *_sorted(cumulative))


def _sorted(
    cumulative: Mapping[str, int], order: Sequence[str] | None = None
) -> tuple[list[float], list[int]]:
    """Bounds in increasing order (`order`, when given, holds its `le` values so) and their
    counts, made monotonic as Prometheus does (counts read at different times may dip)."""
    les = ordered(cumulative) if order is None else order
    counts: list[int] = []
    for le in les:
        count = cumulative[le]
        counts.append(max(count, counts[-1]) if counts else count)
    return [bound(le) for le in les], counts


def _quantile(q: float, bounds: Sequence[float], counts: Sequence[int]) -> float | None:
    if len(bounds) < 2 or not math.isinf(bounds[-1]) or counts[-1] == 0:
        return None
    rank = q * counts[-1]
    found = bisect_left(counts, rank)  # the first count reaching the rank (counts are sorted)
    if found == len(bounds) - 1:
        return bounds[-2]
    if found == 0 and bounds[0] <= 0:
        return bounds[0]
    lower = bounds[found - 1] if found > 0 else 0.0
    below = counts[found - 1] if found > 0 else 0
    if counts[found] == below:
        return None  # q = 0 on an empty first bucket: 0/0, NaN in Prometheus too
    return lower + (bounds[found] - lower) * (rank - below) / (counts[found] - below)


def quantiles_ms(
    cumulative: Mapping[str, int], order: Sequence[str] | None = None
) -> dict[str, float | None]:
    """Every quantile of `QUANTILES` in milliseconds, rounded to 0.1 ms (None: no data);
    `order`: the `le` values of `cumulative` by increasing bound, when already sorted."""
    bounds, counts = _sorted(cumulative, order)
    found: dict[str, float | None] = {}
    for name, q in QUANTILES.items():
        seconds = _quantile(q, bounds, counts)
        found[name] = None if seconds is None else round(seconds * 1000, 1)
    return found
