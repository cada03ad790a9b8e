"""Quantiles from bucket counts equal a real Prometheus' `histogram_quantile` on the same counts."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from facade.quantiles import QUANTILES, histogram_quantile, quantiles_ms
from tests.support.history_details import LE
from tests.support.prometheus import PrometheusServer

Histogram = dict[str, int]


def _cases() -> list[Histogram]:
    rng = random.Random(7)
    cases: list[Histogram] = [
        dict.fromkeys(LE, 0),  # no observations: NaN in Prometheus, None here
        dict.fromkeys(LE, 5),  # everything in the first bucket
        {le: (7 if le == "+Inf" else 0) for le in LE},  # everything above the highest bound
        {le: (4 if float(le) >= 1.0 else 0) for le in LE},  # ranks on a bucket's upper edge
    ]
    for _ in range(12):
        counts = [rng.choice((0, 0, 1, 3, 40, 900)) for _ in LE]
        cases.append(dict(zip(LE, [sum(counts[: i + 1]) for i in range(len(LE))], strict=True)))
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def empty_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """A real Prometheus without data: the histograms are built in the query."""
    server = PrometheusServer(Path(tmp_path_factory.mktemp("quantiles"))).start()
    yield server
    server.stop()


def _vector(case: int, histogram: Histogram) -> str:
    return " or ".join(
        f'label_replace(label_replace(vector({count}), "le", "{le}", "", ""),'
        f' "case", "{case}", "", "")'
        for le, count in histogram.items()
    )


@pytest.mark.parametrize("q", [0.0, 0.001, *QUANTILES.values(), 0.999, 1.0])
def test_equals_prometheus_histogram_quantile(empty_prometheus: PrometheusServer, q: float) -> None:
    vectors = " or ".join(_vector(case, histogram) for case, histogram in enumerate(CASES))
    found = empty_prometheus.by_label(f"histogram_quantile({q}, {vectors})", "case", at=0)
    for case, histogram in enumerate(CASES):
        expected = found[str(case)]
        ours = histogram_quantile(q, histogram)
        if math.isnan(expected):
            assert ours is None, case
        else:
            assert ours == pytest.approx(expected, rel=1e-12, abs=1e-12), case


def test_milliseconds_are_rounded_to_a_tenth_and_none_without_data() -> None:
    histogram = {le: (3 if float(le) >= 0.25 else 1) for le in LE}
    # p50: rank 1.5 of 3 lies in (0.1, 0.25], 0.5 of its 2 observations in: 137.5 ms.
    assert quantiles_ms(histogram)["p50"] == 137.5
    # p99: rank 2.97, 1.97 of 2 into (0.1, 0.25]: 247.75 ms, rounded to a tenth.
    assert quantiles_ms(histogram)["p99"] in (247.7, 247.8)
    assert quantiles_ms(dict.fromkeys(LE, 0)) == dict.fromkeys(QUANTILES)
