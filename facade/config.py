"""The façade's configuration: a frozen dataclass read from `FACADE_*` environment variables.

`load_config(env)` reports every problem at once in one `ConfigError`; `problems(config)`
checks a configuration built in code the same way. Authentication is on unless
`FACADE_INSECURE_DISABLE_AUTH` turns it off: with no JWT key and no API keys the façade refuses
to start.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from facade.credentials import ApiKey, JwtSettings, jwt_settings, load_api_keys
from facade.engines import AUTO, ENGINE_SETTINGS

T = TypeVar("T")

DEFAULT_PROMETHEUS_URL = "http://127.0.0.1:9090"
# The stack's Prometheus keeps 120 days (`stack.supervisor`, docker-compose.yml).
DEFAULT_RETENTION_DAYS = 120.0
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_ORIGIN = re.compile(
    r"^https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?$|^https?://\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?$"
)
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class ConfigError(ValueError):
    """The configuration has problems; all of them are listed in the message."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "invalid façade configuration:\n" + "\n".join(f"  - {p}" for p in problems)
        )


@dataclass(frozen=True)
class FacadeConfig:
    """Everything the façade needs to know, with the defaults of a local stack."""

    prometheus_url: str = DEFAULT_PROMETHEUS_URL
    prometheus_timeout: float = 10.0
    prometheus_headers: tuple[tuple[str, str], ...] = ()
    prometheus_engine: str = AUTO
    stale_after: float = 300.0
    retry_after: int = 15
    jwt: JwtSettings | None = None
    api_keys: tuple[ApiKey, ...] = ()
    insecure_disable_auth: bool = False
    cors_origins: tuple[str, ...] = ()  # browser origins allowed to call the API ("*": any)
    retention_days: float = DEFAULT_RETENTION_DAYS  # how far back the store keeps samples
    # The exporter's collection interval: answers are kept until the next collection, at most
    # this long (`facade.response_cache`); 0 keeps none.
    cache_seconds: float = 0.0

    @property
    def auth_configured(self) -> bool:
        """Whether at least one way to authenticate is configured."""
        return self.jwt is not None or bool(self.api_keys)


