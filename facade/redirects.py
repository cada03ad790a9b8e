"""Paths with a trailing slash: redirected with 307 to the route without it, as FastAPI does.

The `Location` is relative (path and query only), so nothing in it comes from the `Host`
header, and it keeps the request's encoding (an id's `%2F` stays one segment).
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

# The query is passed on as sent, except what a header must not carry unencoded.
_QUERY_SAFE = ":/?#[]@!$&'()*+,;=%"


def _served(path: str) -> bool:
    """Whether `path` (PATH_INFO form) is a route of the app, for any method."""
    adapter = current_app.create_url_adapter(request)
    if adapter is None:
        return False
    try:
        adapter.match(path, method="GET")
    except MethodNotAllowed:
        return True
    except HTTPException:
        return False
    return True


def trailing_slash_redirect() -> Response | None:
    """A 307 to the path without its trailing slashes when that path is a route, else None."""
    path = request.environ.get("PATH_INFO", "")
    stripped = path.rstrip("/")
    if stripped == path or not stripped or not _served(stripped):
        return None
    # PATH_INFO is WSGI text (UTF-8 bytes as latin-1) whose only `%` begin `%2F` or `%25`.
    target = quote(request.script_root + stripped.encode("latin-1").decode("utf-8"), safe="/%")
    if request.query_string:
        target += "?" + quote(request.query_string, safe=_QUERY_SAFE)
    response = Response(status=307)
    response.headers["Location"] = target
    return response
