"""The façade's own /metrics: catalogue families only, route templates, valid for promtool."""

from __future__ import annotations

import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from facade.telemetry import SettledFilesCollector
from stack.supervisor import find_binary
from tests.support.facade_http import ApiClient
from vocabulary import catalogue

SUMMARY_RULE = "/v1/orgs/<org_id>/workspaces/<workspace_id>/analytics"


def test_metrics_count_requests_by_route_template(
    make_app: Callable[..., Flask],
    client_of: Callable[[Flask], ApiClient],
    token: Callable[..., str],
) -> None:
    api = client_of(make_app())
    for workspace_id in ("ws-a01", "ws-a02", "ws-a03"):
        assert (
            api.get(
                f"/v1/orgs/org-alpha/workspaces/{workspace_id}/analytics", token("org-alpha")
            ).status_code
            == 200
        )
    api.get("/v1/orgs/org-alpha/workspaces/ws-a01/analytics")  # 401
    api.get("/wp-login.php")
    api.get("/.env")
    text = api.get("/metrics").get_data(as_text=True)
    samples = [s for family in text_string_to_metric_families(text) for s in family.samples]
    requests = {
        (s.labels["route"], s.labels["code"]): s.value
        for s in samples
        if s.name == catalogue.FACADE_REQUESTS.sample_name
    }
    assert requests[(SUMMARY_RULE, "200")] == 3
    assert requests[(SUMMARY_RULE, "401")] == 1
    assert requests[("unmatched", "404")] == 2
    durations = [
        s
        for s in samples
        if s.name == f"{catalogue.FACADE_REQUEST_DURATION.name}_count"
        and s.labels["route"] == SUMMARY_RULE
    ]
    assert [s.value for s in durations] == [4]
    names = {s.name for s in samples if not s.name.startswith("process_")}
    assert names <= catalogue.sample_names(), names - catalogue.sample_names()
    # The standard process series of the serving process.
    process = {s.name: s.value for s in samples if s.name.startswith("process_")}
    assert process["process_resident_memory_bytes"] > 0
    assert process["process_open_fds"] > 0


def test_metrics_pass_promtool(api: ApiClient) -> None:
    api.get("/healthz")
    text = api.get("/metrics").get_data()
    result = subprocess.run(
        [find_binary("promtool"), "check", "metrics"],
        input=text,
        capture_output=True,
        check=False,
        timeout=30,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_worker_file_being_created_does_not_fail_the_scrape(tmp_path: Path) -> None:
    (tmp_path / "counter_4242.db").write_bytes(b"")  # created, not yet sized
    standard = CollectorRegistry()
    MultiProcessCollector(standard, path=str(tmp_path))
    with pytest.raises(struct.error):
        generate_latest(standard)
    settled = CollectorRegistry()
    SettledFilesCollector(settled, path=str(tmp_path))
    assert generate_latest(settled) == b""
