"""The details of an execution record: app, pipeline, error, status, duration and tokens.

Every field is optional on the platform (`null` or missing means "none"). A detail of the wrong
type, or a negative count, is dropped on its own and logged: the execution still counts, so a
platform that sends one odd field never loses an execution.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)
APP_KEY = "app_id"
AUGMENTATION_KEY = "augmentation_id"
ERROR_CODE_KEY = "error_code"
STATUS_CODE_KEY = "status_code"
DURATION_KEY = "duration_ms"
TOKENS_KEY = "token_usage"


@dataclass(frozen=True)
class ExecutionDetails:
    """What an execution record says besides success; None (or no tokens) when absent."""

    app_id: str | None = None
    augmentation_id: str | None = None
    error_code: str | None = None
    status_code: int | None = None
    duration_ms: int | None = None
    tokens: tuple[tuple[str, int], ...] = ()  # (kind, count), kinds sorted


NO_DETAILS = ExecutionDetails()


def _text(item: Mapping[str, Any], key: str, dropped: list[str]) -> str | None:
    value = item.get(key)
    if value is None or (isinstance(value, str) and value):
        return value
    dropped.append(f"{key}={value!r}")
    return None


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _number(item: Mapping[str, Any], key: str, dropped: list[str]) -> int | None:
    value = item.get(key)
    if value is None or _count(value):
        return value
    dropped.append(f"{key}={value!r}")
    return None


def _tokens(item: Mapping[str, Any], dropped: list[str]) -> tuple[tuple[str, int], ...]:
    usage = item.get(TOKENS_KEY)
    if usage is None:
        return ()
    if not isinstance(usage, Mapping):
        dropped.append(f"{TOKENS_KEY}={usage!r}")
        return ()
    kept = []
    for kind, count in usage.items():
        if isinstance(kind, str) and kind and _count(count):
            kept.append((kind, count))
        else:
            dropped.append(f"{TOKENS_KEY}[{kind!r}]={count!r}")
    return tuple(sorted(kept))


def execution_details(item: Mapping[str, Any], record_id: str) -> ExecutionDetails:
    """The details of an activity item; malformed ones are dropped and logged."""
    dropped: list[str] = []
    details = ExecutionDetails(
        app_id=_text(item, APP_KEY, dropped),
        augmentation_id=_text(item, AUGMENTATION_KEY, dropped),
        error_code=_text(item, ERROR_CODE_KEY, dropped),
        status_code=_number(item, STATUS_CODE_KEY, dropped),
        duration_ms=_number(item, DURATION_KEY, dropped),
        tokens=_tokens(item, dropped),
    )
    if dropped:
        log.warning(
            "activity record %s: dropped malformed details %s", record_id, ", ".join(dropped)
        )
    return details
