"""Answers kept until the next collection, shared by identical requests of one principal.

The numbers behind an answer change only when the exporter collects and Prometheus scrapes,
so an answer is kept for the seconds left until the next collection: the collection interval
minus how far "now" is past the last collection the answer was read from (its data time, see
`facade.last_modified`). An answer is therefore never kept longer than one interval, and an
answer without a data time is kept one interval.

Entries are keyed by the principal (its org and permissions), the path, the query string and
the representation, so nothing crosses orgs or callers; errors are never kept. Concurrent
identical requests wait for the first one's answer (one store query). Each worker process
keeps its own entries: a shared store would cost a round trip of the order of the store query
it saves.

Every kept answer carries an `ETag` and `Cache-Control: private, max-age=<seconds left>`;
`If-None-Match` with that tag gets 304, and bodies of at least `GZIP_MIN_BYTES` are sent
gzip-compressed to clients that accept it.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

Clock = Callable[[], float]
GZIP_MIN_BYTES = 512
MAX_ENTRIES = 10_000  # beyond this, expired entries are dropped before one more is kept
_KEPT_HEADERS = ("Content-Type", "Last-Modified", "Vary")


@dataclass
class Entry:
    """One kept answer: its body, the headers it was sent with, and until when it holds."""

    body: bytes
    headers: list[tuple[str, str]]
    expires: float
    etag: str = ""
    _gzipped: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.etag = hashlib.blake2b(self.body, digest_size=12).hexdigest()

    def gzipped(self) -> bytes:
        """The body gzip-compressed (computed once)."""
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, compresslevel=5, mtime=0)
        return self._gzipped


def seconds_left(interval: float, now: float, data_time: float | None) -> float:
    """Seconds until the next collection after `data_time`, in (0, interval]."""
    if data_time is None or data_time > now:
        return interval
    return interval - (now - data_time) % interval


class ResponseCache:
    """Kept answers of one worker process, each for at most `interval` seconds."""

    def __init__(self, interval: float, clock: Clock) -> None:
        self.interval = interval
        self.clock = clock
        self._entries: dict[Hashable, Entry] = {}
        self._building: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def _fresh(self, key: Hashable) -> Entry | None:
        entry = self._entries.get(key)
        return entry if entry is not None and entry.expires > self.clock() else None

    def answer(
        self, key: Hashable, build: Callable[[], Response], data_time: Callable[[], float | None]
    ) -> Entry | Response:
        """The kept answer of `key`, or `build()`'s (kept when it is a 200)."""
        entry = self._fresh(key)
        if entry is not None:
            return entry
        with self._guard:
            lock = self._building.setdefault(key, threading.Lock())
        try:
            with lock:
                return self._fresh(key) or self._built(key, build(), data_time)
        finally:
            with self._guard:
                self._building.pop(key, None)

    def _built(
        self, key: Hashable, response: Response, data_time: Callable[[], float | None]
    ) -> Entry | Response:
        if response.status_code != 200 or response.is_streamed:
            return response
        now = self.clock()
        entry = Entry(
            response.get_data(),
            [(name, value) for name, value in response.headers if name in _KEPT_HEADERS],
            now + seconds_left(self.interval, now, data_time()),
        )
        self._keep(key, entry)
        return entry

    def _keep(self, key: Hashable, entry: Entry) -> None:
        with self._guard:
            if len(self._entries) >= MAX_ENTRIES:
                now = self.clock()
                for old in [k for k, e in self._entries.items() if e.expires <= now]:
                    del self._entries[old]
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
            self._entries[key] = entry

    def respond(self, entry: Entry, request: Request) -> Response:
        """The response for a kept answer: 304 when the client holds it, gzip when accepted."""
        if request.if_none_match.contains(entry.etag):
            response = Response(status=304, headers=Headers(entry.headers))
        elif len(entry.body) >= GZIP_MIN_BYTES and "gzip" in request.accept_encodings:
            response = Response(entry.gzipped(), headers=Headers(entry.headers))
            response.headers["Content-Encoding"] = "gzip"
        else:
            response = Response(entry.body, headers=Headers(entry.headers))
        response.set_etag(entry.etag)
        response.cache_control.private = True
        response.cache_control.max_age = max(0, math.ceil(entry.expires - self.clock()))
        response.vary.add("Accept-Encoding")
        return response
