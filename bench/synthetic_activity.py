"""Executions for the synthetic platform: every workspace runs one every `interval` seconds.

All workspaces run at the same seconds (multiples of `interval`, from `since` to now), so the
records of a window, ordered by (timestamp, id), are indexed directly and any page is built
without the others. Each record's details come from a hash of its id, with a spread like a
real platform's: a few apps with two pipelines each (a quarter of the executions run none),
long-tailed durations, token kinds present or not, one failure in ten with one of six error
codes or, for a quarter of them, only a status code.
"""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime
from typing import Any

CODES = (
    "MODEL_TIMEOUT", "RATE_LIMITED", "TOOL_ERROR",
    "CONTEXT_LENGTH_EXCEEDED", "UPSTREAM_UNAVAILABLE", "INVALID_OUTPUT",
)  # fmt: skip
STATUSES = (500, 502, 429)


def _seconds(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _stamp(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def record(seconds: int, workspace: str, apps: int) -> dict[str, Any]:
    """The activity record of `workspace`'s execution at `seconds`."""
    record_id = f"{seconds}-{workspace}"
    h = zlib.crc32(record_id.encode())
    app = f"app-{h % apps}"
    failed = h % 10 == 0
    tokens = {"prompt": h % 3000, "completion": h % 500}
    if h % 5 == 1:
        tokens["embedding"] = h % 800
    if h % 3 == 2:
        tokens["reasoning"] = h % 1200
    share = (h >> 8) % 10_000 / 10_000 + 0.0001
    return {
        "id": record_id,
        "timestamp": _stamp(seconds),
        "workspace_id": workspace,
        "app_id": app,
        "augmentation_id": None if h % 4 == 3 else f"aug-{app}-{(h >> 4) % 2}",
        "execution_id": f"ex-{record_id}",
        "success": not failed,
        "status_code": STATUSES[(h >> 12) % 3] if failed else 200,
        "error_code": CODES[(h >> 16) % 6] if failed and (h >> 20) % 4 else None,
        "duration_ms": int(300 / share**0.8),  # median 0.5 s, 1 in 100 over 12 s
        "token_usage": tokens,
    }


class Activity:
    """The activity list of one org whose `workspaces` each run every `interval` seconds."""

    def __init__(
        self, workspaces: list[str], interval: int, since: int, apps: int, now: Any
    ) -> None:
        self.workspaces, self.interval, self.since, self.apps = workspaces, interval, since, apps
        self._now = now

    def page(self, query: dict[str, list[str]]) -> bytes:
        """One page of the window [start_time, end_time), the cursor being the offset."""
        start = max(self.since, _seconds(query["start_time"][0]))
        end = min(self._now(), _seconds(query["end_time"][0]))
        first = -(-int(start) // self.interval) * self.interval if self.interval else 0
        times = range(first, int(end) + (end > int(end)), self.interval) if self.interval else []
        times = [t for t in times if start <= t < end]
        total = len(times) * len(self.workspaces)
        offset = int(query.get("cursor", ["0"])[0])
        limit = min(200, int(query.get("limit", ["200"])[0]))
        items = []
        for index in range(offset, min(offset + limit, total)):
            slot, ws = divmod(index, len(self.workspaces))
            items.append(record(times[slot], self.workspaces[ws], self.apps))
        more = offset + len(items) < total
        body = {
            "activities": items,
            "total": total,
            "has_more": more,
            "next_cursor": str(offset + len(items)) if more else None,
        }
        return json.dumps(body).encode()
