"""Fault injection on the platform endpoints, switchable at run time through `/_sandbox/faults`.

`PUT` merges settings (null resets one), `DELETE` clears them all, `GET` shows them. Every mode
acts only on platform requests whose path matches the `paths` regular expression (all when unset).
Rates are rolled with a seeded generator, so a run with the same seed and the same requests sees
the same faults; every other mode is deterministic.

Transport and status faults:
- `latency_ms`, `hang_ms`: stall each answer this long (a hang beyond a client's timeout).
- `error_rate`: share answered 500 `INTERNAL_SERVER_ERROR`.
- `rate_limit` `{"rate", "retry_after"}`: share answered 429 with `Retry-After`.
- `token_expiry`: the next N requests are served, every later one is 401 `AUTHENTICATION_FAILED`
  (as if the service token expired) until the faults are cleared or the token is renewed through
  `PUT /_sandbox/token {"token": ...}`; from then on only the new token is accepted (until the
  process restarts with its configured token).

Body faults:
- `malformed_rate`: share of 200 bodies cut in half (never valid JSON).
- `wrong_content_type`: share answered 200 `text/html` with a proxy's HTML error page.
- `slow_drip_ms`: every body (any status) is sent `body_faults.DRIP_CHUNK_BYTES` at a time with
  this delay between chunks, so a large body takes far longer than a client's per-read timeout.

Paging faults (on every list, the activity list included):
- `page_repeat`: each follow-on page starts this many items early, repeating the previous page's
  last items (at most `limit` - 1, so paging still ends; every item still appears).
- `page_skip`: each follow-on page starts this many items late; the skipped items never appear.
- `endless_cursor`: `has_more` stays true and `next_cursor` changes on every page; past the real
  end the pages are empty.
- `total_mismatch`: added to `total` (never below 0) while the items and paging stay honest.
- `huge_page` `{"factor", "padding_bytes"}`: 200 pages `factor` × `limit` long, the page's real
  items repeated (paging moves on honestly), and `padding_bytes` of whitespace after the document
  (still the same JSON, but a body of many MB).
- `vanish_workspace`: that workspace is deleted once its org's workspaces list was served.
"""

from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sandbox.errors import InternalServerError, PlatformError, RateLimited

Ratio = Annotated[float, Field(ge=0.0, le=1.0)]
Milliseconds = Annotated[float, Field(ge=0.0, le=600_000.0)]
ItemCount = Annotated[int, Field(ge=0, le=10_000)]


class RateLimitFault(BaseModel):
    """A share of requests answered 429, telling the client to wait `retry_after` seconds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rate: Ratio = 1.0
    retry_after: Annotated[float, Field(ge=0.0, le=3600.0)] = 1.0


class HugePageFault(BaseModel):
    """Pages `factor` times `limit` long and `padding_bytes` of whitespace after the document."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    factor: Annotated[int, Field(ge=1, le=1000)] = 10
    padding_bytes: Annotated[int, Field(ge=0, le=64 * 2**20)] = 0


class Faults(BaseModel):
    """The faults in force; all off by default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_ms: Milliseconds = 0.0
    error_rate: Ratio = 0.0
    rate_limit: RateLimitFault | None = None
    hang_ms: Milliseconds = 0.0
    malformed_rate: Ratio = 0.0
    vanish_workspace: str | None = None
    page_repeat: ItemCount = 0
    page_skip: ItemCount = 0
    endless_cursor: bool = False
    total_mismatch: Annotated[int, Field(ge=-1_000_000, le=1_000_000)] = 0
    huge_page: HugePageFault | None = None
    slow_drip_ms: Annotated[float, Field(ge=0.0, le=60_000.0)] = 0.0
    wrong_content_type: Ratio = 0.0
    token_expiry: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
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
class PageFaults:
    """What the faults do to one list page."""

    repeat: int = 0
    skip: int = 0
    endless: bool = False
    total_offset: int = 0
    factor: int = 1


@dataclass(frozen=True)
class BodyFaults:
    """What the faults do to one response body."""

    malformed: bool = False
    html: bool = False
    padding_bytes: int = 0
    drip_seconds: float = 0.0


@dataclass(frozen=True)
class Decision:
    """What the faults do to one request."""

    delay_seconds: float = 0.0
    error: PlatformError | None = None
    expired: bool = False
    page: PageFaults = field(default_factory=PageFaults)
    body: BodyFaults = field(default_factory=BodyFaults)

    def enact(self) -> None:
        """Stall, then raise the injected error if there is one."""
        if self.delay_seconds > 0:
            time.sleep(self.delay_seconds)
        if self.error is not None:
            raise self.error


NO_FAULTS = Decision()


def _page_faults(faults: Faults) -> PageFaults:
    return PageFaults(
        repeat=faults.page_repeat,
        skip=faults.page_skip,
        endless=faults.endless_cursor,
        total_offset=faults.total_mismatch,
        factor=faults.huge_page.factor if faults.huge_page is not None else 1,
    )


class FaultInjector:
    """Holds the faults in force and rolls them for each platform request."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"faults-{seed}")  # noqa: S311 - reproducible, not secret
        self._lock = threading.Lock()
        self._faults = Faults()
        self._requests_before_expiry: int | None = None

    def current(self) -> Faults:
        """The faults in force."""
        with self._lock:
            return self._faults

    def update(self, changes: dict[str, Any]) -> Faults:
        """Merge `changes` (already validated keys of `Faults`; null resets a key); a given
        `token_expiry` starts its countdown afresh."""
        with self._lock:
            merged = {**self._faults.model_dump(), **changes}
            merged = {key: value for key, value in merged.items() if value is not None}
            self._faults = Faults.model_validate(merged)
            if "token_expiry" in changes:
                self._requests_before_expiry = self._faults.token_expiry
            return self._faults

    def clear(self) -> None:
        """Switch every fault off."""
        with self._lock:
            self._faults = Faults()
            self._requests_before_expiry = None

    def end_token_expiry(self) -> None:
        """Stop refusing the token (it was renewed)."""
        with self._lock:
            self._faults = self._faults.model_copy(update={"token_expiry": None})
            self._requests_before_expiry = None

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
                return NO_FAULTS
            error = self._roll_error(faults)
            body = BodyFaults(
                malformed=self._rng.random() < faults.malformed_rate,
                html=self._roll(faults.wrong_content_type),
                padding_bytes=faults.huge_page.padding_bytes if faults.huge_page else 0,
                drip_seconds=faults.slow_drip_ms / 1000.0,
            )
            expired = self._count_towards_expiry()
        return Decision(
            delay_seconds=(faults.latency_ms + faults.hang_ms) / 1000.0,
            error=error,
            expired=expired,
            page=_page_faults(faults),
            body=body,
        )

    def _roll(self, rate: float) -> bool:
        # No draw for a fault that is off, so switching one on leaves the others' sequence alone.
        return rate > 0 and self._rng.random() < rate

    def _roll_error(self, faults: Faults) -> PlatformError | None:
        limit = faults.rate_limit
        if limit is not None and self._rng.random() < limit.rate:
            return RateLimited(limit.retry_after)
        if self._rng.random() < faults.error_rate:
            return InternalServerError()
        return None

    def _count_towards_expiry(self) -> bool:
        """Whether the token has expired, counting this request as one more served with it."""
        if self._requests_before_expiry is None:
            return False
        if self._requests_before_expiry == 0:
            return True
        self._requests_before_expiry -= 1
        return False
