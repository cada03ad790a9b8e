"""`mm-analytics backfill` on a real sandbox and ledger into a real Prometheus data dir or a real
VictoriaMetrics: exact buckets, resumable."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import pytest

from exporter.backfill.values import first_boundary
from exporter.ledger.store import Ledger
from stack.supervisor import free_port
from tests.exporter.backfill.conftest import (
    SINCE,
    History,
    backfill_command,
    backfill_env,
    blocks,
    bucket_edges,
    read_history,
    run_backfill,
    truth,
)
from tests.exporter.backfill.detail_reads import DetailHistory, detail_truth, read_details
from tests.support.prometheus import PrometheusServer
from tests.support.sandbox import SandboxServer
from tests.support.victoria import VictoriaMetricsServer

ZONES = (("hour", "UTC"), ("day", "Asia/Kathmandu"))


def committed(workdir: Path) -> tuple[dict[str, int], dict[tuple[str, str], tuple[int, int]]]:
    """The ledger's starts and history counts."""
    ledger = Ledger(workdir / "ledger.sqlite3")
    try:
        return dict(ledger.view.starts), dict(ledger.view.history)
    finally:
        ledger.close()


class Store:
    """Where a test's backfill writes: `workdir`'s data dir, or a VictoriaMetrics of its own."""

    def __init__(self, kind: str, workdir: Path) -> None:
        self.workdir = workdir
        self.victoria = None
        self.target = None
        if kind == "victoriametrics":
            self.victoria = VictoriaMetricsServer(workdir / "victoria-metrics").start()
            self.target = f"--victoriametrics-url={self.victoria.url}"

    def written(self) -> object:
        """What the store holds: its blocks, or its count of backfilled samples."""
        if self.victoria is None:
            return blocks(self.workdir / "data")
        expr = 'sum(count_over_time({job="mechamental-backfill"}[100d]))'
        return self.victoria.query(expr)[0]["value"][1]

    def backfilled(self) -> tuple[History, dict[tuple[str, str], DetailHistory]]:
        """The boundary values the store answers, and the detail series at each zone's edges."""
        starts, history = committed(self.workdir)
        assert len(set(starts.values())) == 1
        start = next(iter(starts.values())) / 1e6
        first = first_boundary(round(SINCE.timestamp() * 1e6)) // 1_000_000
        totals = {ws: counts for (_, ws), counts in history.items()}
        if self.victoria is not None:
            return self._read(self.victoria, first, start, totals)
        data_dir = self.workdir / "data"
        prometheus = PrometheusServer(self.workdir / "prometheus", data_dir=data_dir).start()
        try:
            return self._read(prometheus, first, start, totals)
        finally:
            prometheus.stop()

    @staticmethod
    def _read(
        server: PrometheusServer | VictoriaMetricsServer,
        first: int,
        start: float,
        totals: dict[str, tuple[int, int]],
    ) -> tuple[History, dict[tuple[str, str], DetailHistory]]:
        found = {
            zone: read_details(server, first, start, bucket_edges(first, start, *zone))
            for zone in ZONES
        }
        return read_history(server, first, start, totals), found


@pytest.fixture(params=["prometheus", "victoriametrics"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each test's backfill into both stores."""
    store = Store(request.param, tmp_path)
    yield store
    if store.victoria is not None:
        store.victoria.stop()


def assert_exact(
    backfilled: tuple[History, dict[tuple[str, str], DetailHistory]], sandbox: SandboxServer
) -> None:
    """Every hour (UTC) and every Kathmandu day of every workspace is the sandbox's truth, its
    execution counters and every detail series."""
    history, found = backfilled
    for resolution, tz in ZONES:
        workspaces = truth(sandbox, resolution, tz)
        with_history = {ws for ws, item in workspaces.items() if item["total"]}
        assert set(history.values) == with_history
        assert {ws: history.totals[ws] for ws in with_history} == {
            ws: (workspaces[ws]["total"], workspaces[ws]["failed"]) for ws in with_history
        }
        edges = bucket_edges(history.first, history.start, resolution, tz)
        for ws in with_history:
            expected = {
                int(datetime.fromisoformat(b["start_utc"].replace("Z", "+00:00")).timestamp()): (
                    b["total"],
                    b["failed"],
                )
                for b in workspaces[ws]["buckets"]
            }
            measured = {}
            for low, high in pairwise(edges):
                later, earlier = history.at(ws, high), history.at(ws, low)
                difference = (later[0] - earlier[0], later[1] - earlier[1])
                if difference != (0, 0):
                    measured[low] = difference
            assert measured == expected, (ws, resolution, tz)
        expected_details = detail_truth(sandbox, resolution, tz)
        assert set(expected_details) == with_history
        for ws, buckets in expected_details.items():
            measured_details = found[(resolution, tz)].buckets(ws, edges)
            assert measured_details == buckets, (ws, resolution, tz)


def test_backfill_is_exact_and_a_second_run_writes_nothing(
    history_sandbox: SandboxServer, tmp_path: Path, store: Store
) -> None:
    done = run_backfill(history_sandbox, tmp_path, store.target)
    assert done.returncode == 0, done.stderr
    assert "backfilled" in done.stdout
    written = store.written()
    assert written
    ledger_before = committed(tmp_path)
    again = run_backfill(history_sandbox, tmp_path, store.target)
    assert again.returncode == 0, again.stderr
    assert "nothing to backfill" in again.stdout
    assert store.written() == written
    assert committed(tmp_path) == ledger_before
    assert_exact(store.backfilled(), history_sandbox)


def test_a_backfill_killed_at_a_random_moment_ends_the_same_when_run_again(
    history_sandbox: SandboxServer, tmp_path: Path, store: Store
) -> None:
    (tmp_path / "data").mkdir()
    moment = random.uniform(0.3, 4.0)
    process = subprocess.Popen(
        backfill_command(history_sandbox, tmp_path, target=store.target),
        env=backfill_env(history_sandbox),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(moment)
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    done = run_backfill(history_sandbox, tmp_path, store.target)
    assert done.returncode == 0, (moment, done.stderr)
    assert not (tmp_path / "data" / "backfill-staging").exists()
    assert_exact(store.backfilled(), history_sandbox)


def failed_run(command: list[str], env: dict[str, str]) -> str:
    """The error line that ends a backfill that cannot go on (exit 2, no traceback)."""
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("mm-analytics backfill: "), result.stderr
    return last


def test_clear_errors_without_a_traceback(history_sandbox: SandboxServer, tmp_path: Path) -> None:
    env = backfill_env(history_sandbox)
    (tmp_path / "data").mkdir()
    missing = backfill_command(history_sandbox, tmp_path, "--promtool=no-such-promtool")
    assert "Debian package 'prometheus'" in failed_run(missing, env)
    (tmp_path / "file").mkdir()
    (tmp_path / "file" / "data").write_text("a file where the data dir should be")
    assert "data dir" in failed_run(backfill_command(history_sandbox, tmp_path / "file"), env)
    refused = dict(env, EXPORTER_PLATFORM_TOKEN="wrong")
    assert "AuthenticationFailed" in failed_run(
        backfill_command(history_sandbox, tmp_path), refused
    )
    nowhere = f"--victoriametrics-url=http://127.0.0.1:{free_port()}"
    assert "cannot be reached" in failed_run(
        backfill_command(history_sandbox, tmp_path, target=nowhere), env
    )
    assert not (tmp_path / "data" / "backfill-staging").exists()
