"""JWTs signed with HS256, RS256 and ES256, audience and issuer, algorithm confusion, hashed
API keys, and the insecure switch: each through a real app over the history."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask import Flask

from facade import FacadeConfig, load_config
from facade.credentials import hash_api_key
from facade.tokens import mint_token
from tests.facade.conftest import JWT_SECRET
from tests.support.facade_envelopes import SUMMARY, assert_envelope
from tests.support.facade_http import ApiClient
from tests.support.history import END

CLAIMS = {"org_id": "org-alpha", "permissions": ["analytics:*:view"]}


def pem(key: Any, private: bool) -> bytes:
    """A key in PEM."""
    if private:
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    """An RSA signing key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    """A P-256 signing key."""
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def client_for(
    make_app: Callable[..., Flask],
    base_config: FacadeConfig,
    client_of: Callable[[Flask], ApiClient],
) -> Callable[[dict[str, str]], ApiClient]:
    """A client of an app over the history whose credentials come from `env`."""

    def build(env: dict[str, str]) -> ApiClient:
        loaded = load_config({"FACADE_PROMETHEUS_URL": base_config.prometheus_url, **env})
        app = make_app(
            jwt=loaded.jwt,
            api_keys=loaded.api_keys,
            insecure_disable_auth=loaded.insecure_disable_auth,
        )
        return client_of(app)

    return build


def key_file(directory: Path, key: Any) -> dict[str, str]:
    """The environment of a façade verifying tokens with `key`'s public half."""
    (directory / "key.pem").write_bytes(pem(key, private=False))
    return {"FACADE_JWT_PUBLIC_KEY_FILE": str(directory / "key.pem")}


def signed(key: Any, algorithm: str, **claims: Any) -> str:
    """A token over CLAIMS plus `claims`, valid for ten minutes."""
    payload = {**CLAIMS, "exp": int(END) + 10**9, **claims}
    return jwt.encode(payload, key, algorithm=algorithm)


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_public_key_tokens_are_accepted(
    algorithm: str,
    rsa_key: rsa.RSAPrivateKey,
    ec_key: ec.EllipticCurvePrivateKey,
    client_for: Callable[[dict[str, str]], ApiClient],
    tmp_path: Path,
) -> None:
    key = rsa_key if algorithm == "RS256" else ec_key
    api = client_for(key_file(tmp_path, key))
    private = pem(key, private=True)
    assert api.get(SUMMARY, signed(private, algorithm)).status_code == 200
    stranger = ec.generate_private_key(ec.SECP256R1()) if algorithm == "ES256" else None
    other = stranger or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert_envelope(api.get(SUMMARY, signed(pem(other, private=True), algorithm)), 401)


def test_hmac_signed_with_the_public_key_is_refused(
    rsa_key: rsa.RSAPrivateKey, client_for: Callable[[dict[str, str]], ApiClient], tmp_path: Path
) -> None:
    """Algorithm confusion: an HS256 token whose secret is the (public) RSA key."""
    public = pem(rsa_key, private=False)
    api = client_for(key_file(tmp_path, rsa_key))
    header = jwt.utils.base64url_encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = jwt.utils.base64url_encode(json.dumps({**CLAIMS, "exp": int(END) + 10**9}).encode())
    signature = hmac.new(public, header + b"." + body, hashlib.sha256).digest()
    forged = b".".join([header, body, jwt.utils.base64url_encode(signature)]).decode()
    assert_envelope(api.get(SUMMARY, forged), 401)
    assert api.get(SUMMARY, signed(pem(rsa_key, private=True), "RS256")).status_code == 200


def test_audience_and_issuer_are_checked_when_configured(
    client_for: Callable[[dict[str, str]], ApiClient],
) -> None:
    secret = "audience-test-secret-0123456789abcdef0123"
    env = {
        "FACADE_JWT_SECRET": secret,
        "FACADE_JWT_AUDIENCE": "analytics",
        "FACADE_JWT_ISSUER": "https://id.example",
    }
    api = client_for(env)
    good = mint_token(
        secret, "org-alpha", ["analytics:*:view"], audience="analytics", issuer="https://id.example"
    )
    assert api.get(SUMMARY, good).status_code == 200
    for audience, issuer in (
        (None, "https://id.example"),
        ("other", "https://id.example"),
        ("analytics", None),
        ("analytics", "https://evil.example"),
    ):
        token = mint_token(
            secret, "org-alpha", ["analytics:*:view"], audience=audience, issuer=issuer
        )
        assert_envelope(api.get(SUMMARY, token), 401)


