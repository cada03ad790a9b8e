"""The process: clean stop on SIGTERM, a continued database, `--reset`, invalid settings."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from stack.supervisor import python_command
from tests.support.sandbox import SandboxServer


def _strip(truth: dict) -> dict:
    return {key: value for key, value in truth.items() if key != "generated_at"}


def test_sigterm_stops_cleanly_with_the_stream_running(start_sandbox) -> None:
    sandbox: SandboxServer = start_sandbox(rate=50.0, stream=True)
    time.sleep(0.3)
    started = time.monotonic()
    assert sandbox.stop() == 0
    assert time.monotonic() - started < 5
    assert "stopped" in sandbox.log_path.read_text()


def test_sigint_stops_cleanly(start_sandbox) -> None:
    sandbox: SandboxServer = start_sandbox(orgs=1, workspaces=1)
    sandbox.process.signal(signal.SIGINT)
    deadline = time.monotonic() + 10
    while sandbox.process.alive and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox.process.returncode == 0


def test_restart_continues_and_reset_reseeds(tmp_path: Path) -> None:
    sandbox = SandboxServer(tmp_path / "first", orgs=2, workspaces=3).start()
    try:
        org = sandbox.org_ids()[0]
        ws = next(iter(sandbox.truth()["orgs"][org]["workspaces"]))
        sandbox.insert_executions(ws, 6, 2)
        before = sandbox.truth()
    finally:
        sandbox.kill()
    sandbox.start()
    try:
        after = sandbox.truth()
        assert _strip(after) == _strip(before), "truth is cumulative across restarts"
        sandbox.insert_executions(ws, 1, 0)
        assert sandbox.truth()["orgs"][org]["workspaces"][ws]["executions"]["total"] == 7
    finally:
        sandbox.stop()
    reset = SandboxServer(tmp_path / "first", orgs=2, workspaces=3, extra_args=("--reset",))
    reset.start()
    try:
        truth = reset.truth()
        assert truth["orgs"][org]["workspaces"][ws]["executions"]["total"] == 0
        assert sorted(truth["orgs"]) == sorted(before["orgs"]), "same seed, same platform"
    finally:
        reset.stop()


def test_same_seed_same_platform_across_processes(tmp_path: Path) -> None:
    truths, pages = [], []
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        sandbox = SandboxServer(tmp_path / name, seed=seed, orgs=2, workspaces=4).start()
        try:
            truths.append(_strip(sandbox.truth()))
            org = sandbox.org_ids()[0]
            pages.append(sandbox.get(f"/v1/orgs/{org}/workspaces").json())
        finally:
            sandbox.stop()
    assert truths[0] == truths[1] and pages[0] == pages[1]
    assert truths[0] != truths[2]


def test_invalid_settings_exit_2_listing_every_problem() -> None:
    result = subprocess.run(
        python_command("sandbox", "--orgs", "0", "--rate", "-2", "--port", "x"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    for fragment in ("orgs must be", "rate must", "--port"):
        assert fragment in result.stderr, result.stderr
