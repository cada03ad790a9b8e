"""The sandbox Flask app: platform endpoints behind the Bearer check and the fault injector,
control endpoints beside them."""

from __future__ import annotations

import time

from flask import Flask, Response, g, request

from sandbox.body_faults import distort_body
from sandbox.control_routes import control
from sandbox.errors import AuthenticationFailed, register_error_handlers
from sandbox.platform_routes import platform
from sandbox.state import SandboxState, connection, request_faults, state
from sandbox.traffic import RequestRecord
from vocabulary.id_routes import EncodedIdRouting, IdConverter

PLATFORM_PREFIX = "/v1/"
WORKSPACES_ROUTE = "/v1/orgs/<org_id>/workspaces"


def _is_platform_request() -> bool:
    return request.path.startswith(PLATFORM_PREFIX)


def _authenticate(expired: bool) -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationFailed()
    if not state().token.accepts(token.strip()):
        raise AuthenticationFailed("Invalid authentication token")
    if expired:
        raise AuthenticationFailed("Authentication token has expired")


def _before_platform_request() -> None:
    if not _is_platform_request():
        return
    g.arrived = time.time()
    g.faults = state().faults.decide(request.path)
    g.faults.enact()
    _authenticate(g.faults.expired)


def _vanish_pending_workspace(org_id: str) -> None:
    """Delete the workspace a fault asked to vanish once its org's workspaces list was served,
    so a client walking that list meets a workspace that is gone."""
    workspace_id = state().faults.current().vanish_workspace
    if workspace_id is None:
        return
    db = connection()
    row = db.execute(
        "SELECT org_id FROM workspaces WHERE workspace_id = ?", (workspace_id,)
    ).fetchone()
    # An id no org holds is dropped at the first list; any other waits for its own org's list.
    if row is not None and row["org_id"] != org_id:
        return
    if state().faults.take_vanish(workspace_id):
        db.execute("UPDATE workspaces SET deleted = 1 WHERE workspace_id = ?", (workspace_id,))
        state().stream.reload_workspaces()


def _after_platform_request(response: Response) -> Response:
    if not _is_platform_request():
        return response
    route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    if route == WORKSPACES_ROUTE and response.status_code == 200 and request.view_args:
        _vanish_pending_workspace(request.view_args["org_id"])
    response = distort_body(response, request_faults().body)
    state().traffic.record(
        RequestRecord(
            arrived=g.get("arrived", time.time()),
            method=request.method,
            path=request.path,
            route=route,
            status=response.status_code,
        )
    )
    return response


def create_app(sandbox_state: SandboxState) -> Flask:
    """The app serving `sandbox_state`."""
    app = Flask("sandbox")
    # An id may hold `/`, sent as `%2F`: route on the raw path, each id one segment.
    app.url_map.converters["default"] = IdConverter
    app.wsgi_app = EncodedIdRouting(app.wsgi_app)  # type: ignore[method-assign]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["sandbox"] = sandbox_state
    app.before_request(_before_platform_request)
    app.after_request(_after_platform_request)
    app.register_blueprint(platform)
    app.register_blueprint(control)
    register_error_handlers(app)
    return app
