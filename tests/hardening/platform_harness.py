"""Support of the platform-misbehaviour suite: exporters, truth per list, traffic and logs."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from exporter.platform import api
from tests.exporter.conftest import ExporterProcess, Samples, launch_exporter, select
from tests.exporter.truth import comparable, executions, exported_workspace, truth_executions
from tests.support.sandbox import SandboxServer
from vocabulary import catalogue as cat

PAGE_SIZE = 3  # small pages, so every inventory list of the sandbox spans several
TIMEOUT = 0.5
RETRIES = 1
CONCURRENCY = 4
BODY_CAP = 256 * 1024
# Each exporter of the suite: short intervals and timeouts, small pages, a small body cap.
SETTINGS: dict[str, Any] = {
    "inventory_interval": 0.5,
    "activity_interval": 0.3,
    "activity_lag": 0.2,
    "activity_overlap": 3,
    "request_timeout": TIMEOUT,
    "max_retries": RETRIES,
    "backoff_base": 0.05,
    "backoff_max": 0.1,
    "concurrency": CONCURRENCY,
    "inventory_page_size": PAGE_SIZE,
    "max_response_bytes": BODY_CAP,
}
# An interval no test outlives: the exporter makes exactly one pass and one poll, at its start.
ONCE = 3600
WorkspaceKey = tuple[str, str]


def start(sandbox: SandboxServer, workdir: Path, **settings: Any) -> ExporterProcess:
    """An exporter on `sandbox` with the suite's settings, overridden by `settings`."""
    return launch_exporter(sandbox, workdir, **{**SETTINGS, **settings})


def wait(predicate: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    """Poll `predicate` until it returns something true; that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} not met within {timeout} s")


def collector(samples: Samples, family: cat.Family, name: str) -> float:
    """A per-collector self-metric, 0 when absent."""
    return samples.get((family.sample_name, frozenset({("collector", name)})), 0.0)


def ran(samples: Samples, name: str) -> bool:
    """Whether the collector has finished a run, successful or not."""
    last = collector(samples, cat.COLLECTOR_LAST_SUCCESS, name)
    return last > 0 or collector(samples, cat.COLLECTOR_FAILURES, name) > 0


def workspaces(truth: dict[str, Any]) -> list[WorkspaceKey]:
    """Every (org, workspace) of the truth."""
    return [(org, ws) for org, data in truth["orgs"].items() for ws in data["workspaces"]]


def resources(truth: dict[str, Any], key: WorkspaceKey) -> dict[str, int]:
    """The nine resource counts of one workspace in the truth."""
    return dict(truth["orgs"][key[0]]["workspaces"][key[1]]["resources"])


def published(samples: Samples) -> set[WorkspaceKey]:
    """The workspaces the exporter publishes."""
    infos = select(samples, cat.WORKSPACE_INFO.sample_name)
    return {(dict(labels)["org_id"], dict(labels)["workspace_id"]) for labels in infos}


def wrong_workspaces(samples: Samples, truth: dict[str, Any]) -> list[WorkspaceKey]:
    """Published workspaces whose gauges differ from the truth."""
    return [
        key
        for key in sorted(published(samples))
        if exported_workspace(samples, *key)
        != comparable(truth["orgs"][key[0]]["workspaces"][key[1]])
    ]


def inventory_gauges(samples: Samples) -> dict[Any, float]:
    """Every inventory gauge but the collection times."""
    names = {f.sample_name for f in (*cat.INVENTORY_FAMILIES, *cat.APP_FAMILIES)}
    names |= {f.sample_name for f in cat.NAMESPACE_FAMILIES}
    names.discard(cat.WORKSPACE_COLLECTED.sample_name)
    return {key: value for key, value in samples.items() if key[0] in names}


def stale(samples: Samples) -> int:
    """Stale workspaces over every org."""
    return int(sum(select(samples, cat.STALE_WORKSPACES.sample_name).values()))


def pages(items: int, size: int = PAGE_SIZE) -> int:
    """Requests an honest list of `items` costs at `size` a page."""
    return max(1, math.ceil(items / size))


def route(endpoint: api.Endpoint) -> str:
    """The sandbox's route rule of an endpoint."""
    return re.sub(r"\{(\w+)\}", r"<\1>", endpoint.template)


def platform_counts(sandbox: SandboxServer, endpoint: api.Endpoint) -> dict[str, int]:
    """Requests the platform answered on one endpoint, by status code."""
    return dict(sandbox.requests_seen()["by_route_status"].get(route(endpoint), {}))


def exporter_counts(samples: Samples, endpoint: api.Endpoint) -> dict[str, int]:
    """Requests the exporter counted on one endpoint, by code."""
    rows = select(samples, cat.PLATFORM_REQUESTS.sample_name, endpoint=endpoint.template)
    return {dict(labels)["code"]: int(value) for labels, value in rows.items()}


def log_lines(exporter: ExporterProcess, *patterns: str) -> list[str]:
    """Lines of the exporter's log that match every pattern."""
    path = exporter.process.log_path
    assert path is not None
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line for line in lines if all(re.search(pattern, line) for pattern in patterns)]


def peak_memory(pid: int) -> int:
    """The peak resident memory of a process, in bytes (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM for process {pid}")


def settled_executions(sandbox: SandboxServer, exporter: ExporterProcess) -> Samples:
    """With the stream paused: wait until every execution counter equals the truth exactly."""
    sandbox.set_stream(running=False)
    try:
        expected = truth_executions(sandbox.truth())
        return exporter.wait_for(lambda samples: executions(samples) == expected)
    finally:
        sandbox.set_stream(running=True)
