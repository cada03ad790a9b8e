"""End to end: a workspace of the sandbox platform starts failing, the real exporter counts it,
a real Prometheus evaluates the repository's rules (short `for`), a real Alertmanager routes
the alert with the repository's config to a webhook run by the test."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from stack.prometheus_files import DEFAULT_LINKS_URL
from stack.supervisor import ManagedProcess, alertmanager_argv, free_port, python_command
from tests.operations.repo_files import ALERTMANAGER_CONFIG, fast_rule_copies, load_yaml
from tests.operations.webhook import Notification, WebhookReceiver
from tests.support.prometheus import PrometheusServer, scrape_config
from tests.support.sandbox import SandboxServer

pytestmark = pytest.mark.slow

BURN_ALERT = "MechaMentalWorkspaceExecutionFailureBudgetBurn"
# Above the outage ratio (50 %) and 12 × the 5 % budget for the workspace (an outage page and
# the 6 h page), while its org of three workspaces burns 4 × (tickets, no page) so the org alert
# does not hold back the workspace's pages.
FAILURE_RATIO = 0.6
DELIVERY_TIMEOUT = 60.0


@dataclass
class AlertingStack:
    """The running pieces and what the test made fail."""

    sandbox: SandboxServer
    prometheus: PrometheusServer
    alertmanager_url: str
    webhook: WebhookReceiver
    org_id: str
    failing_workspace: str
    healthy_workspaces: list[str]


def alertmanager_test_config(path: Path, webhook_url: str) -> Path:
    """The repository's Alertmanager config delivering to `webhook_url` without waiting."""
    config: dict[str, Any] = load_yaml(ALERTMANAGER_CONFIG)
    for receiver in config["receivers"]:
        for hook in receiver.get("webhook_configs", []):
            hook["url"] = webhook_url
    config["route"].update(group_wait="1s", group_interval="1s")
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def exporter_process(workdir: Path, sandbox: SandboxServer, org_id: str) -> ManagedProcess:
    """The real exporter reading the sandbox, polling activity every second."""
    port = free_port()
    env = {
        "EXPORTER_PLATFORM_URL": sandbox.url,
        "EXPORTER_PLATFORM_TOKEN": sandbox.token,
        "EXPORTER_ORG_IDS": org_id,
        "EXPORTER_LISTEN_ADDRESS": f"127.0.0.1:{port}",
        "EXPORTER_LEDGER_PATH": str(workdir / "ledger.sqlite3"),
        "EXPORTER_ACTIVITY_INTERVAL": "1",
        "EXPORTER_ACTIVITY_LAG": "0",
    }
    return ManagedProcess(
        "exporter",
        python_command("exporter"),
        log_path=workdir / "exporter.log",
        env=env,
        ready_url=f"http://127.0.0.1:{port}/metrics",
    )


def alertmanager_process(workdir: Path, webhook_url: str, port: int) -> ManagedProcess:
    """A real Alertmanager with the repository's config, delivering to `webhook_url`."""
    config = alertmanager_test_config(workdir / "alertmanager.yml", webhook_url)
    return ManagedProcess(
        "alertmanager",
        alertmanager_argv(config, workdir / "alertmanager-data", port),
        log_path=workdir / "alertmanager.log",
        ready_url=f"http://127.0.0.1:{port}/-/ready",
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlertingStack]:
    """Sandbox → exporter → Prometheus (rules) → Alertmanager → webhook, one workspace failing."""
    workdir = tmp_path_factory.mktemp("alerting")
    with contextlib.ExitStack() as running:
        webhook = WebhookReceiver().start()
        running.callback(webhook.stop)
        sandbox = SandboxServer(
            workdir / "sandbox",
            orgs=1,
            workspaces=3,
            rate=30.0,
            failure_ratio=0.0,
            api_call_ratio=0.0,
            stream=True,
        )
        running.callback(sandbox.stop)
        sandbox.start()
        org_id = sandbox.org_ids()[0]
        listed = sandbox.get(f"/v1/orgs/{org_id}/workspaces", limit=200).json()["workspaces"]
        workspaces = [item["workspace_id"] for item in listed]
        sandbox.set_stream(workspace_failure_ratios={workspaces[0]: FAILURE_RATIO})
        exporter = exporter_process(workdir, sandbox, org_id)
        running.callback(exporter.stop)
        exporter.start(ready_timeout=60)
        am_port = free_port()
        alertmanager = alertmanager_process(workdir, webhook.url, am_port)
        running.callback(alertmanager.stop)
        alertmanager.start()
        prometheus = PrometheusServer(
            workdir / "prometheus",
            scrape_configs=[scrape_config("exporter", [str(exporter.ready_url).split("/")[2]])],
            rule_files=fast_rule_copies(workdir / "rules", alert_for="1s"),
            alertmanagers=[f"127.0.0.1:{am_port}"],
        )
        running.callback(prometheus.stop)
        prometheus.start()
        yield AlertingStack(
            sandbox,
            prometheus,
            f"http://127.0.0.1:{am_port}",
            webhook,
            org_id,
            workspaces[0],
            workspaces[1:],
        )


