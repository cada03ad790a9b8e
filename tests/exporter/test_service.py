"""The wired service in-process: session settings, start, serve, stop."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from requests.adapters import HTTPAdapter

from exporter.config import load_config
from exporter.service import ExporterService, platform_session
from stack.supervisor import free_port
from tests.exporter.conftest import FAST, parse_samples, select


def test_proxies_are_resolved_once_from_the_environment(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    monkeypatch.setenv("NO_PROXY", "platform.internal")
    proxied = platform_session(8, "https://platform.example")
    assert proxied.proxies.get("https") == "http://proxy.test:3128"
    assert proxied.trust_env is False
    direct = platform_session(8, "https://platform.internal")
    assert "https" not in direct.proxies
    adapter = proxied.get_adapter("https://platform.example")
    assert isinstance(adapter, HTTPAdapter)
    assert adapter.poolmanager.connection_pool_kw["maxsize"] >= 8


def test_the_service_serves_and_stops(sandbox, tmp_path):
    port = free_port()
    environ = {
        **FAST,
        "EXPORTER_PLATFORM_URL": sandbox.url,
        "EXPORTER_PLATFORM_TOKEN": sandbox.token,
        "EXPORTER_ORG_IDS": ",".join(sandbox.org_ids()),
        "EXPORTER_LISTEN_ADDRESS": f"127.0.0.1:{port}",
        "EXPORTER_LEDGER_PATH": str(tmp_path / "ledger.sqlite3"),
    }
    service = ExporterService(load_config(None, environ))
    service.start()
    try:
        deadline = time.monotonic() + 30
        while not service.status.states()["inventory"].up and time.monotonic() < deadline:
            time.sleep(0.1)
        samples = parse_samples(requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text)
        workspaces = select(samples, "mechamental_workspace_info")
        assert min(select(samples, "process_resident_memory_bytes").values()) > 0
        assert min(select(samples, "process_start_time_seconds").values()) > 0
        expected = sum(len(org["workspaces"]) for org in sandbox.truth()["orgs"].values())
        assert len(workspaces) == expected
        # Later passes walk on the same threads: new threads every pass grew the RSS.
        walkers = inventory_threads()
        assert 0 < len(walkers) <= service.config.concurrency
        version = service.inventory.snapshot.version
        while service.inventory.snapshot.version < version + 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert service.inventory.snapshot.version >= version + 2
        assert inventory_threads() == walkers
    finally:
        service.stop()
    assert not service.scheduler.running
    assert not inventory_threads()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2)


def inventory_threads() -> set[int]:
    """The live threads walking workspaces for the inventory."""
    return {t.ident or 0 for t in threading.enumerate() if t.name.startswith("inventory")}
