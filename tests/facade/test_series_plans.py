"""The queries behind a series on the real history: the workspace check, and alongside it the
boundary values and the counter's resets over windows reaching back two buckets, then raw
samples only for the buckets those resets point at; the answers exact."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from flask import Flask

from facade.tokens import mint_token, permissions_for
from tests.facade.conftest import JWT_SECRET
from tests.support.facade_http import RecordingPool
from tests.support.history_truth import HistoryTruth


def hourly(
    make_app: Callable[..., Flask], workspace: str, org: str = "org-alpha"
) -> tuple[list[int], RecordingPool]:
    pool = RecordingPool()
    token = mint_token(JWT_SECRET, org, permissions_for([]), 600)
    response = (
        make_app(http=pool)
        .test_client()
        .get(
            f"/v1/orgs/{org}/workspaces/{workspace}/analytics/executions/hourly?hours=168",
            headers={"Authorization": f"Bearer {token}"},
        )
    )
    assert response.status_code == 200
    return response.get_json()["data"], pool


def raw_sample_reads(pool: RecordingPool) -> int:
    return sum(1 for query in pool.queries if query.split("{")[0].isidentifier())


def reset_reads(pool: RecordingPool) -> int:
    return sum(1 for query in pool.queries if query.startswith("resets("))


def values_reads(pool: RecordingPool) -> list[str]:
    """The boundary values of the range of 168 hours (at most 5 minutes back, or the hour)."""
    return [query for query in pool.queries if '"value"' in query and "resets" not in query]


def window_checks(pool: RecordingPool) -> int:
    """Reads of each window's resets and minimum (needed only with several series of a group)."""
    return sum(1 for query in pool.queries if "min_over_time" in query)


def test_without_a_reset_the_boundary_reads_alone_count(
    make_app: Callable[..., Flask], truth: HistoryTruth
) -> None:
    data, pool = hourly(make_app, "ws-a03")
    assert data == truth.hourly("ws-a03", 168)
    assert raw_sample_reads(pool) == 0
    assert window_checks(pool) == 0
    # The check; the values and the resets of the range of 168 boundaries; "now" with both.
    assert len(pool.queries) == 4
    assert reset_reads(pool) == 1
    assert sum("resets_reach" in query for query in pool.queries) == 1
    [values] = values_reads(pool)
    assert "[300000ms]" in values  # each boundary's last 5 minutes, not its hour


def test_boundaries_without_a_recent_sample_read_their_whole_bucket(
    make_app: Callable[..., Flask], truth: HistoryTruth
) -> None:
    """ws-b04 went hours without a scrape: its values lie further back than 5 minutes."""
    data, pool = hourly(make_app, "ws-b04", "org-beta")
    assert data == truth.hourly("ws-b04", 168)
    assert ["[300000ms]" in query for query in values_reads(pool)] == [True, False]


def test_a_reset_is_recounted_in_its_own_bucket_only(
    make_app: Callable[..., Flask], truth: HistoryTruth
) -> None:
    data, pool = hourly(make_app, "ws-a01")  # a reset 6 hours before the end
    assert data == truth.hourly("ws-a01", 168)
    # The bucket of the reset; the next one's window sees the reset again, and the bucket's raw
    # samples explain it.
    assert raw_sample_reads(pool) == 1
    assert window_checks(pool) == 0
    assert len(pool.queries) == 5


def latency_plan(make_app: Callable[..., Flask], org: str, workspace: str) -> RecordingPool:
    pool = RecordingPool()
    token = mint_token(JWT_SECRET, org, permissions_for([]), 600)
    path = f"/v1/orgs/{org}/workspaces/{workspace}/analytics/executions/latency?hours=168"
    response = (
        make_app(http=pool).test_client().get(path, headers={"Authorization": f"Bearer {token}"})
    )
    assert response.status_code == 200
    assert response.get_json()["count"] > 0
    return pool


def test_a_detail_family_is_read_like_the_executions(make_app: Callable[..., Flask]) -> None:
    quiet = latency_plan(make_app, "org-alpha", "ws-a04")
    assert raw_sample_reads(quiet) == 0
    assert window_checks(quiet) == 0
    assert len(quiet.queries) == 4  # as for the executions
    # ws-b03's reset 9 hours before the end restarts every `le` series: one bucket is recounted.
    reset = latency_plan(make_app, "org-beta", "ws-b03")
    assert raw_sample_reads(reset) == 1
    assert window_checks(reset) == 0


def test_a_few_boundaries_without_a_recent_sample_are_read_again_one_by_one(
    make_app: Callable[..., Flask], truth: HistoryTruth
) -> None:
    """ws-a04 is scraped 20 s past its grid: in the history's sparse days, a New York midnight
    after the DST change (04:00 UTC, where a two-hour window opens) has no sample in the 5
    minutes before it. The 23-hour day is a run of its own, read whole anyway; the next
    midnight, the first of a run of 24-hour days, is read again whole, alone."""
    pool = RecordingPool()
    token = mint_token(JWT_SECRET, "org-alpha", permissions_for([]), 600)
    path = "/v1/orgs/org-alpha/workspaces/ws-a04/analytics/executions/daily"
    response = (
        make_app(http=pool)
        .test_client()
        .get(
            path,
            query_string={"days": 90, "tz": "America/New_York"},
            headers={"Authorization": f"Bearer {token}"},
        )
    )
    assert response.get_json()["data"] == truth.daily("ws-a04", 90, ZoneInfo("America/New_York"))
    whole_days = [
        params
        for endpoint, params in pool.calls
        if endpoint == "query" and "[86400000ms]" in params.get("query", "")
    ]
    assert [params["time"] for params in whole_days] == ["1741665600.000"]  # 2025-03-11
