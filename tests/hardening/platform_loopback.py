"""A bare HTTP/1.1 server on loopback that streams chunked bodies without a Content-Length,
endlessly or a few bytes at a time: what the sandbox (which always announces a length) cannot."""

from __future__ import annotations

import http.server
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from tests.support import loopback

ENVELOPE = b'{"total": 0, "has_more": false, "next_cursor": null, "workspaces": []}'


@dataclass
class Stream:
    """What every answer streams: `chunk` repeated `count` times, `delay` seconds apart."""

    chunk: bytes
    count: int
    delay: float = 0.0
    sent: list[int] = field(default_factory=list)  # bytes sent per answer before it ended


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        stream = self.server.stream
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        sent = 0
        try:
            for index in range(stream.count):
                if index and stream.delay:
                    time.sleep(stream.delay)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(stream.chunk), stream.chunk))
                sent += len(stream.chunk)
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client hung up, which is what the tests want to see
        stream.sent.append(sent)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests read `Stream.sent`, not a log."""


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    stream: Stream


def serve(stream: Stream) -> Iterator[str]:
    """Serve `stream` on a free loopback port; yields the base URL, stops afterwards."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.stream = stream
    with loopback.serving(server) as url:
        yield url
