"""Writing the history into VictoriaMetrics through its import API (`/api/v1/import`).

VictoriaMetrics takes samples of any age, so each day's JSON lines go straight to the running
server; `install` then asks it to flush (`/internal/force_flush`), so a day the ledger records
is on its disk. A day imported twice after a crash holds the same samples at the same
timestamps, so every boundary value reads the same.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import requests

from exporter.backfill.jsonlines import render
from exporter.backfill.writer import BackfillError, Points

IMPORT_PATH = "/api/v1/import"
FLUSH_PATH = "/internal/force_flush"
TIMEOUT = 120.0  # seconds for one day's import or a flush


class ImportWriter:
    """Posts each day's JSON lines to VictoriaMetrics at `url`, `workers` days at a time."""

    def __init__(self, url: str, session: requests.Session, workers: int = 2) -> None:
        self.url = url.rstrip("/")
        self.target = f"VictoriaMetrics at {self.url}"
        self.unit = "imports"
        self.written = 0
        self._session = session
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="vm-import")

    def prepare(self) -> None:
        """Check VictoriaMetrics answers its health check."""
        self._request("get", "/health")

    def submit(self, name: str, points: Points) -> Future[None]:
        """Start importing one day's points."""
        body = render(points).encode("utf-8")
        return self._pool.submit(self._request, "post", IMPORT_PATH, body)

    def install(self, name: str, future: Future[None]) -> int:
        """Wait for the day's import, then flush it to disk."""
        future.result()
        self._request("get", FLUSH_PATH)
        self.written += 1
        return 1

    def close(self) -> None:
        """Stop the import workers."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _request(self, method: str, path: str, body: bytes | None = None) -> None:
        try:
            response = self._session.request(method, self.url + path, data=body, timeout=TIMEOUT)
        except requests.RequestException as error:
            raise BackfillError(f"{self.target} cannot be reached: {error}") from None
        if response.status_code >= 300:
            text = " ".join(response.text.split())[:300]
            raise BackfillError(f"{self.target} answered {response.status_code} to {path}: {text}")
