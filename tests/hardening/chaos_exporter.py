"""A real `mm-analytics exporter` for the hardening suites: fixed port and ledger across
restarts, optionally run inside a private mount namespace, and readers of its self-metrics."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from exporter import catalogue as cat
from exporter.stack import ManagedProcess, python_command
from tests.exporter.conftest import FAST, ExporterProcess, Samples, clean_env, select
from tests.support.sandbox import SandboxServer


def exporter_env(
    sandbox: SandboxServer, port: int, ledger: Path, **settings: Any
) -> dict[str, str]:
    """The whole environment of an exporter on `sandbox`; keyword arguments are EXPORTER_*."""
    return {
        **clean_env(),
        **FAST,
        "EXPORTER_PLATFORM_URL": sandbox.url,
        "EXPORTER_PLATFORM_TOKEN": sandbox.token,
        "EXPORTER_ORG_IDS": ",".join(sandbox.org_ids()),
        "EXPORTER_LISTEN_ADDRESS": f"127.0.0.1:{port}",
        "EXPORTER_LEDGER_PATH": str(ledger),
        **{f"EXPORTER_{key.upper()}": str(value) for key, value in settings.items()},
    }


def start_exporter(
    sandbox: SandboxServer,
    workdir: Path,
    port: int,
    ledger: Path,
    prefix: Sequence[str] = (),
    *,
    wait: bool = True,
    **settings: Any,
) -> ExporterProcess:
    """Start an exporter (its argv after `prefix`) and, with `wait`, wait until /metrics
    answers."""
    number = len(list(workdir.glob("exporter-*.log")))
    process = ManagedProcess(
        "exporter",
        [*prefix, *python_command("exporter")],
        log_path=workdir / f"exporter-{number}.log",
        ready_url=f"http://127.0.0.1:{port}/metrics" if wait else None,
    )
    process.env = exporter_env(sandbox, port, ledger, **settings)
    try:
        process.start(ready_timeout=60)
    except BaseException:
        process.stop()
        raise
    return ExporterProcess(process, f"http://127.0.0.1:{port}", ledger)


def collector_value(samples: Samples, family: cat.Family, collector: str) -> float | None:
    """A per-collector self-metric (`collector_up`, `collector_failures_total`, ...)."""
    return samples.get((family.sample_name, frozenset({("collector", collector)})))


def high_water(samples: Samples) -> dict[str, float]:
    """Each org's ledger high-water mark, in seconds."""
    return {
        dict(labels)["org_id"]: value
        for labels, value in select(samples, cat.LEDGER_HIGH_WATER.sample_name).items()
    }


def wait_until(condition: Callable[[], bool], timeout: float, describe: Callable[[], str]) -> None:
    """Poll `condition` every 0.2 s until it holds; AssertionError with `describe()` if not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {describe()}")