def problems(config: FacadeConfig) -> list[str]:
    """What is wrong with a configuration, however it was built."""
    found = []
    parts = urlsplit(config.prometheus_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        found.append(f"FACADE_PROMETHEUS_URL must be an http(s) URL, got {config.prometheus_url!r}")
    if config.prometheus_engine not in ENGINE_SETTINGS:
        found.append(
            f"FACADE_PROMETHEUS_ENGINE must be one of {', '.join(ENGINE_SETTINGS)}, "
            f"got {config.prometheus_engine!r}"
        )
    if config.prometheus_timeout <= 0:
        found.append("FACADE_PROMETHEUS_TIMEOUT must be a positive number of seconds")
    if config.stale_after <= 0:
        found.append("FACADE_STALE_AFTER must be a positive number of seconds")
    if config.retry_after < 1:
        found.append("FACADE_RETRY_AFTER must be a whole number of seconds, at least 1")
    if config.cache_seconds < 0:
        found.append("FACADE_CACHE_SECONDS must be 0 (no cache) or a positive number of seconds")
    if config.retention_days <= 0:
        found.append("FACADE_RETENTION_DAYS must be a positive number of days")
    if not config.auth_configured and not config.insecure_disable_auth:
        found.append(
            "no authentication is configured: set FACADE_JWT_SECRET, FACADE_JWT_PUBLIC_KEY_FILE "
            "or FACADE_API_KEYS_FILE (or FACADE_INSECURE_DISABLE_AUTH=1 for a local demo only)"
        )
    found += cors_problems(config.cors_origins)
    return found


def cors_problems(origins: tuple[str, ...]) -> list[str]:
    """What is wrong with FACADE_CORS_ORIGINS: `*` alone, or http(s) origins without a path."""
    if origins == ("*",):
        return []
    return [
        f"FACADE_CORS_ORIGINS must be `*` or http(s)://host[:port] origins, got {origin!r}"
        for origin in origins
        if not _ORIGIN.fullmatch(origin)
    ]


def _seconds(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


class _Reader:
    """Reads typed values from the environment, collecting problems instead of raising."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def text(self, name: str) -> str | None:
        value = self.env.get(name, "").strip()
        return value or None

    def parsed(self, name: str, parse: Callable[[str], T], default: T, expected: str) -> T:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            return parse(raw)
        except ValueError:
            self.problems.append(f"{name} must be {expected}, got {raw!r}")
            return default

    def flag(self, name: str) -> bool:
        raw = self.env.get(name, "").strip().lower()
        if raw in _TRUE | _FALSE:
            return raw in _TRUE
        self.problems.append(f"{name} must be one of 1/true/yes/on or 0/false/no/off, got {raw!r}")
        return False

    def headers(self, name: str) -> tuple[tuple[str, str], ...]:
        pairs = []
        for item in filter(None, (part.strip() for part in (self.text(name) or "").split(","))):
            key, sep, value = item.partition("=")
            if not sep or not _HEADER_NAME.fullmatch(key.strip()) or "\n" in value or "\r" in value:
                self.problems.append(
                    f"{name} must be Name=value pairs separated by commas, got {item!r}"
                )
                continue
            pairs.append((key.strip(), value.strip()))
        return tuple(pairs)


def load_config(env: Mapping[str, str]) -> FacadeConfig:
    """The configuration from environment variables; ConfigError lists every problem."""
    read = _Reader(env)
    jwt, jwt_problems = jwt_settings(
        secret=read.text("FACADE_JWT_SECRET"),
        public_key_file=read.text("FACADE_JWT_PUBLIC_KEY_FILE"),
        algorithms=read.text("FACADE_JWT_ALGORITHMS"),
        audience=read.text("FACADE_JWT_AUDIENCE"),
        issuer=read.text("FACADE_JWT_ISSUER"),
    )
    keys_file = read.text("FACADE_API_KEYS_FILE")
    api_keys, key_problems = load_api_keys(Path(keys_file)) if keys_file else ((), [])
    config = FacadeConfig(
        prometheus_url=(read.text("FACADE_PROMETHEUS_URL") or DEFAULT_PROMETHEUS_URL).rstrip("/"),
        prometheus_timeout=read.parsed(
            "FACADE_PROMETHEUS_TIMEOUT", _seconds, 10.0, "a number of seconds"
        ),
        prometheus_headers=read.headers("FACADE_PROMETHEUS_HEADERS"),
        prometheus_engine=(read.text("FACADE_PROMETHEUS_ENGINE") or AUTO).lower(),
        stale_after=read.parsed("FACADE_STALE_AFTER", _seconds, 300.0, "a number of seconds"),
        retry_after=read.parsed("FACADE_RETRY_AFTER", int, 15, "a whole number of seconds"),
        jwt=jwt,
        api_keys=api_keys,
        insecure_disable_auth=read.flag("FACADE_INSECURE_DISABLE_AUTH"),
        cors_origins=tuple(
            filter(
                None, (part.strip() for part in (read.text("FACADE_CORS_ORIGINS") or "").split(","))
            )
        ),
        retention_days=read.parsed(
            "FACADE_RETENTION_DAYS", _seconds, DEFAULT_RETENTION_DAYS, "a number of days"
        ),
        cache_seconds=read.parsed("FACADE_CACHE_SECONDS", _seconds, 0.0, "a number of seconds"),
    )
    credential_problems = [*jwt_problems, *key_problems]
    found = [*read.problems, *credential_problems]
    # A broken key file already explains why no authentication is configured.
    found += [
        p
        for p in problems(config)
        if not (credential_problems and p.startswith("no authentication"))
    ]
    if found:
        raise ConfigError(found)
    return config