def is_burn_of(workspace: str, severity: str | None = None) -> Callable[[Notification], bool]:
    """A predicate: the notification carries a firing burn alert of `workspace`."""

    def check(notification: Notification) -> bool:
        return any(
            alert["status"] == "firing"
            and alert["labels"]["alertname"] == BURN_ALERT
            and alert["labels"].get("workspace_id") == workspace
            and severity in (None, alert["labels"]["severity"])
            for alert in notification["alerts"]
        )

    return check


def poll(fetch: Callable[[], Any], done: Callable[[Any], bool], timeout: float) -> Any:
    """Call `fetch` until `done(result)` or the deadline; return the last result."""
    deadline = time.monotonic() + timeout
    while True:
        result = fetch()
        if done(result) or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def test_failing_workspace_alert_reaches_the_receiver_with_its_labels(stack):
    notification = stack.webhook.wait_for(is_burn_of(stack.failing_workspace), DELIVERY_TIMEOUT)
    # One notification per incident: the component and org, not one per workspace.
    assert notification["groupLabels"] == {"component": "executions", "org_id": stack.org_id}
    assert notification["receiver"] == "pager"
    alert = next(a for a in notification["alerts"] if a["labels"]["alertname"] == BURN_ALERT)
    assert alert["labels"]["org_id"] == stack.org_id
    assert alert["labels"]["component"] == "executions"
    annotations = alert["annotations"]
    assert stack.failing_workspace in annotations["description"]
    assert annotations["runbook_url"] == (
        f"{DEFAULT_LINKS_URL}/public/mechamental/runbook.md#{BURN_ALERT.lower()}"
    )
    assert annotations["dashboard_url"].startswith(f"{DEFAULT_LINKS_URL}/d/mm-workspace-detail/")
    assert f"var-workspace_id={stack.failing_workspace}" in annotations["dashboard_url"]
    # Prometheus agrees on why: the failure ratio it evaluated is the one the sandbox produces.
    ratio = stack.prometheus.scalar(
        "org_workspace:mechamental_executions_failed:ratio_rate5m"
        f'{{workspace_id="{stack.failing_workspace}"}}'
    )
    assert ratio is not None and ratio > 0.5


def test_a_page_holds_back_the_tickets_of_the_same_workspace(stack):
    stack.webhook.wait_for(is_burn_of(stack.failing_workspace, "critical"), DELIVERY_TIMEOUT)
    stack.prometheus.wait_for(
        f'ALERTS{{alertname="{BURN_ALERT}",alertstate="firing",severity="warning",'
        f'workspace_id="{stack.failing_workspace}"}}',
        lambda result: len(result) >= 1,
        timeout=DELIVERY_TIMEOUT,
    )

    def tickets() -> list[dict[str, Any]]:
        # Tickets of the same alert: other alerts of the workspace (its latency) are not held.
        filters = [
            f'alertname="{BURN_ALERT}"',
            f'workspace_id="{stack.failing_workspace}"',
            'severity="warning"',
        ]
        url = f"{stack.alertmanager_url}/api/v2/alerts"
        return list(requests.get(url, params={"filter": filters}, timeout=10).json())

    found = poll(tickets, lambda alerts: bool(alerts and alerts[0]["status"]["inhibitedBy"]), 30)
    assert found, "Alertmanager never received a ticket of the workspace"
    assert all(item["status"]["state"] == "suppressed" for item in found)
    delivered = [
        item
        for item in stack.webhook.alerts()
        if item["labels"].get("workspace_id") == stack.failing_workspace
        and item["labels"]["alertname"] == BURN_ALERT
    ]
    assert {item["labels"]["severity"] for item in delivered} == {"critical"}


def test_healthy_workspaces_raise_no_alert(stack):
    stack.webhook.wait_for(is_burn_of(stack.failing_workspace), DELIVERY_TIMEOUT)
    delivered = {
        alert["labels"].get("workspace_id")
        for alert in stack.webhook.alerts()
        if alert["labels"]["alertname"] == BURN_ALERT
    }
    assert delivered == {stack.failing_workspace}
    ratios = stack.prometheus.by_label(
        f'org_workspace:mechamental_executions_failed:ratio_rate5m{{org_id="{stack.org_id}"}}',
        "workspace_id",
    )
    assert set(ratios) == {stack.failing_workspace, *stack.healthy_workspaces}
    assert all(ratios[ws] == 0 for ws in stack.healthy_workspaces)
