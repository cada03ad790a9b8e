"""The service token the exporter presents, renewable without a restart.

A 401 means the platform refused the token (expired or revoked). Sending it again cannot help,
and from every worker of every pass it would hammer the platform, so a refusal holds back every
request of the process until either the token changes or `retry_interval` seconds pass, when a
single probe tries the same token again. With a token file the file is re-read at each refusal
and while requests are held back: writing a new token into it ends the refusal at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from exporter.platform.errors import TokenHeldBack

log = logging.getLogger(__name__)


class TokenFileError(ValueError):
    """The token file cannot be read or holds no token."""


def read_token_file(path: Path) -> str:
    """The token in a file (surrounding whitespace ignored)."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise TokenFileError(f"cannot read token file {path}: {error}") from None
    if not token or any(character.isspace() for character in token):
        raise TokenFileError(f"token file {path} must hold one token without whitespace")
    return token


class ServiceToken:
    """The Bearer token to present now, held back after the platform refused it."""

    def __init__(
        self,
        token: str,
        path: Path | None = None,
        *,
        retry_interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._token = token
        self._path = path
        self._retry_interval = retry_interval
        self._clock = clock
        self._refused: str | None = None
        self._refused_at = 0.0
        self._refused_where = ""

    def current(self, path: str) -> str:
        """The token for a request to `path`; TokenHeldBack while a refused token is unchanged."""
        with self._lock:
            if self._refused is not None:
                self._reload()
            if self._refused != self._token:
                return self._token
            wait = self._refused_at + self._retry_interval - self._clock()
            if wait > 0:
                renewal = f" or as soon as {self._path} holds a new token" if self._path else ""
                raise TokenHeldBack(
                    path,
                    f"not sent: the platform refused the service token (401 at "
                    f"{self._refused_where}); next try in {wait:.1f} s{renewal}",
                )
            self._refused_at = self._clock()  # this request is the one probe of the interval
            return self._token

    def refused(self, presented: str, path: str) -> bool:
        """After a 401 for `presented`: True when a different token is now available."""
        with self._lock:
            self._reload()
            if self._token != presented:
                return True
            if self._refused != presented:
                renewal = f"a new token in {self._path}" if self._path else "a restart"
                log.error(
                    "the platform refused the service token (401 at %s): every request is held "
                    "back until %s, with one try every %g s",
                    path,
                    renewal,
                    self._retry_interval,
                )
            self._refused, self._refused_at, self._refused_where = presented, self._clock(), path
            return False

    def accepted(self, presented: str) -> None:
        """After a successful answer: a refused token that works again is no longer held back."""
        if self._refused is None:  # the common case, without taking the lock
            return
        with self._lock:
            if self._refused == presented:
                self._refused = None
                log.info("the platform accepts the service token again")

    def _reload(self) -> None:
        if self._path is None:
            return
        try:
            token = read_token_file(self._path)
        except TokenFileError as error:
            log.warning("keeping the current service token: %s", error)
            return
        if token != self._token:
            self._token = token
            if self._refused is not None:
                log.info("service token renewed from %s", self._path)
            self._refused = None
