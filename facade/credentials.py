"""What the façade verifies tokens with: JWT keys and hashed static API keys.

API keys are random strings handed to a client once; the façade stores only their SHA-256
(a fast hash is enough for high-entropy keys, unlike passwords). The keys file is YAML or JSON:

    keys:
      - name: reporting
        sha256: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8
        org_id: org-alpha
        permissions: ["analytics:*:view"]
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from facade.promql import ID_PATTERN

SUPPORTED_ALGORITHMS = ("HS256", "RS256", "ES256")
MIN_SECRET_BYTES = 32  # RFC 7518: an HS256 key at least as long as the hash output

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


@dataclass(frozen=True)
class JwtSettings:
    """How JWTs are verified: allowed algorithms, their keys, expected audience and issuer."""

    algorithms: tuple[str, ...]
    secret: str | None = None
    public_key: PublicKey | None = None
    audience: str | None = None
    issuer: str | None = None

    def key_for(self, algorithm: str) -> str | PublicKey | None:
        """The key that verifies `algorithm`; HMAC never gets the public key (no confusion)."""
        if algorithm not in self.algorithms:
            return None
        return self.secret if algorithm.startswith("HS") else self.public_key


@dataclass(frozen=True)
class ApiKey:
    """One static API key: its SHA-256, the org it belongs to and its permissions."""

    name: str
    sha256: str
    org_id: str
    permissions: tuple[str, ...]


def hash_api_key(key: str) -> str:
    """The SHA-256 hex digest stored for an API key."""
    return hashlib.sha256(key.encode()).hexdigest()


def _public_key(path: str, found: list[str]) -> PublicKey | None:
    try:
        key = load_pem_public_key(Path(path).read_bytes())
    except OSError as exc:
        found.append(f"FACADE_JWT_PUBLIC_KEY_FILE {path}: cannot be read ({exc.strerror})")
        return None
    except ValueError:
        found.append(f"FACADE_JWT_PUBLIC_KEY_FILE {path}: not a PEM public key")
        return None
    if isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return key
    found.append(f"FACADE_JWT_PUBLIC_KEY_FILE {path}: only RSA and EC keys are supported")
    return None


def _default_algorithms(secret: str | None, key: PublicKey | None) -> tuple[str, ...]:
    algorithms = ["HS256"] if secret else []
    if isinstance(key, rsa.RSAPublicKey):
        algorithms.append("RS256")
    elif isinstance(key, ec.EllipticCurvePublicKey):
        algorithms.append("ES256")
    return tuple(algorithms)


def _algorithm_problems(algorithms: tuple[str, ...], secret: str | None, key: Any) -> list[str]:
    found = []
    for algorithm in algorithms:
        if algorithm not in SUPPORTED_ALGORITHMS:
            supported = ", ".join(SUPPORTED_ALGORITHMS)
            found.append(f"FACADE_JWT_ALGORITHMS: {algorithm!r} is not one of {supported}")
        elif algorithm == "HS256" and not secret:
            found.append("FACADE_JWT_ALGORITHMS: HS256 needs FACADE_JWT_SECRET")
        elif algorithm == "RS256" and not isinstance(key, rsa.RSAPublicKey):
            found.append(
                "FACADE_JWT_ALGORITHMS: RS256 needs an RSA key in FACADE_JWT_PUBLIC_KEY_FILE"
            )
        elif algorithm == "ES256" and not (
            isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)
        ):
            found.append(
                "FACADE_JWT_ALGORITHMS: ES256 needs a P-256 key in FACADE_JWT_PUBLIC_KEY_FILE"
            )
    return found


def jwt_settings(
    *,
    secret: str | None,
    public_key_file: str | None,
    algorithms: str | None,
    audience: str | None,
    issuer: str | None,
) -> tuple[JwtSettings | None, list[str]]:
    """JWT settings from their environment values, or None when no JWT key is configured."""
    found: list[str] = []
    if secret is not None and len(secret.encode()) < MIN_SECRET_BYTES:
        found.append(f"FACADE_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long")
    key = _public_key(public_key_file, found) if public_key_file else None
    if algorithms is None:
        chosen = _default_algorithms(secret, key)
    else:
        chosen = tuple(a.strip() for a in algorithms.split(",") if a.strip())
    found += _algorithm_problems(chosen, secret, key)
    if found or not chosen:
        if algorithms is not None and not chosen:
            found.append("FACADE_JWT_ALGORITHMS lists no algorithm")
        return None, found
    return JwtSettings(chosen, secret, key, audience, issuer), found


Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]


class _KeyEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    org_id: Id
    permissions: list[str]


class _KeysFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keys: list[_KeyEntry]


def load_api_keys(path: Path) -> tuple[tuple[ApiKey, ...], list[str]]:
    """The API keys of a keys file, and the problems found in it."""
    where = f"FACADE_API_KEYS_FILE {path}"
    try:
        document = yaml.safe_load(path.read_text())
    except OSError as exc:
        return (), [f"{where}: cannot be read ({exc.strerror})"]
    except yaml.YAMLError as exc:
        return (), [f"{where}: not YAML or JSON ({exc})"]
    try:
        parsed = _KeysFile.model_validate(document)
    except ValidationError as exc:
        return (), [
            f"{where}: {'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors(include_url=False)
        ]
    keys = tuple(ApiKey(e.name, e.sha256, e.org_id, tuple(e.permissions)) for e in parsed.keys)
    if not keys:
        return (), [f"{where}: lists no key"]
    return keys, []
