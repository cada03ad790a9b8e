"""The gunicorn worker of `mm-analytics facade`: gunicorn's own errors in the API's envelope.

Gunicorn answers what never reaches the app itself (a request line over `limit_request_line`:
414, a header over `limit_request_field_size`: 431, a malformed request: 400) with an HTML
page. This worker lets gunicorn decide the status and log the request as usual, captures the
page instead of sending it, and sends the spec's JSON error envelope with the same status.
"""

from __future__ import annotations

import json
import time
from typing import Any

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from facade.errors import ApiError, envelope


class _CapturedPage:
    """Stands in for the client socket while gunicorn writes its HTML error page."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        """A non-blocking socket, so gunicorn writes at once."""
        return 0.0

    def sendall(self, data: bytes) -> None:
        """Keep what gunicorn would have sent."""
        self.data += data


class GunicornError(ApiError):
    """An error gunicorn answered before the request reached the app."""

    def __init__(self, status_code: int, reason: str, cfg: Any) -> None:
        details: dict[str, int] = {}
        message = reason
        if status_code == 414:
            details = {"max_request_line_bytes": cfg.limit_request_line}
            message = (
                f"The request line (method, URL, version) exceeds {cfg.limit_request_line} bytes"
            )
        elif status_code == 431:
            details = {
                "max_header_bytes": cfg.limit_request_field_size,
                "max_headers": cfg.limit_request_fields,
            }
            message = "A request header is too large, or there are too many headers"
        elif status_code == 400:
            message = "The request is malformed"
        super().__init__(message, details)
        self.status_code = status_code
        self.error = reason.upper().replace(" ", "_").replace("-", "_")


def json_error(status_code: int, reason: str, cfg: Any) -> bytes:
    """The whole HTTP answer gunicorn sends for `status_code`, its body the JSON envelope."""
    error = GunicornError(status_code, reason, cfg)
    body = json.dumps(envelope(error, time.time()).model_dump(mode="json")).encode()
    head = (
        f"HTTP/1.1 {status_code} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Cache-Control: no-store\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class JsonErrorWorker(ThreadWorker):
    """gunicorn's threaded worker, its error pages sent as the API's JSON envelope."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        """Let gunicorn choose the status and log, then answer it in JSON."""
        page = _CapturedPage()
        super().handle_error(req, page, addr, exc)
        status_line = page.data.split(b"\r\n", 1)[0].decode("latin-1")
        parts = status_line.split(" ", 2)
        if len(parts) < 3 or not parts[1].isdigit():
            return  # gunicorn wrote no page
        try:
            util.write_nonblock(client, json_error(int(parts[1]), parts[2], self.cfg))
        except Exception:  # the client is gone: ignored, as gunicorn itself does
            self.log.debug("Failed to send error message.")
