"""The platform client against `responses`: paging, counting, retries, back-pressure, errors."""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from exporter.platform import api
from exporter.platform.client import PlatformClient, PlatformTarget, RequestPolicy
from exporter.platform.errors import (
    AuthenticationFailed,
    Cancelled,
    MalformedResponse,
    NotFound,
    PagingError,
    PlatformTimeout,
    PlatformUnavailable,
    RateLimited,
    ServerError,
)
from exporter.platform.throttle import Throttle

BASE = "http://platform.test"
WORKSPACES_URL = f"{BASE}/v1/orgs/org-a/workspaces"
FAST = RequestPolicy(timeout=1.0, max_retries=2, backoff_base=0.01, backoff_max=0.02)


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def make_client(policy: RequestPolicy = FAST, throttle: Throttle | None = None) -> PlatformClient:
    return PlatformClient(
        PlatformTarget(BASE + "/", "tok"), requests.Session(), policy, throttle=throttle
    )


def envelope(items, total, cursor=None, key="workspaces"):
    return {"total": total, "has_more": cursor is not None, "next_cursor": cursor, key: items}


def query(request) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(request.url).query).items()}


def error_body(status: int, code: str, **details) -> str:
    return json.dumps(
        {
            "error": code,
            "message": code.lower(),
            "details": details,
            "timestamp": "2025-01-01T00:00:00.000000",
            "status_code": status,
        }
    )


def test_records_walk_every_page_with_the_maximum_limit(mocked):
    all_ids = [f"ws-{n}" for n in range(5)]
    seen = []

    def pages(request):
        params = query(request)
        seen.append((params, request.headers["Authorization"]))
        start = int(params.get("cursor", "0"))
        stop = start + 2
        cursor = str(stop) if stop < len(all_ids) else None
        items = [{"workspace_id": ws} for ws in all_ids[start:stop]]
        return 200, {}, json.dumps(envelope(items, len(all_ids), cursor))

    mocked.add_callback(responses.GET, WORKSPACES_URL, callback=pages)
    client = make_client()
    assert client.records(api.WORKSPACES, {"org_id": "org-a"}, api.workspace_id) == all_ids
    assert [params.get("cursor") for params, _ in seen] == [None, "2", "4"]
    assert all(params["limit"] == str(api.WORKSPACES.max_limit) for params, _ in seen)
    assert all(auth == "Bearer tok" for _, auth in seen)
    assert client.counter.snapshot() == {(api.WORKSPACES.template, "200"): 3}


def test_count_reads_total_from_a_page_of_one(mocked):
    url = f"{BASE}/v1/orgs/org-a/workspaces/ws-1/model-entitlements"
    limits = []

    def page(request):
        limits.append(query(request)["limit"])
        return 200, {}, json.dumps(envelope([{"entitlement_id": "e"}], 37, "c", "entitlements"))

    mocked.add_callback(responses.GET, url, callback=page)
    ids = {"org_id": "org-a", "workspace_id": "ws-1"}
    assert make_client().count(api.MODEL_ENTITLEMENTS, ids) == 37
    assert limits == ["1"]


def test_server_errors_are_retried_then_succeed(mocked):
    mocked.add(
        responses.GET, WORKSPACES_URL, body=error_body(500, "INTERNAL_SERVER_ERROR"), status=500
    )
    mocked.add(responses.GET, WORKSPACES_URL, body=error_body(502, "BAD_GATEWAY"), status=502)
    mocked.add(responses.GET, WORKSPACES_URL, json=envelope([], 0))
    client = make_client()
    assert client.records(api.WORKSPACES, {"org_id": "org-a"}, api.workspace_id) == []
    template = api.WORKSPACES.template
    assert client.counter.snapshot() == {
        (template, "500"): 1,
        (template, "502"): 1,
        (template, "200"): 1,
    }


def test_server_errors_give_up_after_the_retries(mocked):
    mocked.add(responses.GET, WORKSPACES_URL, body=error_body(503, "UNAVAILABLE"), status=503)
    client = make_client()
    with pytest.raises(ServerError) as caught:
        client.count(api.WORKSPACES, {"org_id": "org-a"})
    assert caught.value.status == 503
    assert client.counter.snapshot() == {(api.WORKSPACES.template, "503"): FAST.max_retries + 1}


def test_connection_errors_and_timeouts_are_retried(mocked):
    mocked.add(responses.GET, WORKSPACES_URL, body=requests.ConnectionError("refused"))
    client = make_client()
    with pytest.raises(PlatformUnavailable, match="refused"):
        client.count(api.WORKSPACES, {"org_id": "org-a"})
    assert client.counter.snapshot() == {(api.WORKSPACES.template, "error"): 3}
    mocked.replace(responses.GET, WORKSPACES_URL, body=requests.ReadTimeout("slow"))
    with pytest.raises(PlatformTimeout):
        client.count(api.WORKSPACES, {"org_id": "org-a"})


