"""HTTP client of the MechaMental platform: Bearer auth, paging, timeouts, retries, accounting.

It raises the exceptions of `exporter.platform_errors` (all `PlatformError`).
Connection errors, timeouts, 429 and 5xx are retried with exponential backoff and jitter;
a 429 (or 503) waits `details.retry_after` / `Retry-After` seconds instead, and a 429 holds back
every request of the process through the shared `Throttle`. A 401 holds back every request
through the `ServiceToken` until the token changes (see `exporter.platform_token`). Each attempt
must deliver its whole answer within the timeout and within `max_response_bytes`
(`exporter.platform_body`); lists are checked page by page (`exporter.platform_lists`). Every
HTTP attempt is counted by endpoint template and status code (`error` when no whole answer came).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import requests

from exporter import platform_api as api
from exporter.platform_body import Answer, read_answer
from exporter.platform_errors import (
    STATUS_ERRORS,
    Cancelled,
    MalformedResponse,
    PlatformError,
    PlatformHTTPError,
    PlatformTimeout,
    PlatformUnavailable,
    ServerError,
)
from exporter.platform_lists import ListCheck, Page
from exporter.platform_token import ServiceToken
from exporter.throttle import Throttle, ThrottleCancelled

T = TypeVar("T")
Params = Mapping[str, str]


@dataclass(frozen=True)
class PlatformTarget:
    """Where the platform is and the service token to present (re-read from `token_file`,
    when given, after the platform refuses it)."""

    base_url: str
    token: str
    token_file: Path | None = None


@dataclass(frozen=True)
class RequestPolicy:
    """Timeout (of a whole answer), retries, body cap, page bound and hold-back after a 401."""

    timeout: float = 10.0
    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    max_pages: int = 10_000
    max_response_bytes: int = 8 * 2**20
    auth_retry_interval: float = 60.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Exponential delay before retry number `attempt` (0-based), half of it jittered."""
        delay = min(self.backoff_max, self.backoff_base * 2**attempt)
        return delay / 2 + rng.uniform(0, delay / 2)


