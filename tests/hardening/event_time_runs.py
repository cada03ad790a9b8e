"""The three runs of the event-time suite, all streaming across the same real quarter hour.

- *boundary*: executions clustered within 5 s of the boundary, a real exporter with the `FAST`
  settings (lateness 0, exposure hold 3 s) and Prometheus scraping it every second;
- *chaos*: the same, while the exporter is SIGKILLed and restarted at once six times and
  Prometheus is restarted twice, once after an outage of more than 60 s over the boundary;
- *late*: a stream with records written up to 30 s late under an exporter whose lateness is
  10 s, then records inserted 2 s and 25 s late just after the boundary.

Each runner appends the stop of every process it starts to `cleanup` before starting it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.hardening.chaos_stack import ChaosStack
from tests.hardening.event_time_buckets import Truth
from tests.hardening.event_time_stack import (
    ConfiguredStack,
    Timeline,
    insert_executions,
    new_sandbox,
    settle,
)
from tests.support.prometheus import PrometheusServer
from tests.support.sandbox import SandboxServer

Cleanup = list[Callable[[], object]]
RATE = 10.0  # executions per second over all workspaces
FAILURE_RATIO = 0.2
CLUSTER = 0.8  # of the executions are held back to within 5 s of the next boundary
LEAD, TRAIL = 60.0, 60.0  # the clustered stream runs from LEAD s before to TRAIL s after
# (seconds from the boundary, action): six exporter kills, a quick Prometheus restart, and a
# Prometheus outage from 28 s before to 40 s after the boundary.
CHAOS = (
    (-50.0, "kill exporter"),
    (-42.0, "restart prometheus"),
    (-35.0, "kill exporter"),
    (-28.0, "stop prometheus"),
    (-12.0, "kill exporter"),
    (8.0, "kill exporter"),
    (40.0, "start prometheus"),
    (48.0, "kill exporter"),
    (55.0, "kill exporter"),
)
LATENESS = 10.0
LATE_SETTINGS = {
    "activity_lateness": LATENESS,
    "activity_late_horizon": 120,
    "activity_sweep_interval": 1,
}
LATE_STREAM_END = -20.0  # the late stream stops here: all its records are written by then
# (seconds from the boundary, late_seconds): 2 executions (1 failed) per workspace each.
LATE_INSERTS = ((1.0, 2.0), (15.0, 25.0))
INSERTED = (2, 1)


@dataclass
class StreamedRun:
    """A finished run whose processes still serve, settled past the stream's end."""

    sandbox: SandboxServer
    prometheus: PrometheusServer
    timeline: Timeline
    stopped: float
    events: list[tuple[float, str]] = field(default_factory=list)  # (unix time, what)
    chaos: ChaosStack | None = None


def _chaos_stack(workdir: Path, seed: int, cleanup: Cleanup) -> ChaosStack:
    """A sandbox, exporter and Prometheus of the chaos helpers (no façade process)."""
    sandbox = new_sandbox(workdir, seed)
    cleanup.append(sandbox.stop)
    stack = ChaosStack(workdir, sandbox)
    cleanup.append(stack.stop)
    stack.restart("exporter")
    stack.restart("prometheus")
    return stack


def _clustered_stream(stack: ChaosStack, timeline: Timeline, steps: tuple = ()) -> StreamedRun:
    """Stream from LEAD before to TRAIL after the boundary, taking `steps` on the way."""
    sandbox = stack.sandbox
    timeline.wait(-LEAD)
    sandbox.set_stream(
        running=True, rate=RATE, failure_ratio=FAILURE_RATIO, boundary_cluster=CLUSTER
    )
    run = StreamedRun(sandbox, stack.prometheus, timeline, 0.0, [(time.time(), "stream")])
    try:
        for offset, action in steps:
            timeline.wait(offset)
            _chaos_step(stack, action)
            run.events.append((time.time(), action))
        timeline.wait(TRAIL)
    finally:
        sandbox.set_stream(running=False)
    run.stopped = time.time()
    return run


def _chaos_step(stack: ChaosStack, action: str) -> None:
    if action == "kill exporter":
        stack.kill("exporter")
        stack.restart("exporter", wait=False)  # at once, on the same ledger and port
    elif action == "restart prometheus":
        stack.kill("prometheus")
        stack.restart("prometheus")  # the same data directory and port
    elif action == "stop prometheus":
        stack.kill("prometheus")
    else:
        stack.restart("prometheus")


def run_boundary(workdir: Path, timeline: Timeline, cleanup: Cleanup) -> StreamedRun:
    """Clustered executions across the boundary, nothing killed."""
    stack = _chaos_stack(workdir, 11, cleanup)
    run = _clustered_stream(stack, timeline)
    settle(stack.prometheus, stack.sandbox.org_ids(), run.stopped + 1)
    return run


def run_chaos(workdir: Path, timeline: Timeline, cleanup: Cleanup) -> StreamedRun:
    """Clustered executions across the boundary while exporter and Prometheus are killed."""
    stack = _chaos_stack(workdir, 17, cleanup)
    run = _clustered_stream(stack, timeline, CHAOS)
    run.chaos = stack
    settle(stack.prometheus, stack.sandbox.org_ids(), run.stopped + 1)
    return run


def run_late(workdir: Path, timeline: Timeline, cleanup: Cleanup) -> StreamedRun:
    """Late records: a stream written up to 30 s late, then inserts 2 s and 25 s late."""
    sandbox = new_sandbox(workdir, 23)
    cleanup.append(sandbox.stop)
    stack = ConfiguredStack(workdir, sandbox, **LATE_SETTINGS)
    cleanup.append(stack.stop)
    stack.start()
    workspaces = sorted(Truth.read(sandbox, None).org_of)
    timeline.wait(-LEAD)
    sandbox.set_stream(
        running=True,
        rate=RATE,
        failure_ratio=FAILURE_RATIO,
        late_ratio=0.5,
        lateness_seconds=3 * LATENESS,
    )
    run = StreamedRun(sandbox, stack.prometheus, timeline, 0.0, [(time.time(), "stream")])
    try:
        timeline.wait(LATE_STREAM_END)
    finally:
        sandbox.set_stream(running=False)
    run.events.append((time.time(), "stream stopped"))
    for offset, late_seconds in LATE_INSERTS:
        timeline.wait(offset)
        for workspace_id in workspaces:
            insert_executions(sandbox, workspace_id, *INSERTED, late_seconds=late_seconds)
        run.events.append((time.time(), f"inserted {late_seconds:g} s late"))
    run.stopped = time.time()
    settle(stack.prometheus, sandbox.org_ids(), run.stopped + 1)
    return run
