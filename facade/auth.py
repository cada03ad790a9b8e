"""Who is calling and what they may read: bearer JWTs and static API keys.

A token belongs to one org (claim `org_id`) and carries permissions in the platform's
`resource:scope:action` form (claim `permissions`): `analytics:*:view` reads the whole org,
`analytics:<workspace_id>:view` one workspace; a JWT may name workspaces in the compact claim
`workspaces` (ids) instead. API keys carry the same from the keys file.
Tokens and keys are never logged.
"""

from __future__ import annotations

import hmac
import re
import time
from dataclasses import dataclass

import jwt

from facade.config import FacadeConfig
from facade.credentials import ApiKey, JwtSettings, hash_api_key
from facade.errors import AuthenticationFailed, Forbidden
from facade.promql import ID_PATTERN

ORG_PERMISSION = "analytics:*:view"
# A JWT may list workspace ids here instead of their `analytics:<id>:view` permissions: a
# token for many workspaces then stays well within the header size gunicorn accepts.
WORKSPACES_CLAIM = "workspaces"
# Clocks of the token issuer and of this host differ by a few seconds; allow for it in
# `exp`, `nbf` and `iat`, no more.
CLOCK_SKEW_SECONDS = 10
_ID = re.compile(ID_PATTERN, re.ASCII)
_BEARER = re.compile(r"^Bearer +(?P<token>\S+) *$", re.IGNORECASE)
# Verified JWTs kept until they expire: a client sends the same token with every request.
MAX_VERIFIED_TOKENS = 4096


def permission_for(workspace_id: str | None) -> str:
    """The permission that reads one workspace, or the whole org for None."""
    return ORG_PERMISSION if workspace_id is None else f"analytics:{workspace_id}:view"


def workspace_of(permission: str) -> str | None:
    """The workspace a permission reads, None for any other permission."""
    inner = permission.removeprefix("analytics:").removesuffix(":view")
    if inner == "*" or not _ID.fullmatch(inner) or permission_for(inner) != permission:
        return None
    return inner


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: its org (None: any org, auth disabled) and permissions."""

    org_id: str | None
    permissions: frozenset[str]

    def require(self, org_id: str, workspace_id: str | None) -> None:
        """Forbidden unless this caller may read the workspace (or whole org) of `org_id`."""
        needed = permission_for(workspace_id)
        if self.org_id is not None and self.org_id != org_id:
            raise Forbidden(needed)
        if ORG_PERMISSION not in self.permissions and needed not in self.permissions:
            raise Forbidden(needed)


ANONYMOUS_ADMIN = Principal(None, frozenset({ORG_PERMISSION}))


def _strings(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise AuthenticationFailed("Invalid authentication token")
    return value


def _claimed_permissions(claims: dict[str, object]) -> frozenset[str]:
    """`permissions`, plus the permission of each id in the compact `workspaces` claim."""
    workspaces = _strings(claims.get(WORKSPACES_CLAIM, []))
    if not all(_ID.fullmatch(workspace) for workspace in workspaces):
        raise AuthenticationFailed("Invalid authentication token")
    return frozenset(_strings(claims.get("permissions", []))) | {
        permission_for(workspace) for workspace in workspaces
    }


class Authenticator:
    """Turns an `Authorization` header into a Principal, or raises AuthenticationFailed."""

    def __init__(self, config: FacadeConfig) -> None:
        self.disabled = config.insecure_disable_auth
        self.jwt: JwtSettings | None = config.jwt
        self.api_keys: tuple[ApiKey, ...] = config.api_keys
        self._verified: dict[str, tuple[Principal, float]] = {}  # token: principal, expiry

    def authenticate(self, authorization: str | None) -> Principal:
        """The caller behind the header."""
        if self.disabled:
            return ANONYMOUS_ADMIN
        match = _BEARER.match(authorization or "")
        if match is None:
            raise AuthenticationFailed()
        token = match.group("token")
        if token.count(".") == 2 and self.jwt is not None:
            return self._verified_jwt(token, self.jwt)
        return self._from_api_key(token)

    def _verified_jwt(self, token: str, settings: JwtSettings) -> Principal:
        """The principal of a token verified before and not expired since, else verified now."""
        known = self._verified.get(token)
        if known is not None and time.time() <= known[1]:
            return known[0]
        principal, expires = self._from_jwt(token, settings)
        if len(self._verified) >= MAX_VERIFIED_TOKENS:
            self._verified.clear()
        self._verified[token] = (principal, expires)
        return principal

    def _from_jwt(self, token: str, settings: JwtSettings) -> tuple[Principal, float]:
        try:
            algorithm = str(jwt.get_unverified_header(token).get("alg"))
            key = settings.key_for(algorithm)
            if key is None:  # `none`, or an algorithm this deployment does not accept
                raise AuthenticationFailed("Invalid authentication token")
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=settings.audience,
                issuer=settings.issuer,
                options={"require": ["exp", "org_id"]},
                leeway=CLOCK_SKEW_SECONDS,
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthenticationFailed("Authentication token has expired") from exc
        except jwt.PyJWTError as exc:
            raise AuthenticationFailed("Invalid authentication token") from exc
        org_id = claims["org_id"]
        if not isinstance(org_id, str) or not _ID.fullmatch(org_id):
            raise AuthenticationFailed("Invalid authentication token")
        expires = claims["exp"]
        if not isinstance(expires, int | float):
            raise AuthenticationFailed("Invalid authentication token")
        return Principal(org_id, _claimed_permissions(claims)), expires + CLOCK_SKEW_SECONDS

    def _from_api_key(self, token: str) -> Principal:
        digest = hash_api_key(token)
        found: ApiKey | None = None
        for key in self.api_keys:  # every key is compared: the time does not tell which matched
            if hmac.compare_digest(digest, key.sha256):
                found = key
        if found is None:
            raise AuthenticationFailed("Invalid authentication token")
        return Principal(found.org_id, frozenset(found.permissions))
