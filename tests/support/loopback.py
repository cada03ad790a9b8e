"""A server of the test's own (an `http.server` or a werkzeug WSGI server) on loopback, served
from a background thread for the length of a `with` block."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from socketserver import TCPServer


@contextmanager
def serving(server: TCPServer, poll_interval: float = 0.5) -> Iterator[str]:
    """Serve `server` in a thread; yields its base URL; shuts it down (within `poll_interval`
    seconds) and closes it afterwards."""
    thread = threading.Thread(target=server.serve_forever, args=(poll_interval,), daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
