"""Memory samples of the soak bench and their trend: resident set sizes, least-squares slope."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import psutil

MINUTES_PER_VERDICT = 10  # the bound is stated as growth per ten minutes


@dataclass(frozen=True)
class Sample:
    """RSS of each watched service (KiB) at `seconds` after the start, and its process ids."""

    seconds: float
    rss_kib: dict[str, float]
    pids: dict[str, frozenset[int]]


@dataclass(frozen=True)
class Trend:
    """A service's RSS after the warm-up: least-squares slope, mean, first, last and max."""

    name: str
    slope_kib_per_min: float
    mean_kib: float
    first_kib: float
    last_kib: float
    max_kib: float

    @property
    def growth_percent(self) -> float:
        """Growth over ten minutes at the slope, as a percentage of the mean."""
        return self.slope_kib_per_min * MINUTES_PER_VERDICT / self.mean_kib * 100

    def within(self, bound_percent: float) -> bool:
        """Whether the growth over ten minutes stays below `bound_percent` of the mean."""
        return self.growth_percent < bound_percent


def rss_kib(processes: Sequence[psutil.Process]) -> float:
    """The summed resident set size of the processes, in KiB (psutil.Error if one is gone)."""
    return sum(process.memory_info().rss for process in processes) / 1024


def slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """The least-squares slope of ys over xs (at least two distinct xs)."""
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    variance = sum((x - mean_x) ** 2 for x in xs)
    return covariance / variance


def trend(name: str, samples: Sequence[Sample], warmup: float) -> Trend:
    """The trend of one service over the samples taken at or after `warmup` seconds."""
    kept = [sample for sample in samples if sample.seconds >= warmup]
    minutes = [sample.seconds / 60 for sample in kept]
    values = [sample.rss_kib[name] for sample in kept]
    return Trend(
        name=name,
        slope_kib_per_min=slope(minutes, values),
        mean_kib=statistics.fmean(values),
        first_kib=values[0],
        last_kib=values[-1],
        max_kib=max(values),
    )


def print_samples(samples: Sequence[Sample], warmup: float) -> None:
    """One line per sample: time and RSS in MiB of each service (with its process count)."""
    names = list(samples[0].rss_kib)
    print(f"\n{'t (s)':>7}" + "".join(f"{name + ' MiB':>20}" for name in names))
    for sample in samples:
        cells = "".join(
            f"{sample.rss_kib[name] / 1024:>14.2f} ({len(sample.pids[name])}p)" for name in names
        )
        note = "  warm-up" if sample.seconds < warmup else ""
        print(f"{sample.seconds:>7.0f}{cells}{note}")


def print_trends(trends: Sequence[Trend], bound_percent: float) -> None:
    """Slope, first/last/max and the verdict of each service."""
    print(
        f"\n{'service':<10}{'slope KiB/min':>14}{'% per 10 min':>14}"
        f"{'first MiB':>11}{'last MiB':>10}{'max MiB':>9}  verdict (bound {bound_percent:g} %)"
    )
    for t in trends:
        verdict = "no growth trend" if t.within(bound_percent) else "GROWING"
        print(
            f"{t.name:<10}{t.slope_kib_per_min:>14.1f}{t.growth_percent:>14.2f}"
            f"{t.first_kib / 1024:>11.2f}{t.last_kib / 1024:>10.2f}{t.max_kib / 1024:>9.2f}"
            f"  {verdict}"
        )
