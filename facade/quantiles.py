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
from collections.abc import Mapping, Sequence

# The quantiles the latency answers carry, by the name of their field.
QUANTILES: Mapping[str, float] = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}


def bound(le: str) -> float:
    """The upper bound a `le` label value stands for (`+Inf` included)."""
    return float(le)


def histogram_quantile(q: float, cumulative: Mapping[str, int]) -> float | None:
    """The q-quantile of a histogram given by its cumulative count per `le`; None without
    observations (Prometheus answers NaN) or without a `+Inf` bucket."""
    buckets = sorted((bound(le), count) for le, count in cumulative.items())
    if len(buckets) < 2 or not math.isinf(buckets[-1][0]):
        return None
    # Counts read at different times may dip; Prometheus evens them out the same way.
    counts = _monotonic([count for _, count in buckets])
    observations = counts[-1]
    if observations == 0:
        return None
    rank = q * observations
    found = next(index for index, count in enumerate(counts) if count >= rank)
    if found == len(buckets) - 1:
        return buckets[-2][0]
    if found == 0 and buckets[0][0] <= 0:
        return buckets[0][0]
    lower = buckets[found - 1][0] if found > 0 else 0.0
    below = counts[found - 1] if found > 0 else 0
    upper = buckets[found][0]
    if counts[found] == below:
        return None  # q = 0 on an empty first bucket: 0/0, NaN in Prometheus too
    return lower + (upper - lower) * (rank - below) / (counts[found] - below)


def _monotonic(counts: Sequence[int]) -> list[int]:
    result: list[int] = []
    for count in counts:
        result.append(max(count, result[-1]) if result else count)
    return result


def quantiles_ms(cumulative: Mapping[str, int]) -> dict[str, float | None]:
    """Every quantile of `QUANTILES` in milliseconds, rounded to 0.1 ms (None: no data)."""
    found: dict[str, float | None] = {}
    for name, q in QUANTILES.items():
        seconds = histogram_quantile(q, cumulative)
        found[name] = None if seconds is None else round(seconds * 1000, 1)
    return found
