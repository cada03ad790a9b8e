"""The Prometheus HTTP client: parsing, path prefix and tenant headers, its exception tree."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import requests
import responses

from facade.engines import Engine
from facade.prometheus import (
    PrometheusClient,
    PrometheusError,
    PrometheusResponseError,
    PrometheusTimeout,
    PrometheusUnreachable,
    default_session,
    without_credentials,
)
from stack.supervisor import free_port

BASE = "http://mimir.test:8080/prometheus"
QUERY = f"{BASE}/api/v1/query"


def client(errors: list[str] | None = None) -> PrometheusClient:
    """A client with a path prefix and a tenant header."""
    return PrometheusClient(
        BASE + "/",
        session=requests.Session(),
        timeout=2.0,
        headers={"X-Scope-OrgID": "tenant-1"},
        on_error=None if errors is None else errors.append,
    )


@responses.activate
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
    responses.post(QUERY, json=body)
    samples = client().instant("up", 1700000000.5)
    assert [(s.labels["workspace_id"], s.value) for s in samples] == [("ws-1", 42.0), ("ws-2", 0.0)]
    sent = responses.calls[0].request
    assert sent.headers["X-Scope-OrgID"] == "tenant-1"
    form = parse_qs(str(sent.body))
    assert form == {"query": ["up"], "time": ["1700000000.500"], "timeout": ["2s"]}


@responses.activate
def test_range_matrix() -> None:
    body = {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [{"metric": {}, "values": [[10, "1"], [20, "3"]]}],
        },
    }
    responses.post(f"{BASE}/api/v1/query_range", json=body)
    [series] = client().range("x", 10, 20, 10)
    assert series.points == ((10.0, 1.0), (20.0, 3.0))


@pytest.mark.parametrize(
    ("reply", "expected", "reason"),
    [
        ({"body": requests.ConnectionError("refused")}, PrometheusUnreachable, "unreachable"),
        ({"body": requests.ReadTimeout("slow")}, PrometheusTimeout, "timeout"),
        ({"body": requests.ConnectTimeout("slow")}, PrometheusTimeout, "timeout"),
        ({"status": 502, "body": "<html>Bad Gateway</html>"}, PrometheusUnreachable, "unreachable"),
        (
            {"status": 503, "json": {"status": "error", "errorType": "timeout", "error": "x"}},
            PrometheusTimeout,
            "timeout",
        ),
        (
            {"status": 400, "json": {"status": "error", "errorType": "bad_data", "error": "parse"}},
            PrometheusResponseError,
            "error",
        ),
        ({"status": 200, "body": "not json"}, PrometheusResponseError, "error"),
        (
            {"status": 200, "json": {"status": "success", "data": {"resultType": "matrix"}}},
            PrometheusResponseError,
            "error",
        ),
    ],
)
@responses.activate
def test_failures_map_to_the_exception_tree(
    reply: dict[str, object], expected: type[PrometheusError], reason: str
) -> None:
    responses.post(QUERY, **reply)
    errors: list[str] = []
    with pytest.raises(expected) as caught:
        client(errors).instant("up", 0)
    assert isinstance(caught.value, PrometheusError)
    assert caught.value.reason == reason
    assert errors == [reason]


@pytest.mark.parametrize(
    "data",
    [
        {"resultType": "vector", "result": [{"value": [1, "2"]}]},
        {"resultType": "vector", "result": [{"metric": {}, "value": [1]}]},
        {"resultType": "vector", "result": [{"metric": {}, "value": [1, "many"]}]},
        {"resultType": "vector", "result": None},
    ],
)
@responses.activate
def test_malformed_results_are_response_errors(data: dict[str, object]) -> None:
    responses.post(QUERY, json={"status": "success", "data": data})
    with pytest.raises(PrometheusResponseError):
        client().instant("up", 0)


def test_errors_never_show_the_credentials_of_the_prometheus_url() -> None:
    client = PrometheusClient(
        f"http://alice:s3cret@127.0.0.1:{free_port()}/prefix",
        session=requests.Session(),
        timeout=1,
    )
    with pytest.raises(PrometheusUnreachable) as caught:
        client.instant("vector(1)", 0)
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


@responses.activate
def test_the_default_session_asks_for_uncompressed_answers() -> None:
    responses.post(
        QUERY, json={"status": "success", "data": {"resultType": "vector", "result": []}}
    )
    PrometheusClient(BASE, session=default_session(BASE), timeout=1).instant("vector(1)", 0)
    assert responses.calls[0].request.headers["Accept-Encoding"] == "identity"


VECTOR = {"status": "success", "data": {"resultType": "vector", "result": []}}


def sent_forms() -> list[dict[str, list[str]]]:
    """The form of every query the mocked API received."""
    return [parse_qs(str(call.request.body)) for call in responses.calls if call.request.body]


@responses.activate
def test_engine_parameters_go_with_every_query() -> None:
    responses.post(QUERY, json=VECTOR)
    thanos = PrometheusClient(BASE, session=requests.Session(), timeout=2.0, engine="thanos")
    thanos.instant("up", 10)
    assert sent_forms()[0]["partial_response"] == ["false"]
    assert len(responses.calls) == 1  # a named engine is not asked


@responses.activate
def test_auto_asks_again_after_a_refusal_and_then_never() -> None:
    buildinfo = f"{BASE}/api/v1/status/buildinfo"
    responses.get(buildinfo, status=401, body="no such tenant")
    responses.get(buildinfo, json={"status": "success", "data": {}})  # VictoriaMetrics 1.79
    responses.post(QUERY, json=VECTOR)
    auto = PrometheusClient(BASE, session=requests.Session(), timeout=2.0, engine="auto")
    for _ in range(3):
        auto.instant("up", 10)
    assert auto.engine == Engine.VICTORIAMETRICS
    asked = [call for call in responses.calls if call.request.url == buildinfo]
    assert len(asked) == 2
    assert ["nocache" in form for form in sent_forms()] == [False, True, True]


def test_auto_without_a_connection_fails_like_a_query() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    errors: list[str] = []
    auto = PrometheusClient(
        url, session=requests.Session(), timeout=2.0, engine="auto", on_error=errors.append
    )
    with pytest.raises(PrometheusUnreachable):
        auto.instant("up", 10)
    assert errors == ["unreachable"]  # one failure, not one per request
