"""schemathesis against the façade's own `/openapi.json`, served by gunicorn on live data.

With a valid token: over a thousand generated requests (valid and invalid values, random ids
and the real ones of the sandbox) on every operation, none answered 5xx and every answer
documented, status, content type, headers and body. Without a token: every analytics answer is
the 401 envelope. Generation is derandomized, so every run sends the same requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.hardening.security_checks import Genuine
from tests.hardening.security_stack import SecureStack, start_secure_stack

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureStack]:
    """The façade under gunicorn on the live stack."""
    started = start_secure_stack(tmp_path_factory.mktemp("fuzz"))
    yield started
    started.stop()


@pytest.fixture(scope="module")
def schema(stack: SecureStack) -> schemathesis.schemas.BaseSchema:
    """The façade's OpenAPI document, as schemathesis reads it."""
    return schemathesis.openapi.from_url(f"{stack.facade.url}/openapi.json")


def generated(strategy: st.SearchStrategy[Case], examples: int) -> list[Case]:
    """`examples` derandomized cases of `strategy` (generated first, sent afterwards, so the
    requests can run in parallel)."""
    cases: list[Case] = []

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def collect(case: Case) -> None:
        cases.append(case)

    collect()
    return cases


Answer = tuple[str, int, str | None]  # operation, status, why it is wrong (None: it is not)


def send_all(cases: list[Case], send: Callable[[Case], Answer]) -> list[Answer]:
    """Send every case, four at a time (the façade has two workers)."""
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(send, cases))


def checked(case: Case, response: Response) -> Answer:
    """The answer and, if it breaks the document, why, with the request to reproduce it."""
    try:
        case.validate_response(response, checks=CHECKS)
    except (Failure, FailureGroup) as exc:
        return case.operation.label, response.status_code, f"{exc}\n{case.as_curl_command()}"
    return case.operation.label, response.status_code, None


def operations(schema: schemathesis.schemas.BaseSchema) -> list[APIOperation]:
    """Every operation of a schema."""
    found = list(schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in found)
    return [result.ok() for result in found if isinstance(result, Ok)]


def mixed_cases(operation: APIOperation, genuine: Genuine) -> list[Case]:
    """Valid and invalid values, with random ids and with the real ones of the sandbox."""
    if not operation.path.startswith("/v1/"):  # healthz, metrics, ...: nothing to vary
        return generated(operation.as_strategy(GenerationMode.POSITIVE), 5)
    real_org = {"org_id": genuine.org_id}
    return [
        *generated(operation.as_strategy(GenerationMode.POSITIVE), 30),
        *generated(operation.as_strategy(GenerationMode.NEGATIVE), 25),
        *generated(
            operation.as_strategy(GenerationMode.POSITIVE, path_parameters=genuine.path_values()),
            30,
        ),
        *generated(operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=real_org), 15),
    ]


def test_generated_requests_with_a_token_are_documented_and_never_5xx(
    stack: SecureStack, schema: schemathesis.schemas.BaseSchema
) -> None:
    genuine = Genuine.of(stack.live)
    headers = {"Authorization": f"Bearer {stack.credentials.token()}"}
    cases = [case for operation in operations(schema) for case in mixed_cases(operation, genuine)]

    def send(case: Case) -> Answer:
        return checked(case, case.call(base_url=stack.facade.url, headers=headers))

    answers = send_all(cases, send)
    assert [why for _, _, why in answers if why is not None] == []
    assert len(answers) >= 1000
    assert all(status < 500 for _, status, _ in answers)
    # Every operation answered with data at least once, so the data paths were fuzzed too.
    assert {label for label, status, _ in answers if status == 200} == {
        operation.label for operation in operations(schema)
    }
    assert {
        "GET /v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/executions/weekly",
        "GET /v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/executions/monthly",
    } <= {label for label, _, _ in answers}


def test_generated_requests_asking_for_csv_are_documented_and_never_5xx(
    stack: SecureStack, schema: schemathesis.schemas.BaseSchema
) -> None:
    """The operations offering `text/csv` (the series and the org rollup), asked for it."""
    genuine = Genuine.of(stack.live)
    headers = {"Authorization": f"Bearer {stack.credentials.token()}", "Accept": "text/csv"}
    offering = [
        operation
        for operation in operations(schema)
        if "text/csv" in operation.definition.raw["responses"]["200"]["content"]
    ]
    cases = [
        case
        for operation in offering
        for case in generated(
            operation.as_strategy(GenerationMode.POSITIVE, path_parameters=genuine.path_values()),
            20,
        )
    ]
    csv_answers: set[str] = set()

    def send(case: Case) -> Answer:
        response = case.call(base_url=stack.facade.url, headers=headers)
        if response.headers.get("content-type", [""])[0].startswith("text/csv"):
            csv_answers.add(case.operation.label)
        return checked(case, response)

    answers = send_all(cases, send)
    assert [why for _, _, why in answers if why is not None] == []
    assert all(status < 500 for _, status, _ in answers)
    assert len(offering) == 8  # four execution series, the rollup, latency, tokens, an app's
    assert csv_answers == {operation.label for operation in offering}


def test_generated_requests_without_a_token_are_all_401(
    stack: SecureStack, schema: schemathesis.schemas.BaseSchema
) -> None:
    analytics = operations(schema.include(tag="Analytics"))
    cases = [
        case
        for operation in analytics
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        for case in generated(operation.as_strategy(mode), 10)
    ]

    def send(case: Case) -> Answer:
        response = case.call(base_url=stack.facade.url)
        label, status, why = checked(case, response)
        if status != 401 or response.json()["error"] != "AUTHENTICATION_FAILED":
            why = f"{why or ''} answered {status} without a token: {case.as_curl_command()}"
        return label, status, why

    answers = send_all(cases, send)
    assert [why for _, _, why in answers if why is not None] == []
    assert {label for label, _, _ in answers} == {operation.label for operation in analytics}
    assert len(answers) == len(analytics) * 20
