"""The built wheel, installed into a fresh virtualenv outside the checkout, runs `mm-analytics up`.

The new virtualenv borrows the dependencies of the development one (a path line, not its .pth
files, so the checkout's editable install stays out) and runs from a directory outside the
repository: `stack` and the Prometheus files it starts with can only come from the wheel.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from stack.launcher import DEFAULT_PORTS
from stack.supervisor import REPO_ROOT, free_port
from tests.stack.launcher_output import read_lines, wait_for_banner
from tests.stack.test_up import assert_alert_links_on, get_until_ok

# What setup.py needs to build the wheel; copied so the build leaves nothing in the checkout.
BUILD_INPUTS = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md")
PACKAGES = ("exporter", "facade", "sandbox", "stack", "vocabulary")
LINKS_URL = "https://wheel.example.test"


def build_wheel(work: Path) -> Path:
    """The project's wheel, built from a copy of its sources."""
    source = work / "source"
    source.mkdir()
    for name in BUILD_INPUTS:
        shutil.copy2(REPO_ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in (*PACKAGES, "prometheus"):
        shutil.copytree(REPO_ROOT / name, source / name, ignore=ignore)
    pip = [sys.executable, "-m", "pip"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(work), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = work.glob("mechamental_analytics-*.whl")
    return wheel


def fresh_venv(work: Path, wheel: Path) -> Path:
    """A new virtualenv with the wheel installed and this one's dependencies on its path."""
    venv = work / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    python = venv / "bin" / "python"
    site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site_packages) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = ["install", "-q", "--no-deps", "--no-index", str(wheel)]
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), *install],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return venv


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """The virtualenv, a working directory outside the checkout, and an environment for both."""
    work = tmp_path_factory.mktemp("wheel")
    venv = fresh_venv(work, build_wheel(work))
    cwd = work / "run"
    cwd.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env = {key: value for key, value in env.items() if not key.startswith("MM_ANALYTICS_")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return venv, cwd, env


def test_the_installed_stack_and_its_files_come_from_the_wheel(installed) -> None:
    venv, cwd, env = installed
    assert REPO_ROOT not in cwd.parents
    result = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import stack, stack.prometheus_files as files;"
            "print(stack.__file__); print(files.prometheus_dir())",
        ],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    module, prometheus_dir = (Path(line) for line in result.stdout.split())
    assert venv in module.parents
    assert venv in prometheus_dir.parents
    assert sorted(path.name for path in (prometheus_dir / "rules").glob("*.yml")) == sorted(
        path.name for path in (REPO_ROOT / "prometheus" / "rules").glob("*.yml")
    )
    assert (prometheus_dir / "alertmanager.yml").is_file()
    assert (prometheus_dir / "remote_write.yml").is_file()  # for up --store victoriametrics


def iter_queue(lines: queue.Queue[str]) -> Iterator[str]:
    """What is left in `lines`, without waiting."""
    while not lines.empty():
        yield lines.get_nowait()


@pytest.fixture()
def launched_from_wheel(installed, tmp_path: Path) -> Iterator[tuple[str, dict[str, int]]]:
    venv, cwd, env = installed
    ports = {service: free_port() for service in DEFAULT_PORTS}
    argv = [
        str(venv / "bin" / "mm-analytics"),
        "up",
        f"--state-dir={tmp_path / 'state'}",
        "--scrape-interval=1s",
        "--history-days=1",  # a small history keeps the installed backfill quick
        "--backfill-days=1",
        f"--links-url={LINKS_URL}",
        *(f"--{service}-port={port}" for service, port in ports.items()),
    ]
    launcher = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=read_lines, args=(launcher.stdout, lines), daemon=True).start()
    try:
        yield wait_for_banner(launcher, lines, timeout=120), ports
    finally:
        launcher.send_signal(signal.SIGTERM)
        try:
            status = launcher.wait(timeout=60)
            time.sleep(0.5)  # the reader thread drains what the launcher wrote last
            assert status == 0, "".join(iter_queue(lines))
        finally:
            if launcher.poll() is None:
                launcher.kill()
                launcher.wait()
            if launcher.stdout is not None:
                launcher.stdout.close()


def test_up_from_the_wheel_serves_the_facade(launched_from_wheel) -> None:
    banner, ports = launched_from_wheel
    facade = f"http://127.0.0.1:{ports['facade']}"
    assert facade in banner
    assert get_until_ok(f"{facade}/healthz", {}, 30).status_code == 200
    assert requests.get(f"{facade}/openapi.json", timeout=10).json()["openapi"].startswith("3.1")
    assert_alert_links_on(f"http://127.0.0.1:{ports['prometheus']}", LINKS_URL)
