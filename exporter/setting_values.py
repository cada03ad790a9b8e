"""Parsers of single exporter setting values, from YAML or from the environment's text.

Each turns one raw value into its typed value or raises ValueError with a reason an operator
can act on; `exporter.config` names the setting and where the value came from.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from vocabulary.details import LABEL_CAPS

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def number(value: Any) -> float:
    """A finite number (a boolean is not one)."""
    if isinstance(value, bool):
        raise ValueError("must be a number")
    parsed = float(value)
    if not math.isfinite(parsed):
        raise ValueError("must be a finite number")
    return parsed


def positive(value: Any) -> float:
    """A number greater than 0."""
    parsed = number(value)
    if parsed <= 0:
        raise ValueError("must be greater than 0")
    return parsed


def non_negative(value: Any) -> float:
    """A number of 0 or more."""
    parsed = number(value)
    if parsed < 0:
        raise ValueError("must be 0 or more")
    return parsed


def integer(low: int, high: int) -> Callable[[Any], int]:
    """A parser of whole numbers from `low` to `high`."""

    def parse(value: Any) -> int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError("must be a whole number")
        parsed = int(value)
        if not low <= parsed <= high:
            raise ValueError(f"must be between {low} and {high}")
        return parsed

    return parse


def boolean(value: Any) -> bool:
    """A YAML boolean or one of the words of `TRUE_WORDS` and `FALSE_WORDS`."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS | FALSE_WORDS:
        return word in TRUE_WORDS
    raise ValueError("must be true or false")


def text(value: Any) -> str:
    """A non-empty string, without surrounding space."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


def path(value: Any) -> Path:
    """A file system path."""
    return Path(text(value))


def url(value: Any) -> str:
    """An http(s) URL without a trailing slash."""
    parsed = text(value).rstrip("/")
    parts = urlsplit(parsed)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL")
    return parsed


def timestamp(value: Any) -> float:
    """Seconds since the epoch of an ISO-8601 time (a zone-less time is UTC)."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(text(value).replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("must be an ISO-8601 time such as 2025-01-01T00:00:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def listen_address(value: Any) -> str:
    """`host:port` with a port from 1 to 65535."""
    address = text(value)
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError("must be host:port with a port between 1 and 65535")
    return address


def log_level(value: Any) -> str:
    """One of `LOG_LEVELS`, in any case."""
    level = text(value).upper()
    if level not in LOG_LEVELS:
        raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
    return level


def label_caps(value: Any) -> Mapping[str, int]:
    """Caps per capped label, from a mapping or `label=cap,label=cap`; the labels not named
    keep their default cap (`vocabulary.details.LABEL_CAPS`)."""
    if isinstance(value, str):
        pairs = [part.partition("=") for part in value.split(",") if part.strip()]
        if any(not sep for _, sep, _ in pairs):
            raise ValueError(
                "must be label=cap pairs separated by commas, e.g. error_code=20,kind=8"
            )
        value = {name.strip(): cap.strip() for name, _, cap in pairs}
    if not isinstance(value, Mapping):
        raise ValueError("must be a mapping of label to cap or label=cap,label=cap")
    unknown = sorted(str(name) for name in value if name not in LABEL_CAPS)
    if unknown:
        raise ValueError(f"unknown labels {unknown}; capped labels are {sorted(LABEL_CAPS)}")
    caps = dict(LABEL_CAPS)
    for name, cap in value.items():
        try:
            caps[name] = integer(0, 1_000_000)(cap)
        except (ValueError, TypeError):
            raise ValueError(f"the cap of {name} is {cap!r}; must be a whole number >= 0") from None
    return MappingProxyType(caps)
