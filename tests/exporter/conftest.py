"""Fixtures of the exporter tests: a running exporter process, scraping, fixed inventories."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from exporter.inventory.snapshot import (
    InventorySnapshot,
    NamespaceListing,
    WorkspaceListing,
    summarize,
)
from exporter.ledger.event_time import OrgEvents, WorkspaceEvents
from exporter.ledger.store import LedgerView
from exporter.metrics.collectors import MetricSources
from exporter.platform.api import ActionRecord, AppRecord, SecretRecord, SourceRecord
from exporter.platform.client import RequestCounter
from exporter.status import RunStatus
from stack.supervisor import ManagedProcess, free_port, python_command
from tests.support.sandbox import SandboxServer

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

# Short intervals keep the end-to-end tests fast.
FAST = {
    "EXPORTER_INVENTORY_INTERVAL": "1",
    "EXPORTER_ACTIVITY_INTERVAL": "0.5",
    "EXPORTER_ACTIVITY_LAG": "0.2",
    "EXPORTER_ACTIVITY_OVERLAP": "5",
    # Count everything the sandbox holds, as its truth does (the default begins at the first poll).
    "EXPORTER_ACTIVITY_START": "1970-01-01T00:00:00Z",
    # Counts by execution time settle at once and move past each boundary within a few scrapes.
    "EXPORTER_ACTIVITY_LATENESS": "0",
    "EXPORTER_EXPOSURE_HOLD": "3",
    "EXPORTER_REQUEST_TIMEOUT": "2",
    "EXPORTER_MAX_RETRIES": "2",
    "EXPORTER_BACKOFF_BASE": "0.05",
    "EXPORTER_BACKOFF_MAX": "0.5",
    "EXPORTER_LOG_LEVEL": "INFO",
}


def parse_samples(text: str) -> Samples:
    """Every sample of an exposition, keyed by name and label set."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def select(samples: Samples, name: str, **labels: str) -> dict[frozenset[tuple[str, str]], float]:
    """The samples of one name whose labels include `labels`."""
    wanted = set(labels.items())
    return {
        key: value for (sample, key), value in samples.items() if sample == name and wanted <= key
    }


def clean_env() -> dict[str, str]:
    """This process' environment without any EXPORTER_* setting that could leak in."""
    return {key: value for key, value in os.environ.items() if not key.startswith("EXPORTER_")}


@dataclass
class ExporterProcess:
    """A real `mm-analytics exporter` child process on a free port."""

    process: ManagedProcess
    url: str
    ledger_path: Path

    def scrape(self) -> Samples:
        """GET /metrics and parse it."""
        response = requests.get(f"{self.url}/metrics", timeout=10)
        assert response.status_code == 200, response.text
        return parse_samples(response.text)

    def health(self) -> requests.Response:
        """GET /healthz."""
        return requests.get(f"{self.url}/healthz", timeout=10)

    def wait_for(self, predicate: Callable[[Samples], bool], timeout: float = 30.0) -> Samples:
        """Scrape until `predicate(samples)` holds."""
        deadline = time.monotonic() + timeout
        samples: Samples = {}
        while time.monotonic() < deadline:
            if not self.process.alive:
                raise AssertionError(f"exporter exited: {self.process.log_hint}")
            samples = self.scrape()
            if predicate(samples):
                return samples
            time.sleep(0.2)
        raise AssertionError(f"condition not met within {timeout} s; {self.process.log_hint}")

    def up(self, samples: Samples, collector: str) -> float | None:
        """The `collector_up` value of one collector."""
        key = ("mechamental_exporter_collector_up", frozenset({("collector", collector)}))
        return samples.get(key)


def exporter_env(
    sandbox: SandboxServer, port: int, ledger: Path, **settings: Any
) -> dict[str, str]:
    """The whole environment of an exporter on `sandbox`; keyword arguments become EXPORTER_*."""
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


def launch_exporter(
    sandbox: SandboxServer,
    workdir: Path,
    *,
    port: int | None = None,
    ledger: Path | None = None,
    prefix: Sequence[str] = (),
    wait: bool = True,
    **settings: Any,
) -> ExporterProcess:
    """Start `mm-analytics exporter` on `sandbox` (its argv after `prefix`) and, with `wait`,
    wait until /metrics answers; keyword arguments become EXPORTER_* values."""
    port = port or free_port()
    ledger_path = ledger or workdir / "ledger.sqlite3"
    logs = len(list(workdir.glob("exporter-*.log")))
    process = ManagedProcess(
        "exporter",
        [*prefix, *python_command("exporter")],
        log_path=workdir / f"exporter-{logs}.log",
        ready_url=f"http://127.0.0.1:{port}/metrics" if wait else None,
    )
    # Exactly this environment, without the parent's EXPORTER_* values.
    process.env = exporter_env(sandbox, port, ledger_path, **settings)
    try:
        process.start(ready_timeout=60)
    except BaseException:
        process.stop()  # a process that never became ready must not outlive the test
        raise
    return ExporterProcess(process, f"http://127.0.0.1:{port}", ledger_path)


