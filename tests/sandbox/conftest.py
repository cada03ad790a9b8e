"""Fixtures: one shared sandbox per session (faults and request counts reset around each test)
and a factory for private sandboxes that a test may change at will."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.sandbox import SandboxServer

StartSandbox = Callable[..., SandboxServer]
# A history pinned in the past spans clock changes whatever the date: Lord Howe 2026-10-04
# (23.5 h) and Berlin 2026-10-25 (25 h).
HISTORY_END = "2026-10-27T12:00:00Z"
HISTORY_DAYS = 30


@pytest.fixture(scope="session")
def shared_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """Seed 7, 3 orgs x 8 workspaces, stream paused; tests must not change its data."""
    server = SandboxServer(tmp_path_factory.mktemp("sandbox-shared")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def history_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """Seed 7, 2 orgs x 6 workspaces, `HISTORY_DAYS` of history ending at `HISTORY_END`, stream
    paused; tests may add records but must not remove any."""
    server = SandboxServer(
        tmp_path_factory.mktemp("sandbox-history"),
        orgs=2,
        workspaces=6,
        history_days=HISTORY_DAYS,
        extra_args=("--history-rate=60", f"--history-end={HISTORY_END}"),
    ).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sandbox(shared_sandbox: SandboxServer) -> Iterator[SandboxServer]:
    """The shared sandbox with no faults and no requests counted."""
    shared_sandbox.clear_faults()
    shared_sandbox.reset_requests()
    yield shared_sandbox
    shared_sandbox.clear_faults()


@pytest.fixture
def start_sandbox(tmp_path: Path) -> Iterator[StartSandbox]:
    """Start private sandboxes (each in its own directory); all are stopped after the test."""
    started: list[SandboxServer] = []

    def start(name: str = "sandbox", **options: Any) -> SandboxServer:
        server = SandboxServer(tmp_path / name, **options)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()
