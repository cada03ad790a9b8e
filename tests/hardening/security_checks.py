"""What every answer to an attack must satisfy, and what every query Prometheus receives must
look like. Each check returns the problems it found, so a test reports all of them at once."""

from __future__ import annotations

import hmac
import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import ValidationError

from facade.auth import Authenticator
from facade.errors import AuthenticationFailed
from tests.hardening.security_corpus import ID_PARAMETERS, Slot, is_valid_id
from tests.hardening.security_stack import RawResponse
from tests.support.facade_http import OpenApiChecker
from tests.support.facade_live import LiveStack

ROLLUP = "/v1/orgs/{org_id}/analytics"
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
    "x-frame-options": "DENY",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
}
GENUINE_QUERY = {"hours": "24", "days": "7", "tz": "America/New_York"}
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')


def shape(query: str) -> str:
    """A PromQL query with its strings and numbers blanked: what a request may not change."""
    return _NUMBER.sub("0", _QUOTED.sub('""', query))


def id_matchers(query: str) -> list[tuple[str, str, str]]:
    """The (label, operator, value) matchers of a query on id labels."""
    return [match for match in _MATCHER.findall(query) if match[0] in ID_PARAMETERS]


def query_problems(query: str, org_id: str) -> list[str]:
    """Why a query that reached Prometheus is not one the façade may send for `org_id`."""
    found = []
    for label, operator, value in id_matchers(query):
        if operator != "=" or not is_valid_id(value):
            found.append(f"{label}{operator}{value!r} in {query}")
        if label == "org_id" and value != org_id:
            found.append(f"another org {value!r} queried: {query}")
    if any(operator in shape(query) for operator in ("=~", "!~", "!=")):
        found.append(f"non-equality matcher in {query}")
    return found


@dataclass(frozen=True)
class Genuine:
    """The real ids one org-wide token may read, and every id of the truth."""

    org_id: str
    workspace_id: str
    app_id: str
    namespace_id: str
    other_org: str
    org_ids: frozenset[str]  # ids of the org's workspaces and what they hold
    workspace_ids: frozenset[str]  # ids of the chosen workspace and what it holds
    every_id: frozenset[str]

    @classmethod
    def of(cls, live: LiveStack) -> Genuine:
        """The first org's first workspace that has both apps and namespaces."""
        org_id = live.org_id
        held: dict[str, set[str]] = {}
        for org, workspace_id in live.workspaces():
            truth = live.workspace(org, workspace_id)
            held[workspace_id] = {workspace_id, *truth["apps"], *truth["namespaces"]}
        own = [ws for org, ws in live.workspaces() if org == org_id]
        chosen = next(
            ws
            for ws in own
            if live.workspace(org_id, ws)["apps"] and live.workspace(org_id, ws)["namespaces"]
        )
        truth = live.workspace(org_id, chosen)
        return cls(
            org_id=org_id,
            workspace_id=chosen,
            app_id=next(iter(truth["apps"])),
            namespace_id=next(iter(truth["namespaces"])),
            other_org=next(org for org, _ in live.workspaces() if org != org_id),
            org_ids=frozenset({org_id}.union(*(held[ws] for ws in own))),
            workspace_ids=frozenset({org_id, *held[chosen]}),
            every_id=frozenset(org for org, _ in live.workspaces()).union(*held.values()),
        )

    def summary(self) -> str:
        """The path of the genuine workspace's summary."""
        return f"/v1/orgs/{self.org_id}/workspaces/{self.workspace_id}/analytics"

    def query(self, document: Mapping[str, Any], template: str) -> dict[str, str]:
        """Genuine values of every query parameter of an operation."""
        names = [p["name"] for p in document["paths"][template]["get"]["parameters"]]
        values = {**GENUINE_QUERY, "workspace_id": self.workspace_id}
        if "days" in names:  # a window is hours or days (with a zone), never both
            values.pop("hours", None)
        return {name: values[name] for name in names if name in values}

    def path_values(self) -> dict[str, str]:
        """Genuine values of every path parameter."""
        return {
            "org_id": self.org_id,
            "workspace_id": self.workspace_id,
            "app_id": self.app_id,
            "namespace_id": self.namespace_id,
        }

    def foreign(self, template: str, text: str) -> list[str]:
        """Ids in `text` that an answer to `template` for this workspace must not hold."""
        allowed = self.org_ids if template == ROLLUP else self.workspace_ids
        return sorted(found for found in self.every_id - allowed if found in text)


def answer_problems(
    checker: OpenApiChecker,
    genuine: Genuine,
    slot: Slot,
    payload: str,
    answer: RawResponse,
    *,
    decoded: bool = True,
) -> list[str]:
    """Why an answer to a hostile value in `slot` is wrong (no 5xx, documented, no leak, and,
    when the application saw exactly `payload` (`decoded`), refused exactly when invalid)."""
    where = f"{slot.location} {slot.name}={payload[:60]!r} on {slot.template}: {answer.status}"
    if answer.status >= 500 or not answer.headers.get("content-type", "").startswith(
        "application/json"
    ):
        return [f"{where} {answer.body[:200]!r}"]
    body = answer.json()
    found = [
        f"{where} leaks {leak}" for leak in genuine.foreign(slot.template, answer.body.decode())
    ]
    try:
        checker.check_body(slot.template, "GET", answer.status, body)
    except (AssertionError, ValidationError) as exc:
        found.append(f"{where} undocumented: {str(exc)[:200]}")
    if decoded:
        found += _validation_problems(where, slot, payload, answer.status, body)
    return found


def _validation_problems(where: str, slot: Slot, payload: str, status: int, body: Any) -> list[str]:
    """An id is refused (422, or 404 when it breaks the route) exactly when it is invalid."""
    if slot.name not in ID_PARAMETERS:
        return [] if status in {200, 422} else [f"{where} expected 200 or 422"]
    if is_valid_id(payload):
        return [] if status in {403, 404} else [f"{where} expected 403 or 404 for a valid id"]
    if status == 404:
        route = body["details"].get("resource_type") == "route"
        return [] if route else [f"{where} invalid id answered 404 {body}"]
    items = body.get("detail", []) if status == 422 else []
    if not any(i["loc"] == [slot.location, slot.name] and i["input"] == payload for i in items):
        return [f"{where} not refused with its value echoed: {json.dumps(body)[:200]}"]
    return []


def header_problems(name: str, headers: dict[str, str]) -> list[str]:
    """Missing security headers, or a server version, in one answer's (lower-case) headers."""
    found = [
        f"{name}: {header}={headers.get(header)!r}"
        for header, value in SECURITY_HEADERS.items()
        if headers.get(header) != value
    ]
    if re.search(r"\d", headers.get("server", "")):
        found.append(f"{name}: server version {headers['server']!r}")
    return found


def compare_digest_calls(authenticator: Authenticator, key: str) -> int:
    """How often authenticating `key` calls hmac.compare_digest (observed, not patched)."""
    calls = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal calls
        if event == "c_call" and arg is hmac.compare_digest:
            calls += 1

    sys.setprofile(profile)
    try:
        authenticator.authenticate(f"Bearer {key}")
    except AuthenticationFailed:
        pass  # a refused key: only the comparisons matter here
    finally:
        sys.setprofile(None)
    return calls


def flatten(problems: Iterable[list[str]]) -> list[str]:
    """All problems of several checks."""
    return [problem for found in problems for problem in found]
