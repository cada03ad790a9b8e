"""The Prometheus HTTP client against a canned query API on loopback: parsing, path prefix,
tenant headers and credentials, its exception tree, the engines' parameters."""

from __future__ import annotations

import socket
from base64 import b64encode
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pytest

from facade.engines import Engine
from facade.prometheus import (
    PrometheusClient,
    PrometheusError,
    PrometheusResponseError,
    PrometheusTimeout,
    PrometheusUnreachable,
    connection_pool,
    without_credentials,
)
from stack.supervisor import free_port
from tests.support.facade_http import Answer, Received, canned_api, serving

QUERY = "/api/v1/query"
BUILDINFO = "/api/v1/status/buildinfo"
VECTOR = {"status": "success", "data": {"resultType": "vector", "result": []}}


@contextmanager
def canned(
    answers: Mapping[str, Sequence[Answer]], delay: float = 0.0
) -> Iterator[tuple[str, list[Received]]]:
    """A canned query API on a free loopback port: its base URL and what it received."""
    handler, received = canned_api(answers, delay)
    with serving(handler, poll_interval=0.01) as url:
        yield url, received


def client(base: str, errors: list[str] | None = None, **options: Any) -> PrometheusClient:
    """A client of `base` through the façade's own pool."""
    options.setdefault("timeout", 2.0)
    on_error = None if errors is None else errors.append
    return PrometheusClient(base, http=connection_pool(base), on_error=on_error, **options)


def test_instant_vector_with_prefix_headers_and_timeout() -> None:
    body = {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [
                {"metric": {"workspace_id": "ws-1"}, "value": [1700000000, "42"]},
                {"metric": {"workspace_id": "ws-2"}, "value": [1700000000, "NaN"]},
            ],
        },
    }
    with canned({QUERY: [(200, body)]}) as (url, received):
        tenant = client(url + "/prometheus/", headers={"X-Scope-OrgID": "tenant-1"})
        samples = tenant.instant("up", 1700000000.5)
    assert [(s.labels["workspace_id"], s.value) for s in samples] == [("ws-1", 42.0), ("ws-2", 0.0)]
    [sent] = received
    assert (sent.method, sent.path) == ("POST", "/prometheus/api/v1/query")
    assert sent.headers["X-Scope-OrgID"] == "tenant-1"
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent.headers["Accept-Encoding"] == "identity"  # gzip costs Prometheus more CPU
    assert "Authorization" not in sent.headers
    assert sent.form == {"query": "up", "time": "1700000000.500", "timeout": "2s"}


def test_range_matrix() -> None:
    body = {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [{"metric": {}, "values": [[10, "1"], [20, "3"]]}],
        },
    }
    with canned({"/api/v1/query_range": [(200, body)]}) as (url, received):
        [series] = client(url).range("x", 10, 20, 10)
    assert series.points == ((10.0, 1.0), (20.0, 3.0))
    assert received[0].form == {
        "query": "x",
        "start": "10.000",
        "end": "20.000",
        "step": "10.000",
        "timeout": "2s",
    }


@pytest.mark.parametrize(
    ("reply", "expected", "reason"),
    [
        ((0, b""), PrometheusUnreachable, "unreachable"),  # hung up without an answer
        ((502, b"<html>Bad Gateway</html>"), PrometheusUnreachable, "unreachable"),
        (
            (503, {"status": "error", "errorType": "timeout", "error": "x"}),
            PrometheusTimeout,
            "timeout",
        ),
        (
            (422, {"status": "error", "errorType": "canceled", "error": "x"}),
            PrometheusTimeout,
            "timeout",
        ),
        (
            (400, {"status": "error", "errorType": "bad_data", "error": "parse"}),
            PrometheusResponseError,
            "error",
        ),
        ((200, b"not json"), PrometheusResponseError, "error"),
        ((200, b"\xff\xfe not UTF-8"), PrometheusResponseError, "error"),
        (
            (200, {"status": "success", "data": {"resultType": "matrix"}}),
            PrometheusResponseError,
            "error",
        ),
    ],
)
def test_failures_map_to_the_exception_tree(
    reply: Answer, expected: type[PrometheusError], reason: str
) -> None:
    errors: list[str] = []
    with canned({QUERY: [reply]}) as (url, received), pytest.raises(expected) as caught:
        client(url, errors).instant("up", 0)
    assert isinstance(caught.value, PrometheusError)
    assert caught.value.reason == reason
    assert errors == [reason]
    assert len(received) == 1  # never retried


