"""Injected faults that change a response body after the view made it: trailing padding, a body cut
in half, an HTML page where JSON belongs, and a body dripped out a few bytes at a time."""

from __future__ import annotations

import time
from collections.abc import Iterator

from flask import Response

from sandbox.faults import BodyFaults

DRIP_CHUNK_BYTES = 16
# What a misconfigured proxy in front of the platform serves, with status 200.
HTML_ERROR_PAGE = (
    "<!DOCTYPE html>\n<html>\n<head><title>502 Bad Gateway</title></head>\n"
    "<body>\n<center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center>\n"
    "</body>\n</html>\n"
)


def _drip(body: bytes, delay_seconds: float) -> Iterator[bytes]:
    for start in range(0, len(body), DRIP_CHUNK_BYTES):
        if start:
            time.sleep(delay_seconds)
        yield body[start : start + DRIP_CHUNK_BYTES]


def dripping(response: Response, delay_seconds: float) -> Response:
    """`response` with its body streamed in small chunks, `delay_seconds` apart."""
    body = response.get_data()
    headers = response.headers.copy()
    # The length is announced up front, as a server streaming a known body does.
    headers["Content-Length"] = str(len(body))
    return Response(_drip(body, delay_seconds), status=response.status_code, headers=headers)


def distort_body(response: Response, faults: BodyFaults) -> Response:
    """`response` as the body faults rolled for its request leave it."""
    if response.status_code == 200:
        if faults.padding_bytes:
            # Whitespace after the document keeps it valid JSON: only its size is wrong.
            response.set_data(response.get_data() + b" " * faults.padding_bytes)
        if faults.malformed:
            body = response.get_data()
            response.set_data(body[: len(body) // 2])  # cut mid-document: never valid JSON
        if faults.html:
            response = Response(HTML_ERROR_PAGE, status=200, mimetype="text/html")
    if faults.drip_seconds > 0:
        response = dripping(response, faults.drip_seconds)
    return response
