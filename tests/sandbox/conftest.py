"""Fixtures: one shared sandbox per session (faults and request counts reset around each test)
and a factory for private sandboxes that a test may change at will."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.sandbox import SandboxServer

StartSandbox = Callable[..., SandboxServer]


@pytest.fixture(scope="session")
def shared_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """Seed 7, 3 orgs x 8 workspaces, stream paused; tests must not change its data."""
    server = SandboxServer(tmp_path_factory.mktemp("sandbox-shared")).start()
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
