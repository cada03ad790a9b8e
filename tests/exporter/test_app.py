"""`mm-analytics exporter` as a process: clean stops, loud refusals, honest health."""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import time

import pytest
import requests

from stack.supervisor import ManagedProcess, free_port, python_command
from tests.exporter.conftest import FAST, ExporterProcess, clean_env, select
from tests.exporter.truth import executions, truth_executions
from vocabulary import catalogue as cat


def run_exporter(
    env: dict[str, str], *args: str, timeout: float = 30
) -> subprocess.CompletedProcess:
    return subprocess.run(
        python_command("exporter", *args),
        env={**clean_env(), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_exits_cleanly(sandbox, start_exporter, signum):
    exporter = start_exporter(sandbox)
    exporter.wait_for(lambda s: exporter.up(s, "inventory") == 1.0)
    exporter.process.signal(signum)
    deadline = time.monotonic() + 15
    while exporter.process.alive and time.monotonic() < deadline:
        time.sleep(0.1)
    assert exporter.process.returncode == 0
    log = exporter.process.log_path.read_text()
    assert "exporter stopped" in log and "Traceback" not in log
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{exporter.url}/metrics", timeout=2)


def test_a_bad_config_lists_every_problem_and_exits_2(tmp_path):
    config = tmp_path / "exporter.yml"
    config.write_text("platform_url: nowhere\nconcurrency: 0\n")
    result = run_exporter({"EXPORTER_ACTIVITY_INTERVAL": "soon"}, "--config", str(config))
    assert result.returncode == 2
    for fragment in (
        "platform_url (from file)",
        "concurrency (from file)",
        "activity_interval (from EXPORTER_ACTIVITY_INTERVAL)",
        "platform_token is required",
        "org_ids is required",
    ):
        assert fragment in result.stderr
    assert "Traceback" not in result.stderr


def base_env(sandbox, tmp_path, port: int) -> dict[str, str]:
    return {
        **FAST,
        "EXPORTER_PLATFORM_URL": sandbox.url,
        "EXPORTER_PLATFORM_TOKEN": sandbox.token,
        "EXPORTER_ORG_IDS": ",".join(sandbox.org_ids()),
        "EXPORTER_LISTEN_ADDRESS": f"127.0.0.1:{port}",
        "EXPORTER_LEDGER_PATH": str(tmp_path / "ledger.sqlite3"),
    }


def test_a_corrupt_ledger_stops_the_start_and_is_left_alone(sandbox, tmp_path):
    ledger = tmp_path / "ledger.sqlite3"
    ledger.write_bytes(b"\x00garbage" * 1000)
    result = run_exporter(base_env(sandbox, tmp_path, free_port()))
    assert result.returncode == 1
    assert f"ledger {ledger} is not a usable SQLite database" in result.stderr
    assert "Traceback" not in result.stderr
    assert ledger.read_bytes() == b"\x00garbage" * 1000


def test_a_busy_port_stops_the_start(sandbox, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = run_exporter(base_env(sandbox, tmp_path, taken.getsockname()[1]))
    assert result.returncode == 1
    assert "cannot start" in result.stderr and "Traceback" not in result.stderr


def test_flags_override_the_environment(sandbox, tmp_path):
    port = free_port()
    first_org = sandbox.org_ids()[0]
    process = ManagedProcess(
        "exporter",
        python_command("exporter", "--org-ids", first_org),
        log_path=tmp_path / "exporter.log",
        ready_url=f"http://127.0.0.1:{port}/metrics",
    )
    process.env = {**clean_env(), **base_env(sandbox, tmp_path, port), "EXPORTER_ORG_IDS": "x"}
    exporter = ExporterProcess(process, f"http://127.0.0.1:{port}", tmp_path / "ledger.sqlite3")
    try:
        process.start()
        samples = exporter.wait_for(lambda s: exporter.up(s, "inventory") == 1.0)
    finally:
        status = process.stop()
    orgs = {dict(labels)["org_id"] for labels in select(samples, cat.WORKSPACE_INFO.sample_name)}
    assert orgs == {first_org}
    assert status == 0


def test_health_and_routes_when_the_platform_is_down(tmp_path, start_exporter, sandbox):
    exporter = start_exporter(sandbox, platform_url=f"http://127.0.0.1:{free_port()}")
    samples = exporter.wait_for(
        lambda s: all(
            select(s, cat.COLLECTOR_FAILURES.sample_name, collector=name)
            == {frozenset({("collector", name)}): 1.0}
            for name in cat.COLLECTORS
        )
    )
    assert select(samples, cat.WORKSPACE_INFO.sample_name) == {}
    response = exporter.health()
    assert response.status_code == 503
    reasons = response.json()["reasons"]
    assert set(reasons) == {"inventory", "activity"}
    assert "PlatformUnavailable" in reasons["activity"]
    metrics = requests.get(f"{exporter.url}/metrics", timeout=5)
    assert metrics.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert requests.get(f"{exporter.url}/nope", timeout=5).status_code == 404
    assert requests.post(f"{exporter.url}/metrics", timeout=5).status_code == 405


def test_an_unwritable_ledger_holds_the_counts_and_says_why(sandbox, start_exporter):
    exporter = start_exporter(sandbox)
    expected = truth_executions(sandbox.truth())
    exporter.wait_for(lambda s: executions(s) == expected)
    mark_name = cat.LEDGER_HIGH_WATER.sample_name
    blocker = sqlite3.connect(exporter.ledger_path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # someone else holds the ledger: writes fail
    try:
        workspace = next(iter(expected))
        sandbox.insert_executions(workspace[1], 4, failed=1)
        samples = exporter.wait_for(lambda s: exporter.up(s, "activity") == 0.0)
        marks = select(samples, mark_name)
        time.sleep(1.5)
        later = exporter.scrape()
        assert select(later, mark_name) == marks  # the high-water mark does not move
        assert executions(later) == expected  # nothing is exposed that is not committed
        reason = exporter.health().json()["reasons"]["activity"]
        assert "cannot be written: database is locked" in reason
        assert "cannot be written" in exporter.process.log_path.read_text()
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    expected = truth_executions(sandbox.truth())
    exporter.wait_for(lambda s: executions(s) == expected and exporter.up(s, "activity") == 1.0)