def test_required_claims(api: ApiClient) -> None:
    without_exp = jwt.encode(CLAIMS, JWT_SECRET, algorithm="HS256")
    without_org = jwt.encode(
        {"permissions": ["analytics:*:view"], "exp": int(END) + 10**9},
        JWT_SECRET,
        algorithm="HS256",
    )
    bad_org = signed(JWT_SECRET, "HS256", org_id='org-alpha\n"} or vector(1)')
    bad_permissions = signed(JWT_SECRET, "HS256", permissions="analytics:*:view")
    for token in (without_exp, without_org, bad_org, bad_permissions):
        body = assert_envelope(api.get(SUMMARY, token), 401)
        assert body["message"] == "Invalid authentication token"


def test_the_compact_workspaces_claim(api: ApiClient) -> None:
    compact = signed(JWT_SECRET, "HS256", permissions=[], workspaces=["ws-zz", "ws-a01"])
    assert api.get(SUMMARY, compact).status_code == 200
    elsewhere = "/v1/orgs/org-alpha/workspaces/ws-a02/analytics"
    assert_envelope(api.get(elsewhere, compact), 403, required_permission="analytics:ws-a02:view")
    # An id no path could hold, or a claim of the wrong shape, invalidates the token.
    for workspaces in (["*"], ["ws\nx"], "ws-a01", [1]):
        token = signed(JWT_SECRET, "HS256", permissions=[], workspaces=workspaces)
        body = assert_envelope(api.get(SUMMARY, token), 401)
        assert body["message"] == "Invalid authentication token"


def test_hashed_api_keys(
    client_for: Callable[[dict[str, str]], ApiClient],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alpha_key, beta_key = (
        "mmk_alpha-0123456789abcdefghijklmnop",
        "mmk_beta-0123456789abcdefghijklmnopq",
    )
    keys = {
        "keys": [
            {
                "name": "a",
                "sha256": hash_api_key(alpha_key),
                "org_id": "org-alpha",
                "permissions": ["analytics:*:view"],
            },
            {
                "name": "b",
                "sha256": hash_api_key(beta_key),
                "org_id": "org-beta",
                "permissions": ["analytics:ws-b01:view"],
            },
        ]
    }
    (tmp_path / "keys.json").write_text(json.dumps(keys))
    assert alpha_key not in (tmp_path / "keys.json").read_text()  # stored hashed only
    api = client_for({"FACADE_API_KEYS_FILE": str(tmp_path / "keys.json")})
    with caplog.at_level(logging.DEBUG):
        assert api.get(SUMMARY, alpha_key).status_code == 200
        assert_envelope(
            api.get(SUMMARY, beta_key), 403, required_permission="analytics:ws-a01:view"
        )
        assert api.get("/v1/orgs/org-beta/workspaces/ws-b01/analytics", beta_key).status_code == 200
        assert_envelope(api.get(SUMMARY, alpha_key + "x"), 401)
        assert_envelope(api.get(SUMMARY, hash_api_key(alpha_key)), 401)  # the hash is no key
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert alpha_key not in logged and beta_key not in logged


def test_insecure_switch_turns_auth_off(
    client_for: Callable[[dict[str, str]], ApiClient],
) -> None:
    api = client_for({"FACADE_INSECURE_DISABLE_AUTH": "1"})
    assert api.get(SUMMARY).status_code == 200
    assert api.get("/v1/orgs/org-beta/analytics").status_code == 200


def test_a_few_seconds_of_clock_skew_are_tolerated(api: ApiClient) -> None:
    now = int(time.time())
    slightly_ahead = signed(JWT_SECRET, "HS256", iat=now + 5, nbf=now + 5)
    assert api.get(SUMMARY, slightly_ahead).status_code == 200
    just_expired = signed(JWT_SECRET, "HS256", exp=now - 5)
    assert api.get(SUMMARY, just_expired).status_code == 200
    long_expired = signed(JWT_SECRET, "HS256", exp=now - 60)
    assert assert_envelope(api.get(SUMMARY, long_expired), 401)["message"] == (
        "Authentication token has expired"
    )


def test_a_verified_token_is_not_trusted_past_its_expiry(api: ApiClient) -> None:
    """Verified tokens are kept for the next requests, never beyond `exp` and its skew."""
    now = int(time.time())
    expiring = signed(JWT_SECRET, "HS256", exp=now - 6)  # accepted until now + 4 (the skew)
    assert api.get(SUMMARY, expiring).status_code == 200
    assert api.get(SUMMARY, expiring).status_code == 200
    time.sleep(max(0.0, now + 4.1 - time.time()))
    assert assert_envelope(api.get(SUMMARY, expiring), 401)["message"] == (
        "Authentication token has expired"
    )
