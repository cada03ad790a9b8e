"""Hostile ids and parameters never change the PromQL sent and never reach another workspace.

The queries are read from the pool the app sends them through, in front of the
real history Prometheus.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

import pytest
from flask import Flask

from facade.promql import escape_label_value
from tests.support.facade_http import ApiClient, RecordingPool

HOSTILE = [
    "ws-a01\nfoo",
    'ws-a01\n"} or vector(1) or {x="',
    "ws-a01\x00",
    "ws-a01\u200b",
    "ws-a01\u202e",
    "\ufffd",
    " ws-a01",
    "..",
    "*",
    "x" * 200,
]
# Ids are plain strings: these are valid ids that only ever match themselves.
ODD_IDS = [
    'ws-a01"} or vector(1) or {x="',
    'ws-a01",workspace_id=~".*',
    "ws-a01\\",
    'ws-a01\\"',
    "ws-a01}",
    "{ws-a01}",
    "ws-a01 or vector(1)",
    ".*",
    "ws-a0[1-9]",
    "ws-a01|ws-a02",
    "wś-ä01",
    "-ws-a01",
    "ws-a01/..",
]
TEMPLATES = [
    "/v1/orgs/org-alpha/workspaces/{}/analytics",
    "/v1/orgs/org-alpha/workspaces/{}/analytics/executions/hourly",
    "/v1/orgs/org-alpha/workspaces/ws-a01/apps/{}/analytics",
    "/v1/orgs/org-alpha/workspaces/ws-a01/namespaces/{}/analytics",
    "/v1/orgs/{}/workspaces/ws-a01/analytics/sources",
]


@pytest.fixture
def recorded(
    make_app: Callable[..., Flask], client_of: Callable[[Flask], ApiClient]
) -> tuple[ApiClient, RecordingPool]:
    """A client of an app whose Prometheus queries are recorded."""
    pool = RecordingPool()
    return client_of(make_app(http=pool, insecure_disable_auth=True)), pool


@pytest.mark.parametrize("template", TEMPLATES)
def test_hostile_path_ids_are_refused_before_any_query(
    recorded: tuple[ApiClient, RecordingPool], template: str
) -> None:
    api, pool = recorded
    for value in HOSTILE:
        response = api.get(template.format(quote(value, safe="")))
        assert response.status_code == 422, value
        [item] = response.get_json()["detail"]
        assert item["loc"][0] == "path"
        assert item["input"] == value
    assert pool.queries == []


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/v1/orgs/org-alpha/analytics", "workspace_id"),
        ("/v1/orgs/org-alpha/workspaces/ws-a01/analytics/executions/hourly", "hours"),
        ("/v1/orgs/org-alpha/workspaces/ws-a01/analytics/executions/daily", "days"),
        ("/v1/orgs/org-alpha/workspaces/ws-a01/analytics/executions/daily", "tz"),
    ],
)
def test_hostile_query_parameters_are_refused(
    recorded: tuple[ApiClient, RecordingPool], path: str, param: str
) -> None:
    api, pool = recorded
    # Not numbers and not zones, but valid ids (answered as unknown ones: see below).
    odd = [*ODD_IDS, "1 or vector(1)", "24) or (vector(1)", "Asia/../../etc/passwd"]
    for value in [*HOSTILE, *(odd if param != "workspace_id" else [])]:
        response = api.get(path, **{param: value})
        assert response.status_code == 422, (param, value)
        assert response.get_json()["detail"][0]["loc"] == ["query", param]
    assert pool.queries == []


def shape(query: str) -> str:
    """A query with its quoted label values blanked."""
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', query)


@pytest.mark.parametrize("lookalike", ["ws.a01", "ws-a0.", "WS-A01", "ws-a01.", "ws_a01", *ODD_IDS])
def test_valid_lookalike_ids_are_literal_and_select_nothing(
    recorded: tuple[ApiClient, RecordingPool], lookalike: str
) -> None:
    """A dot is a dot: a regular expression matcher would have found ws-a01."""
    api, pool = recorded
    genuine = api.get("/v1/orgs/org-alpha/workspaces/ws-a01/analytics/executions/daily", days=3)
    assert genuine.status_code == 200
    genuine_queries = list(pool.queries)
    pool.queries.clear()
    response = api.get(
        f"/v1/orgs/org-alpha/workspaces/{quote(lookalike, safe='')}/analytics/executions/daily",
        days=3,
    )
    assert response.status_code == 404
    assert response.get_json()["details"] == {
        "resource_type": "workspace",
        "resource_id": lookalike,
    }
    # The check of the workspace, and the boundaries and resets read while it runs; nothing
    # after (no raw samples, no long lookback).
    assert any('"mm_part", "workspace"' in sent for sent in pool.queries)
    read_alongside = ("mm_part", "resets(")
    assert not any(
        "[" in sent and not any(part in sent for part in read_alongside) for sent in pool.queries
    )
    for sent in pool.queries:
        assert shape(sent) in {shape(query) for query in genuine_queries}
        assert f'workspace_id="{escape_label_value(lookalike)}"' in sent
        assert "=~" not in shape(sent) and 'workspace_id="ws-a01"' not in sent


def test_a_workspace_token_cannot_read_another_workspace_through_any_route(
    api: ApiClient, token: Callable[..., str]
) -> None:
    scoped = token("org-alpha", "ws-a02")
    for template in TEMPLATES[:2]:
        response = api.get(template.format("ws-a01"), scoped)
        assert response.status_code == 403
    rollup = api.get("/v1/orgs/org-alpha/analytics", scoped, workspace_id="ws-a01")
    assert rollup.status_code == 403
    narrowed = api.get("/v1/orgs/org-alpha/analytics", scoped, workspace_id="ws-a02").get_json()
    assert [ws["workspace_id"] for ws in narrowed["workspaces"]] == ["ws-a02"]
