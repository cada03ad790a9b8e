"""What makes a paged list trustworthy, checked page by page; a list that fails is refused.

What the exporter verifies, for every list it pages:
- a page holds at most the `limit` asked for (a longer one is refused, so memory per page is
  bounded by the limit as well as by the body cap);
- an item already seen on an earlier page is dropped and the repeats are logged: paging that
  restarts a little early (`page_repeat`) costs requests but no wrong numbers;
- `has_more` on an empty page, a cursor that does not change, or more pages than twice what
  `total` needs at the page size served (plus one) end the list with PagingError, so a cursor
  that never ends costs at most that many requests;
- at the end the distinct items must number exactly the `total` of the last page, or the list
  is refused with ListMismatch. Skipped items and a wrong `total` look the same from outside,
  so neither is ever published: the caller keeps its last good values.

What it cannot verify: a `total` read from a page of one (`PlatformClient.count`) is not
checked against anything, so it only sizes work (the activity poller's window bisection). Every
published count is a number of distinct items paged and checked as above; for a list that fits
in one page this costs the same single request as `limit=1`, otherwise one request per page.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from exporter.platform import api
from exporter.platform.errors import ListMismatch, MalformedResponse, PagingError, ResponseTooLarge

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    """One page of a list."""

    items: list[Any]
    total: int
    has_more: bool
    next_cursor: str | None


class ListCheck:
    """The checks of one list read page by page at one limit."""

    def __init__(self, endpoint: api.Endpoint, path: str, limit: int, max_pages: int) -> None:
        self._endpoint = endpoint
        self._path = path
        self._limit = limit
        self._max_pages = max_pages
        self._seen: set[str] = set()
        self._cursors: set[str] = set()
        self._repeated = 0
        self._pages = 0
        self._total = 0
        self._page_size = limit

    def admit(self, page: Page) -> Page:
        """The page with items seen before removed; raises when the page cannot be right."""
        if len(page.items) > self._limit:
            raise ResponseTooLarge(
                f"{self._path}: a page of {len(page.items)} items for limit {self._limit}"
            )
        self._pages += 1
        self._total = page.total
        if self._pages == 1 and page.has_more:
            # A platform may serve fewer items than asked for; the page bound follows its size.
            self._page_size = max(1, len(page.items))
        if page.has_more and not page.items:
            raise PagingError(f"{self._path}: an empty page says has_more (a cursor without end)")
        fresh = []
        for item in page.items:
            try:
                key = api.item_id(item, self._endpoint.id_key)
            except api.RecordError as error:
                raise MalformedResponse(f"{self._path}: {error}") from None
            if key in self._seen:
                self._repeated += 1
            else:
                self._seen.add(key)
                fresh.append(item)
        return replace(page, items=fresh)

    def next_cursor(self, page: Page) -> str:
        """The cursor of the next page; PagingError when it does not advance or is one too many."""
        cursor = page.next_cursor
        if cursor is None or cursor in self._cursors:
            raise PagingError(f"{self._path}: cursor {cursor!r} does not advance")
        self._cursors.add(cursor)
        needed = math.ceil(max(self._total, 1) / self._page_size)
        bound = min(self._max_pages, 2 * needed + 1)
        if self._pages >= bound:
            raise PagingError(
                f"{self._path}: more than {bound} pages for a total of {self._total} at "
                f"{self._page_size} a page (a cursor without end)"
            )
        return cursor

    def finish(self) -> None:
        """After the last page: ListMismatch unless the distinct items number `total`."""
        if self._repeated:
            log.warning(
                "%s: the platform repeated items across pages (%d repeats); each counts once",
                self._path,
                self._repeated,
            )
        if len(self._seen) != self._total:
            raise ListMismatch(
                f"{self._path}: {len(self._seen)} distinct items listed but total says "
                f"{self._total} (items skipped or a wrong total); the list is refused"
            )


def read_page(body: Any, endpoint: api.Endpoint, path: str) -> Page:
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


def parse_items(items: list[Any], parse: Callable[[Any], T], endpoint: api.Endpoint) -> list[T]:
    """Items read by `parse`; a bad item makes the whole answer malformed."""
    try:
        return [parse(item) for item in items]
    except api.RecordError as error:
        raise MalformedResponse(f"{endpoint.template}: {error}") from None
