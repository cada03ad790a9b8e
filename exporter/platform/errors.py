"""Exceptions of the platform client, the boundary between the exporter and the platform.

Exceptions (catch `PlatformError` for all of them):

    PlatformError               any failure to get usable data from the platform
    ├── PlatformUnavailable     no HTTP answer after every retry (connection refused, reset, ...)
    │   └── PlatformTimeout     ... because the whole answer, body included, was not in on time
    ├── PlatformHTTPError       an error status; `.status`, `.error`, `.details`
    │   ├── AuthenticationFailed  401 (not retried; the token file, if any, is re-read first)
    │   │   └── TokenHeldBack     not sent: the token was refused and has not changed since
    │   ├── Forbidden             403 (not retried)
    │   ├── NotFound              404 (not retried)
    │   ├── RateLimited           429 after every retry
    │   └── ServerError           5xx after every retry
    ├── MalformedResponse       a 2xx body that is not the documented JSON (not retried)
    │   └── ResponseTooLarge    a body over the size cap, or a page longer than its limit
    ├── PagingError             a list whose paging contradicts itself: a cursor that never ends
    │   └── ListMismatch        ... or distinct items that do not number `total`
    └── Cancelled               the exporter is stopping
"""

from __future__ import annotations

from typing import Any

from exporter.platform import api


class PlatformError(Exception):
    """Any failure to get usable data from the platform."""


class PlatformUnavailable(PlatformError):
    """No HTTP answer after every retry."""


class PlatformTimeout(PlatformUnavailable):
    """The whole answer (body included) did not arrive within the timeout, after every retry."""


class PlatformHTTPError(PlatformError):
    """The platform answered with an error status."""

    def __init__(self, status: int, path: str, body: Any) -> None:
        envelope = body if isinstance(body, dict) else {}
        details = envelope.get(api.ERROR_DETAILS_KEY)
        self.status = status
        self.path = path
        self.error = str(envelope.get("error", ""))
        self.details: dict[str, Any] = details if isinstance(details, dict) else {}
        message = envelope.get("message") or "no error message"
        super().__init__(f"{path} answered {status} {self.error}: {message}".replace("  ", " "))


class AuthenticationFailed(PlatformHTTPError):
    """401: the service token was refused."""


class Forbidden(PlatformHTTPError):
    """403: the token may not read this resource."""


class NotFound(PlatformHTTPError):
    """404: the resource (or one of its parents) does not exist."""


class TokenHeldBack(AuthenticationFailed):
    """Not sent: the platform refused this token and it has not changed since."""

    def __init__(self, path: str, message: str) -> None:
        PlatformError.__init__(self, f"{path}: {message}")
        self.status = 401
        self.path = path
        self.error = "AUTHENTICATION_FAILED"
        self.details = {}


class RateLimited(PlatformHTTPError):
    """429 on every attempt."""


class ServerError(PlatformHTTPError):
    """5xx on every attempt."""


class MalformedResponse(PlatformError):
    """A successful answer whose body is not the documented JSON."""


class ResponseTooLarge(MalformedResponse):
    """A body over the size cap, or a page with more items than the limit asked for."""

    def __init__(self, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.status = status


class PagingError(PlatformError):
    """A list whose paging contradicts itself, such as a cursor that never ends."""


class ListMismatch(PagingError):
    """A list whose distinct items do not number its `total`: skipped items or a wrong total."""


class Cancelled(PlatformError):
    """The exporter is stopping."""


STATUS_ERRORS: dict[int, type[PlatformHTTPError]] = {
    401: AuthenticationFailed,
    403: Forbidden,
    404: NotFound,
    429: RateLimited,
}