@pytest.fixture
def start_exporter(tmp_path: Path) -> Iterator[Callable[..., ExporterProcess]]:
    """Start exporters against a sandbox (all stopped at the end of the test)."""
    started: list[ExporterProcess] = []

    def start(sandbox: SandboxServer, **options: Any) -> ExporterProcess:
        exporter = launch_exporter(sandbox, tmp_path, **options)
        started.append(exporter)
        return exporter

    yield start
    for exporter in started:
        exporter.process.stop()


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A sandbox platform of 3 orgs × 8 workspaces, stream paused, shared by the session."""
    server = SandboxServer(tmp_path_factory.mktemp("sandbox"), orgs=3, workspaces=8)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def fixed_listings() -> list[WorkspaceListing]:
    """Three workspaces in two orgs with every kind of resource, apps and namespaces."""

    def source(kind: str, status: str, scope: str, ns: str | None, indexed: bool) -> SourceRecord:
        return SourceRecord(kind, status, scope, ns, indexed, 12, 3400, 56_000)

    full = WorkspaceListing(
        org_id="org-a",
        workspace_id="ws-1",
        collected_at=1_735_689_600.25,
        apps=(AppRecord("app-1", 2), AppRecord("app-2", 0)),
        augmentation_apps=("app-1", "app-1", "app-2"),
        namespaces=(NamespaceListing("ns-1", "app-1", 3), NamespaceListing("ns-2", "app-1", 0)),
        endpoints={"app-1": 2, "app-2": 1},
        actions=(
            ActionRecord("trigger", True),
            ActionRecord("scheduled", True),
            ActionRecord("scheduled", False),
        ),
        sources=(
            source("pdf", "completed", "workspace", None, True),
            source("pdf", "completed", "workspace", None, True),
            source("md", "failed", "namespace", "ns-1", False),
            source("csv", "processing", "namespace", "ns-2", False),
        ),
        secrets=(SecretRecord("api_key", True), SecretRecord("password", False)),
        models=4,
        name='Support "Tier 1" Bot',
    )
    empty = WorkspaceListing("org-a", "ws-2", 1_735_689_601.0)  # no name: shown by its id
    other = WorkspaceListing(
        org_id="org-b",
        workspace_id="ws-3",
        collected_at=1_735_689_602.5,
        sources=(source("image", "created", "workspace", None, False),),
        secrets=(SecretRecord("certificate", True),),
        models=1,
        name="Claims Triage (EU)",
    )
    return [full, empty, other]


def fixed_details() -> dict[tuple[str, ...], int]:
    """Detail series of one workspace, counted at its org's exposure time."""
    return {
        ("duration", "0"): 3,
        ("duration", "5"): 2,
        ("duration", "15"): 1,
        ("duration_sum",): 3510,
        ("tokens", "prompt"): 5120,
        ("app", "app-1"): 6,
        ("app_failed", "app-1"): 1,
        ("pipeline", "app-1", "aug-1"): 4,
        ("pipeline_failed", "app-1", "aug-1"): 1,
        ("code", "MODEL_TIMEOUT"): 3,
        ("code", "other"): 1,
        ("overflow", "error_code"): 1,
    }


@pytest.fixture
def fixed_sources() -> MetricSources:
    """Collector sources over a fixed snapshot, ledger view, status, request counts and clock."""
    snapshot = InventorySnapshot.build(
        [summarize(listing) for listing in fixed_listings()], stale=[("org-b", "ws-3")], version=3
    )
    ledger = LedgerView(
        MappingProxyType({("org-a", "ws-1"): (120, 7), ("org-a", "ws-gone"): (5, 1)}),
        MappingProxyType({"org-a": 1_735_689_590_000_000}),
        version=9,
        history=MappingProxyType({("org-a", "ws-1"): (40, 3)}),
        events=MappingProxyType(
            {
                "org-a": OrgEvents(
                    settled=1_735_689_000_500_000,
                    exposed=1_735_688_700,  # a boundary still to show
                    late=2,
                    workspaces=MappingProxyType(
                        {
                            "ws-1": WorkspaceEvents(
                                (100, 5), (1_735_688_650, 1_735_688_701), ((7, 1), (9, 2))
                            ),
                            "ws-gone": WorkspaceEvents((5, 1)),
                        }
                    ),
                )
            }
        ),
        details=MappingProxyType({"org-a": {"ws-1": fixed_details()}}),
    )
    status = RunStatus()
    status.record("inventory", finished_at=1_735_689_603.0, duration=0.75, error=None)
    status.record("activity", finished_at=1_735_689_603.5, duration=0.5, error="boom")
    requests_seen = RequestCounter()
    for code in ("200", "200", "429", "error"):
        requests_seen.add("/v1/orgs/{org_id}/workspaces", code)
    return MetricSources(
        snapshot=lambda: snapshot,
        ledger=lambda: ledger,
        status=status,
        requests=requests_seen,
        org_ids=("org-a", "org-b"),
        clock=lambda: 1_735_689_610.0,
    )


def kill_and_note(
    process: ManagedProcess, part: str, killed: dict[str, list[tuple[int, int | None]]]
) -> None:
    """SIGKILL a running part's process group and note which process ended, and how."""
    assert process.alive, f"{part} died on its own: {process.log_hint}"
    process.kill()
    killed[part].append((process.pid, process.returncode))
