"""The execution details end to end: the sandbox platform streams executions with latency,
tokens, apps, pipelines and error codes; a real exporter counts them into its ledger; a real
Prometheus scrapes it; the façade's four detail endpoints answer exactly what the sandbox's
ground truth says (quantiles within the documented bound: in the exact quantile's bucket).

One stack for the module: a stream of about 30 s, extra failures with more distinct error codes
than the exporter's cap, then a wait until the exporter has settled past the last write.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from facade.app import create_app
from facade.config import FacadeConfig, JwtSettings
from facade.tokens import mint_token, permissions_for
from tests.hardening.event_time_buckets import Truth
from tests.hardening.event_time_stack import ConfiguredStack, new_sandbox, settle
from vocabulary import details

SECRET = "details-live-secret-0123456789abcdef-0123456789"
CAP = 4  # error codes per workspace with their own series
CODES = tuple(f"E2E_CODE_{index:02d}" for index in range(CAP + 3))
QUANTILES = ("p50", "p90", "p95", "p99")
EMPTY_BUCKET: dict[str, Any] = {"count": 0, **dict.fromkeys(QUANTILES)}
BOUNDS = (0.0, *(bound * 1000 for bound in details.DURATION_BUCKETS), math.inf)


class Live:
    """The running stack, the façade over it and the sandbox's truth once settled."""

    def __init__(self, stack: ConfiguredStack, client: FlaskClient) -> None:
        self.stack = stack
        self.client = client
        self.sandbox = stack.sandbox
        self.truth: dict[str, Any] = {}

    def read_truth(self, resolution: str, start: datetime) -> dict[str, Any]:
        """`/_sandbox/truth/details` from `start` (UTC) to now."""
        response = self.sandbox.get(
            "/_sandbox/truth/details", resolution=resolution, start=start.isoformat()
        )
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    def answer(self, org_id: str, path: str, **params: Any) -> dict[str, Any]:
        """The façade's JSON answer for a workspace path, with a token of the org."""
        token = mint_token(SECRET, org_id, permissions_for(()), 600)
        response = self.client.get(
            f"/v1/orgs/{org_id}/workspaces/{path}",
            query_string=params,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        found: dict[str, Any] = response.get_json()
        return found


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    workdir: Path = tmp_path_factory.mktemp("details-live")
    sandbox = new_sandbox(workdir, seed=29)
    stack = ConfiguredStack(workdir, sandbox, activity_lateness=0, label_caps=f"error_code={CAP}")
    try:
        stack.start()
        sandbox.set_stream(running=True, rate=20.0, failure_ratio=0.25)
        time.sleep(25)
        sandbox.set_stream(running=False)
        # One workspace fails with more distinct codes than the cap lets through.
        workspace_id = sorted(Truth.read(sandbox, None).org_of)[0]
        body = {
            "workspace_id": workspace_id,
            "count": 2 * len(CODES),
            "failed": True,
            "error_codes": list(CODES),
        }
        response = requests.post(f"{sandbox.url}/_sandbox/executions", json=body, timeout=30)
        assert response.status_code == 200, response.text
        settle(stack.prometheus, sandbox.org_ids(), time.time() + 1)
        config = FacadeConfig(
            prometheus_url=stack.prometheus.url,
            prometheus_timeout=10.0,
            jwt=JwtSettings(("HS256",), secret=SECRET),
        )
        yield Live(stack, create_app(config).test_client())
    finally:
        stack.stop()
        sandbox.stop()


def _midnight(days_back: int = 0) -> datetime:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days_back)


def _stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _bucket_of(millis: float) -> tuple[float, float]:
    """The latency bucket (lower, upper] in ms that holds `millis`."""
    upper = next(bound for bound in BOUNDS[1:] if millis <= bound)
    return BOUNDS[BOUNDS.index(upper) - 1], upper


def _within_bound(estimate: float | None, exact: float | None) -> bool:
    """The documented bound: the estimate lies in the exact quantile's bucket (over the last
    finite bound, `histogram_quantile` answers that bound)."""
    if exact is None:
        return estimate is None
    assert estimate is not None
    lower, upper = _bucket_of(exact)
    if math.isinf(upper):
        return estimate == lower
    return lower - 0.05 <= estimate <= upper + 0.05  # the answer is rounded to 0.1 ms


def _by_start(truth_workspace: dict[str, Any]) -> dict[datetime, dict[str, Any]]:
    return {_stamp(bucket["start_utc"]): bucket for bucket in truth_workspace["buckets"]}


