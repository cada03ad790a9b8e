"""Token expiry: after N requests the service token is refused until it is renewed (then only the
new one works) or the faults are cleared."""

from __future__ import annotations

from tests.sandbox.platform_walk import org_path
from tests.support.sandbox import SandboxServer

SERVED_BEFORE_EXPIRY = 3
REFUSED = 2


def _expire(sandbox: SandboxServer, path: str) -> list[int]:
    sandbox.set_faults(token_expiry=SERVED_BEFORE_EXPIRY)
    return [sandbox.get(path).status_code for _ in range(SERVED_BEFORE_EXPIRY + REFUSED)]


def test_expired_token_is_refused_until_renewed(start_sandbox) -> None:
    sandbox: SandboxServer = start_sandbox(orgs=1, workspaces=2)
    path = org_path(sandbox.org_ids()[0], "workspaces")
    old = sandbox.token
    sandbox.reset_requests()
    assert _expire(sandbox, path) == [200] * SERVED_BEFORE_EXPIRY + [401] * REFUSED
    body = sandbox.get(path).json()
    assert (body["error"], body["status_code"]) == ("AUTHENTICATION_FAILED", 401)
    assert "expired" in body["message"]
    assert sandbox.requests_seen()["by_status"]["401"] == REFUSED + 1
    assert sandbox.truth()["orgs"], "control endpoints need no token"

    sandbox.set_token("renewed-token")
    assert sandbox.token == "renewed-token"
    assert sandbox.faults()["token_expiry"] is None, "a renewal ends the expiry"
    assert [sandbox.get(path).status_code for _ in range(SERVED_BEFORE_EXPIRY + 1)] == [200] * (
        SERVED_BEFORE_EXPIRY + 1
    )
    refused = sandbox.get(path, token=old)
    assert refused.status_code == 401 and refused.json()["error"] == "AUTHENTICATION_FAILED"


def test_clearing_the_faults_restores_the_token(start_sandbox) -> None:
    sandbox: SandboxServer = start_sandbox(orgs=1, workspaces=2)
    org = sandbox.org_ids()[0]
    path = org_path(org, "workspaces")
    assert _expire(sandbox, path)[-1] == 401
    sandbox.clear_faults()
    assert sandbox.get(path).status_code == 200
    sandbox.set_faults(token_expiry=0, paths=r"/workspaces$")
    assert sandbox.get(path).status_code == 401
    assert sandbox.get(org_path(org, "activity")).status_code == 200, "only matching paths"
    sandbox.set_faults(token_expiry=None)
    assert sandbox.get(path).status_code == 200
