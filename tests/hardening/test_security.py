"""The façade under attack, served by gunicorn on the live stack: an injection corpus in every
parameter (checked against the queries Prometheus itself logs), forged and misdirected
credentials, oversized tokens, secrets in logs, log forging, security headers."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from facade import FacadeConfig, create_app, load_config
from facade.auth import Authenticator, permission_for
from facade.credentials import ApiKey, hash_api_key
from stack.supervisor import free_port
from tests.hardening import security_corpus as corpus
from tests.hardening.security_checks import (
    Genuine,
    answer_problems,
    compare_digest_calls,
    flatten,
    header_problems,
    query_problems,
    shape,
)
from tests.hardening.security_stack import (
    API_KEY,
    ORG_PERMISSION,
    BrokenPool,
    CountingHandler,
    SecureStack,
    start_secure_stack,
)
from tests.hardening.security_tokens import TokenForge
from tests.support.facade_http import OpenApiChecker, serving

SHA256_HEX_LENGTH = 64


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureStack]:
    """The façade with every kind of credential on the live stack."""
    stack = start_secure_stack(tmp_path_factory.mktemp("secure"))
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def genuine(secure: SecureStack) -> Genuine:
    """The ids the org-wide token may read, and every other id."""
    return Genuine.of(secure.live)


@pytest.fixture(scope="module")
def document(secure: SecureStack) -> dict[str, Any]:
    """The OpenAPI document the façade serves."""
    found: dict[str, Any] = secure.facade.get("/openapi.json").json()
    return found


@pytest.fixture(scope="module")
def checker(document: dict[str, Any]) -> OpenApiChecker:
    """Validates answers against that document."""
    return OpenApiChecker(document)


def test_injection_corpus_in_every_parameter(
    secure: SecureStack, genuine: Genuine, document: dict[str, Any], checker: OpenApiChecker
) -> None:
    slots = corpus.slots(document)
    assert len(corpus.PAYLOADS) >= 50 and len(set(corpus.PAYLOADS)) == len(corpus.PAYLOADS)
    assert {slot.template for slot in slots} == set(corpus.operations(document))
    secured = {path for path, item in document["paths"].items() if item["get"]["security"]}
    assert set(corpus.operations(document)) == secured
    token = secure.credentials.token()
    auth = {"Authorization": f"Bearer {token}"}
    _, offset = secure.live.queries()
    for template in corpus.operations(document):
        path = corpus.target(template, genuine.path_values(), genuine.query(document, template))
        assert secure.facade.raw_get(path, auth).status == 200, path
    genuine_queries, offset = secure.live.queries(offset)
    allowed_shapes = {shape(query) for query in genuine_queries}

    def attack(case: tuple[corpus.Slot, str, bool]) -> list[str]:
        slot, payload, raw = case
        path_values = genuine.path_values()
        query = genuine.query(document, slot.template)
        (path_values if slot.location == "path" else query)[slot.name] = payload
        raw_names = frozenset({slot.name}) if raw else frozenset()
        answer = secure.facade.raw_get(
            corpus.target(slot.template, path_values, query, raw=raw_names), auth
        )
        return answer_problems(checker, genuine, slot, payload, answer, decoded=not raw)

    cases = [(slot, payload, False) for slot in slots for payload in corpus.PAYLOADS]
    cases += [(slot, payload, True) for slot in slots for payload in corpus.RAW_PAYLOADS]
    with ThreadPoolExecutor(4) as pool:
        problems = flatten(pool.map(attack, cases))
    assert problems == [], f"{len(problems)} problems of {len(cases)} requests"

    sent, _ = secure.live.queries(offset)
    # Valid-looking payloads (`or`, `a` * 128, ...) reach Prometheus, as quoted label values.
    assert len(sent) > len(genuine_queries)
    assert {shape(query) for query in sent} <= allowed_shapes
    assert flatten(query_problems(query, genuine.org_id) for query in sent) == []


def test_forged_expired_and_misdirected_credentials(
    secure: SecureStack, genuine: Genuine, checker: OpenApiChecker
) -> None:
    path = genuine.summary()
    template = "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics"
    with serving(CountingHandler) as key_url:
        forge = TokenForge(secure.credentials.rsa_key, genuine.org_id, genuine.other_org, key_url)
        attacks = forge.all(genuine.workspace_id)
        problems = []
        for attack in attacks:
            answer = secure.facade.raw_get(path, {"Authorization": attack.authorization})
            body = answer.json()
            checker.check_body(template, "GET", answer.status, body)
            if answer.status != attack.status:
                problems.append(f"{attack.name}: {answer.status} {body}")
            elif attack.status == 401 and answer.headers.get("www-authenticate") != "Bearer":
                problems.append(f"{attack.name}: no WWW-Authenticate challenge")
            elif attack.status == 403 and body["details"] != {
                "required_permission": permission_for(genuine.workspace_id)
            }:
                problems.append(f"{attack.name}: {body['details']}")
    assert len(attacks) >= 50
    assert problems == []
    assert CountingHandler.seen == []  # jku/x5u were not followed


def test_oversized_tokens_are_refused_without_harm(secure: SecureStack, genuine: Genuine) -> None:
    path = genuine.summary()
    huge = {"Authorization": f"Bearer {'A' * 100_000}"}
    answer = secure.facade.raw_get(path, huge)
    assert answer.status == 431  # gunicorn's header limit, before any application code
    header_only = {"Authorization": f"Bearer {'a' * 40_000}.{'b' * 40_000}.{'c' * 20_000}"}
    assert secure.facade.raw_get(path, header_only).status == 431
    token = secure.credentials.token()
    for _ in range(4):  # both workers still serve
        assert secure.facade.get(path, token).status_code == 200
    # Behind a server without a header limit the application itself refuses them.
    env = {**secure.facade.env, "FACADE_PROMETHEUS_URL": secure.live.prometheus.url}
    app = create_app(load_config(env))
    for headers in (huge, header_only):
        response = app.test_client().get(path, headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"] == "AUTHENTICATION_FAILED"


def test_api_keys_are_compared_in_constant_time_over_fixed_length_digests() -> None:
    keys = tuple(
        ApiKey(f"key-{n}", hash_api_key(f"secret-{n}"), "org-a", (ORG_PERMISSION,))
        for n in range(5)
    )
    authenticator = Authenticator(FacadeConfig(api_keys=keys))
    presented = ["secret-0", "secret-4", "secret-9", "-", "s", "x" * 10_000, "secret-0x"]
    for key in presented:
        # Every configured key is compared, whichever matches and however long the input.
        assert compare_digest_calls(authenticator, key) == len(keys), key
        assert len(hash_api_key(key)) == SHA256_HEX_LENGTH  # what is compared has one length
    assert all(len(key.sha256) == SHA256_HEX_LENGTH for key in keys)
    assert authenticator.authenticate("Bearer secret-4").org_id == "org-a"


def test_keys_and_tokens_never_reach_the_logs(
    secure: SecureStack, genuine: Genuine, caplog: pytest.LogCaptureFixture
) -> None:
    forge = TokenForge(secure.credentials.rsa_key, genuine.org_id, genuine.other_org, "")
    secrets = [API_KEY, forge.hs(), forge.rs(), forge.hs(exp=forge.now - 30), f"{API_KEY[:-1]}X"]
    paths = [
        genuine.summary(),  # 200 or 401
        f"/v1/orgs/{genuine.other_org}/analytics",  # 403
        f"/v1/orgs/{genuine.org_id}/workspaces/ws-unknown/analytics",  # 404
        f"{genuine.summary()}/executions/hourly?hours=0",  # 422
    ]
    env = {**secure.facade.env, "FACADE_PROMETHEUS_URL": secure.live.prometheus.url}
    client = create_app(load_config(env)).test_client()
    with caplog.at_level(logging.DEBUG):
        for secret in secrets:
            for path in paths:
                headers = {"Authorization": f"Bearer {secret}"}
                assert secure.facade.raw_get(path, headers).status < 500
                assert client.get(path, headers=headers).status_code < 500
            # A header gunicorn refuses, with the secret in it.
            secure.facade.raw_get(paths[0], {"Authorization": f"Bearer {secret}\x01"})
    served = secure.facade.log_text()
    assert served.count(f'"GET {paths[0]}"') >= len(secrets)  # the access log was written
    logged = caplog.text + "".join(str(record.args) for record in caplog.records)
    for secret in secrets:
        for text in (served, logged):
            assert secret not in text
            assert secret.split(".")[-1] not in text  # not even a signature


def test_security_headers_on_every_answer(secure: SecureStack, genuine: Genuine) -> None:
    token = secure.credentials.token()
    auth = {"Authorization": f"Bearer {token}"}
    summary = genuine.summary()
    cases = [  # (path, headers, status)
        (summary, auth, 200),
        (summary, {}, 401),
        (f"/v1/orgs/{genuine.other_org}/analytics", auth, 403),
        (f"/v1/orgs/{genuine.org_id}/workspaces/ws-unknown/analytics", auth, 404),
        ("/v1/nothing", auth, 404),
        (f"{summary}/executions/daily?days=91", auth, 422),
        ("/metrics", {}, 200),
        ("/openapi.json", {}, 200),
        ("/healthz", {}, 200),
        ("/readyz", {}, 200),
    ]
    problems = []
    for path, headers, status in cases:
        answer = secure.facade.raw_get(path, headers)
        assert answer.status == status, (path, answer)
        problems += header_problems(path, answer.headers)
    for method in ("POST", "HEAD", "OPTIONS", "DELETE"):
        request = f"{method} {summary} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        answer = secure.facade.raw(f"{request}Authorization: Bearer {token}\r\n\r\n".encode())
        assert answer.status == (200 if method == "HEAD" else 405), method
        problems += header_problems(method, answer.headers)
    # 503 and 500 come from the same app: Prometheus gone, or a failure nobody foresaw.
    env = {**secure.facade.env, "FACADE_PROMETHEUS_URL": f"http://127.0.0.1:{free_port()}"}
    for status, pool in ((503, None), (500, BrokenPool())):
        response = create_app(load_config(env), http=pool).test_client().get(summary, headers=auth)
        assert response.status_code == status
        problems += header_problems(str(status), {k.lower(): v for k, v in response.headers})
    assert problems == []


def test_a_request_cannot_forge_access_log_lines(secure: SecureStack) -> None:
    forged = '127.0.0.1 "GET /forged" 200 0 0ms'
    target = (
        "/v1/orgs/x%0A" + forged.replace(" ", "%20").replace('"', "%22") + "%0A%1B[31m/analytics"
    )
    assert secure.facade.raw_get(target).status == 404  # the forged text adds path segments
    lines = secure.facade.log_text().splitlines()
    assert not any(line.startswith('127.0.0.1 "GET /forged"') for line in lines)
    assert not any("\x1b" in line for line in lines)
    [logged] = [line for line in lines if "/forged" in line]
    assert logged.startswith('127.0.0.1 "GET /v1/orgs/x\\n127.0.0.1 \\"GET /forged\\"')


def test_gunicorn_opens_no_control_socket(secure: SecureStack) -> None:
    assert secure.facade.get("/healthz").status_code == 200
    assert list(secure.home.rglob("*")) == []
    assert "Control socket" not in secure.facade.log_text()


def test_empty_path_segments_are_unknown_routes_not_redirects(
    secure: SecureStack, genuine: Genuine
) -> None:
    for path in (f"/v1//orgs/{genuine.org_id}/analytics", f"{genuine.summary()}//sources"):
        request = f"GET {path} HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
        answer = secure.facade.raw(request.encode())
        assert answer.status == 404, answer
        assert "location" not in answer.headers
        assert answer.json()["details"] == {"resource_type": "route", "resource_id": path}


def test_time_zones_are_iana_names_only(secure: SecureStack, genuine: Genuine) -> None:
    """Host files beside the zones (the server's own `localtime`, leap-second `right/` zones)
    are no calendar of the API; every IANA name is."""
    token = secure.credentials.token()
    daily = f"{genuine.summary()}/executions/daily"
    for name in ("localtime", "posixrules", "right/UTC", "posix/UTC", "right/Europe/Paris"):
        answer = secure.facade.get(daily, token, days=2, tz=name)
        assert answer.status_code == 422, name
        assert answer.json()["detail"][0]["loc"] == ["query", "tz"]
    for name in ("UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "US/Eastern"):
        assert secure.facade.get(daily, token, days=2, tz=name).status_code == 200, name


def test_tokens_read_only_their_own_org_and_workspaces(
    secure: SecureStack, genuine: Genuine, document: dict[str, Any]
) -> None:
    scoped = secure.credentials.token(permissions=(permission_for(genuine.workspace_id),))
    other_org = secure.credentials.token(genuine.other_org)
    others = [(o, w) for o, w in secure.live.workspaces() if w != genuine.workspace_id]
    for template in corpus.operations(document):
        for org_id, workspace_id in others:
            values = {**genuine.path_values(), "org_id": org_id, "workspace_id": workspace_id}
            path = corpus.target(template, values, {})
            needed = permission_for(workspace_id if "{workspace_id}" in template else None)
            for token in [scoped] + ([other_org] if org_id == genuine.org_id else []):
                body = secure.facade.get(path, token).json()
                # Nothing but the refusal: no count, no id beyond the permission asked for.
                assert body["status_code"] == 403, (path, body)
                assert body["details"] == {"required_permission": needed}
    rollup = f"/v1/orgs/{genuine.org_id}/analytics"
    assert secure.facade.get(rollup, scoped).status_code == 403
    narrowed = secure.facade.get(rollup, scoped, workspace_id=genuine.workspace_id).json()
    assert [ws["workspace_id"] for ws in narrowed["workspaces"]] == [genuine.workspace_id]
    assert (
        genuine.foreign("/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics", str(narrowed))
        == []
    )
