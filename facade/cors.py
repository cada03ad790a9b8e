"""Cross-origin access for browser apps on other origins (`FACADE_CORS_ORIGINS`, off by default).

A preflight (`OPTIONS` with `Access-Control-Request-Method`) from a configured origin to a
served route is answered 204 with what the API accepts; from any other origin it gets the
usual enveloped 405. Every answer to a configured origin names it in
`Access-Control-Allow-Origin` (`*` when any origin is configured) and exposes the headers a
client reads. Credentials are never allowed: the API authenticates with the `Authorization`
header, which a browser sends on a plain CORS request once the preflight allows it, so cookies
are never needed (and `*` with credentials would be refused by browsers anyway).
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask, Response, request
from werkzeug.exceptions import MethodNotAllowed

ANY_ORIGIN = "*"
ALLOWED_METHODS = ("GET", "HEAD")
ALLOWED_HEADERS = "Authorization, Content-Type, If-Modified-Since, If-None-Match"
EXPOSED_HEADERS = "Retry-After, Last-Modified, WWW-Authenticate, Location"
PREFLIGHT_MAX_AGE_SECONDS = 600


class CorsPolicy:
    """Which origins may call the API from a browser."""

    def __init__(self, origins: Sequence[str]) -> None:
        self.any = ANY_ORIGIN in origins
        self.origins = frozenset(origins) - {ANY_ORIGIN}

    def allow_origin(self, origin: str | None) -> str | None:
        """The `Access-Control-Allow-Origin` value for `origin`, None when not allowed."""
        if origin is None:
            return None
        if self.any:
            return ANY_ORIGIN
        return origin if origin in self.origins else None

    def preflight(self) -> Response | None:
        """The answer to a preflight of an allowed origin to a served route, else None."""
        asked = request.headers.get("Access-Control-Request-Method", "")
        if request.method != "OPTIONS" or asked.upper() not in ALLOWED_METHODS:
            return None
        if self.allow_origin(request.headers.get("Origin")) is None:
            return None
        served = request.url_rule is not None or isinstance(
            request.routing_exception, MethodNotAllowed
        )
        if not served:
            return None  # an unknown route: the enveloped 404
        response = Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = ", ".join(ALLOWED_METHODS)
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_SECONDS)
        return response

    def decorate(self, response: Response) -> Response:
        """Name an allowed origin on any answer (errors included)."""
        response.vary.add("Origin")
        allowed = self.allow_origin(request.headers.get("Origin"))
        if allowed is not None:
            response.headers["Access-Control-Allow-Origin"] = allowed
            response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        return response


def init_app(app: Flask, origins: Sequence[str]) -> None:
    """Answer preflights and name allowed origins; nothing at all when `origins` is empty."""
    if not origins:
        return
    policy = CorsPolicy(origins)
    app.before_request(policy.preflight)
    app.after_request(policy.decorate)
