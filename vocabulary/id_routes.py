"""Routing Flask apps on ids that hold `/` or `%` (the façade and the sandbox platform).

A client sends such an id as one segment, `/` encoded as `%2F`. WSGI servers decode the whole
path into `PATH_INFO` before routing, so `/v1/orgs/a%2Fb/analytics` would arrive as
`/v1/orgs/a/b/analytics`, a route that does not exist. `EncodedIdRouting` rebuilds
`PATH_INFO` from the raw request target the server keeps (`RAW_URI`: gunicorn and werkzeug;
`REQUEST_URI`: werkzeug, mod_wsgi, uWSGI) with `/` and `%` inside a segment left encoded,
and `IdConverter` decodes those two in each matched id. Every other path routes as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

from werkzeug.routing import BaseConverter

from vocabulary.ids import path_segment

RAW_TARGET_KEYS = ("RAW_URI", "REQUEST_URI")
_DECODED = {"%2F": "/", "%25": "%"}
_ENCODED = re.compile("|".join(_DECODED))


def _protected(segment: str) -> str:
    """A raw path segment decoded, except `%` and `/` (re-encoded)."""
    return unquote(segment, errors="replace").replace("%", "%25").replace("/", "%2F")


def _wsgi_text(value: str) -> str:
    """A WSGI environ string (UTF-8 bytes carried as latin-1) as text."""
    return value.encode("latin-1").decode("utf-8", "replace")


def routable_path(environ: dict[str, Any]) -> str | None:
    """`PATH_INFO` with `/` and `%` inside a segment still encoded, in WSGI form; None when
    the raw target is unknown or does not decode to the path the server routed (a proxy or
    middleware rewrote it): the request then routes on `PATH_INFO` as it is."""
    raw = next((environ[key] for key in RAW_TARGET_KEYS if environ.get(key)), None)
    if raw is None:
        return None
    raw_path = raw.split("?", 1)[0] if raw.startswith("/") else urlsplit(raw).path
    segments = raw_path.split("/")
    prefix = _wsgi_text(environ.get("SCRIPT_NAME", ""))
    decoded = "/".join(unquote(segment, errors="replace") for segment in segments)
    if decoded != prefix + _wsgi_text(environ.get("PATH_INFO", "")):
        return None
    protected = "/".join(_protected(segment) for segment in segments)
    if not protected.startswith(prefix):
        return None
    return protected[len(prefix) :].encode("utf-8").decode("latin-1")


class EncodedIdRouting:
    """WSGI middleware: route on the raw path, so an encoded `/` stays inside its segment."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """Serve the request with `PATH_INFO` rebuilt from the raw target when possible."""
        path = routable_path(environ)
        if path is not None:
            environ["PATH_INFO"] = path
        result: Iterable[bytes] = self.app(environ, start_response)
        return result


class IdConverter(BaseConverter):
    """One path segment holding an id: `%2F` and `%25` (left by EncodedIdRouting) decoded."""

    def to_python(self, value: str) -> str:
        """The id the client meant."""
        return _ENCODED.sub(lambda found: _DECODED[found[0]], value)

    def to_url(self, value: Any) -> str:
        """The id as one encoded segment."""
        return path_segment(str(value))
