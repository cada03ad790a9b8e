"""`mm-analytics up` on free ports: every service answers, the curl line works, nothing is left."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import requests

from exporter.launcher import DEFAULT_PORTS
from exporter.stack import free_port, python_command

BANNER_END = "Ctrl-C stops everything."


def read_lines(stream, lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def wait_for_banner(
    launcher: subprocess.Popen[str], lines: queue.Queue[str], timeout: float
) -> str:
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline and (launcher.poll() is None or not lines.empty()):
        try:
            seen.append(lines.get(timeout=0.5))
        except queue.Empty:
            continue
        if BANNER_END in seen[-1]:
            return "".join(seen)
    raise AssertionError("no banner within the deadline:\n" + "".join(seen))


def get_until_ok(url: str, headers: dict[str, str], timeout: float) -> requests.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = requests.get(url, headers=headers, timeout=5)
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        time.sleep(0.5)


@pytest.fixture()
def launched(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, int], str]]:
    ports = {service: free_port() for service in DEFAULT_PORTS}
    argv = python_command(
        "up",
        f"--state-dir={tmp_path / 'state'}",
        "--scrape-interval=1s",
        "--rate=5",
        *(f"--{service}-port={port}" for service, port in ports.items()),
    )
    launcher = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=read_lines, args=(launcher.stdout, lines), daemon=True).start()
    try:
        yield launcher, ports, wait_for_banner(launcher, lines, timeout=120)
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
        if launcher.stdout is not None:
            launcher.stdout.close()


def test_up_serves_every_service_and_stops_every_child(launched) -> None:
    launcher, ports, banner = launched
    for service, port in ports.items():
        assert f"http://127.0.0.1:{port}" in banner, service
    assert requests.get(f"http://127.0.0.1:{ports['sandbox']}/healthz", timeout=5).ok
    metrics = requests.get(f"http://127.0.0.1:{ports['exporter']}/metrics", timeout=5)
    assert "mechamental_executions_total" in metrics.text
    assert requests.get(f"http://127.0.0.1:{ports['prometheus']}/-/ready", timeout=5).ok
    assert requests.get(f"http://127.0.0.1:{ports['alertmanager']}/-/ready", timeout=5).ok

    token = re.search(r"Bearer (\S+)'", banner)
    url = re.search(r"(http://127\.0\.0\.1:\d+/v1/orgs/\S+/analytics)", banner)
    assert token and url, banner
    rollup = get_until_ok(url.group(1), {"Authorization": f"Bearer {token.group(1)}"}, 90)
    assert rollup.status_code == 200, rollup.text
    assert rollup.json()["workspace_count"] > 0

    children = psutil.Process(launcher.pid).children(recursive=True)
    assert len(children) >= len(DEFAULT_PORTS)
    launcher.send_signal(signal.SIGTERM)
    assert launcher.wait(timeout=60) == 0
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []
