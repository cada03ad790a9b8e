"""Configuration from FACADE_* variables: typed defaults, all problems at once, secure default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from facade import ConfigError, FacadeConfig, create_app, load_config
from facade.credentials import hash_api_key

SECRET = "config-test-secret-0123456789abcdef-0123"


def public_pem(key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey) -> bytes:
    """The public half of `key` in PEM."""
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_defaults_with_a_secret() -> None:
    config = load_config({"FACADE_JWT_SECRET": SECRET})
    assert config.prometheus_url == "http://127.0.0.1:9090"
    assert config.prometheus_timeout == 10.0
    assert config.prometheus_headers == ()
    assert config.prometheus_engine == "auto"
    assert config.stale_after == 300.0
    assert config.retry_after == 15
    assert config.jwt is not None
    assert config.jwt.algorithms == ("HS256",)
    assert config.insecure_disable_auth is False


def test_every_variable_is_read(tmp_path: Path) -> None:
    key_path = tmp_path / "ec.pem"
    key_path.write_bytes(public_pem(ec.generate_private_key(ec.SECP256R1())))
    keys = tmp_path / "keys.yaml"
    keys.write_text(
        "keys:\n  - name: ci\n"
        f"    sha256: {hash_api_key('k')}\n    org_id: org-alpha\n"
        "    permissions: ['analytics:*:view']\n"
    )
    config = load_config(
        {
            "FACADE_PROMETHEUS_URL": "https://mimir.example:8080/prometheus/",
            "FACADE_PROMETHEUS_TIMEOUT": "2.5",
            "FACADE_PROMETHEUS_HEADERS": "X-Scope-OrgID=tenant-1, X-Extra = a b",
            "FACADE_PROMETHEUS_ENGINE": "Mimir",
            "FACADE_STALE_AFTER": "120",
            "FACADE_RETRY_AFTER": "30",
            "FACADE_JWT_SECRET": SECRET,
            "FACADE_JWT_PUBLIC_KEY_FILE": str(key_path),
            "FACADE_JWT_ALGORITHMS": "ES256, HS256",
            "FACADE_JWT_AUDIENCE": "analytics",
            "FACADE_JWT_ISSUER": "https://id.example",
            "FACADE_API_KEYS_FILE": str(keys),
        }
    )
    assert config.prometheus_url == "https://mimir.example:8080/prometheus"
    assert config.prometheus_timeout == 2.5
    assert config.prometheus_headers == (("X-Scope-OrgID", "tenant-1"), ("X-Extra", "a b"))
    assert config.prometheus_engine == "mimir"
    assert (config.stale_after, config.retry_after) == (120.0, 30)
    assert config.jwt is not None
    assert config.jwt.algorithms == ("ES256", "HS256")
    assert (config.jwt.audience, config.jwt.issuer) == ("analytics", "https://id.example")
    assert [(k.name, k.org_id, k.permissions) for k in config.api_keys] == [
        ("ci", "org-alpha", ("analytics:*:view",))
    ]


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": [{"name": "x", "sha256": "short", "org_id": "bad\nid"}]}))
    with pytest.raises(ConfigError) as caught:
        load_config(
            {
                "FACADE_PROMETHEUS_URL": "ftp://nowhere",
                "FACADE_PROMETHEUS_TIMEOUT": "soon",
                "FACADE_PROMETHEUS_HEADERS": "NoEquals",
                "FACADE_PROMETHEUS_ENGINE": "influxdb",
                "FACADE_STALE_AFTER": "nan",
                "FACADE_RETRY_AFTER": "0",
                "FACADE_JWT_SECRET": "short",
                "FACADE_JWT_ALGORITHMS": "none,RS256",
                "FACADE_API_KEYS_FILE": str(keys),
                "FACADE_INSECURE_DISABLE_AUTH": "maybe",
            }
        )
    text = str(caught.value)
    for name in (
        "FACADE_PROMETHEUS_URL",
        "FACADE_PROMETHEUS_TIMEOUT",
        "FACADE_PROMETHEUS_HEADERS",
        "FACADE_PROMETHEUS_ENGINE must be one of auto, prometheus, victoriametrics, mimir, thanos",
        "FACADE_STALE_AFTER",
        "FACADE_RETRY_AFTER",
        "FACADE_JWT_SECRET",
        "'none'",
        "RS256 needs an RSA key",
        "keys.0.sha256",
        "keys.0.org_id",
        "keys.0.permissions",
        "FACADE_INSECURE_DISABLE_AUTH",
    ):
        assert name in text, name
    assert len(caught.value.problems) >= 13


def test_secure_by_default() -> None:
    with pytest.raises(ConfigError, match="no authentication is configured"):
        load_config({})
    with pytest.raises(ConfigError, match="no authentication is configured"):
        create_app(FacadeConfig())
    assert load_config({"FACADE_INSECURE_DISABLE_AUTH": "true"}).insecure_disable_auth


def test_key_file_problems(tmp_path: Path) -> None:
    ed_key = tmp_path / "ed25519.pem"
    ed_key.write_bytes(public_pem(ed25519.Ed25519PrivateKey.generate()))
    not_pem = tmp_path / "garbage.pem"
    not_pem.write_text("hello")
    cases = {
        str(tmp_path / "missing.pem"): "cannot be read",
        str(not_pem): "not a PEM public key",
        str(ed_key): "only RSA and EC keys",
    }
    for path, message in cases.items():
        with pytest.raises(ConfigError, match=message):
            load_config({"FACADE_JWT_PUBLIC_KEY_FILE": path})


def test_api_keys_file_problems(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("keys: []\n")
    (tmp_path / "broken.yaml").write_text("keys: [\n")
    cases = {
        "empty.yaml": "lists no key",
        "broken.yaml": "not YAML or JSON",
        "absent.yaml": "cannot be read",
    }
    for name, message in cases.items():
        with pytest.raises(ConfigError, match=message):
            load_config({"FACADE_API_KEYS_FILE": str(tmp_path / name)})


def test_cors_origins_are_off_by_default_and_read_as_a_list() -> None:
    assert load_config({"FACADE_JWT_SECRET": SECRET}).cors_origins == ()
    config = load_config(
        {
            "FACADE_JWT_SECRET": SECRET,
            "FACADE_CORS_ORIGINS": " https://a.example , http://[::1]:8080",
        }
    )
    assert config.cors_origins == ("https://a.example", "http://[::1]:8080")
    assert load_config({"FACADE_JWT_SECRET": SECRET, "FACADE_CORS_ORIGINS": "*"}).cors_origins == (
        "*",
    )


@pytest.mark.parametrize(
    "origins",
    ["https://a.example/", "a.example", "ftp://a.example", "*, https://a.example", "null"],
)
def test_bad_cors_origins_are_refused(origins: str) -> None:
    with pytest.raises(ConfigError, match="FACADE_CORS_ORIGINS"):
        load_config({"FACADE_JWT_SECRET": SECRET, "FACADE_CORS_ORIGINS": origins})


def test_retention_days() -> None:
    assert load_config({"FACADE_JWT_SECRET": SECRET}).retention_days == 120.0
    config = load_config({"FACADE_JWT_SECRET": SECRET, "FACADE_RETENTION_DAYS": "400"})
    assert config.retention_days == 400.0
    for wrong in ("0", "-3", "soon", "inf"):
        with pytest.raises(ConfigError, match="FACADE_RETENTION_DAYS"):
            load_config({"FACADE_JWT_SECRET": SECRET, "FACADE_RETENTION_DAYS": wrong})


def test_cache_seconds() -> None:
    assert load_config({"FACADE_JWT_SECRET": SECRET}).cache_seconds == 0.0
    config = load_config({"FACADE_JWT_SECRET": SECRET, "FACADE_CACHE_SECONDS": "15"})
    assert config.cache_seconds == 15.0
    for wrong in ("-1", "soon", "inf"):
        with pytest.raises(ConfigError, match="FACADE_CACHE_SECONDS"):
            load_config({"FACADE_JWT_SECRET": SECRET, "FACADE_CACHE_SECONDS": wrong})
