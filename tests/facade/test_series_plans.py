"""The queries behind a series on the real history: boundary values alone where the check
rules every counter reset out, resets and minima read only over the recent buckets that hold
the span's resets, and the answers exact either way."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from facade.tokens import mint_token, permissions_for
from tests.facade.conftest import JWT_SECRET
from tests.support.facade_http import RecordingSession
from tests.support.history_truth import HistoryTruth

HOUR = 3600


def hourly(make_app: Callable[..., Flask], workspace: str) -> tuple[list[int], RecordingSession]:
    session = RecordingSession()
    token = mint_token(JWT_SECRET, "org-alpha", permissions_for([]), 600)
    response = (
        make_app(session=session)
        .test_client()
        .get(
            f"/v1/orgs/org-alpha/workspaces/{workspace}/analytics/executions/hourly?hours=168",
            headers={"Authorization": f"Bearer {token}"},
        )
    )
    assert response.status_code == 200
    return response.get_json()["data"], session


def test_without_a_reset_the_boundary_values_alone_count(
    make_app: Callable[..., Flask], truth: HistoryTruth
) -> None:
    data, session = hourly(make_app, "ws-a03")
    assert data == truth.hourly("ws-a03", 168)
    assert not any("min_over_time" in query for query in session.queries)
    assert sum(1 for query in session.queries if "last_over_time" in query) == 2  # range, "now"


def test_a_recent_reset_is_looked_for_in_the_recent_buckets_only(
    make_app: Callable[..., Flask], truth: HistoryTruth
) -> None:
    data, session = hourly(make_app, "ws-a01")  # a reset 6 hours before the end
    assert data == truth.hourly("ws-a01", 168)
    checks = [
        params
        for endpoint, params in session.calls
        if endpoint == "query_range" and "min_over_time" in params["query"]
    ]
    assert checks
    for params in checks:
        assert float(params["end"]) - float(params["start"]) <= 16 * HOUR
