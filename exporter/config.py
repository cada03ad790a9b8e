"""Exporter settings: a YAML file overridden by `EXPORTER_<KEY>` environment values.

`load_config` is pure apart from reading the file: it checks every key, collects every problem
and raises one `ConfigError` listing them all, so an operator fixes a config in one round.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from exporter import setting_values as parse
from exporter.platform.client import PlatformTarget, RequestPolicy
from exporter.platform.token import TokenFileError, read_token_file
from exporter.shards import Shard, parse_shard
from vocabulary.details import LABEL_CAPS
from vocabulary.ids import ID_MAX_LENGTH, valid_id

ENV_PREFIX = "EXPORTER_"
# Read by `mm-analytics exporter` to find the file; not a setting itself.
CONFIG_PATH_ENV = "EXPORTER_CONFIG"


class ConfigError(ValueError):
    """The settings are invalid; `problems` lists every one of them."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid exporter configuration:\n  - " + "\n  - ".join(problems))


@dataclass(frozen=True)
class ExporterConfig:
    """Everything the exporter needs; durations are in seconds."""

    platform_url: str
    platform_token: str
    org_ids: tuple[str, ...]
    inventory_interval: float = 60.0
    activity_interval: float = 15.0
    activity_lag: float = 2.0
    activity_overlap: float = 120.0
    activity_start: float | None = None
    activity_page_cap: int = 50
    activity_lateness: float = 600.0
    activity_late_horizon: float = 3600.0
    activity_sweep_interval: float = 300.0
    exposure_hold: float = 30.0
    exposure_boundary: int = 900
    concurrency: int = 8
    request_timeout: float = 10.0
    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    ledger_path: Path = Path("exporter-ledger.sqlite3")
    listen_address: str = "127.0.0.1:9877"
    app_metrics: bool = True
    namespace_metrics: bool = True
    pipeline_metrics: bool = True
    # Distinct values per workspace that keep their own series (`exporter.ledger.details`).
    label_caps: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType(dict(LABEL_CAPS))
    )
    log_level: str = "INFO"
    platform_token_file: Path | None = None
    inventory_page_size: int | None = None
    max_response_bytes: int = 8 * 2**20
    auth_retry_interval: float = 60.0
    # With a shard, `org_ids` holds only the configured ids this shard owns (`exporter.shards`).
    shard: Shard | None = None

    def platform_target(self) -> PlatformTarget:
        """Where the platform is and how to authenticate to it."""
        return PlatformTarget(self.platform_url, self.platform_token, self.platform_token_file)

    def request_policy(self) -> RequestPolicy:
        """Timeouts, retries and limits of every platform request."""
        return RequestPolicy(
            self.request_timeout,
            self.max_retries,
            self.backoff_base,
            self.backoff_max,
            max_response_bytes=self.max_response_bytes,
            auth_retry_interval=self.auth_retry_interval,
        )

    @property
    def listen_host(self) -> str:
        """The host part of `listen_address`."""
        return self.listen_address.rsplit(":", 1)[0].strip("[]")

    @property
    def listen_port(self) -> int:
        """The port part of `listen_address`."""
        return int(self.listen_address.rsplit(":", 1)[1])


def _org_ids(value: Any) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError("must be a list of org ids or a comma-separated string")
    ids = tuple(str(item).strip() for item in items if str(item).strip())
    if not ids:
        raise ValueError("must name at least one org")
    bad = [org for org in ids if not valid_id(org)]
    if bad:
        raise ValueError(
            f"invalid org ids {bad} (1-{ID_MAX_LENGTH} printable characters, "
            "no space at either end, not '.', '..' or '*')"
        )
    if len(set(ids)) != len(ids):
        raise ValueError("lists an org more than once")
    return ids


# Every key: its parser (raising ValueError with a readable reason; see `setting_values`).
PARSERS: dict[str, Callable[[Any], Any]] = {
    "platform_url": parse.url,
    "platform_token": parse.text,
    "org_ids": _org_ids,
    "inventory_interval": parse.positive,
    "activity_interval": parse.positive,
    "activity_lag": parse.non_negative,
    "activity_overlap": parse.non_negative,
    "activity_start": parse.timestamp,
    "activity_page_cap": parse.integer(1, 100_000),
    "activity_lateness": parse.non_negative,
    "activity_late_horizon": parse.non_negative,
    "activity_sweep_interval": parse.positive,
    "exposure_hold": parse.positive,
    "exposure_boundary": parse.integer(1, 900),
    "concurrency": parse.integer(1, 64),
    "request_timeout": parse.positive,
    "max_retries": parse.integer(0, 20),
    "backoff_base": parse.positive,
    "backoff_max": parse.positive,
    "ledger_path": parse.path,
    "listen_address": parse.listen_address,
    "app_metrics": parse.boolean,
    "namespace_metrics": parse.boolean,
    "pipeline_metrics": parse.boolean,
    "label_caps": parse.label_caps,
    "log_level": parse.log_level,
    # Read at start (to fail early) and again whenever the platform refuses the token.
    "platform_token_file": parse.path,
    "inventory_page_size": parse.integer(1, 200),
    "max_response_bytes": parse.integer(1024, 2**30),
    "auth_retry_interval": parse.positive,
    "shard": parse_shard,
}
REQUIRED = ("platform_url", "platform_token", "org_ids")
assert set(PARSERS) == {field.name for field in fields(ExporterConfig)}


