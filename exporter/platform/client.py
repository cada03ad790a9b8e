"""HTTP client of the MechaMental platform: Bearer auth, paging, timeouts, retries, accounting.

It raises the exceptions of `exporter.platform.errors` (all `PlatformError`).
Connection errors, timeouts, 429 and 5xx are retried with exponential backoff and jitter;
a 429 (or 503) waits `details.retry_after` / `Retry-After` seconds instead, and a 429 holds back
every request of the process through the shared `Throttle`. A 401 holds back every request
through the `ServiceToken` until the token changes (see `exporter.platform.token`). Each attempt
must deliver its whole answer within the timeout and within `max_response_bytes`
(`exporter.platform.body`); lists are checked page by page (`exporter.platform.lists`). Every
HTTP attempt is counted by endpoint template and status code (`error` when no whole answer came).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import requests

from exporter.platform import api
from exporter.platform.body import Answer, read_answer
from exporter.platform.errors import (
    STATUS_ERRORS,
    Cancelled,
    MalformedResponse,
    PlatformError,
    PlatformHTTPError,
    PlatformTimeout,
    PlatformUnavailable,
    ResponseTooLarge,
    ServerError,
)
from exporter.platform.lists import ListCheck, Page, parse_items, read_page
from exporter.platform.throttle import Throttle, ThrottleCancelled
from exporter.platform.token import ServiceToken

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
        self._session = session
        self._policy = policy or RequestPolicy()
        self._throttle = throttle or Throttle()
        self._clock = self._throttle.clock  # one clock for every wait and deadline
        self._token = ServiceToken(
            target.token,
            target.token_file,
            retry_interval=self._policy.auth_retry_interval,
            clock=self._clock,
        )

    def get(self, endpoint: api.Endpoint, path: str, params: Params) -> Any:
        """GET one path with retries; the decoded JSON body of a 2xx answer."""
        failure: PlatformError = PlatformUnavailable(f"{path}: no attempt made")
        delay = 0.0
        for attempt in range(self._policy.max_retries + 1):
            if delay > 0:
                self._pause(delay)
            answer = self._send(endpoint, path, params)
            if isinstance(answer, PlatformError):
                failure = answer
                delay = self._policy.backoff(attempt, self._throttle.rng)
                continue
            if answer.status == 429 or answer.status >= 500:
                failure = self._error(answer, path)
                # After a 429 the shared throttle does the waiting.
                backoff = self._policy.backoff(attempt, self._throttle.rng)
                delay = 0.0 if answer.status == 429 else answer.retry_after() or backoff
                continue
            if answer.status >= 400:
                raise self._error(answer, path)
            return _decode(answer, path)
        raise failure

    def _send(self, endpoint: api.Endpoint, path: str, params: Params) -> Answer | PlatformError:
        """One attempt with the current token; once more at once if a refused token was renewed."""
        token = self._token.current(path)
        answer = self._attempt(endpoint, path, params, token)
        if isinstance(answer, Answer) and answer.status == 401 and self._token.refused(token, path):
            token = self._token.current(path)
            answer = self._attempt(endpoint, path, params, token)
            if isinstance(answer, Answer) and answer.status == 401:
                self._token.refused(token, path)  # the renewed token too: hold back from now on
        if isinstance(answer, Answer) and answer.status < 400:
            self._token.accepted(token)
        return answer

    def _attempt(
        self, endpoint: api.Endpoint, path: str, params: Params, token: str
    ) -> Answer | PlatformError:
        """One HTTP request through the throttle: the whole answer, or why there was none."""
        try:
            probe = self._throttle.acquire()
        except ThrottleCancelled:
            raise Cancelled("the exporter is stopping") from None
        try:
            answer = self._exchange(path, params, token)
        except PlatformUnavailable as error:  # timeouts included
            self.counter.add(endpoint.template, "error")
            self._throttle.release(probe, None)
            return error
        except ResponseTooLarge as error:
            self.counter.add(endpoint.template, str(error.status))
            self._throttle.release(probe, None)
            raise
        except BaseException:
            self._throttle.release(probe, None)  # a probe that never reports would stall everyone
            raise
        self.counter.add(endpoint.template, str(answer.status))
        self._throttle.release(probe, self._refusal_wait(answer))
        return answer

    def _exchange(self, path: str, params: Params, token: str) -> Answer:
        """Request and read the whole answer before the deadline, within the size cap."""
        timeout = self._policy.timeout
        deadline = self._clock() + timeout
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        try:
            response = self._session.get(
                self.base_url + path, params=params, headers=headers, timeout=timeout, stream=True
            )
        except requests.Timeout as error:
            raise PlatformTimeout(f"{path}: no answer within {timeout} s ({error})") from None
        except requests.RequestException as error:
            raise PlatformUnavailable(f"{path}: {error}") from None
        with response:
            return read_answer(
                response, path, self._policy.max_response_bytes, deadline, self._clock
            )

    def _refusal_wait(self, answer: Answer) -> float | None:
        """How long a 429 holds every request back; None for any other answer."""
        if answer.status != 429:
            return None
        wait = answer.retry_after()
        return self._policy.backoff(0, self._throttle.rng) if wait is None else wait

    @staticmethod
    def _error(answer: Answer, path: str) -> PlatformHTTPError:
        status = answer.status
        error_class = STATUS_ERRORS.get(status, ServerError if status >= 500 else PlatformHTTPError)
        return error_class(status, path, answer.json())

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
        """One page of a list, unchecked (the maximum limit unless told otherwise)."""
        query = dict(params or {})
        query[api.LIMIT_PARAM] = str(limit or endpoint.max_limit)
        if cursor is not None:
            query[api.CURSOR_PARAM] = cursor
        path = endpoint.path(**ids)
        return read_page(self.get(endpoint, path, query), endpoint, path)

    def pages(
        self,
        endpoint: api.Endpoint,
        ids: Params,
        params: Params | None = None,
        *,
        limit: int | None = None,
    ) -> Iterator[Page]:
        """Every page of a list, items seen before removed, checked by `ListCheck`; at `limit`
        items a page (at most the list's maximum, which is the default)."""
        size = min(limit or endpoint.max_limit, endpoint.max_limit)
        check = ListCheck(endpoint, endpoint.path(**ids), size, self._policy.max_pages)
        cursor: str | None = None
        while True:
            page = self.page(endpoint, ids, params, limit=size, cursor=cursor)
            yield check.admit(page)
            if not page.has_more:
                check.finish()
                return
            cursor = check.next_cursor(page)

    def records(
        self,
        endpoint: api.Endpoint,
        ids: Params,
        parse: Callable[[Any], T],
        params: Params | None = None,
        *,
        limit: int | None = None,
    ) -> list[T]:
        """Every distinct item of a checked list, each read by `parse` (see `platform_api`)."""
        records: list[T] = []
        for page in self.pages(endpoint, ids, params, limit=limit):
            records.extend(parse_items(page.items, parse, endpoint))
        return records

    def count_items(self, endpoint: api.Endpoint, ids: Params, *, limit: int | None = None) -> int:
        """The number of distinct items of a checked list (one request when it fits a page)."""
        return sum(len(page.items) for page in self.pages(endpoint, ids, limit=limit))

    def count(self, endpoint: api.Endpoint, ids: Params, params: Params | None = None) -> int:
        """The `total` of a page of one: one request, but unverifiable, so an estimate only."""
        return self.page(endpoint, ids, params, limit=1).total


def _decode(answer: Answer, path: str) -> Any:
    """The JSON body of a successful answer; MalformedResponse saying what came instead."""
    body = answer.json()
    if body is None:
        raise MalformedResponse(
            f"{path} answered {answer.status} with a body that is not JSON: {answer.describe()}"
        )
    return body
