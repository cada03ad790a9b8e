"""The background activity stream: executions at a steady rate, spread over every workspace.

On the platform's clock some executions are written late (`late_ratio`: stamped up to
`lateness_seconds` before they are written) and some cluster around quarter-hour boundaries
(`boundary_cluster`: held back and written within 5 s of the next one). No record is stamped in
the future.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from sandbox.activity import ActivityEvent, ActivityWriter
from sandbox.boundaries import BoundaryHold
from sandbox.events import EventFactory, load_targets

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
    boundary_cluster: Ratio = 0.0
    late_ratio: Ratio = 0.0
    lateness_seconds: Annotated[float, Field(ge=0.0, le=86_400.0)] = 300.0


@dataclass(frozen=True)
class StreamClocks:
    """The stream's clocks: `monotonic` paces it, `wall` places boundaries (seconds)."""

    monotonic: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time


class ActivityStream:
    """A thread inserting executions every 1/rate seconds and API calls in between."""

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        writer: ActivityWriter,
        settings: StreamSettings,
        rng: random.Random,
        clocks: StreamClocks = StreamClocks(),
    ) -> None:
        self._connect = connect
        self._writer = writer
        self._settings = settings
        self._factory = EventFactory(rng)
        self._rng = rng
        self._clock = clocks.monotonic
        self._hold = BoundaryHold(rng, clocks.wall)
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
                if not periods:
                    self._hold.clear()  # paused or idle: nothing is written, not even held records
                wait = _soonest(self._next_wait(due, periods), self._hold.seconds_to_next())
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
                if kind == "api_call":
                    events.append(self._factory.api_call_in(self._factory.pick()))
                elif (
                    settings.boundary_cluster > 0 and self._rng.random() < settings.boundary_cluster
                ):
                    self._hold.hold()
                else:
                    events.append(self._execution(settings, may_be_late=True))
                due[kind] += period
        # Held executions are drawn when written, under the settings then in force.
        events += [self._execution(settings) for _ in range(self._hold.take_due())]
        if events:
            self._writer.write(connection, events)

    def _execution(self, settings: StreamSettings, may_be_late: bool = False) -> ActivityEvent:
        """One execution in a random workspace, failed with that workspace's ratio; written
        late (stamped up to `lateness_seconds` ago) with `late_ratio` when it may be."""
        target = self._factory.pick()
        ratio = settings.workspace_failure_ratios.get(target.workspace_id, settings.failure_ratio)
        late_us = 0
        if may_be_late and settings.late_ratio > 0 and self._rng.random() < settings.late_ratio:
            late_us = max(1, int(self._rng.uniform(0.0, settings.lateness_seconds) * 1e6))
        return self._factory.execution_in(target, ratio, late_us)


def _soonest(*waits: float | None) -> float | None:
    """The shortest of the waits that are not None (None when all are)."""
    known = [wait for wait in waits if wait is not None]
    return min(known) if known else None
