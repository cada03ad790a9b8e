"""Errors of the sandbox platform and the one place that turns them into JSON bodies.

PlatformError                 the platform envelope {error, message, details, timestamp,
├── AuthenticationFailed      401                     status_code}
├── ResourceNotFound          404 with details.resource_type / resource_id
├── RateLimited               429 with details.retry_after and a Retry-After header
└── InternalServerError       500
QueryValidationError          422 {"detail": [{loc, msg, type, input, ctx}]}
"""

from __future__ import annotations

import logging
import math
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from sandbox.timefmt import envelope_timestamp

log = logging.getLogger(__name__)


class PlatformError(Exception):
    """An error the platform answers with its envelope."""

    status_code = 500
    code = "INTERNAL_SERVER_ERROR"
    message = "An unexpected error occurred"

    def __init__(self, message: str | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = details or {}

    def headers(self) -> dict[str, str]:
        """Extra response headers."""
        return {}


class AuthenticationFailed(PlatformError):
    """No Bearer token, or not the one the sandbox accepts."""

    status_code = 401
    code = "AUTHENTICATION_FAILED"
    message = "Authentication required"


class ResourceNotFound(PlatformError):
    """An unknown (or vanished) org, workspace, app or namespace."""

    status_code = 404
    code = "RESOURCE_NOT_FOUND"
    message = "The requested resource was not found"

    def __init__(self, resource_type: str, resource_id: str) -> None:
        super().__init__(details={"resource_type": resource_type, "resource_id": resource_id})


class RateLimited(PlatformError):
    """Too many requests; the client should wait `retry_after` seconds."""

    status_code = 429
    code = "RATE_LIMIT_EXCEEDED"
    message = "Rate limit exceeded, retry later"

    def __init__(self, retry_after: float) -> None:
        # Whole seconds go out as an integer, as the platform writes them.
        seconds: float = int(retry_after) if float(retry_after).is_integer() else retry_after
        super().__init__(details={"retry_after": seconds})
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        """`Retry-After` in whole seconds, rounded up so a client never retries early."""
        return {"Retry-After": str(max(1, math.ceil(self.retry_after)))}


class InternalServerError(PlatformError):
    """A server-side failure (real or injected)."""


class QueryValidationError(Exception):
    """Invalid request parameters, in pydantic's error list shape."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} invalid parameter(s)")
        self.errors = errors


def envelope(status_code: int, code: str, message: str, details: dict[str, Any]) -> Response:
    """A JSON response in the platform's error envelope."""
    response = jsonify(
        error=code,
        message=message,
        details=details,
        timestamp=envelope_timestamp(),
        status_code=status_code,
    )
    response.status_code = status_code
    return response


def _platform_error(error: PlatformError) -> Response:
    response = envelope(error.status_code, error.code, error.message, error.details)
    response.headers.update(error.headers())
    return response


def _validation_error(error: QueryValidationError) -> Response:
    response = jsonify(detail=error.errors)
    response.status_code = 422
    return response


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    code = {404: "RESOURCE_NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(status, "HTTP_ERROR")
    details = {"resource_type": "route", "resource_id": request.path} if status == 404 else {}
    message = ResourceNotFound.message if status == 404 else (error.description or error.name)
    response = envelope(status, code, message, details)
    allowed = getattr(error, "valid_methods", None)
    if allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response


def _unexpected(error: Exception) -> Response:
    log.exception("unexpected error: %s", error)
    return envelope(500, InternalServerError.code, InternalServerError.message, {})


def register_error_handlers(app: Flask) -> None:
    """Answer every error with JSON: the envelope, or the 422 detail list."""
    app.register_error_handler(PlatformError, _platform_error)
    app.register_error_handler(QueryValidationError, _validation_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
