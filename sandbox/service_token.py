"""The service token the platform endpoints accept, renewable at run time through
`PUT /_sandbox/token` (the token-expiry fault's way out)."""

from __future__ import annotations

import hmac
import threading


class ServiceToken:
    """The one Bearer token accepted now; renewing it makes the previous one invalid."""

    def __init__(self, token: str) -> None:
        self._lock = threading.Lock()
        self._token = token.encode()

    def accepts(self, presented: str) -> bool:
        """Whether `presented` is the current token (compared in constant time)."""
        with self._lock:
            current = self._token
        return hmac.compare_digest(presented.encode(), current)

    def renew(self, token: str) -> None:
        """Accept `token` from now on, and only it."""
        with self._lock:
            self._token = token.encode()
