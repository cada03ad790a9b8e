"""One day's points as the stores' series: families, sample names and labels, grouped by family
as the exposition format wants them; both writers' formats render these.

The execution counters are per (org, workspace) with (ms, total, failed) points; each detail
series per (org, workspace, ledger series) with (ms, value) points. A workspace's latency
buckets share their sample times (see `exporter.backfill.details`), so `le="x"` is the sum of
the buckets up to x at each, `_count` the `+Inf` bucket and `_sum` the milliseconds / 1000.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate

from exporter.backfill.values import Point
from exporter.ledger import details as ledger
from exporter.metrics.detail_text import LE
from exporter.metrics.details import COUNTED_FAMILIES
from vocabulary import catalogue as cat
from vocabulary import details as cat_details
from vocabulary.family import Family

JOB = "mechamental-backfill"
EXECUTION_FAMILIES = ((cat.EXECUTIONS_BY_TIME, 1), (cat.EXECUTIONS_FAILED_BY_TIME, 2))
HISTOGRAM = cat_details.EXECUTION_DURATION
Labels = tuple[tuple[str, str], ...]


@dataclass
class DayPoints:
    """One day's points of every org, each series ascending."""

    executions: dict[tuple[str, str], list[Point]] = field(default_factory=dict)
    details: dict[tuple[str, str, tuple[str, ...]], list[Point]] = field(default_factory=dict)


@dataclass(frozen=True)
class SampleSeries:
    """One series to write: its sample name, labels (`job` first) and (ms, value) samples."""

    name: str
    labels: Labels
    samples: list[tuple[int, int | float]]


def _labels(org_id: str, workspace: str, *more: tuple[str, str]) -> Labels:
    return (("job", JOB), ("org_id", org_id), ("workspace_id", workspace), *more)


def _histograms(day: DayPoints) -> Iterator[SampleSeries]:
    workspaces = sorted(
        {(org, ws) for org, ws, series in day.details if series[0] == ledger.DURATION}
    )
    for org_id, ws in workspaces:
        buckets = [day.details[(org_id, ws, (ledger.DURATION, str(i)))] for i in range(len(LE))]
        times = [point[0] for point in buckets[0]]
        cumulative = [
            list(accumulate(column))
            for column in zip(*([point[1] for point in bucket] for bucket in buckets), strict=True)
        ]
        for index, le in enumerate(LE):
            values = [row[index] for row in cumulative]
            yield SampleSeries(
                HISTOGRAM.name + "_bucket",
                _labels(org_id, ws, ("le", le)),
                list(zip(times, values, strict=True)),
            )
        counts = [row[-1] for row in cumulative]
        yield SampleSeries(
            HISTOGRAM.name + "_count", _labels(org_id, ws), list(zip(times, counts, strict=True))
        )
        sums = day.details[(org_id, ws, (ledger.DURATION_SUM,))]
        yield SampleSeries(
            HISTOGRAM.name + "_sum",
            _labels(org_id, ws),
            [(point[0], point[1] / 1000) for point in sums],
        )


def _counted(day: DayPoints, kind: str, family: Family) -> list[SampleSeries]:
    found = []
    for (org_id, ws, series), points in sorted(day.details.items()):
        if series[0] == kind:
            more = tuple(zip(family.labels[2:], series[1:], strict=True))
            found.append(
                SampleSeries(
                    family.sample_name, _labels(org_id, ws, *more), [(p[0], p[1]) for p in points]
                )
            )
    return found


def day_series(day: DayPoints) -> Iterator[tuple[Family, list[SampleSeries]]]:
    """Every family of the day with its series, each family once."""
    for family, index in EXECUTION_FAMILIES:
        yield (
            family,
            [
                SampleSeries(
                    family.sample_name, _labels(org_id, ws), [(p[0], p[index]) for p in points]
                )
                for (org_id, ws), points in sorted(day.executions.items())
            ],
        )
    yield HISTOGRAM, list(_histograms(day))
    for kind, family in COUNTED_FAMILIES.items():
        yield family, _counted(day, kind, family)