@pytest.mark.parametrize(
    ("status", "code", "error_class"),
    [(401, "AUTHENTICATION_FAILED", AuthenticationFailed), (404, "RESOURCE_NOT_FOUND", NotFound)],
)
def test_client_errors_are_not_retried(mocked, status, code, error_class):
    body = error_body(status, code, resource_type="workspace", resource_id="ws-9")
    url = f"{BASE}/v1/orgs/org-a/workspaces/ws-9/apps"
    mocked.add(responses.GET, url, body=body, status=status)
    client = make_client()
    with pytest.raises(error_class) as caught:
        client.records(api.APPS, {"org_id": "org-a", "workspace_id": "ws-9"}, api.app_record)
    assert caught.value.error == code
    assert caught.value.details["resource_id"] == "ws-9"
    assert client.counter.snapshot() == {(api.APPS.template, str(status)): 1}


@pytest.mark.parametrize("where", ["details", "header"])
def test_rate_limits_wait_as_told(mocked, where):
    retry_after = 0.4
    times = []
    details = {"retry_after": retry_after} if where == "details" else {}
    headers = {"Retry-After": "1"} if where == "header" else {}
    wait = retry_after if where == "details" else 1.0

    def answer(request):
        times.append(time.monotonic())
        if len(times) == 1:
            return 429, headers, error_body(429, "RATE_LIMIT_EXCEEDED", **details)
        return 200, {}, json.dumps(envelope([], 0))

    mocked.add_callback(responses.GET, WORKSPACES_URL, callback=answer)
    assert make_client().count(api.WORKSPACES, {"org_id": "org-a"}) == 0
    assert len(times) == 2
    assert wait <= times[1] - times[0] < wait * 1.1 + 0.3


def test_a_rate_limit_storm_gives_up_with_rate_limited(mocked):
    mocked.add(
        responses.GET,
        WORKSPACES_URL,
        body=error_body(429, "RATE_LIMIT_EXCEEDED", retry_after=0.05),
        status=429,
    )
    client = make_client()
    with pytest.raises(RateLimited):
        client.count(api.WORKSPACES, {"org_id": "org-a"})
    assert client.counter.snapshot() == {(api.WORKSPACES.template, "429"): 3}


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        json.dumps({"total": 1, "has_more": False, "next_cursor": None}),
        json.dumps({"total": "1", "has_more": False, "next_cursor": None, "workspaces": []}),
        json.dumps(envelope([{"id": "no workspace_id"}], 1)),
    ],
)
def test_malformed_answers_fail_without_retry(mocked, body):
    mocked.add(responses.GET, WORKSPACES_URL, body=body)
    client = make_client()
    with pytest.raises(MalformedResponse):
        client.records(api.WORKSPACES, {"org_id": "org-a"}, api.workspace_id)
    assert client.counter.snapshot() == {(api.WORKSPACES.template, "200"): 1}


def test_a_cursor_that_never_advances_is_an_error(mocked):
    mocked.add(responses.GET, WORKSPACES_URL, json=envelope([{"workspace_id": "w"}], 9, "same"))
    with pytest.raises(PagingError, match="does not advance"):
        make_client().records(api.WORKSPACES, {"org_id": "org-a"}, api.workspace_id)


def test_an_endless_list_is_bounded(mocked):
    counter = iter(range(10**6))

    def endless(request):
        return 200, {}, json.dumps(envelope([{"workspace_id": "w"}], 10**6, str(next(counter))))

    mocked.add_callback(responses.GET, WORKSPACES_URL, callback=endless)
    policy = RequestPolicy(timeout=1.0, max_retries=0, max_pages=7)
    client = make_client(policy)
    with pytest.raises(PagingError, match="more than 7 pages"):
        client.records(api.WORKSPACES, {"org_id": "org-a"}, api.workspace_id)
    assert client.counter.snapshot() == {(api.WORKSPACES.template, "200"): 7}


def test_stopping_abandons_a_backoff(mocked):
    mocked.add(
        responses.GET, WORKSPACES_URL, body=error_body(500, "INTERNAL_SERVER_ERROR"), status=500
    )
    stop = threading.Event()
    slow = RequestPolicy(timeout=1.0, max_retries=3, backoff_base=30, backoff_max=30)
    client = make_client(slow, Throttle(stop))
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        client.count(api.WORKSPACES, {"org_id": "org-a"})
    assert time.monotonic() - started < 5
