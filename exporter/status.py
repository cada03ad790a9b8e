"""How the scheduled collections went: the state behind the self-metrics and `/healthz`.

`run_recorded` is the only way a scheduled job runs: it times the job, never lets an exception
reach the scheduler, logs a failure with its context and records it, so the previous data stays
exposed while `collector_up` drops to 0 and `collector_failures_total` grows.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from vocabulary.catalogue import COLLECTORS

log = logging.getLogger(__name__)


class CollectionFailed(Exception):
    """A collection run failed for a known reason (logged without a traceback)."""


@dataclass(frozen=True)
class RunState:
    """The outcome of a collector's runs so far."""

    ran: bool = False
    up: bool = False
    last_success: float = 0.0
    duration: float = 0.0
    failures: int = 0
    error: str | None = None


class RunStatus:
    """The latest `RunState` of every collector, replaced as a whole on each run."""

    def __init__(self, collectors: Iterable[str] = COLLECTORS) -> None:
        self._lock = threading.Lock()
        self._states = {name: RunState() for name in collectors}

    def record(
        self, collector: str, *, finished_at: float, duration: float, error: str | None
    ) -> None:
        """Record one run; `error` is None when it succeeded."""
        with self._lock:
            state = self._states[collector]
            self._states[collector] = replace(
                state,
                ran=True,
                up=error is None,
                last_success=finished_at if error is None else state.last_success,
                duration=duration,
                failures=state.failures + (error is not None),
                error=error,
            )

    def states(self) -> dict[str, RunState]:
        """Every collector's state."""
        with self._lock:
            return dict(self._states)

    def problems(self) -> dict[str, str]:
        """Why each unhealthy collector is unhealthy; empty when all are up."""
        return {
            name: "has not run yet" if not state.ran else state.error or "failed"
            for name, state in self.states().items()
            if not state.up
        }


def run_recorded(
    collector: str,
    job: Callable[[], None],
    status: RunStatus,
    clock: Callable[[], float] = time.time,
) -> None:
    """Run a collection job and record how it went; never raises (except to stop the process)."""
    started = time.monotonic()
    error: str | None = None
    try:
        job()
    except CollectionFailed as exception:
        error = str(exception)
        log.error("%s collection failed, previous data kept: %s", collector, error)
    except Exception as exception:
        error = f"{type(exception).__name__}: {exception}"
        log.exception("%s collection failed unexpectedly, previous data kept", collector)
    status.record(collector, finished_at=clock(), duration=time.monotonic() - started, error=error)
