"""Readers of a real exporter's self-metrics for the hardening suites, and a patient wait."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.exporter.conftest import Samples, select
from vocabulary import catalogue as cat


def collector_value(samples: Samples, family: cat.Family, collector: str) -> float | None:
    """A per-collector self-metric (`collector_up`, `collector_failures_total`, ...)."""
    return samples.get((family.sample_name, frozenset({("collector", collector)})))


def high_water(samples: Samples) -> dict[str, float]:
    """Each org's ledger high-water mark, in seconds."""
    return {
        dict(labels)["org_id"]: value
        for labels, value in select(samples, cat.LEDGER_HIGH_WATER.sample_name).items()
    }


def wait_until(condition: Callable[[], bool], timeout: float, describe: Callable[[], str]) -> None:
    """Poll `condition` every 0.2 s until it holds; AssertionError with `describe()` if not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {describe()}")
