"""Counts of the platform requests the sandbox received, for tests that check client behaviour."""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from sandbox.timefmt import from_micros, item_timestamp

RECENT = 2000


@dataclass(frozen=True)
class RequestRecord:
    """One platform request: when it arrived, what it asked for and how it was answered."""

    arrived: float  # epoch seconds
    method: str
    path: str
    route: str
    status: int


class TrafficLog:
    """Thread-safe counters by route template and status code, plus the last requests."""

    def __init__(self, recent: int = RECENT) -> None:
        self._lock = threading.Lock()
        self._by_route_status: Counter[tuple[str, int]] = Counter()
        self._recent: deque[RequestRecord] = deque(maxlen=recent)

    def record(self, entry: RequestRecord) -> None:
        """Count one answered request."""
        with self._lock:
            self._by_route_status[(entry.route, entry.status)] += 1
            self._recent.append(entry)

    def reset(self) -> None:
        """Forget everything counted so far."""
        with self._lock:
            self._by_route_status.clear()
            self._recent.clear()

    def summary(self) -> dict[str, Any]:
        """`{total, by_route, by_status, by_route_status, recent}` as JSON-ready data."""
        with self._lock:
            counts = dict(self._by_route_status)
            recent = sorted(self._recent, key=lambda entry: entry.arrived)
        by_route: Counter[str] = Counter()
        by_status: Counter[str] = Counter()
        by_route_status: dict[str, dict[str, int]] = {}
        for (route, status), count in counts.items():
            by_route[route] += count
            by_status[str(status)] += count
            by_route_status.setdefault(route, {})[str(status)] = count
        return {
            "total": sum(counts.values()),
            "by_route": dict(by_route),
            "by_status": dict(by_status),
            "by_route_status": by_route_status,
            "recent": [
                {
                    "time": entry.arrived,
                    "timestamp": item_timestamp(
                        from_micros(round(entry.arrived * 1_000_000)), zulu=True
                    ),
                    "method": entry.method,
                    "path": entry.path,
                    "route": entry.route,
                    "status": entry.status,
                }
                for entry in recent
            ],
        }
