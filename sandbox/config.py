"""Settings of `mm-analytics sandbox`: command-line options over `SANDBOX_*` environment values."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ENV_PREFIX = "SANDBOX_"


class ConfigError(ValueError):
    """One or more settings are invalid; the message lists every problem."""


@dataclass(frozen=True)
class SandboxConfig:
    """Everything the sandbox process needs to start."""

    host: str = "127.0.0.1"
    port: int = 8900
    db: Path = Path(".state/sandbox.db")
    seed: int = 7
    orgs: int = 3
    workspaces: int = 8
    token: str = "sandbox-token"  # noqa: S105 - the demo token of a loopback test double
    rate: float = 2.0
    failure_ratio: float = 0.1
    api_call_ratio: float = 0.3
    stream: bool = True
    reset: bool = False
    history_days: int = 90
    history_rate: float = 75.0
    history_end: datetime | None = None  # None: the start-up time
    late_ratio: float = 0.02
    lateness_seconds: float = 300.0
    boundary_cluster: float = 0.05


def instant(text: str) -> datetime:
    """An ISO-8601 time; one without a zone is UTC."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# option name → (type parser, help text); env SANDBOX_<NAME> with dashes as underscores.
OPTIONS: dict[str, tuple[Callable[[str], Any], str]] = {
    "host": (str, "address to listen on"),
    "port": (int, "TCP port to listen on"),
    "db": (Path, "SQLite database file (continued when it exists)"),
    "seed": (int, "seed of the generated platform data and of the activity stream"),
    "orgs": (int, "number of organisations to generate"),
    "workspaces": (int, "workspaces per organisation"),
    "token": (str, "the Bearer token the platform endpoints accept"),
    "rate": (float, "finished executions per second across all workspaces"),
    "failure-ratio": (float, "share of executions that fail"),
    "api-call-ratio": (float, "share of activity records that are plain API calls"),
    "history-days": (int, "days of past activity seeded into a fresh database (0: none)"),
    "history-rate": (float, "executions per hour across all workspaces in the seeded history"),
    "history-end": (instant, "when the seeded history ends (None: at start-up)"),
    "late-ratio": (float, "share of streamed executions written late"),
    "lateness-seconds": (
        float,
        "how long after its timestamp a late execution is written, at most",
    ),
    "boundary-cluster": (
        float,
        "share of streamed executions written within 5 s of a quarter-hour boundary",
    ),
}
FLAGS = {
    "no-stream": "start with the activity stream paused",
    "reset": "discard an existing database and seed a new one",
}
MAX_HISTORY_DAYS = 366
MAX_HISTORY_RATE = 100_000.0
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; every value defaults to None so the environment can fill it."""
    parser = argparse.ArgumentParser(
        prog="mm-analytics sandbox",
        description="Run the sandbox MechaMental platform; every option also reads SANDBOX_<NAME>.",
    )
    defaults = SandboxConfig()
    for name, (_, text) in OPTIONS.items():
        default = getattr(defaults, name.replace("-", "_"))
        parser.add_argument(f"--{name}", default=None, help=f"{text} (default {default})")
    for name, text in FLAGS.items():
        parser.add_argument(f"--{name}", action="store_true", default=None, help=text)
    return parser


def _env_name(option: str) -> str:
    return ENV_PREFIX + option.upper().replace("-", "_")


def _raw_values(args: argparse.Namespace, environ: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """Each set option's raw text and where it came from (flag beats environment)."""
    raw: dict[str, tuple[str, str]] = {}
    for option in [*OPTIONS, *FLAGS]:
        value = getattr(args, option.replace("-", "_"))
        if value is not None:
            raw[option] = ("true" if value is True else str(value), f"--{option}")
        elif _env_name(option) in environ:
            raw[option] = (environ[_env_name(option)], _env_name(option))
    return raw


def _parse_values(raw: Mapping[str, tuple[str, str]]) -> tuple[dict[str, Any], list[str]]:
    values: dict[str, Any] = {}
    problems: list[str] = []
    for option, (text, origin) in raw.items():
        if option in FLAGS:
            if text.strip().lower() not in TRUE_WORDS | FALSE_WORDS:
                problems.append(f"{origin}: expected true or false, got {text!r}")
            values[option] = text.strip().lower() in TRUE_WORDS
            continue
        parse = OPTIONS[option][0]
        try:
            values[option] = parse(text)
        except ValueError:
            problems.append(f"{origin}: expected {parse.__name__}, got {text!r}")
    return values, problems


def _range_problems(config: SandboxConfig) -> list[str]:
    checks = [
        (0 < config.port < 65536, f"port must be 1-65535, got {config.port}"),
        (config.orgs >= 1, f"orgs must be at least 1, got {config.orgs}"),
        (config.workspaces >= 1, f"workspaces must be at least 1, got {config.workspaces}"),
        (config.rate >= 0, f"rate must not be negative, got {config.rate}"),
        (0 <= config.failure_ratio <= 1, f"failure-ratio must be 0-1, got {config.failure_ratio}"),
        (
            0 <= config.api_call_ratio < 1,
            f"api-call-ratio must be at least 0 and below 1, got {config.api_call_ratio}",
        ),
        (bool(config.token), "token must not be empty"),
        (
            0 <= config.history_days <= MAX_HISTORY_DAYS,
            f"history-days must be 0-{MAX_HISTORY_DAYS}, got {config.history_days}",
        ),
        (
            0 <= config.history_rate <= MAX_HISTORY_RATE,
            f"history-rate must be 0-{MAX_HISTORY_RATE:g}, got {config.history_rate}",
        ),
        (0 <= config.late_ratio <= 1, f"late-ratio must be 0-1, got {config.late_ratio}"),
        (
            0 <= config.lateness_seconds <= 86_400,
            f"lateness-seconds must be 0-86400, got {config.lateness_seconds}",
        ),
        (
            0 <= config.boundary_cluster <= 1,
            f"boundary-cluster must be 0-1, got {config.boundary_cluster}",
        ),
    ]
    return [message for ok, message in checks if not ok]


def load_config(argv: Sequence[str], environ: Mapping[str, str]) -> SandboxConfig:
    """Build the config from the command line and the environment, reporting all problems."""
    args = build_parser().parse_args(list(argv))
    values, problems = _parse_values(_raw_values(args, environ))
    fields = {key.replace("-", "_"): value for key, value in values.items() if key != "no-stream"}
    if "no-stream" in values:
        fields["stream"] = not values["no-stream"]
    config = SandboxConfig(**fields)
    problems += _range_problems(config)
    if problems:
        raise ConfigError("invalid sandbox settings:\n  " + "\n  ".join(problems))
    return config
