"""`mm-analytics token`: mint a JWT (or a new static API key) for the façade.

    mm-analytics token --org org-alpha                      # whole org, 1 hour
    mm-analytics token --org org-alpha --workspace ws-1 --workspace ws-2 --ttl 600
    mm-analytics token --org org-alpha --new-api-key        # a key and its keys-file entry

The JWT is signed with `FACADE_JWT_SECRET` (HS256) and carries `FACADE_JWT_AUDIENCE` and
`FACADE_JWT_ISSUER` when they are set, so the façade of the same environment accepts it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import sys
import time
from collections.abc import Sequence

import jwt

from facade.auth import WORKSPACES_CLAIM, permission_for, workspace_of
from facade.credentials import MIN_SECRET_BYTES, hash_api_key
from facade.promql import ID_PATTERN


def mint_token(  # noqa: PLR0913 - the launcher calls this exact signature
    secret: str,
    org_id: str,
    permissions: Sequence[str],
    ttl: int = 3600,
    *,
    algorithm: str = "HS256",
    audience: str | None = None,
    issuer: str | None = None,
) -> str:
    """A JWT for `org_id` with `permissions`, expiring in `ttl` seconds.

    `secret` is the HMAC secret for HS256, or a PEM private key for RS256/ES256.
    """
    now = int(time.time())
    # Workspace permissions travel as bare ids in the compact claim: a third of the size.
    workspaces = [ws for ws in map(workspace_of, permissions) if ws is not None]
    others = [permission for permission in permissions if workspace_of(permission) is None]
    claims: dict[str, object] = {
        "org_id": org_id,
        "permissions": others,
        "iat": now,
        "exp": now + ttl,
    }
    if workspaces:
        claims[WORKSPACES_CLAIM] = workspaces
    if audience is not None:
        claims["aud"] = audience
    if issuer is not None:
        claims["iss"] = issuer
    return jwt.encode(claims, secret, algorithm=algorithm)


def permissions_for(workspaces: Sequence[str]) -> list[str]:
    """The permissions of a token for these workspaces, or the whole org when none."""
    return [permission_for(ws) for ws in workspaces] or [permission_for(None)]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mm-analytics token", description="Mint an API token for the analytics façade."
    )
    parser.add_argument("--org", required=True, help="the org the token belongs to")
    parser.add_argument(
        "--workspace",
        action="append",
        default=[],
        help="a workspace the token may read (repeatable; default: the whole org)",
    )
    parser.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (JWT only)")
    parser.add_argument(
        "--new-api-key",
        action="store_true",
        help="print a new static API key and its FACADE_API_KEYS_FILE entry instead of a JWT",
    )
    return parser


def _api_key(org: str, permissions: list[str]) -> str:
    key = "mmk_" + secrets.token_urlsafe(32)
    entry = {
        "name": f"{org}-key",
        "sha256": hash_api_key(key),
        "org_id": org,
        "permissions": permissions,
    }
    return f"{key}\n# keys-file entry (YAML list item):\n- {json.dumps(entry)}"


def main(argv: list[str]) -> int:
    """Print a token; exit 2 on bad options or a missing secret."""
    args = _parser().parse_args(argv)
    bad = [value for value in (args.org, *args.workspace) if not re.fullmatch(ID_PATTERN, value)]
    if bad or args.ttl <= 0:
        problem = f"not a valid id: {bad[0]!r}" if bad else "--ttl must be positive"
        print(f"mm-analytics token: {problem}", file=sys.stderr)
        return 2
    permissions = permissions_for(args.workspace)
    if args.new_api_key:
        print(_api_key(args.org, permissions))
        return 0
    secret = os.environ.get("FACADE_JWT_SECRET", "")
    if len(secret.encode()) < MIN_SECRET_BYTES:
        print(
            f"mm-analytics token: set FACADE_JWT_SECRET (at least {MIN_SECRET_BYTES} bytes), "
            "the secret the façade verifies tokens with",
            file=sys.stderr,
        )
        return 2
    token = mint_token(
        secret,
        args.org,
        permissions,
        args.ttl,
        audience=os.environ.get("FACADE_JWT_AUDIENCE") or None,
        issuer=os.environ.get("FACADE_JWT_ISSUER") or None,
    )
    print(token)
    return 0
