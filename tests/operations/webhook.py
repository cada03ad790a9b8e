"""A loopback webhook receiver standing in for a notification channel of Alertmanager."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Notification = dict[str, Any]


class WebhookReceiver:
    """Collects every notification POSTed to `url` (Alertmanager's webhook JSON)."""

    def __init__(self) -> None:
        self.notifications: list[Notification] = []
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                receiver.record(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                """Keep test output quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/alerts"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> WebhookReceiver:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def record(self, notification: Notification) -> None:
        """Keep one notification and wake up waiters."""
        with self._changed:
            self.notifications.append(notification)
            self._changed.notify_all()

    def alerts(self) -> list[dict[str, Any]]:
        """Every alert of every notification received so far."""
        with self._changed:
            return [alert for n in self.notifications for alert in n["alerts"]]

    def wait_for(self, predicate: Callable[[Notification], bool], timeout: float) -> Notification:
        """The first notification satisfying `predicate`, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = next((n for n in self.notifications if predicate(n)), None)
                remaining = deadline - time.monotonic()
                if found is not None or remaining <= 0:
                    break
                self._changed.wait(remaining)
        assert found is not None, f"no matching notification in {timeout} s: {self.notifications}"
        return found
