"""`Last-Modified`: the time of the answer's data, as an HTTP date.

The time is the body's `updated_at` when it has one; otherwise the oldest last success of the
exporter collectors the answer was read from (what `updated_at` would be), noted by the reader
while the answer is built. Caching headers derived from the same time belong here too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from werkzeug.http import http_date
from werkzeug.wrappers import Response

LAST_MODIFIED = "Last-Modified"
_DATA_TIME: ContextVar[float | None] = ContextVar("data_time", default=None)


@contextmanager
def answering() -> Iterator[None]:
    """The scope of one answer: data times noted inside it belong to it alone."""
    token = _DATA_TIME.set(None)
    try:
        yield
    finally:
        _DATA_TIME.reset(token)


def note(at: float) -> None:
    """Record that the answer being built reads data as of `at` (unix seconds); oldest wins."""
    current = _DATA_TIME.get()
    _DATA_TIME.set(at if current is None else min(current, at))


def data_time() -> float | None:
    """The oldest data time noted for the answer being built, if any."""
    return _DATA_TIME.get()


def stamp(response: Any, body: Any) -> Any:
    """`response` with `Last-Modified`, when its data time is known."""
    updated_at = getattr(body, "updated_at", None)
    noted = _DATA_TIME.get()
    if isinstance(updated_at, str):
        when = datetime.fromisoformat(updated_at)
    elif noted is not None:
        when = datetime.fromtimestamp(noted, UTC)
    else:
        return response
    if isinstance(response, Response):
        response.headers[LAST_MODIFIED] = http_date(when)
    return response