def test_latency_counts_equal_the_truth_and_quantiles_keep_their_bound(live: Live) -> None:
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    truth = live.read_truth("hour", hour - timedelta(hours=1))
    assert sum(ws["count"] for ws in truth["workspaces"].values()) > 300
    for workspace_id, expected in truth["workspaces"].items():
        answer = live.answer(
            expected["org_id"], f"{workspace_id}/analytics/executions/latency", hours=2
        )
        assert answer["count"] == expected["count"]
        buckets = _by_start(expected)
        assert len(answer["data"]) == 2
        for item in answer["data"]:
            bucket = buckets.get(
                _stamp(item["timestamp"]), {"count": 0, **dict.fromkeys(QUANTILES)}
            )
            assert item["count"] == bucket["count"], (workspace_id, item)
            for name in QUANTILES:
                assert _within_bound(item[name], bucket[name]), (workspace_id, name, item, bucket)
        for name in QUANTILES:
            assert _within_bound(answer[name], expected[name]), (workspace_id, name)


def test_tokens_per_day_and_kind_equal_the_truth(live: Live) -> None:
    truth = live.read_truth("day", _midnight(1))
    seen_kinds: set[str] = set()
    for workspace_id, expected in truth["workspaces"].items():
        answer = live.answer(expected["org_id"], f"{workspace_id}/analytics/tokens", days=2)
        assert answer["by_kind"] == {k: v for k, v in sorted(expected["tokens"].items())}
        assert answer["total"] == sum(expected["tokens"].values())
        buckets = _by_start(expected)
        for item in answer["data"]:
            day = buckets.get(_stamp(item["timestamp"]), {"tokens": {}})
            assert {k: v for k, v in item["by_kind"].items() if v} == day["tokens"]
            assert item["total"] == sum(day["tokens"].values())
        seen_kinds |= expected["tokens"].keys()
    assert {"prompt", "completion"} <= seen_kinds


def test_app_executions_and_pipelines_equal_the_truth(live: Live) -> None:
    truth = live.read_truth("day", _midnight(1))
    pipelines_seen = 0
    for workspace_id, expected in truth["workspaces"].items():
        for app_id, counts in expected["apps"].items():
            path = f"{workspace_id}/apps/{app_id}/analytics/executions"
            answer = live.answer(expected["org_id"], path, days=2)
            assert (answer["total"], answer["failed"]) == (counts["total"], counts["failed"])
            assert answer["success"] == counts["total"] - counts["failed"]
            days = _by_start(expected)
            for item in answer["data"]:
                day = days.get(_stamp(item["timestamp"]), {"apps": {}})
                day_counts = day["apps"].get(app_id, {"total": 0, "failed": 0})
                assert (item["total"], item["failed"]) == (
                    day_counts["total"],
                    day_counts["failed"],
                )
            wanted = sorted(
                (
                    (-row["total"], row["augmentation_id"], row["failed"])
                    for row in expected["pipelines"]
                    if row["app_id"] == app_id
                ),
            )
            got = [
                (-row["total"], row["augmentation_id"], row["failed"])
                for row in answer["pipelines"]
            ]
            assert got == wanted
            pipelines_seen += len(got)
    assert pipelines_seen > 0


def test_failures_by_code_equal_the_truth_under_the_cap(live: Live) -> None:
    truth = live.read_truth("day", _midnight(1))
    overflowed = 0
    for workspace_id, expected in truth["workspaces"].items():
        answer = live.answer(expected["org_id"], f"{workspace_id}/analytics/failures", days=2)
        codes = expected["error_codes"]
        assert answer["total"] == sum(codes.values())
        named = [row for row in answer["codes"] if not row["overflow"]]
        assert len(named) <= CAP
        for row in named:
            assert row["count"] == codes[row["error_code"]], (workspace_id, row)
        other = sum(row["count"] for row in answer["codes"] if row["overflow"])
        assert other == answer["total"] - sum(row["count"] for row in named)
        assert (other > 0) == (len(codes) > CAP)
        counts = [row["count"] for row in answer["codes"]]
        assert counts == sorted(counts, reverse=True)
        overflowed += other
    assert overflowed >= len(CODES) - CAP
    family = details.LABEL_OVERFLOW.sample_name
    exported = live.stack.prometheus.scalar(f'sum({family}{{label="error_code"}})')
    assert exported == overflowed
