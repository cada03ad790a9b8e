"""Control endpoints under `/_sandbox/` (no auth: a loopback test double) and `/healthz`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

from sandbox.activity import ActivityEvent
from sandbox.detail_truth import read_detail_truth
from sandbox.errors import QueryValidationError, ResourceNotFound
from sandbox.events import load_targets
from sandbox.execution_truth import ExecutionTruthQuery, read_execution_truth
from sandbox.profiles import status_of, usage_text
from sandbox.queries import parse_query, validation_details
from sandbox.state import connection, state
from sandbox.truth import read_truth

control = Blueprint("control", __name__)
MAX_LATE_SECONDS = 90 * 86_400.0
MAX_RECORDS = 100_000
DetailId = Annotated[StrictStr, Field(min_length=1, max_length=256)]
Count = Annotated[StrictInt, Field(ge=0)]
T = TypeVar("T")
Cycled = Annotated[list[T], Field(min_length=1, max_length=MAX_RECORDS)]  # cycled over records


class TokenRenewal(BaseModel):
    """The new service token: printable, without whitespace."""

    model_config = ConfigDict(extra="forbid")

    token: Annotated[StrictStr, Field(min_length=1, max_length=4096, pattern=r"^\S+$")]


class ExecutionsRequest(BaseModel):
    """Insert `count` executions now; `failed` is a boolean (all or none) or how many fail (the
    first ones); `late_seconds` writes them late, stamped that many seconds before now.

    Details, the same on every record unless a list: `app_id` (any id, default the workspace's
    first app), `augmentation_id` (needs an app), `duration_ms` (a list is cycled over the
    records), `token_usage` ({kind: count}) and `error_codes` (cycled over the failed records; a
    null entry writes a failure without a code). A failure is written with the status code its
    error code has in `sandbox.profiles` (500 for other codes and none)."""

    model_config = ConfigDict(extra="forbid")

    workspace_id: str
    count: Annotated[int, Field(ge=0, le=MAX_RECORDS)]
    failed: StrictBool | StrictInt = False
    late_seconds: Annotated[float, Field(ge=0.0, le=MAX_LATE_SECONDS)] = 0.0
    app_id: DetailId | None = None
    augmentation_id: DetailId | None = None
    duration_ms: Count | Cycled[Count] = 100
    token_usage: dict[DetailId, Count] | None = None
    error_codes: Cycled[DetailId | None] = [None]


@contextmanager
def _body_validation() -> Iterator[None]:
    """Report a pydantic ValidationError raised inside as a 422 listing the body's problems."""
    try:
        yield
    except ValidationError as error:
        raise QueryValidationError(validation_details(error, "body")) from error


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        detail = {"loc": ["body"], "msg": "Input should be a JSON object", "type": "dict_type"}
        raise QueryValidationError([{**detail, "input": request.get_data(as_text=True), "ctx": {}}])
    return body


@control.get("/healthz")
def healthz() -> Response:
    """200 while the process serves."""
    return jsonify(status="ok")


@control.get("/_sandbox/orgs")
def orgs() -> Response:
    """The seeded org ids (no platform endpoint lists orgs)."""
    rows = connection().execute("SELECT org_id FROM orgs ORDER BY seq")
    return jsonify(org_ids=[row["org_id"] for row in rows])


@control.get("/_sandbox/truth")
def truth() -> Response:
    """The exact ground truth."""
    return jsonify(read_truth(connection()))


@control.get("/_sandbox/truth/executions")
def truth_executions() -> Response:
    """Executions per hour or local day by their timestamps (see `sandbox.execution_truth`)."""
    query = parse_query(ExecutionTruthQuery, request.args)
    return jsonify(read_execution_truth(connection(), query).model_dump())


@control.get("/_sandbox/truth/details")
def truth_details() -> Response:
    """Execution details of every workspace, of all time and per bucket (see
    `sandbox.detail_truth`)."""
    query = parse_query(ExecutionTruthQuery, request.args)
    return jsonify(read_detail_truth(connection(), query).model_dump())


@control.route("/_sandbox/stream", methods=["GET", "PUT"])
def stream() -> Response:
    """Read or merge the activity stream's settings."""
    if request.method == "PUT":
        with _body_validation():
            state().stream.update(_json_body())
    return jsonify(state().stream.settings().model_dump())


@control.route("/_sandbox/faults", methods=["GET", "PUT", "DELETE"])
def faults() -> Response:
    """Read, merge or clear the injected faults."""
    injector = state().faults
    if request.method == "PUT":
        with _body_validation():
            injector.update(_json_body())
    elif request.method == "DELETE":
        injector.clear()
    return jsonify(injector.current().model_dump())


@control.put("/_sandbox/token")
def token() -> Response:
    """Renew the service token: only the new one is accepted, and a token-expiry fault ends."""
    with _body_validation():
        renewal = TokenRenewal.model_validate(_json_body())
    state().token.renew(renewal.token)
    state().faults.end_token_expiry()
    return jsonify(renewed=True)


@control.route("/_sandbox/requests", methods=["GET", "DELETE"])
def requests_seen() -> Response:
    """Platform requests received so far (DELETE forgets them)."""
    if request.method == "DELETE":
        state().traffic.reset()
    return jsonify(state().traffic.summary())


@control.post("/_sandbox/executions")
def executions() -> Response:
    """Insert exactly `count` execution records for one workspace now."""
    with _body_validation():
        order = ExecutionsRequest.model_validate(_json_body())
    failed = order.count if order.failed is True else int(order.failed)
    if not 0 <= failed <= order.count:
        raise _body_error("failed", f"Input should be between 0 and {order.count}", order.failed)
    db = connection()
    target = next((t for t in load_targets(db) if t.workspace_id == order.workspace_id), None)
    if target is None:
        raise ResourceNotFound("workspace", order.workspace_id)
    app_id = order.app_id or (target.app_ids[0] if target.app_ids else None)
    if order.augmentation_id is not None and app_id is None:
        message = "A pipeline needs an app: give app_id (the workspace has no apps)"
        raise _body_error("augmentation_id", message, order.augmentation_id)
    events = _ordered_events(order, target.org_id, app_id, failed)
    ids = state().writer.write(db, events) if events else []
    return jsonify(inserted=len(ids), failed=failed, ids=ids)


def _body_error(field: str, message: str, value: Any) -> QueryValidationError:
    detail = {"loc": ["body", field], "msg": message, "type": "value_error", "input": value}
    return QueryValidationError([{**detail, "ctx": {}}])


def _ordered_events(
    order: ExecutionsRequest, org_id: str, app_id: str | None, failed: int
) -> list[ActivityEvent]:
    """The records an order asks for: the first `failed` fail, lists cycle over theirs."""
    durations = order.duration_ms if isinstance(order.duration_ms, list) else [order.duration_ms]
    usage = None if order.token_usage is None else usage_text(order.token_usage)
    codes, late_us = order.error_codes, round(order.late_seconds * 1_000_000)
    events = []
    for index in range(order.count):
        code = codes[index % len(codes)] if index < failed else None
        events.append(
            ActivityEvent(
                org_id=org_id,
                workspace_id=order.workspace_id,
                app_id=app_id,
                execution_id=f"exe-{uuid.uuid4().hex[:16]}",
                success=index >= failed,
                status_code=status_of(code) if index < failed else 200,
                duration_ms=durations[index % len(durations)],
                late_us=late_us,
                augmentation_id=order.augmentation_id,
                error_code=code,
                token_usage=usage,
            )
        )
    return events
