"""Exceptions of the platform client, the boundary between the exporter and the platform.

Exceptions (catch `PlatformError` for all of them):

    PlatformError               any failure to get usable data from the platform
    ├── PlatformUnavailable     no HTTP answer after every retry (connection refused, reset, ...)
    │   └── PlatformTimeout     ... because the platform did not answer in time
    ├── PlatformHTTPError       an error status; `.status`, `.error`, `.details`
    │   ├── AuthenticationFailed  401 (not retried)
    │   ├── Forbidden             403 (not retried)
    │   ├── NotFound              404 (not retried)
    │   ├── RateLimited           429 after every retry
    │   └── ServerError           5xx after every retry
    ├── MalformedResponse       a 2xx body that is not the documented JSON (not retried)
    ├── PagingError             a cursor that does not end within the page bound
    └── Cancelled               the exporter is stopping
"""

from __future__ import annotations

from typing import Any

from exporter import platform_api as api


class PlatformError(Exception):
    """Any failure to get usable data from the platform."""


class PlatformUnavailable(PlatformError):
    """No HTTP answer after every retry."""


class PlatformTimeout(PlatformUnavailable):
    """The platform did not answer within the timeout, after every retry."""


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


class RateLimited(PlatformHTTPError):
    """429 on every attempt."""


class ServerError(PlatformHTTPError):
    """5xx on every attempt."""


class MalformedResponse(PlatformError):
    """A successful answer whose body is not the documented JSON."""


class PagingError(PlatformError):
    """A list whose cursor does not end within the page bound."""


class Cancelled(PlatformError):
    """The exporter is stopping."""


STATUS_ERRORS: dict[int, type[PlatformHTTPError]] = {
    401: AuthenticationFailed,
    403: Forbidden,
    404: NotFound,
    429: RateLimited,
}