def env_name(key: str) -> str:
    """The environment variable that overrides `key`."""
    return ENV_PREFIX + key.upper()


def read_file(path: Path) -> dict[str, Any]:
    """The mapping in a YAML config file (an empty file is an empty mapping)."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError([f"cannot read config file {path}: {error.strerror}"]) from None
    except yaml.YAMLError as error:
        raise ConfigError([f"config file {path} is not valid YAML: {error}"]) from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError([f"config file {path} must hold a mapping of settings"])
    return {str(key): value for key, value in loaded.items()}


def merge_sources(
    file_values: Mapping[str, Any],
    environ: Mapping[str, str],
    overrides: Mapping[str, Any] | None = None,
) -> tuple[dict[str, tuple[Any, str]], list[str]]:
    """Each set key's raw value and origin (flag beats environment beats file), plus problems."""
    unknown = [key for key in file_values if key not in PARSERS]
    problems = [f"unknown key {key!r} in the config file" for key in unknown]
    raw = {key: (value, "file") for key, value in file_values.items() if key in PARSERS}
    for name, value in environ.items():
        # An empty value counts as unset, as compose's `${VAR:-}` defaults produce them.
        if not name.startswith(ENV_PREFIX) or name == CONFIG_PATH_ENV or value == "":
            continue
        key = name[len(ENV_PREFIX) :].lower()
        if key in PARSERS:
            raw[key] = (value, name)
        else:
            problems.append(f"unknown environment variable {name}")
    for key, value in (overrides or {}).items():
        if value is not None:
            raw[key] = (value, "--" + key.replace("_", "-"))
    return raw, problems


def build_config(raw: Mapping[str, tuple[Any, str]], problems: list[str]) -> ExporterConfig:
    """Parse and cross-check every value; raise one ConfigError naming every problem."""
    problems = list(problems)
    values: dict[str, Any] = {}
    for key, (value, origin) in raw.items():
        try:
            values[key] = PARSERS[key](value)
        except (ValueError, TypeError) as error:
            problems.append(f"{key} (from {origin}): {error}")
    problems += _token_from_file(raw, values)
    for key in REQUIRED:
        if key in raw or key in values:
            continue
        if key == "platform_token" and "platform_token_file" in raw:
            continue  # an unreadable token file is reported above
        alternative = " or platform_token_file" if key == "platform_token" else ""
        problems.append(f"{key} is required (config file key or {env_name(key)}{alternative})")
    defaults = ExporterConfig("http://unused", "unused", ("unused",))
    base = values.get("backoff_base", defaults.backoff_base)
    if values.get("backoff_max", defaults.backoff_max) < base:
        problems.append("backoff_max must not be smaller than backoff_base")
    if 900 % values.get("exposure_boundary", defaults.exposure_boundary):
        problems.append("exposure_boundary must divide 900 (every zone's offset is whole quarters)")
    problems += _owned_orgs(values)
    if problems:
        raise ConfigError(problems)
    return ExporterConfig(**values)


def _owned_orgs(values: dict[str, Any]) -> list[str]:
    """Narrow `org_ids` to the shard's own; the problem when it owns none of them."""
    shard, org_ids = values.get("shard"), values.get("org_ids")
    if shard is None or org_ids is None:
        return []
    values["org_ids"] = shard.select(org_ids)
    if values["org_ids"]:
        return []
    return [
        f"shard {shard} owns none of the {len(org_ids)} org ids; list more orgs or use fewer shards"
    ]


def _token_from_file(raw: Mapping[str, tuple[Any, str]], values: dict[str, Any]) -> list[str]:
    """Fill `platform_token` from `platform_token_file`; the problems with doing so."""
    path = values.get("platform_token_file")
    if path is None:
        return []
    if "platform_token" in raw:
        return ["platform_token and platform_token_file are both set; set only one"]
    try:
        values["platform_token"] = read_token_file(path)
    except TokenFileError as error:
        return [f"platform_token_file: {error}"]
    return []


def load_config(
    path: Path | None,
    environ: Mapping[str, str],
    overrides: Mapping[str, Any] | None = None,
) -> ExporterConfig:
    """The config from an optional YAML file, `EXPORTER_*` environment and command-line values."""
    try:
        file_values = read_file(path) if path is not None else {}
        file_problems: list[str] = []
    except ConfigError as error:
        file_values, file_problems = {}, error.problems
    raw, problems = merge_sources(file_values, environ, overrides)
    problems = file_problems + problems
    return build_config(raw, problems)


def load_command_line_config(
    config_file: Path | None, flags: Mapping[str, Any], environ: Mapping[str, str]
) -> ExporterConfig:
    """The config of a command: its `--config` file (else `EXPORTER_CONFIG`), the environment,
    then its flags; ConfigError lists every problem."""
    path = config_file or (Path(environ[CONFIG_PATH_ENV]) if CONFIG_PATH_ENV in environ else None)
    return load_config(path, environ, flags)