def test_a_slow_answer_is_a_timeout_and_never_retried() -> None:
    errors: list[str] = []
    slow = canned({QUERY: [(200, VECTOR)]}, delay=0.4)
    with slow as (url, received), pytest.raises(PrometheusTimeout) as caught:
        client(url, errors, timeout=0.1).instant("up", 0)
    assert str(caught.value) == f"{url}/api/v1/query: no answer within 0.1 s"
    assert errors == ["timeout"]
    assert len(received) == 1


def test_a_connection_never_accepted_is_a_timeout() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        waiting = [socket.socket() for _ in range(3)]  # fill the backlog: the next SYN is dropped
        for waiter in waiting:
            waiter.setblocking(False)
            waiter.connect_ex(listener.getsockname())
        errors: list[str] = []
        with pytest.raises(PrometheusTimeout) as caught:
            client(url, errors, timeout=0.2).instant("up", 0)
        for waiter in waiting:
            waiter.close()
    assert str(caught.value) == f"{url}/api/v1/query: no answer within 0.2 s"
    assert errors == ["timeout"]


def test_a_refused_connection_is_unreachable() -> None:
    errors: list[str] = []
    with pytest.raises(PrometheusUnreachable):
        client(f"http://127.0.0.1:{free_port()}", errors).instant("up", 0)
    assert errors == ["unreachable"]


@pytest.mark.parametrize(
    "data",
    [
        {"resultType": "vector", "result": [{"value": [1, "2"]}]},
        {"resultType": "vector", "result": [{"metric": {}, "value": [1]}]},
        {"resultType": "vector", "result": [{"metric": {}, "value": [1, "many"]}]},
        {"resultType": "vector", "result": None},
    ],
)
def test_malformed_results_are_response_errors(data: dict[str, object]) -> None:
    answer = canned({QUERY: [(200, {"status": "success", "data": data})]})
    with answer as (url, _), pytest.raises(PrometheusResponseError):
        client(url).instant("up", 0)


def test_credentials_go_as_basic_auth_and_are_never_shown() -> None:
    refusal = {"status": "error", "errorType": "bad_data", "error": "parse"}
    with canned({QUERY: [(200, VECTOR), (400, refusal)]}) as (url, received):
        secured = url.replace("//", "//alice:s%40cret@") + "/prefix"
        authorized = client(secured, headers={"Authorization": "Bearer ignored"})
        authorized.instant("up", 0)
        with pytest.raises(PrometheusResponseError) as refused:
            authorized.instant("up", 0)
    expected = "Basic " + b64encode(b"alice:s@cret").decode()
    assert [sent.headers["Authorization"] for sent in received] == [expected, expected]
    assert [sent.path for sent in received] == ["/prefix/api/v1/query"] * 2
    assert str(refused.value) == f"{url}/prefix/api/v1/query: HTTP 400 parse"
    gone = f"http://alice:s3cret@127.0.0.1:{free_port()}/prefix"
    with pytest.raises(PrometheusUnreachable) as caught:
        client(gone).instant("vector(1)", 0)
    assert "s3cret" not in str(caught.value)
    assert "alice" not in str(caught.value)
    assert "127.0.0.1" in str(caught.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://alice:s3cret@[::1]:9090/prom", "http://[::1]:9090/prom"),
        ("https://alice@prometheus.example/", "https://prometheus.example/"),
        ("http://127.0.0.1:9090", "http://127.0.0.1:9090"),
    ],
)
def test_credentials_leave_the_address_intact(url: str, shown: str) -> None:
    assert without_credentials(url) == shown


def test_engine_parameters_go_with_every_query() -> None:
    with canned({QUERY: [(200, VECTOR)]}) as (url, received):
        client(url, engine="thanos").instant("up", 10)
    assert received[0].form["partial_response"] == "false"
    assert len(received) == 1  # a named engine is not asked


def test_auto_asks_again_after_a_refusal_and_then_never() -> None:
    victoria = {"status": "success", "data": {}}  # VictoriaMetrics 1.79
    answers: dict[str, list[Answer]] = {
        BUILDINFO: [(401, b"no such tenant"), (200, victoria)],
        QUERY: [(200, VECTOR)],
    }
    with canned(answers) as (url, received):
        auto = client(url, engine="auto")
        for _ in range(3):
            auto.instant("up", 10)
    assert auto.engine == Engine.VICTORIAMETRICS
    asked = [sent for sent in received if sent.path == BUILDINFO]
    assert [sent.method for sent in asked] == ["GET", "GET"]
    queries = [sent.form for sent in received if sent.path == QUERY]
    assert ["nocache" in form for form in queries] == [False, True, True]


def test_auto_without_a_connection_fails_like_a_query() -> None:
    errors: list[str] = []
    auto = client(f"http://127.0.0.1:{free_port()}", errors, engine="auto")
    with pytest.raises(PrometheusUnreachable):
        auto.instant("up", 10)
    assert errors == ["unreachable"]  # one failure, not one per request
