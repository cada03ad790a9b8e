"""Reading one platform answer whole, with a cap on its size and a deadline on its arrival.

The read timeout of `requests` bounds each read from the socket, not the answer: a body dripped
a few bytes at a time never trips it, and a body of many megabytes would be held in memory
whole. `read_answer` refuses a body over `max_bytes` (by its Content-Length before reading a
byte, else as soon as the bytes read pass the cap) and gives up when the whole answer has not
arrived by `deadline`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
import urllib3

from exporter.platform import api
from exporter.platform.errors import PlatformTimeout, PlatformUnavailable, ResponseTooLarge

CHUNK_BYTES = 64 * 1024
# How much of a body that is not JSON a log line quotes, so the operator sees what came instead.
QUOTED_CHARACTERS = 80


@dataclass(frozen=True)
class Answer:
    """A platform answer read whole: status, headers and body bytes."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The decoded JSON body, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def retry_after(self) -> float | None:
        """Seconds the platform asks to wait, from `details.retry_after` or `Retry-After`."""
        body = self.json()
        details = body.get(api.ERROR_DETAILS_KEY) if isinstance(body, dict) else None
        candidates = [details.get(api.RETRY_AFTER_DETAIL) if isinstance(details, dict) else None]
        candidates.append(self.headers.get("Retry-After"))
        for value in candidates:
            try:
                seconds = float(value) if value is not None else None
            except (TypeError, ValueError):
                continue  # an HTTP-date Retry-After; the details field is preferred anyway
            if seconds is not None and seconds >= 0:
                return seconds
        return None

    def describe(self) -> str:
        """What the body is, for an error message: its content type and first characters."""
        kind = self.headers.get("Content-Type") or "no content type"
        start = self.body[:QUOTED_CHARACTERS].decode("utf-8", errors="replace")
        return f"{kind} body starting {' '.join(start.split())!r}"


def _declared_length(response: requests.Response) -> int | None:
    value = response.headers.get("Content-Length", "")
    return int(value) if value.isdigit() else None


def read_answer(
    response: requests.Response,
    path: str,
    max_bytes: int,
    deadline: float,
    clock: Callable[[], float] = time.monotonic,
) -> Answer:
    """The whole answer of a streamed response; ResponseTooLarge, PlatformTimeout or
    PlatformUnavailable when the body is too big, too slow or breaks off."""
    status = response.status_code
    declared = _declared_length(response)
    if declared is not None and declared > max_bytes:
        raise ResponseTooLarge(
            f"{path} answered {status} with a body of {declared} bytes, over the cap of "
            f"{max_bytes} bytes (max_response_bytes)",
            status,
        )
    chunks: list[bytes] = []
    size = 0
    while True:
        if clock() > deadline:
            raise PlatformTimeout(
                f"{path} answered {status} but its body was still arriving when the request "
                f"timeout ran out ({size} bytes read)"
            )
        chunk = _read_chunk(response, path)
        if not chunk:
            return Answer(status, response.headers, b"".join(chunks))
        size += len(chunk)
        if size > max_bytes:
            raise ResponseTooLarge(
                f"{path} answered {status} with a body over the cap of {max_bytes} bytes "
                "(max_response_bytes)",
                status,
            )
        chunks.append(chunk)


def _read_chunk(response: requests.Response, path: str) -> bytes:
    """What the socket has now (one read), decoded; empty at the end of the body."""
    try:
        return response.raw.read1(CHUNK_BYTES, decode_content=True) or b""
    except (urllib3.exceptions.ReadTimeoutError, TimeoutError) as error:
        raise PlatformTimeout(f"{path}: the body stopped arriving ({error})") from None
    except (urllib3.exceptions.HTTPError, OSError) as error:
        raise PlatformUnavailable(f"{path}: the body broke off ({error})") from None
