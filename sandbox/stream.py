"""The background activity stream: executions at a steady rate, spread over every workspace."""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from sandbox.activity import ActivityEvent, ActivityWriter

log = logging.getLogger(__name__)

Ratio = Annotated[float, Field(ge=0.0, le=1.0)]
# When the stream falls behind (a slow disk, a paused process) it catches up at most this much.
MAX_CATCH_UP_SECONDS = 1.0


class StreamSettings(BaseModel):
    """What the stream produces; `rate` counts executions per second across all workspaces."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    running: bool = True
    rate: Annotated[float, Field(ge=0.0, le=10_000.0)] = 2.0
    failure_ratio: Ratio = 0.1
    api_call_ratio: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.3
    workspace_failure_ratios: dict[str, Ratio] = {}


@dataclass(frozen=True)
class WorkspaceTarget:
    """A workspace the stream can write activity for, with its apps."""

    org_id: str
    workspace_id: str
    app_ids: tuple[str, ...]


def load_targets(connection: sqlite3.Connection) -> list[WorkspaceTarget]:
    """Every workspace that has not vanished, in a stable order."""
    apps: dict[str, list[str]] = {}
    for row in connection.execute("SELECT workspace_id, app_id FROM apps ORDER BY seq"):
        apps.setdefault(row["workspace_id"], []).append(row["app_id"])
    rows = connection.execute(
        "SELECT org_id, workspace_id FROM workspaces WHERE deleted = 0 ORDER BY seq"
    )
    return [
        WorkspaceTarget(
            row["org_id"], row["workspace_id"], tuple(apps.get(row["workspace_id"], ()))
        )
        for row in rows
    ]


@dataclass
class EventFactory:
    """Draws activity records from a seeded generator."""

    rng: random.Random
    targets: list[WorkspaceTarget] = field(default_factory=list)

    def execution(self, settings: StreamSettings) -> ActivityEvent:
        """One finished execution in a random workspace, failed with that workspace's ratio."""
        target = self.rng.choice(self.targets)
        ratio = settings.workspace_failure_ratios.get(target.workspace_id, settings.failure_ratio)
        failed = self.rng.random() < ratio
        return ActivityEvent(
            org_id=target.org_id,
            workspace_id=target.workspace_id,
            app_id=self.rng.choice(target.app_ids) if target.app_ids else None,
            execution_id=f"exe-{self.rng.getrandbits(48):012x}",
            success=not failed,
            status_code=self.rng.choice((500, 502, 504, 422)) if failed else 200,
            duration_ms=self.rng.randint(20, 5_000),
        )

    def api_call(self) -> ActivityEvent:
        """One ordinary API call (no execution) in a random workspace."""
        target = self.rng.choice(self.targets)
        ok = self.rng.random() < 0.95
        return ActivityEvent(
            org_id=target.org_id,
            workspace_id=target.workspace_id,
            app_id=self.rng.choice(target.app_ids) if target.app_ids else None,
            execution_id=None,
            success=ok,
            status_code=self.rng.choice((200, 200, 201)) if ok else self.rng.choice((400, 404)),
            duration_ms=self.rng.randint(5, 300),
        )


class ActivityStream:
    """A thread inserting executions every 1/rate seconds and API calls in between."""

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        writer: ActivityWriter,
        settings: StreamSettings,
        rng: random.Random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._connect = connect
        self._writer = writer
        self._settings = settings
        self._factory = EventFactory(rng)
        self._clock = clock
        self._changed = threading.Condition()
        self._stopping = False
        self._reload = True
        self._thread = threading.Thread(target=self._run, name="activity-stream", daemon=True)

    def settings(self) -> StreamSettings:
        """The settings in force."""
        with self._changed:
            return self._settings

    def update(self, changes: dict[str, Any]) -> StreamSettings:
        """Merge `changes` into the settings (validated) and wake the thread; per-workspace
        ratios merge key by key, and a null ratio removes that workspace's override."""
        with self._changed:
            current = self._settings.model_dump()
            ratios = changes.get("workspace_failure_ratios")
            if isinstance(ratios, dict):
                ratios = {**current["workspace_failure_ratios"], **ratios}
                changes = {
                    **changes,
                    "workspace_failure_ratios": {k: v for k, v in ratios.items() if v is not None},
                }
            merged = {**current, **changes}
            self._settings = StreamSettings.model_validate(merged)
            self._changed.notify_all()
            return self._settings

    def reload_workspaces(self) -> None:
        """Pick up a change in the set of workspaces (one vanished)."""
        with self._changed:
            self._reload = True

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread and wait for it."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        connection = self._connect()
        try:
            self._loop(connection)
        finally:
            connection.close()

    def _loop(self, connection: sqlite3.Connection) -> None:
        due: dict[str, float] = {}
        # Events are drawn and written under the settings lock, so once `update()` returns
        # nothing drawn under the old settings can still land.
        with self._changed:
            while not self._stopping:
                if self._reload:
                    self._factory.targets = load_targets(connection)
                    self._reload = False
                periods = self._periods(self._settings)
                wait = self._next_wait(due, periods)
                if wait is None or wait > 0:
                    self._changed.wait(wait)
                    if wait is None:
                        due.clear()  # a paused stream restarts on a fresh schedule
                    continue
                try:
                    self._emit(connection, self._settings, due, periods)
                except sqlite3.Error:
                    # Keep streaming: a busy or briefly failing disk must not end the stream.
                    log.exception("activity stream could not write; retrying")
                    self._changed.wait(1.0)

    def _periods(self, settings: StreamSettings) -> dict[str, float]:
        """Seconds between events of each kind; none when paused or idle."""
        if not settings.running or settings.rate <= 0 or not self._factory.targets:
            return {}
        periods = {"execution": 1.0 / settings.rate}
        if settings.api_call_ratio > 0:
            api_rate = settings.rate * settings.api_call_ratio / (1.0 - settings.api_call_ratio)
            periods["api_call"] = 1.0 / api_rate
        return periods

    def _next_wait(self, due: dict[str, float], periods: dict[str, float]) -> float | None:
        """Seconds until the next event is due (None: nothing to do until settings change)."""
        if not periods:
            return None
        now = self._clock()
        for kind, period in periods.items():
            # A new kind, or a new rate making the old due time far off, starts one period on.
            if kind not in due or due[kind] - now > period:
                due[kind] = now + period
        for kind in list(due):
            if kind not in periods:
                del due[kind]
        return max(0.0, min(due.values()) - now)

    def _emit(
        self,
        connection: sqlite3.Connection,
        settings: StreamSettings,
        due: dict[str, float],
        periods: dict[str, float],
    ) -> None:
        now = self._clock()
        events: list[ActivityEvent] = []
        for kind, period in periods.items():
            due[kind] = max(due[kind], now - MAX_CATCH_UP_SECONDS)
            while due[kind] <= now:
                is_execution = kind == "execution"
                events.append(
                    self._factory.execution(settings) if is_execution else self._factory.api_call()
                )
                due[kind] += period
        if events:
            self._writer.write(connection, events)
