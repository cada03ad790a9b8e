"""`mm-analytics token` and `mint_token`."""

from __future__ import annotations

import subprocess
import time

import jwt
import pytest
import yaml

from facade.auth import workspace_of
from facade.credentials import hash_api_key
from facade.tokens import main, mint_token
from stack.supervisor import python_command

SECRET = "token-test-secret-0123456789abcdef-012345"


def test_mint_token_claims() -> None:
    before = int(time.time())
    token = mint_token(SECRET, "org-alpha", ["analytics:*:view"], 120, audience="a", issuer="i")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="a", issuer="i")
    assert claims["org_id"] == "org-alpha"
    assert claims["permissions"] == ["analytics:*:view"]
    assert before + 120 <= claims["exp"] <= int(time.time()) + 120


def test_cli_prints_a_token_for_the_workspaces(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FACADE_JWT_SECRET", SECRET)
    monkeypatch.delenv("FACADE_JWT_AUDIENCE", raising=False)
    monkeypatch.delenv("FACADE_JWT_ISSUER", raising=False)
    assert (
        main(["--org", "org-beta", "--workspace", "ws-b01", "--workspace", "ws-b02", "--ttl", "60"])
        == 0
    )
    claims = jwt.decode(capsys.readouterr().out.strip(), SECRET, algorithms=["HS256"])
    assert claims["org_id"] == "org-beta"
    # Workspace permissions travel as ids in the compact claim.
    assert claims["permissions"] == []
    assert claims["workspaces"] == ["ws-b01", "ws-b02"]
    assert claims["exp"] - claims["iat"] == 60


@pytest.mark.parametrize(
    ("permission", "workspace"),
    [
        ("analytics:ws-1:view", "ws-1"),
        ("analytics:a:b:view", "a:b"),
        ("analytics:*:view", None),
        ("analytics:ws-1:edit", None),
        ("billing:ws-1:view", None),
        ("analytics::view", None),
    ],
)
def test_only_workspace_permissions_become_compact(permission: str, workspace: str | None) -> None:
    assert workspace_of(permission) == workspace
    claims = jwt.decode(mint_token(SECRET, "org", [permission]), SECRET, algorithms=["HS256"])
    if workspace is None:
        assert claims["permissions"] == [permission] and "workspaces" not in claims
    else:
        assert claims["permissions"] == [] and claims["workspaces"] == [workspace]


def test_cli_refuses_without_a_secret_or_with_bad_ids(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("FACADE_JWT_SECRET", raising=False)
    assert main(["--org", "org-alpha"]) == 2
    assert "FACADE_JWT_SECRET" in capsys.readouterr().err
    monkeypatch.setenv("FACADE_JWT_SECRET", SECRET)
    assert main(["--org", "org\nalpha"]) == 2
    assert main(["--org", "org-alpha", "--ttl", "0"]) == 2


def test_cli_new_api_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--org", "org-alpha", "--new-api-key"]) == 0
    key, _, entry = capsys.readouterr().out.partition("\n")
    [item] = yaml.safe_load(entry)
    assert item["sha256"] == hash_api_key(key)
    assert key not in entry
    assert item["permissions"] == ["analytics:*:view"]


def test_mm_analytics_token_command() -> None:
    result = subprocess.run(
        python_command("token", "--org", "org-alpha"),
        env={"FACADE_JWT_SECRET": SECRET, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert jwt.decode(result.stdout.strip(), SECRET, algorithms=["HS256"])["org_id"] == "org-alpha"
