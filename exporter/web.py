"""The exporter's HTTP face: `/metrics` and `/healthz` on a threaded WSGI server."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

log = logging.getLogger(__name__)

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
JSON = "application/json"
STATUS_TEXT = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}
INDEX = b"MechaMental exporter: /metrics (Prometheus text format), /healthz\n"


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """One thread per request, so a slow scrape never blocks `/healthz`."""

    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    """Request lines go to the debug log instead of stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)


def _respond(
    start_response: StartResponse, status: int, content_type: str, body: bytes
) -> list[bytes]:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    start_response(f"{status} {STATUS_TEXT[status]}", headers)
    return [body]


def _json(payload: Any) -> bytes:
    return json.dumps(payload, sort_keys=True).encode() + b"\n"


def exporter_app(
    render_metrics: Callable[[], bytes],
    metrics_content_type: str,
    problems: Callable[[], dict[str, str]],
) -> WSGIApp:
    """The WSGI application: `/metrics`, `/healthz` (503 with the reasons when unhealthy), `/`."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", "/"), environ.get("REQUEST_METHOD", "GET")
        if path not in {"/", "/metrics", "/healthz"}:
            return _respond(start_response, 404, JSON, _json({"error": f"no route {path}"}))
        if method != "GET":
            return _respond(start_response, 405, JSON, _json({"error": f"{method} not allowed"}))
        if path == "/metrics":
            return _respond(start_response, 200, metrics_content_type, render_metrics())
        if path == "/":
            return _respond(start_response, 200, "text/plain; charset=utf-8", INDEX)
        reasons = problems()
        if reasons:
            body = {"status": "unhealthy", "reasons": reasons}
            return _respond(start_response, 503, JSON, _json(body))
        return _respond(start_response, 200, JSON, _json({"status": "ok"}))

    return app


def make_http_server(host: str, port: int, app: WSGIApp) -> ThreadingWSGIServer:
    """A bound, not yet serving, threaded WSGI server."""
    server = make_server(
        host, port, app, server_class=ThreadingWSGIServer, handler_class=_QuietHandler
    )
    assert isinstance(server, ThreadingWSGIServer)
    return server
