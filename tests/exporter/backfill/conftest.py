"""Fixtures of the backfill tests: a sandbox with 90 days of history, backfill runs, truth."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from stack.supervisor import python_command
from tests.support.prometheus import PrometheusServer
from tests.support.sandbox import SandboxServer
from tests.support.victoria import VictoriaMetricsServer

STEP = 900
HOUR = 3600
# The history ends at an odd time before now, so its newest window is a partial day.
HISTORY_END = datetime.fromtimestamp(time.time() // HOUR * HOUR - 2 * HOUR + 17 * 60, UTC)
DAYS = 90
SINCE = HISTORY_END - timedelta(
    days=DAYS, hours=1
)  # before the first record: values start at -total


@pytest.fixture(scope="package")
def history_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """Two orgs of four workspaces with 90 days of history (sparse, with the boundary bursts)
    and nothing since."""
    server = SandboxServer(
        tmp_path_factory.mktemp("backfill-sandbox"),
        orgs=2,
        workspaces=4,
        history_days=DAYS,
        extra_args=("--history-rate=8", f"--history-end={HISTORY_END.isoformat()}"),
    )
    with server:
        yield server


def backfill_command(
    sandbox: SandboxServer, workdir: Path, *extra: str, target: str | None = None
) -> list[str]:
    """`mm-analytics backfill` of every org of the sandbox into `target` (a store's flag),
    by default `workdir`'s data dir."""
    return python_command(
        "backfill",
        f"--since={SINCE.isoformat()}",
        target or f"--prometheus-data-dir={workdir / 'data'}",
        f"--platform-url={sandbox.url}",
        f"--org-ids={','.join(sandbox.org_ids())}",
        f"--ledger-path={workdir / 'ledger.sqlite3'}",
        *extra,
    )


def backfill_env(sandbox: SandboxServer) -> dict[str, str]:
    """The environment of a backfill: the token, and no stray exporter settings."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("EXPORTER_")}
    return {**environ, "EXPORTER_PLATFORM_TOKEN": sandbox.token}


def run_backfill(
    sandbox: SandboxServer, workdir: Path, target: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a backfill to its end."""
    (workdir / "data").mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        backfill_command(sandbox, workdir, target=target),
        env=backfill_env(sandbox),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def blocks(data_dir: Path) -> set[str]:
    """The block directories of a data dir."""
    return {path.name for path in data_dir.iterdir() if (path / "meta.json").exists()}


@dataclass(frozen=True)
class History:
    """Boundary values read from Prometheus, per workspace and time (s), and the live start."""

    first: int
    start: float
    totals: dict[str, tuple[int, int]]
    values: dict[str, dict[int, tuple[float, float]]]

    def at(self, workspace: str, boundary: int) -> tuple[float, float]:
        """The (total, failed) value at a boundary, outside the backfilled span included; a
        workspace's series stops at 0 after its newest execution's day (absent: 0)."""
        if boundary < self.first:
            total, failed = self.totals[workspace]
            return -total, -failed
        if boundary > self.start:
            return 0.0, 0.0
        return self.values[workspace].get(boundary, (0.0, 0.0))


def read_history(
    prometheus: PrometheusServer | VictoriaMetricsServer,
    first: int,
    start: float,
    totals: dict[str, tuple[int, int]],
) -> History:
    """Every boundary value of both families, `max by (workspace_id)` of `last_over_time`."""
    end = int(start) - int(start) % STEP + STEP
    values: dict[str, dict[int, list[float]]] = {}
    for index, metric in enumerate(
        ("mechamental_executions_by_time_total", "mechamental_executions_failed_by_time_total")
    ):
        expr = f"max by (workspace_id) (last_over_time({metric}[15m]))"
        data = prometheus.api("query_range", query=expr, start=first, end=end, step=STEP)
        for series in data["result"]:
            points = values.setdefault(series["metric"]["workspace_id"], {})
            for at, value in series["values"]:
                points.setdefault(int(at), [0.0, 0.0])[index] = float(value)
    frozen = {ws: {t: (v[0], v[1]) for t, v in p.items()} for ws, p in values.items()}
    return History(first, start, totals, frozen)


def truth(sandbox: SandboxServer, resolution: str, tz: str) -> dict[str, Any]:
    """The sandbox's executions by execution time, per workspace."""
    response = sandbox._session.get(
        f"{sandbox.url}/_sandbox/truth/executions",
        params={"resolution": resolution, "tz": tz},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["workspaces"])


def bucket_edges(first: int, last: float, resolution: str, tz: str) -> list[int]:
    """Hour or local-day starts (s) from before `first` to after `last`."""
    zone = ZoneInfo(tz)
    moment = datetime.fromtimestamp(first - 2 * 86_400, zone).replace(minute=0, second=0)
    if resolution == "day":
        moment = moment.replace(hour=0)
    edges = []
    while moment.timestamp() < last + 2 * 86_400:
        edges.append(int(moment.timestamp()))
        step = timedelta(hours=1) if resolution == "hour" else timedelta(days=1)
        moment = (
            (moment.astimezone(UTC) + step).astimezone(zone)
            if resolution == "hour"
            else (moment + step)
        )
    return edges
