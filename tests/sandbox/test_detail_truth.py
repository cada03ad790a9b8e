"""`/_sandbox/truth/details` agrees with a recount from the served activity list, in UTC hours and
in local days of a zone with a clock change; the seeded records look like an LLM platform's."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from sandbox.profiles import ERROR_CODES, MAX_DURATION_MS, MIN_DURATION_MS
from tests.sandbox.conftest import HISTORY_END
from tests.sandbox.recompute_details import (
    Record,
    recount_details,
    served_activity,
    served_details,
)
from tests.support.sandbox import SandboxServer

VIEWS = (("hour", "UTC"), ("day", "Europe/Berlin"))


def details(sandbox: SandboxServer, **params: str | float) -> requests.Response:
    """`GET /_sandbox/truth/details` with `params`."""
    return requests.get(f"{sandbox.url}/_sandbox/truth/details", params=params, timeout=60)


@dataclass(frozen=True)
class ServedHistory:
    """The history's activity list and its details truth in each of `VIEWS`, read together."""

    records: list[Record]
    bodies: dict[tuple[str, str], dict[str, Any]]

    def executions(self) -> list[Record]:
        """The execution records."""
        return [record for record in self.records if record["execution_id"] is not None]


@pytest.fixture(scope="session")
def served_history(history_sandbox: SandboxServer) -> ServedHistory:
    """Read once: the list and the truth must see the same records."""
    bodies = {}
    for resolution, tz in VIEWS:
        response = details(history_sandbox, resolution=resolution, tz=tz)
        assert response.status_code == 200, response.text
        bodies[(resolution, tz)] = response.json()
    return ServedHistory(served_activity(history_sandbox), bodies)


@pytest.mark.parametrize(("resolution", "tz"), VIEWS)
def test_truth_equals_a_recount_of_the_served_list(
    served_history: ServedHistory, resolution: str, tz: str
) -> None:
    body = served_history.bodies[(resolution, tz)]
    assert (body["resolution"], body["tz"]) == (resolution, tz)
    expected_overall, expected_buckets = recount_details(served_history.records, resolution, tz)
    overall, buckets = served_details(body, resolution)
    assert len(served_history.executions()) > 30_000
    assert overall == expected_overall
    assert buckets == expected_buckets
    for entry in body["workspaces"].values():
        assert entry["count"] == sum(bucket["count"] for bucket in entry["buckets"])
        assert entry["le"]["+Inf"] == entry["count"]
        assert entry["late"] == sum(bucket["late"] for bucket in entry["buckets"])


def test_a_berlin_day_across_the_clock_change_lasts_25_hours(
    served_history: ServedHistory,
) -> None:
    body = served_history.bodies[("day", "Europe/Berlin")]
    days = {
        (bucket["start"], bucket["start_utc"], bucket["end_utc"])
        for entry in body["workspaces"].values()
        for bucket in entry["buckets"]
    }
    assert ("2026-10-25T00:00:00+02:00", "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z") in days
    assert ("2026-10-26T00:00:00+01:00", "2026-10-25T23:00:00Z", "2026-10-26T23:00:00Z") in days


def test_durations_are_long_tailed_and_differ_per_pipeline(served_history: ServedHistory) -> None:
    durations: dict[str | None, list[int]] = defaultdict(list)
    for record in served_history.executions():
        durations[record["augmentation_id"]].append(record["duration_ms"])
    assert durations[None], "some executions run no pipeline"
    medians = []
    for pipeline, own in durations.items():
        assert all(MIN_DURATION_MS <= ms <= MAX_DURATION_MS for ms in own), pipeline
        if len(own) >= 300:
            cuts = statistics.quantiles(own, n=100)
            median, p99 = cuts[49], cuts[98]
            assert p99 >= 3 * median and statistics.fmean(own) > median, pipeline
            medians.append(median)
    assert len(medians) >= 5
    assert max(medians) >= 20 * min(medians)


def test_failures_tokens_and_api_calls_look_real(served_history: ServedHistory) -> None:
    executions = served_history.executions()
    failures = [record for record in executions if not record["success"]]
    coded = Counter(record["error_code"] for record in failures if record["error_code"])
    assert set(coded) == set(ERROR_CODES)
    assert 0.85 < sum(coded.values()) / len(failures) < 0.95
    assert coded.most_common(1)[0][0] == "MODEL_TIMEOUT"
    assert all(
        record["status_code"] >= 400 and record["status_code"] == ERROR_CODES[code][1]
        for record in failures
        if (code := record["error_code"])
    )
    successes = [record for record in executions if record["success"]]
    assert all(r["error_code"] is None and r["status_code"] == 200 for r in successes)
    usages = [record["token_usage"] for record in successes]
    kinds = Counter(kind for usage in usages for kind in usage)
    assert kinds["prompt"] == len(usages) and kinds["completion"] > 0.8 * len(usages)
    assert 0 < kinds["embedding"] < 0.8 * len(usages) and 0 < kinds["reasoning"] < 0.5 * len(usages)
    counts = [count for usage in usages for count in usage.values()]
    assert all(isinstance(count, int) and count >= 0 for count in counts)
    assert 100 <= statistics.median(counts) <= 10_000 and max(counts) >= 20_000
    api_calls = [record for record in served_history.records if record["execution_id"] is None]
    assert api_calls
    assert all(
        (record["augmentation_id"], record["error_code"], record["token_usage"])
        == (None, None, None)
        for record in api_calls
    )


@pytest.mark.parametrize(
    "params",
    [
        {"tz": "Mars/Olympus"},
        {"resolution": "minute"},
        {"late_after": "soon"},
        {"end": "yesterday"},
        {"start": "2020-01-01", "end": HISTORY_END},
        {"workspace_id": "ws-1"},
    ],
)
def test_bad_queries_are_422(history_sandbox: SandboxServer, params: dict[str, str]) -> None:
    response = details(history_sandbox, **params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"] and all(item["loc"][0] == "query" for item in body["detail"])
