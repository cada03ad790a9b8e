"""`mm-analytics facade` under gunicorn: two workers, live data, metrics merged across workers."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from stack.supervisor import ManagedProcess, free_port, python_command
from tests.facade.conftest import JWT_SECRET
from tests.support.facade_http import OpenApiChecker
from tests.support.facade_live import LiveStack
from vocabulary.catalogue import FACADE_REQUESTS


def served_count(base: str, route: str) -> float:
    """Requests to `route` that the server's /metrics reports, over all workers."""
    text = requests.get(f"{base}/metrics", timeout=10).text
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == FACADE_REQUESTS.sample_name and sample.labels["route"] == route:
                total += sample.value
    return total


def test_gunicorn_serves_live_data_and_merged_metrics(
    tmp_path: Path,
    live_stack: LiveStack,
    token: Callable[..., str],
    checker: OpenApiChecker,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    org, workspace = live_stack.org_id, live_stack.workspace_id
    env = {"FACADE_PROMETHEUS_URL": live_stack.prometheus.url, "FACADE_JWT_SECRET": JWT_SECRET}
    server = ManagedProcess(
        "facade",
        python_command("facade", "--bind", f"127.0.0.1:{port}", "--workers", "2"),
        log_path=tmp_path / "facade.log",
        env=env,
        ready_url=f"{base}/healthz",
    )
    server.start(ready_timeout=60)
    try:
        headers = {"Authorization": f"Bearer {token(org)}"}
        path = f"/v1/orgs/{org}/workspaces/{workspace}/analytics"
        answer = requests.get(base + path, headers=headers, timeout=10)
        assert answer.status_code == 200, server.log_hint
        checker.check_body(path, "GET", 200, answer.json())
        expected = live_stack.workspace(org, workspace)["executions"]["total"]
        assert answer.json()["executions"]["total"] == expected
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        before = served_count(base, "/healthz")
        for _ in range(20):
            assert requests.get(f"{base}/healthz", timeout=10).status_code == 200
        assert served_count(base, "/healthz") == before + 20
        assert requests.get(f"{base}/readyz", timeout=10).json() == {"status": "ready"}
    finally:
        assert server.stop() == 0
    log = (tmp_path / "facade.log").read_text()
    assert "Booting worker" in log
    assert token(org) not in log


def test_bad_configuration_stops_before_serving() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FACADE_")}
    result = subprocess.run(
        python_command("facade", "--bind", f"127.0.0.1:{free_port()}"),
        env={**env, "FACADE_PROMETHEUS_TIMEOUT": "-1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "FACADE_PROMETHEUS_TIMEOUT" in result.stderr
    assert "no authentication is configured" in result.stderr
