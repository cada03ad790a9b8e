"""The three runs of the event-time suite, all streaming across the same real boundary.

- *boundary*: a stream from LEAD s before to TRAIL s after the boundary, with executions
  clustered within 5 s of it, under a real exporter with the `FAST` settings (lateness 0,
  exposure hold 3 s) and Prometheus scraping it every second;
- *chaos*: the same, while the exporter is SIGKILLed and restarted at once six times and
  Prometheus is restarted twice, once after an outage of more than 60 s over the boundary;
- *late*: a stream with records written up to 30 s late under an exporter whose lateness is
  10 s, then records inserted 2 s and 25 s late just after the boundary.

Each run is prepared first (`prepare_*`: its processes started, their stops appended to
`cleanup` before each starts) and returns the stream to run once the suite has picked the
boundary, so that slow starts cost no margin of their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

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
LEAD, TRAIL = 40.0, 42.0  # the streams run from LEAD s before to TRAIL s after the boundary
# Executions written on time at these offsets, CLUSTERED (total, failed) per workspace each.
CLUSTER = tuple(offset - 4.5 for offset in range(10))
CLUSTERED = (2, 1)
# (seconds from the boundary, action): six exporter kills, a quick Prometheus restart, and a
# Prometheus outage from 28 s before to 34 s after the boundary.
CHAOS = (
    (-38.0, "kill exporter"),
    (-35.0, "restart prometheus"),
    (-28.0, "stop prometheus"),
    (-20.0, "kill exporter"),
    (-8.0, "kill exporter"),
    (8.0, "kill exporter"),
    (20.0, "kill exporter"),
    (34.0, "start prometheus"),
    (38.0, "kill exporter"),
)
LATENESS = 10.0
LATE_SETTINGS = {
    "activity_lateness": LATENESS,
    "activity_late_horizon": 120,
    "activity_sweep_interval": 1,
}
LATE_STREAM_END = -18.0  # the late stream stops here: all its records are written by then
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
    chaos: ConfiguredStack | None = None


Stream = Callable[[Timeline], StreamedRun]


def _stack(workdir: Path, seed: int, cleanup: Cleanup, **settings: float) -> ConfiguredStack:
    """A sandbox, its exporter and Prometheus, started."""
    sandbox = new_sandbox(workdir, seed)
    cleanup.append(sandbox.stop)
    stack = ConfiguredStack(workdir, sandbox, **settings)
    cleanup.append(stack.stop)
    return stack.start()


def _clustered_stream(
    stack: ConfiguredStack, timeline: Timeline, steps: tuple[tuple[float, str], ...] = ()
) -> StreamedRun:
    """Stream from LEAD before to TRAIL after the boundary, clustering executions around it
    and taking `steps` on the way."""
    sandbox = stack.sandbox
    workspaces = sorted(Truth.read(sandbox, None).org_of)
    plan = sorted([*steps, *((offset, "cluster") for offset in CLUSTER)])
    timeline.wait(-LEAD)
    sandbox.set_stream(running=True, rate=RATE, failure_ratio=FAILURE_RATIO, boundary_cluster=0)
    run = StreamedRun(sandbox, stack.prometheus, timeline, 0.0, [(time.time(), "stream")])
    try:
        for offset, action in plan:
            timeline.wait(offset)
            if action == "cluster":
                for workspace_id in workspaces:
                    insert_executions(sandbox, workspace_id, *CLUSTERED, late_seconds=0)
                continue
            _chaos_step(stack, action)
            run.events.append((time.time(), action))
        timeline.wait(TRAIL)
    finally:
        sandbox.set_stream(running=False)
    run.stopped = time.time()
    settle(stack.prometheus, sandbox.org_ids(), run.stopped + 1)
    return run


def _chaos_step(stack: ConfiguredStack, action: str) -> None:
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


def prepare_boundary(workdir: Path, cleanup: Cleanup) -> Stream:
    """Clustered executions across the boundary, nothing killed."""
    stack = _stack(workdir, 11, cleanup)
    return lambda timeline: _clustered_stream(stack, timeline)


def prepare_chaos(workdir: Path, cleanup: Cleanup) -> Stream:
    """Clustered executions across the boundary while exporter and Prometheus are killed."""
    stack = _stack(workdir, 17, cleanup)

    def stream(timeline: Timeline) -> StreamedRun:
        run = _clustered_stream(stack, timeline, CHAOS)
        run.chaos = stack
        return run

    return stream


def prepare_late(workdir: Path, cleanup: Cleanup) -> Stream:
    """Late records: a stream written up to 30 s late, then inserts 2 s and 25 s late."""
    stack = _stack(workdir, 23, cleanup, **LATE_SETTINGS)
    return lambda timeline: _late_stream(stack, timeline)


def _late_stream(stack: ConfiguredStack, timeline: Timeline) -> StreamedRun:
    sandbox = stack.sandbox
    workspaces = sorted(Truth.read(sandbox, None).org_of)
    timeline.wait(-LEAD)
    sandbox.set_stream(
        running=True,
        rate=RATE,
        failure_ratio=FAILURE_RATIO,
        boundary_cluster=0,
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
