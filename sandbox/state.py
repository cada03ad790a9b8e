"""What the sandbox's request handlers share: the token, the stream, faults, traffic counts, a
SQLite connection per thread, and the faults rolled for the request being served."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from flask import current_app, g

from sandbox.activity import ActivityWriter
from sandbox.database import connect
from sandbox.faults import NO_FAULTS, Decision, FaultInjector
from sandbox.service_token import ServiceToken
from sandbox.stream import ActivityStream
from sandbox.traffic import TrafficLog


class ConnectionPerThread:
    """One SQLite connection for each thread that asks, kept for the thread's life (a keep-alive
    client is served by one thread, so its requests share one connection)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._local = threading.local()

    def get(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use; it closes when the thread ends."""
        existing = getattr(self._local, "connection", None)
        if existing is None:
            existing = connect(self._path)
            self._local.connection = existing
        return cast(sqlite3.Connection, existing)


@dataclass(frozen=True)
class SandboxState:
    """The long-lived parts of one sandbox process."""

    db_path: Path
    token: ServiceToken
    writer: ActivityWriter
    stream: ActivityStream
    faults: FaultInjector
    traffic: TrafficLog
    connections: ConnectionPerThread = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "connections", ConnectionPerThread(self.db_path))


def state() -> SandboxState:
    """The state of the running app."""
    return cast(SandboxState, current_app.extensions["sandbox"])


def connection() -> sqlite3.Connection:
    """The calling thread's SQLite connection."""
    return state().connections.get()


def request_faults() -> Decision:
    """The faults rolled for the platform request being served (none for other requests)."""
    return cast(Decision, g.get("faults", NO_FAULTS))