class RequestCounter:
    """Platform requests by endpoint template and status code, safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()

    def add(self, endpoint: str, code: str) -> None:
        """Count one request."""
        with self._lock:
            self._counts[(endpoint, code)] += 1

    def snapshot(self) -> dict[tuple[str, str], int]:
        """The counts so far."""
        with self._lock:
            return dict(self._counts)


def _retry_after(answer: Answer) -> float | None:
    """Seconds the platform asks to wait, from `details.retry_after` or `Retry-After`."""
    body = answer.json()
    details = body.get(api.ERROR_DETAILS_KEY) if isinstance(body, dict) else None
    candidates = [details.get(api.RETRY_AFTER_DETAIL) if isinstance(details, dict) else None]
    candidates.append(answer.headers.get("Retry-After"))
    for value in candidates:
        try:
            seconds = float(value) if value is not None else None
        except (TypeError, ValueError):
            continue  # an HTTP-date Retry-After; the details field is preferred anyway
        if seconds is not None and seconds >= 0:
            return seconds
    return None


class PlatformClient:
    """Reads lists from the platform on an injected `requests.Session`."""

    def __init__(
        self,
        target: PlatformTarget,
        session: requests.Session,
        policy: RequestPolicy | None = None,
        *,
        counter: RequestCounter | None = None,
        throttle: Throttle | None = None,
    ) -> None:
        self.base_url = target.base_url.rstrip("/")
        self.counter = counter or RequestCounter()
        self._headers = {"Authorization": f"Bearer {target.token}", "Accept": "application/json"}
        self._session = session
        self._policy = policy or RequestPolicy()
        self._throttle = throttle or Throttle()

    def get(self, endpoint: api.Endpoint, path: str, params: Params) -> Any:
        """GET one path with retries; the decoded JSON body of a 2xx answer."""
        failure: PlatformError = PlatformUnavailable(f"{path}: no attempt made")
        delay = 0.0
        for attempt in range(self._policy.max_retries + 1):
            if delay > 0:
                self._pause(delay)
            response = self._attempt(endpoint, path, params)
            if isinstance(response, PlatformError):
                failure = response
                delay = self._policy.backoff(attempt, self._throttle.rng)
                continue
            status = response.status_code
            if status == 429 or status >= 500:
                failure = self._error(response, path)
                requested = _retry_after(response, _json(response))
                # After a 429 the shared throttle does the waiting.
                backoff = self._policy.backoff(attempt, self._throttle.rng)
                delay = 0.0 if status == 429 else requested or backoff
                continue
            if status >= 400:
                raise self._error(response, path)
            return self._decode(response, path)
        raise failure

    def _attempt(
        self, endpoint: api.Endpoint, path: str, params: Params
    ) -> requests.Response | PlatformError:
        """One HTTP request through the throttle: the response, or why there was none."""
        try:
            probe = self._throttle.acquire()
        except ThrottleCancelled:
            raise Cancelled("the exporter is stopping") from None
        try:
            timeout = self._policy.timeout
            response = self._session.get(
                self.base_url + path, params=params, headers=self._headers, timeout=timeout
            )
        except requests.RequestException as error:
            self.counter.add(endpoint.template, "error")
            self._throttle.release(probe, None)
            if isinstance(error, requests.Timeout):
                return PlatformTimeout(f"{path}: no answer within {timeout} s ({error})")
            return PlatformUnavailable(f"{path}: {error}")
        except BaseException:
            self._throttle.release(probe, None)  # a probe that never reports would stall everyone
            raise
        self.counter.add(endpoint.template, str(response.status_code))
        self._throttle.release(probe, self._refusal_wait(response))
        return response

    def _refusal_wait(self, response: requests.Response) -> float | None:
        """How long a 429 holds every request back; None for any other answer."""
        if response.status_code != 429:
            return None
        wait = _retry_after(response, _json(response))
        return self._policy.backoff(0, self._throttle.rng) if wait is None else wait

    @staticmethod
    def _error(response: requests.Response, path: str) -> PlatformHTTPError:
        status = response.status_code
        error_class = STATUS_ERRORS.get(status, ServerError if status >= 500 else PlatformHTTPError)
        return error_class(status, path, _json(response))

    @staticmethod
    def _decode(response: requests.Response, path: str) -> Any:
        body = _json(response)
        if body is None:
            raise MalformedResponse(
                f"{path} answered {response.status_code} with a body that is not JSON"
            )
        return body

    def _pause(self, seconds: float) -> None:
        try:
            self._throttle.pause(seconds)
        except ThrottleCancelled:
            raise Cancelled("the exporter is stopping") from None

    def page(
        self,
        endpoint: api.Endpoint,
        ids: Params,
        params: Params | None = None,
        *,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page:
        """One page of a list (the maximum limit unless told otherwise)."""
        query = dict(params or {})
        query[api.LIMIT_PARAM] = str(limit or endpoint.max_limit)
        if cursor is not None:
            query[api.CURSOR_PARAM] = cursor
        path = endpoint.path(**ids)
        return _page(self.get(endpoint, path, query), endpoint, path)

    def pages(
        self, endpoint: api.Endpoint, ids: Params, params: Params | None = None
    ) -> Iterator[Page]:
        """Every page of a list at the maximum limit, bounded against a cursor that never ends."""
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(self._policy.max_pages):
            page = self.page(endpoint, ids, params, cursor=cursor)
            yield page
            if not page.has_more:
                return
            cursor = page.next_cursor
            if cursor is None or cursor in seen:
                raise PagingError(f"{endpoint.template}: cursor {cursor!r} does not advance")
            seen.add(cursor)
        raise PagingError(f"{endpoint.template}: more than {self._policy.max_pages} pages")

    def records(
        self,
        endpoint: api.Endpoint,
        ids: Params,
        parse: Callable[[Any], T],
        params: Params | None = None,
    ) -> list[T]:
        """Every item of a list, each read by `parse` (see `platform_api`)."""
        records: list[T] = []
        for page in self.pages(endpoint, ids, params):
            records.extend(parse_items(page.items, parse, endpoint))
        return records

    def count(self, endpoint: api.Endpoint, ids: Params, params: Params | None = None) -> int:
        """The length of a list in one request: `total` of a page of one."""
        return self.page(endpoint, ids, params, limit=1).total


def parse_items(items: list[Any], parse: Callable[[Any], T], endpoint: api.Endpoint) -> list[T]:
    """Items read by `parse`; a bad item makes the whole answer malformed."""
    try:
        return [parse(item) for item in items]
    except api.RecordError as error:
        raise MalformedResponse(f"{endpoint.template}: {error}") from None


def _page(body: Any, endpoint: api.Endpoint, path: str) -> Page:
    """The list envelope of a body, checked."""
    if not isinstance(body, dict):
        raise MalformedResponse(f"{path}: the body is not a JSON object")
    items = body.get(endpoint.items_key)
    total = body.get(api.TOTAL_KEY)
    has_more = body.get(api.HAS_MORE_KEY)
    cursor = body.get(api.NEXT_CURSOR_KEY)
    problems = []
    if not isinstance(items, list):
        problems.append(f"no {endpoint.items_key!r} list")
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        problems.append(f"{api.TOTAL_KEY!r} is {total!r}")
    if not isinstance(has_more, bool):
        problems.append(f"{api.HAS_MORE_KEY!r} is {has_more!r}")
    if cursor is not None and not isinstance(cursor, str):
        problems.append(f"{api.NEXT_CURSOR_KEY!r} is {cursor!r}")
    if problems:
        raise MalformedResponse(f"{path}: " + "; ".join(problems))
    assert isinstance(items, list) and isinstance(total, int) and isinstance(has_more, bool)
    return Page(items, total, has_more, cursor)
