"""The stream on the platform's clock: late records and records clustered at boundaries."""

from __future__ import annotations

import math
import random
import sqlite3
import time
from pathlib import Path

import requests

from sandbox.activity import ActivityWriter
from sandbox.boundaries import QUARTER_HOUR_SECONDS
from sandbox.database import connect, create_schema
from sandbox.generator import seed_database
from sandbox.stream import ActivityStream, StreamClocks, StreamSettings
from tests.sandbox.recompute_executions import execution_rows
from tests.support.sandbox import SandboxServer


def _shifted_stream(path: Path, settings: StreamSettings, lead: float) -> ActivityStream:
    """A stream on a wall clock `lead` seconds before the next quarter-hour boundary."""
    now = time.time()
    boundary = math.ceil((now + lead + 1) / QUARTER_HOUR_SECONDS) * QUARTER_HOUR_SECONDS
    shift = boundary - lead - now
    db = connect(path)
    create_schema(db)
    seed_database(db, 7, 1, 3)
    writer = ActivityWriter(db, clock=lambda: time.time_ns() + int(shift * 1e9))
    db.close()
    clocks = StreamClocks(wall=lambda: time.time() + shift)
    return ActivityStream(lambda: connect(path), writer, settings, random.Random(3), clocks)


def _stamps(path: Path) -> list[tuple[int, int]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("SELECT ts_us, written_us FROM activity ORDER BY seq").fetchall()
    finally:
        connection.close()


def test_clustered_executions_land_within_5_s_of_the_boundary(tmp_path: Path) -> None:
    path = tmp_path / "stream.db"
    settings = StreamSettings(rate=40.0, api_call_ratio=0.0, boundary_cluster=1.0)
    stream = _shifted_stream(path, settings, lead=6.5)
    stream.start()
    try:
        time.sleep(1.0)
        assert _stamps(path) == [], "held back until the boundary is near"
        time.sleep(10.0)
        written = _stamps(path)
        time.sleep(1.0)
        assert len(_stamps(path)) == len(written), "held again until the next boundary"
    finally:
        stream.stop()
    assert 250 <= len(written) <= 600, len(written)
    seconds = [ts / 1e6 for ts, _ in written]
    boundary = round(seconds[0] / QUARTER_HOUR_SECONDS) * QUARTER_HOUR_SECONDS
    assert all(abs(s - boundary) <= 5.0 for s in seconds)
    assert min(seconds) < boundary < max(seconds), "on both sides of the boundary"
    assert all(ts == written_us for ts, written_us in written), "written when stamped"


def test_pausing_drops_held_executions(tmp_path: Path) -> None:
    path = tmp_path / "stream.db"
    settings = StreamSettings(rate=50.0, api_call_ratio=0.0, boundary_cluster=1.0)
    stream = _shifted_stream(path, settings, lead=8.0)
    stream.start()
    try:
        time.sleep(1.0)
        stream.update({"running": False})
        time.sleep(8.0)
        assert _stamps(path) == []
    finally:
        stream.stop()


def test_late_executions_carry_old_timestamps(start_sandbox) -> None:
    sandbox: SandboxServer = start_sandbox(orgs=1, workspaces=3, rate=60.0)
    for bad in ({"late_ratio": 2}, {"lateness_seconds": -1}, {"boundary_cluster": 1.5}):
        response = requests.put(f"{sandbox.url}/_sandbox/stream", json=bad, timeout=10)
        assert response.status_code == 422, bad
    settings = sandbox.set_stream(running=True, late_ratio=0.5, lateness_seconds=30.0)
    assert (settings["late_ratio"], settings["lateness_seconds"]) == (0.5, 30.0)
    time.sleep(2.0)
    sandbox.set_stream(running=False)
    connection = sqlite3.connect(sandbox.db_path)
    rows = connection.execute("SELECT ts_us, written_us, execution_id FROM activity").fetchall()
    connection.close()
    delays = [(written - ts) / 1e6 for ts, written, exe in rows if exe is not None]
    late = [d for d in delays if d > 0]
    assert 0.3 <= len(late) / len(delays) <= 0.7, (len(late), len(delays))
    assert max(late) <= 30.0 and max(late) > 10.0
    assert all(written == ts for ts, written, exe in rows if exe is None), "API calls on time"
    assert all(ts <= written for ts, written, _ in rows), "never stamped in the future"
    body = requests.get(
        f"{sandbox.url}/_sandbox/truth/executions", params={"late_after": 10}, timeout=30
    ).json()
    served = sum(entry["late"] for entry in body["workspaces"].values())
    assert served == sum(1 for d in delays if d > 10) > 0
    assert len(execution_rows(sandbox.db_path)) == len(delays)
