"""`mm-analytics sandbox`: seed or continue the database, start the stream, serve until a signal."""

from __future__ import annotations

import logging
import os
import random
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from types import FrameType

from werkzeug.serving import BaseWSGIServer, make_server

from sandbox.activity import ActivityWriter
from sandbox.app import create_app
from sandbox.config import ConfigError, SandboxConfig, load_config
from sandbox.database import clear_data, connect, create_schema, is_seeded, read_meta
from sandbox.faults import FaultInjector
from sandbox.generator import seed_database
from sandbox.history import HistoryPlan, seed_history
from sandbox.service_token import ServiceToken
from sandbox.state import SandboxState
from sandbox.stream import ActivityStream, StreamSettings
from sandbox.timefmt import to_micros
from sandbox.traffic import TrafficLog

log = logging.getLogger("sandbox")


def prepare_database(config: SandboxConfig) -> int:
    """Create, reset or continue the database; returns how many activity records it holds."""
    config.db.parent.mkdir(parents=True, exist_ok=True)
    db = connect(config.db)
    try:
        create_schema(db)
        if config.reset:
            clear_data(db)
        if is_seeded(db):
            meta = read_meta(db)
            log.info(
                "continuing %s (seed %s, %s org(s) x %s workspace(s))",
                config.db,
                meta.get("seed"),
                meta.get("orgs"),
                meta.get("workspaces"),
            )
        else:
            started = time.monotonic()
            seed_database(db, config.seed, config.orgs, config.workspaces)
            records = seed_history(db, history_plan(config))
            log.info(
                "seeded %s org(s) x %s workspace(s), %s day(s) of history (%s records) in %.2f s",
                config.orgs,
                config.workspaces,
                config.history_days,
                records,
                time.monotonic() - started,
            )
        return int(db.execute("SELECT count(*) FROM activity").fetchone()[0])
    finally:
        db.close()


def history_plan(config: SandboxConfig) -> HistoryPlan:
    """The history a fresh database gets: it ends at start-up, or earlier when asked."""
    now = datetime.now(UTC)
    end = now if config.history_end is None else min(config.history_end, now)
    return HistoryPlan(
        seed=config.seed,
        days=config.history_days,
        rate=config.history_rate,
        failure_ratio=config.failure_ratio,
        api_call_ratio=config.api_call_ratio,
        end_us=to_micros(end),
    )


def build_state(config: SandboxConfig, activity_records: int) -> SandboxState:
    """The long-lived parts: activity writer, stream (not started), faults, traffic log."""
    db = connect(config.db)
    try:
        writer = ActivityWriter(db)
    finally:
        db.close()
    settings = StreamSettings(
        running=config.stream,
        rate=config.rate,
        failure_ratio=config.failure_ratio,
        api_call_ratio=config.api_call_ratio,
        boundary_cluster=config.boundary_cluster,
        late_ratio=config.late_ratio,
        lateness_seconds=config.lateness_seconds,
    )
    # A continued database gets a different draw than the first run of the same seed.
    rng = random.Random(f"stream-{config.seed}-{activity_records}")  # noqa: S311
    stream = ActivityStream(lambda: connect(config.db), writer, settings, rng)
    return SandboxState(
        db_path=config.db,
        token=ServiceToken(config.token),
        writer=writer,
        stream=stream,
        faults=FaultInjector(config.seed),
        traffic=TrafficLog(),
    )


def _stop_on_signals(server: BaseWSGIServer) -> None:
    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: stopping", signal.Signals(signum).name)
        # shutdown() waits for serve_forever to return, so it must not run on the serving thread.
        threading.Thread(target=server.shutdown, name="shutdown").start()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def serve(config: SandboxConfig) -> None:
    """Serve until SIGTERM/SIGINT, then stop the stream and close the server."""
    sandbox_state = build_state(config, prepare_database(config))
    server = make_server(config.host, config.port, create_app(sandbox_state), threaded=True)
    _stop_on_signals(server)
    sandbox_state.stream.start()
    log.info(
        "sandbox platform on http://%s:%s (stream %s)",
        config.host,
        server.port,
        "running" if config.stream else "paused",
    )
    try:
        server.serve_forever()
    finally:
        sandbox_state.stream.stop()
        server.server_close()
        log.info("stopped")


def main(argv: Sequence[str]) -> int:
    """Run the sandbox platform; 2 on invalid settings."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    try:
        config = load_config(argv, os.environ)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    try:
        serve(config)
    except (OSError, sqlite3.Error) as error:  # the port is taken, the database unusable
        print(f"mm-analytics sandbox: {error}", file=sys.stderr)
        return 1
    return 0
