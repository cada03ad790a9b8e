"""Forged, tampered, expired and misdirected credentials, each with the answer it must get.

Tokens are assembled by hand where PyJWT refuses to make them (an HMAC keyed with a public key,
`alg: none`), so the façade meets exactly the bytes an attacker would send.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from facade.credentials import hash_api_key
from tests.hardening.security_stack import (
    API_KEY,
    AUDIENCE,
    ISSUER,
    JWT_SECRET,
    ORG_PERMISSION,
    pem_private,
    pem_public,
)


def b64(data: bytes) -> str:
    """Unpadded base64url, as in a JWT."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: Any) -> str:
    """A JSON value as a JWT segment."""
    return b64(json.dumps(value, separators=(",", ":")).encode())


def hs256(header: dict[str, Any], claims: dict[str, Any], key: bytes) -> str:
    """A token signed with HMAC-SHA256 under any key bytes (PyJWT refuses some keys)."""
    signing_input = f"{segment(header)}.{segment(claims)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


@dataclass(frozen=True)
class Attack:
    """An Authorization header and the status it must get."""

    name: str
    authorization: str
    status: int


class TokenForge:
    """Claims and keys of the hardening façade, and attacks built from them."""

    def __init__(
        self, rsa_key: rsa.RSAPrivateKey, org_id: str, other_org: str, jku_url: str
    ) -> None:
        self.rsa_key = rsa_key
        self.org_id = org_id
        self.other_org = other_org
        self.jku_url = jku_url
        self.attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.now = int(time.time())

    def claims(self, **changes: Any) -> dict[str, Any]:
        """Valid claims for the org, with `changes` applied (None removes a claim)."""
        claims: dict[str, Any] = {
            "org_id": self.org_id,
            "permissions": [ORG_PERMISSION],
            "aud": AUDIENCE,
            "iss": ISSUER,
            "iat": self.now,
            "exp": self.now + 600,
        }
        claims.update(changes)
        return {key: value for key, value in claims.items() if value is not None}

    def hs(self, **changes: Any) -> str:
        """An HS256 token signed with the façade's secret."""
        return jwt.encode(self.claims(**changes), JWT_SECRET, algorithm="HS256")

    def rs(self, key: rsa.RSAPrivateKey | None = None, headers: Any = None, **changes: Any) -> str:
        """An RS256 token, by default signed with the façade's key pair."""
        private = pem_private(key or self.rsa_key)
        return jwt.encode(self.claims(**changes), private, algorithm="RS256", headers=headers)

    def valid(self) -> list[Attack]:
        """Controls: what the façade must accept."""
        return [
            Attack("valid HS256", f"Bearer {self.hs()}", 200),
            Attack("valid RS256", f"Bearer {self.rs()}", 200),
            Attack("valid API key", f"Bearer {API_KEY}", 200),
        ]

    def forged(self) -> list[Attack]:
        """Unsigned, wrongly signed and algorithm-confused tokens."""
        claims = self.claims()
        public_pem = pem_public(self.rsa_key)
        ec_key = ec.generate_private_key(ec.SECP256R1())
        valid = self.hs().split(".")
        attacker_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.attacker.public_key()))
        tokens = {
            "alg none": f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(claims)}.",
            "alg None": f"{segment({'alg': 'None'})}.{segment(claims)}.",
            "alg NONE, signature kept": f"{segment({'alg': 'NONE'})}.{valid[1]}.{valid[2]}",
            "HS256 keyed with the RSA public key": hs256({"alg": "HS256"}, claims, public_pem),
            "RS256 header, HMAC signature": hs256({"alg": "RS256"}, claims, JWT_SECRET.encode()),
            "HS384 with the secret": jwt.encode(claims, JWT_SECRET, algorithm="HS384"),
            "RS256 by another key": self.rs(self.attacker),
            "ES256 (no EC key configured)": jwt.encode(claims, ec_key, algorithm="ES256"),
            "embedded jwk of the attacker": self.rs(self.attacker, {"jwk": attacker_jwk}),
            "jku and x5u of the attacker": self.rs(
                self.attacker, {"jku": self.jku_url, "x5u": self.jku_url, "kid": "attacker"}
            ),
            "signature stripped": f"{valid[0]}.{valid[1]}.",
            "signature truncated": f"{valid[0]}.{valid[1]}.{valid[2][:-4]}",
            "signature of another token": f"{valid[0]}.{valid[1]}.{self.rs().split('.')[2]}",
            "header tampered (kid added)": f"{segment({'alg': 'HS256', 'kid': 'x'})}."
            f"{valid[1]}.{valid[2]}",
        }
        return [Attack(name, f"Bearer {token}", 401) for name, token in tokens.items()]

    def tampered(self) -> list[Attack]:
        """Valid signatures over other claims: the payload swapped after signing."""
        header, _, signature = self.hs().split(".")
        payloads = {
            "payload tampered: another org": self.claims(org_id=self.other_org),
            "payload tampered: expiry pushed out": self.claims(exp=self.now + 10**8),
            "payload tampered: permissions widened": self.claims(permissions=["analytics:*:*"]),
        }
        return [
            Attack(name, f"Bearer {header}.{segment(claims)}.{signature}", 401)
            for name, claims in payloads.items()
        ]

    def invalid_claims(self) -> list[Attack]:
        """Properly signed tokens whose claims must not be accepted."""
        tokens = {
            "expired": self.hs(exp=self.now - 30, iat=self.now - 630),
            "no exp": self.hs(exp=None),
            "exp not a number": self.hs(exp="tomorrow"),
            "not yet valid (nbf)": self.hs(nbf=self.now + 3600),
            "issued in the future (iat)": self.hs(iat=self.now + 3600),
            "wrong audience": self.hs(aud="another-service"),
            "no audience": self.hs(aud=None),
            "wrong issuer": self.hs(iss="https://evil.example"),
            "no issuer": self.hs(iss=None),
            "no org_id": self.hs(org_id=None),
            "org_id not a string": self.hs(org_id=[self.org_id]),
            # A newline: quotes and braces alone make a valid id (see `misdirected`).
            "org_id not an id": self.hs(org_id=f'{self.org_id}\n"}} or vector(1)'),
            "permissions not a list": self.hs(permissions=ORG_PERMISSION),
            "permissions not strings": self.hs(permissions=[1, None]),
            "RS256 expired": self.rs(exp=self.now - 30, iat=self.now - 630),
        }
        return [Attack(name, f"Bearer {token}", 401) for name, token in tokens.items()]

    def malformed(self) -> list[Attack]:
        """Headers that are no bearer credential, and keys that are not the key."""
        headers = {
            "empty": "",
            "scheme only": "Bearer",
            "basic scheme": "Basic dXNlcjpwYXNz",
            "two tokens": f"Bearer {API_KEY} {API_KEY}",
            "three empty segments": "Bearer ..",
            "not base64": "Bearer a.b.c",
            "JSON header array": f"Bearer {segment([1])}.{segment({})}.x",
            "deeply nested JSON header": f"Bearer {b64(b'[' * 5000)}.{segment({})}.x",
            "API key, last character changed": f"Bearer {API_KEY[:-1]}X",
            "API key prefix": f"Bearer {API_KEY[:12]}",
            "the stored digest sent as the key": f"Bearer {hash_api_key(API_KEY)}",
            "7 KB token": f"Bearer {'A' * 2400}.{'B' * 2400}.{'C' * 2400}",
        }
        return [Attack(name, header, 401) for name, header in headers.items()]

    def misdirected(self, workspace_id: str) -> list[Attack]:
        """Genuine credentials that do not reach this workspace: 403."""
        permissions = {
            "another org's token": self.hs(org_id=self.other_org),
            "another org's RS256 token": self.rs(org_id=self.other_org),
            "an org id of quotes and braces": self.hs(org_id=f'{self.org_id}"}} or vector(1)'),
            "no permissions claim": self.hs(permissions=None),
            "no permissions": self.hs(permissions=[]),
            "edit instead of view": self.hs(permissions=["analytics:*:edit"]),
            "two-part permission": self.hs(permissions=["analytics:*"]),
            "bare wildcard": self.hs(permissions=["*"]),
            "trailing space": self.hs(permissions=[f"{ORG_PERMISSION} "]),
            "other case": self.hs(permissions=["Analytics:*:View"]),
            "regex wildcard": self.hs(permissions=["analytics:.*:view"]),
            "double wildcard": self.hs(permissions=["analytics:**:view"]),
            "another workspace": self.hs(permissions=[f"analytics:{workspace_id}x:view"]),
            "workspace list": self.hs(permissions=[f"analytics:{workspace_id},*:view"]),
        }
        return [Attack(name, f"Bearer {token}", 403) for name, token in permissions.items()]

    def all(self, workspace_id: str) -> list[Attack]:
        """Every attack, controls first."""
        return [
            *self.valid(),
            *self.forged(),
            *self.tampered(),
            *self.invalid_claims(),
            *self.malformed(),
            *self.misdirected(workspace_id),
        ]
