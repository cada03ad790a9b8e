"""Fault injection on the platform endpoints, switchable at run time through `/_sandbox/faults`.

Rates are rolled with a seeded generator, so a run with the same seed and the same requests sees
the same faults.
"""

from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sandbox.errors import InternalServerError, RateLimited

Ratio = Annotated[float, Field(ge=0.0, le=1.0)]


class RateLimitFault(BaseModel):
    """A share of requests answered 429, telling the client to wait `retry_after` seconds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rate: Ratio = 1.0
    retry_after: Annotated[float, Field(ge=0.0, le=3600.0)] = 1.0


class Faults(BaseModel):
    """The faults in force; all off by default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_ms: Annotated[float, Field(ge=0.0, le=600_000.0)] = 0.0
    error_rate: Ratio = 0.0
    rate_limit: RateLimitFault | None = None
    hang_ms: Annotated[float, Field(ge=0.0, le=600_000.0)] = 0.0
    malformed_rate: Ratio = 0.0
    vanish_workspace: str | None = None
    paths: str | None = None

    @field_validator("paths")
    @classmethod
    def _paths_compile(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"paths is not a regular expression: {error}") from error
        return value


@dataclass(frozen=True)
class Decision:
    """What the faults do to one request: how long to stall and whether to garble the body."""

    delay_seconds: float
    error: Exception | None
    malformed: bool


class FaultInjector:
    """Holds the faults in force and rolls them for each platform request."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"faults-{seed}")  # noqa: S311 - reproducible, not secret
        self._lock = threading.Lock()
        self._faults = Faults()

    def current(self) -> Faults:
        """The faults in force."""
        with self._lock:
            return self._faults

    def update(self, changes: dict[str, Any]) -> Faults:
        """Merge `changes` (already validated keys of `Faults`; null resets a key)."""
        with self._lock:
            merged = {**self._faults.model_dump(), **changes}
            merged = {key: value for key, value in merged.items() if value is not None}
            self._faults = Faults.model_validate(merged)
            return self._faults

    def clear(self) -> None:
        """Switch every fault off."""
        with self._lock:
            self._faults = Faults()

    def take_vanish(self, workspace_id: str) -> bool:
        """Whether `workspace_id` is the one pending to vanish; it is then no longer pending."""
        with self._lock:
            if self._faults.vanish_workspace != workspace_id:
                return False
            self._faults = self._faults.model_copy(update={"vanish_workspace": None})
            return True

    def decide(self, path: str) -> Decision:
        """Roll the faults for one request to `path`."""
        with self._lock:
            faults = self._faults
            if faults.paths is not None and re.search(faults.paths, path) is None:
                return Decision(0.0, None, malformed=False)
            error: Exception | None = None
            limit = faults.rate_limit
            if limit is not None and self._rng.random() < limit.rate:
                error = RateLimited(limit.retry_after)
            elif self._rng.random() < faults.error_rate:
                error = InternalServerError()
            malformed = self._rng.random() < faults.malformed_rate
        delay = (faults.latency_ms + faults.hang_ms) / 1000.0
        return Decision(delay, error, malformed)

    def apply(self, path: str) -> bool:
        """Stall and raise as the faults say; returns whether the body must be garbled."""
        decision = self.decide(path)
        if decision.delay_seconds > 0:
            time.sleep(decision.delay_seconds)
        if decision.error is not None:
            raise decision.error
        return decision.malformed
