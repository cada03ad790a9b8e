"""The request mix of the load and soak benches, and the PromQL each request makes the façade send.

`build_mix` turns the targets into up to N requests of each of the fifteen endpoint kinds;
`record_queries` sends each request once through an in-process façade configured like the
served one, with a recording pool, and keeps the Prometheus calls it made: replayed straight
to Prometheus, they are the baseline of the load bench.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from bench.load_stack import StackFailed, Targets
from facade.app import create_app
from facade.config import load_config
from tests.support.facade_http import RecordingPool

WS = "/v1/orgs/{org}/workspaces/{ws}"
# Local calendar days in a DST zone, a half-hour zone, a half-hour-DST zone and a 45-minute one.
ZONES = ("America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Asia/Kathmandu")
Params = dict[str, str | int]


@dataclass(frozen=True)
class EndpointKind:
    """One kind of request: what it targets, its path template and its query parameters."""

    target: str  # "org", "workspace", "app" or "namespace"
    template: str
    params: tuple[tuple[str, int], ...] = ()
    zoned: bool = False  # adds `tz`, a different zone per target


ENDPOINTS: dict[str, EndpointKind] = {
    "org rollup": EndpointKind("org", "/v1/orgs/{org}/analytics"),
    "summary": EndpointKind("workspace", WS + "/analytics"),
    "resources": EndpointKind("workspace", WS + "/analytics/resources"),
    "executions": EndpointKind("workspace", WS + "/analytics/executions"),
    "hourly 24": EndpointKind("workspace", WS + "/analytics/executions/hourly", (("hours", 24),)),
    "hourly 168": EndpointKind("workspace", WS + "/analytics/executions/hourly", (("hours", 168),)),
    "daily 30": EndpointKind("workspace", WS + "/analytics/executions/daily", (("days", 30),)),
    "daily 90": EndpointKind("workspace", WS + "/analytics/executions/daily", (("days", 90),)),
    "daily 30 tz": EndpointKind(
        "workspace", WS + "/analytics/executions/daily", (("days", 30),), zoned=True
    ),
    "daily 90 tz": EndpointKind(
        "workspace", WS + "/analytics/executions/daily", (("days", 90),), zoned=True
    ),
    "sources": EndpointKind("workspace", WS + "/analytics/sources"),
    "secrets": EndpointKind("workspace", WS + "/analytics/secrets"),
    "actions": EndpointKind("workspace", WS + "/analytics/actions"),
    "app": EndpointKind("app", WS + "/apps/{app}/analytics"),
    "namespace": EndpointKind("namespace", WS + "/namespaces/{ns}/analytics"),
}


@dataclass(frozen=True)
class Request:
    """One façade request of the mix."""

    endpoint: str  # a key of ENDPOINTS
    org_id: str
    path: str  # with its query string


@dataclass(frozen=True)
class PrometheusCall:
    """One query API call the façade made for a request: path and form body, as sent."""

    path: str
    form: str


def _ids(targets: Targets, kind: str) -> list[dict[str, str]]:
    if kind == "org":
        return [{"org": org} for org in targets.org_ids]
    if kind == "workspace":
        return [{"org": org, "ws": ws} for org, ws in targets.workspaces]
    if kind == "app":
        return [{"org": org, "ws": ws, "app": app} for org, ws, app in targets.apps]
    return [{"org": org, "ws": ws, "ns": ns} for org, ws, ns in targets.namespaces]


def build_mix(targets: Targets, per_endpoint: int, seed: int = 7) -> list[Request]:
    """Up to `per_endpoint` requests of every endpoint kind, on targets drawn with `seed`."""
    rng = random.Random(seed)
    mix = []
    for name, kind in ENDPOINTS.items():
        candidates = _ids(targets, kind.target)
        if not candidates:
            raise StackFailed(f"no {kind.target} to send {name!r} requests about")
        chosen = rng.sample(candidates, min(per_endpoint, len(candidates)))
        for index, ids in enumerate(chosen):
            params: Params = dict(kind.params)
            if kind.zoned:
                params["tz"] = ZONES[index % len(ZONES)]
            query = f"?{urlencode(params)}" if params else ""
            mix.append(Request(name, ids["org"], kind.template.format(**ids) + query))
    return mix


def record_queries(
    mix: list[Request], prometheus_url: str, jwt_secret: str, token: Callable[[str], str]
) -> dict[Request, tuple[PrometheusCall, ...]]:
    """The Prometheus calls the façade makes for each request of the mix (each must answer 200)."""
    env = {
        "FACADE_PROMETHEUS_URL": prometheus_url,
        "FACADE_PROMETHEUS_ENGINE": "prometheus",  # only queries among the recorded calls
        "FACADE_JWT_SECRET": jwt_secret,
    }
    recorder = RecordingPool()
    client = create_app(load_config(env), http=recorder).test_client()
    recorded = {}
    for request in mix:
        recorder.calls.clear()
        headers = {"Authorization": f"Bearer {token(request.org_id)}"}
        answer = client.get(request.path, headers=headers)
        if answer.status_code != 200:
            raise StackFailed(f"{request.path} answered {answer.status_code}: {answer.text}")
        recorded[request] = tuple(
            PrometheusCall(f"/api/v1/{endpoint}", urlencode(params))
            for endpoint, params in recorder.calls
        )
    return recorded
