"""Child processes of the local stack: start, wait until ready, stop the whole process group.

Used by `mm-analytics up` and by the test fixtures, so the tests start Prometheus, the sandbox,
the exporter and the façade exactly the way the launcher does.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

import requests

# The source checkout the tests and benches run from; an installed wheel has none, and the
# launcher finds its files through stack.prometheus_files instead.
REPO_ROOT = Path(__file__).resolve().parents[1]

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

# The Debian package that provides each binary the stack runs.
PACKAGES = {
    "prometheus": "prometheus",
    "promtool": "prometheus",
    "alertmanager": "prometheus-alertmanager",
    "prometheus-alertmanager": "prometheus-alertmanager",
}


class StackError(RuntimeError):
    """A child process could not be found, started or reached."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_binary(*names: str) -> str:
    """The path of the first of `names` on PATH, or a StackError naming the package to install."""
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    package = PACKAGES.get(names[0], names[0])
    raise StackError(
        f"{names[0]} is not installed: install the Debian package '{package}' "
        f"(apt-get install -y {package}) or put {names[0]} on PATH"
    )


def python_command(*args: str) -> list[str]:
    """`mm-analytics <args>` run by this interpreter, independent of PATH."""
    return [sys.executable, "-m", "stack.cli", *args]


def wait_http(url: str, timeout: float = 30.0, process: ManagedProcess | None = None) -> None:
    """Wait until `url` answers 200, failing early when `process` has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and not process.alive:
            raise StackError(f"{process.name} exited with {process.returncode}; {process.log_hint}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise StackError(f"{url} did not answer 200 within {timeout:.0f} s")


def _terminate_with_parent(parent: int) -> None:
    """In the child before exec: ask Linux for SIGTERM when the parent dies, even by SIGKILL;
    if it died before the request was made, end at once."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        os._exit(1)


class ManagedProcess:
    """One child process in its own process group, with its output in a log file."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_path: Path | None = None,
        env: Mapping[str, str] | None = None,
        ready_url: str | None = None,
        die_with_parent: bool = False,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = {**os.environ, **(env or {})}
        self.ready_url = ready_url
        self.die_with_parent = die_with_parent
        self._popen: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        """The process id; the process group has the same id."""
        assert self._popen is not None, f"{self.name} was never started"
        return self._popen.pid

    @property
    def alive(self) -> bool:
        """Whether the process has been started and has not exited."""
        return self._popen is not None and self._popen.poll() is None

    @property
    def returncode(self) -> int | None:
        """The exit status, or None while it runs."""
        return None if self._popen is None else self._popen.poll()

    @property
    def log_hint(self) -> str:
        """Where to read the output, or its tail when it is short."""
        if self.log_path is None or not self.log_path.exists():
            return "no log"
        tail = self.log_path.read_bytes()[-2000:].decode(errors="replace")
        return f"log {self.log_path}:\n{tail}"

    def start(self, ready_timeout: float = 30.0) -> ManagedProcess:
        """Start the process and, when it has a ready URL, wait until it answers."""
        self._close_log()
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_path.open("ab")
        output = self._log if self._log is not None else subprocess.DEVNULL
        self._popen = subprocess.Popen(  # noqa: S603 - argv is built by this module's callers
            self.argv,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=self.env,
            start_new_session=True,
            # Only the launcher asks for it, from its main thread, before it starts any thread.
            preexec_fn=(  # noqa: PLW1509
                functools.partial(_terminate_with_parent, os.getpid())
                if self.die_with_parent
                else None
            ),
        )
        if self.ready_url is not None:
            wait_http(self.ready_url, ready_timeout, self)
        return self

    def signal(self, signum: int) -> None:
        """Send `signum` to the whole process group."""
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signum)

    def kill(self) -> None:
        """SIGKILL the process group and reap the process."""
        self.signal(signal.SIGKILL)
        if self._popen is not None:
            self._popen.wait()
        self._close_log()

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM the process group, SIGKILL it after `timeout`, and return the exit status."""
        if self._popen is None:
            return None
        self.signal(signal.SIGTERM)
        try:
            self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)  # stragglers left by the group leader
        self._close_log()
        return self._popen.returncode

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


def prometheus_argv(
    config: Path,
    data_dir: Path,
    port: int,
    *,
    retention: str = "120d",
    extra: Sequence[str] = (),
) -> list[str]:
    """The command line of a Prometheus on loopback with the stack's retention."""
    return [
        find_binary("prometheus"),
        f"--config.file={config}",
        f"--storage.tsdb.path={data_dir}",
        f"--storage.tsdb.retention.time={retention}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--web.enable-lifecycle",
        # The dashboards' hourly and daily bars read each bucket forward from its start.
        "--enable-feature=promql-negative-offset",
        *extra,
    ]


def victoriametrics_argv(
    data_dir: Path,
    port: int,
    *,
    retention: str = "120d",
    dedup_interval: str | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """The command line of a VictoriaMetrics single node on loopback.

    Its retention is set explicitly: its default (one month) is shorter than the API's 90 days.
    `dedup_interval` keeps one sample per series and interval, for HA pairs that both write.
    """
    dedup = [f"-dedup.minScrapeInterval={dedup_interval}"] if dedup_interval else []
    return [
        find_binary("victoria-metrics"),
        f"-storageDataPath={data_dir}",
        f"-retentionPeriod={retention}",
        f"-httpListenAddr=127.0.0.1:{port}",
        "-loggerLevel=WARN",
        *dedup,
        *extra,
    ]


def alertmanager_argv(config: Path, data_dir: Path, port: int) -> list[str]:
    """The command line of an Alertmanager on loopback, clustering off."""
    return [
        find_binary("prometheus-alertmanager", "alertmanager"),
        f"--config.file={config}",
        f"--storage.path={data_dir}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
    ]
