"""Every error body of the façade, produced here and nowhere else.

Errors use the spec's envelope `{error, message, details, timestamp, status_code}` with the
timestamp as `YYYY-MM-DDTHH:MM:SS.ffffff` (UTC); request validation answers 422 with the spec's
`{"detail": [{loc, msg, type, input, ctx}]}`. Exceptions the views and services raise:

    ApiError                  rendered as its envelope
    ├── AuthenticationFailed  401, with `WWW-Authenticate: Bearer`
    ├── Forbidden             403, `details.required_permission`
    ├── NotFound              404 RESOURCE_NOT_FOUND, `details.resource_type/resource_id`
    ├── MethodNotAllowedError 405, with `Allow`
    ├── FeatureDisabled       501, per-app or per-namespace data switched off in the exporter
    ├── ServiceUnavailable    503 with `Retry-After`: Prometheus down or slow, data stale
    └── HttpError             any other HTTP error werkzeug raises
    RequestValidationError    422

`PrometheusError` (see `facade.prometheus`) becomes ServiceUnavailable; werkzeug's 404/405
become enveloped (a 404 whose path ends in `/` is a 307 when the path without it is a
route, see `facade.redirects`); anything else is logged and answered 500 without a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from facade.bodies import ErrorResponse, HTTPValidationError
from facade.prometheus import PrometheusError
from facade.redirects import trailing_slash_redirect

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class ApiError(Exception):
    """An error with a spec envelope; subclasses set status, code and default message."""

    status_code = 500
    error = "INTERNAL_SERVER_ERROR"
    message = "An unexpected error occurred"

    def __init__(
        self,
        message: str | None = None,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = dict(details or {})
        self.headers = dict(headers or {})


class AuthenticationFailed(ApiError):
    """No token, or one that is malformed, wrongly signed or expired."""

    status_code = 401
    error = "AUTHENTICATION_FAILED"
    message = "Authentication required"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(ApiError):
    """A valid token of another org, or without the permission the request needs."""

    status_code = 403
    error = "FORBIDDEN"
    message = "You don't have permission to perform this action"

    def __init__(self, required_permission: str) -> None:
        super().__init__(details={"required_permission": required_permission})


class NotFound(ApiError):
    """An org, workspace, app or namespace the exporter does not know, or an unknown route."""

    status_code = 404
    error = "RESOURCE_NOT_FOUND"
    message = "The requested resource was not found"

    def __init__(self, resource_type: str, resource_id: str) -> None:
        super().__init__(details={"resource_type": resource_type, "resource_id": resource_id})


class MethodNotAllowedError(ApiError):
    """A known route asked with a method it does not serve."""

    status_code = 405
    error = "METHOD_NOT_ALLOWED"
    message = "The method is not allowed for the requested URL"

    def __init__(self, method: str, allowed: list[str]) -> None:
        super().__init__(
            details={"method": method, "allowed_methods": allowed},
            headers={"Allow": ", ".join(allowed)},
        )


class FeatureDisabled(ApiError):
    """The exporter does not export the per-app or per-namespace families."""

    status_code = 501
    error = "FEATURE_DISABLED"
    message = "This analytics level is switched off in the exporter"

    def __init__(self, level: str) -> None:
        super().__init__(
            f"Per-{level} analytics are switched off in the exporter", details={"level": level}
        )


class ServiceUnavailable(ApiError):
    """The data cannot be read right now; the client should retry later."""

    status_code = 503
    error = "SERVICE_UNAVAILABLE"
    message = "Analytics data is unavailable right now"

    def __init__(self, message: str, retry_after: int, **details: Any) -> None:
        super().__init__(
            message,
            details={**details, "retry_after": retry_after},
            headers={"Retry-After": str(retry_after)},
        )


class RequestValidationError(Exception):
    """Request parameters failed validation; `errors` are in the spec's 422 item shape."""

    def __init__(self, errors: Sequence[Mapping[str, Any]]) -> None:
        super().__init__(f"{len(errors)} invalid parameter(s)")
        self.errors = list(errors)


def error_timestamp(now: float) -> str:
    """The spec's error timestamp: UTC, microseconds, no zone suffix."""
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def envelope(error: ApiError, now: float) -> ErrorResponse:
    """The spec's error body for `error`."""
    return ErrorResponse(
        error=error.error,
        message=error.message,
        details=error.details,
        timestamp=error_timestamp(now),
        status_code=error.status_code,
    )


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    return str(value)


def validation_item(location: str, error: Mapping[str, Any]) -> dict[str, Any]:
    """One pydantic error as a spec 422 item, located in the path or the query."""
    return {
        "loc": [location, *error["loc"]],
        "msg": error["msg"],
        "type": error["type"],
        "input": _json_safe(error.get("input")),
        "ctx": _json_safe(error.get("ctx", {})),
    }


def _respond(error: ApiError, clock: Clock) -> Response:
    response = jsonify(envelope(error, clock()).model_dump(mode="json"))
    response.status_code = error.status_code
    response.headers.update(error.headers)
    return response


class HttpError(ApiError):
    """Any other HTTP error werkzeug raises (a malformed request, for instance)."""

    def __init__(self, exc: HTTPException) -> None:
        super().__init__(exc.description or exc.name)
        self.status_code = exc.code or 500
        self.error = (exc.name or "ERROR").upper().replace(" ", "_")


def _from_http(exc: HTTPException) -> ApiError:
    if isinstance(exc, MethodNotAllowed):
        return MethodNotAllowedError(request.method, sorted(exc.valid_methods or []))
    if exc.code == 404:
        return NotFound("route", request.path)
    return HttpError(exc)


def register_error_handlers(app: Flask, clock: Clock, retry_after: int) -> None:
    """Answer every error of `app` in the spec's shapes."""

    @app.errorhandler(ApiError)
    def api_error(exc: ApiError) -> Response:
        return _respond(exc, clock)

    @app.errorhandler(RequestValidationError)
    def validation_error(exc: RequestValidationError) -> Response:
        response = jsonify(HTTPValidationError.of(exc.errors).model_dump(mode="json"))
        response.status_code = 422
        return response

    @app.errorhandler(PrometheusError)
    def prometheus_error(exc: PrometheusError) -> Response:
        log.warning("Prometheus query failed (%s): %s", exc.reason, exc)
        message = "The metrics backend is unavailable"
        return _respond(ServiceUnavailable(message, retry_after, reason=exc.reason), clock)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        redirect = trailing_slash_redirect() if exc.code == 404 else None
        return redirect or _respond(_from_http(exc), clock)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _respond(ApiError(), clock)
