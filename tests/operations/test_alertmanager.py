"""Routing and inhibition of prometheus/alertmanager.yml: routes checked by amtool, inhibitions
and grouping by a real Alertmanager that receives alerts through its API and notifies a webhook
run by the test."""

from __future__ import annotations

import contextlib
import re
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from exporter.shards import parse_shard
from stack.supervisor import ManagedProcess, alertmanager_argv, free_port
from tests.operations.repo_files import ALERTMANAGER_CONFIG, README, RUNBOOK
from tests.operations.test_alerting_e2e import alertmanager_test_config
from tests.operations.test_rules import run_tool
from tests.operations.webhook import WebhookReceiver

ORG_BURN = "MechaMentalOrgExecutionFailureBudgetBurn"
WORKSPACE_BURN = "MechaMentalWorkspaceExecutionFailureBudgetBurn"
BURN = {"component": "executions"}


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (
            {"alertname": "MechaMentalWatchdog", "severity": "none", "component": "monitoring"},
            "watchdog",
        ),
        ({"alertname": WORKSPACE_BURN, "severity": "critical", **BURN, "org_id": "o1"}, "pager"),
        ({"alertname": WORKSPACE_BURN, "severity": "warning", **BURN, "org_id": "o1"}, "tickets"),
        ({"alertname": "MechaMentalAlertmanagerDown", "severity": "critical"}, "pager"),
        ({"alertname": "MechaMentalLedgerLagging", "severity": "warning"}, "tickets"),
        (
            {"alertname": "MechaMentalExecutionLatencyHigh", "severity": "warning", **BURN},
            "tickets",
        ),
    ],
)
def test_amtool_routes_each_kind_of_alert_to_its_receiver(labels, receiver):
    pairs = [f"{key}={value}" for key, value in labels.items()]
    result = run_tool(
        "amtool",
        "config",
        "routes",
        "test",
        f"--config.file={ALERTMANAGER_CONFIG}",
        f"--verify.receivers={receiver}",
        *pairs,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receiver


def alert(alertname: str, severity: str, **labels: str) -> dict[str, Any]:
    """One alert as Prometheus posts it, firing for the next hour."""
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": alertname, "severity": severity, **labels},
        "annotations": {"summary": alertname},
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(hours=1)).isoformat(),
    }


# One incident per org plus exporter shards and the façade, posted together. The name of each
# alert (its `case` label) says whether Alertmanager must hold it back.
ALERTS = [
    alert(ORG_BURN, "critical", **BURN, org_id="o1", window="1h", case="org-page"),
    alert(
        WORKSPACE_BURN,
        "critical",
        **BURN,
        org_id="o1",
        workspace_id="w1",
        window="5m",
        case="under-org-page",
    ),
    alert(
        WORKSPACE_BURN,
        "warning",
        **BURN,
        org_id="o1",
        workspace_id="w1",
        window="3d",
        case="under-workspace-page",
    ),
    alert(
        WORKSPACE_BURN,
        "critical",
        **BURN,
        org_id="o2",
        workspace_id="w9",
        window="1h",
        case="other-org-page",
    ),
    alert(
        "MechaMentalExporterDown", "critical", component="exporter", shard="a", case="shard-a-down"
    ),
    alert(
        "MechaMentalCollectionStale",
        "critical",
        component="exporter",
        shard="a",
        case="symptom-of-shard-a",
    ),
    alert(
        "MechaMentalLedgerLagging",
        "warning",
        component="exporter",
        shard="b",
        org_id="o3",
        case="shard-b-lagging",
    ),
    alert(
        "MechaMentalFacadeErrors",
        "critical",
        component="facade",
        job="facade",
        case="facade-on-stale-data",
    ),
    alert("MechaMentalWatchdog", "none", component="monitoring", case="watchdog"),
]
SUPPRESSED = {
    "under-org-page",
    "under-workspace-page",
    "symptom-of-shard-a",
    "facade-on-stale-data",
}


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, WebhookReceiver]]:
    """A real Alertmanager with the repository's config, every receiver on the test's webhook,
    holding the alerts above."""
    workdir: Path = tmp_path_factory.mktemp("alertmanager")
    with contextlib.ExitStack() as running:
        webhook = WebhookReceiver().start()
        running.callback(webhook.stop)
        port = free_port()
        config = alertmanager_test_config(workdir / "alertmanager.yml", webhook.url)
        process = ManagedProcess(
            "alertmanager",
            alertmanager_argv(config, workdir / "data", port),
            log_path=workdir / "alertmanager.log",
            ready_url=f"http://127.0.0.1:{port}/-/ready",
        )
        running.callback(process.stop)
        process.start()
        url = f"http://127.0.0.1:{port}"
        # Causes before their symptoms: Alertmanager mutes a symptom only once its cause is in
        # the inhibitor's cache, which a loaded machine can fill after the first notification.
        # A muted alert may itself be a cause (a workspace page mutes its ticket), so the
        # symptoms follow one at a time, in the list's order.
        causes = [item for item in ALERTS if item["labels"]["case"] not in SUPPRESSED]
        stages = [causes] + [[item] for item in ALERTS if item["labels"]["case"] in SUPPRESSED]
        held = 0
        for stage in stages:
            requests.post(f"{url}/api/v2/alerts", json=stage, timeout=10).raise_for_status()
            held += len(stage)
            _wait_until_held(url, held)
        yield url, webhook


def _wait_until_held(url: str, count: int) -> None:
    deadline = time.monotonic() + 30
    while len(requests.get(f"{url}/api/v2/alerts", timeout=10).json()) < count:
        assert time.monotonic() < deadline, "Alertmanager never held the posted alerts"
        time.sleep(0.1)
    time.sleep(0.5)  # the inhibitor reads the same alerts from its own subscription


def states(url: str) -> dict[str, dict[str, Any]]:
    """Each posted alert's status, by its `case` label, once every inhibition is applied."""
    deadline = time.monotonic() + 30
    while True:
        found = requests.get(f"{url}/api/v2/alerts", timeout=10).json()
        by_case = {item["labels"]["case"]: item["status"] for item in found}
        suppressed = {case for case, status in by_case.items() if status["state"] == "suppressed"}
        if (
            len(by_case) == len(ALERTS) and suppressed >= SUPPRESSED
        ) or time.monotonic() > deadline:
            return by_case
        time.sleep(0.2)


def test_inhibitions_hold_back_exactly_the_symptoms(alertmanager):
    url, _ = alertmanager
    by_case = states(url)
    suppressed = {case for case, status in by_case.items() if status["state"] == "suppressed"}
    assert suppressed == SUPPRESSED
    assert all(by_case[case]["inhibitedBy"] for case in SUPPRESSED)


def notified_cases(webhook: WebhookReceiver, receiver: str) -> list[set[str]]:
    """The `case` labels of each notification a receiver got."""
    return [
        {item["labels"]["case"] for item in notification["alerts"]}
        for notification in webhook.notifications
        if notification["receiver"] == receiver
    ]


def test_one_incident_is_one_page_scoped_to_what_is_broken(alertmanager):
    _, webhook = alertmanager
    webhook.wait_for(lambda n: n["groupLabels"].get("org_id") == "o2", timeout=30)
    webhook.wait_for(lambda n: n["receiver"] == "tickets", timeout=30)
    pages = notified_cases(webhook, "pager")
    assert sorted(map(sorted, pages)) == [["org-page"], ["other-org-page"], ["shard-a-down"]]
    assert notified_cases(webhook, "tickets") == [{"shard-b-lagging"}]
    groups = [n["groupLabels"] for n in webhook.notifications if n["receiver"] == "pager"]
    assert {"component": "executions", "org_id": "o1"} in groups


def test_the_watchdog_reaches_its_own_receiver(alertmanager):
    _, webhook = alertmanager
    notification = webhook.wait_for(lambda n: n["receiver"] == "watchdog", timeout=30)
    assert [item["labels"]["case"] for item in notification["alerts"]] == ["watchdog"]
    assert notification["groupLabels"] == {"alertname": "MechaMentalWatchdog"}


@pytest.mark.parametrize("doc", [RUNBOOK, README], ids=lambda path: path.name)
def test_documented_sharded_scrape_gives_each_exporter_its_own_shard(doc: Path) -> None:
    """The snippet the docs give: every exporter target its own `shard`, all shards covered."""
    blocks = re.findall(r"```yaml\n(.*?)```", doc.read_text(encoding="utf-8"), re.DOTALL)
    jobs = [job for block in blocks for job in yaml.safe_load(textwrap.dedent(block)) or []]
    (exporter,) = [job for job in jobs if job.get("job_name") == "exporter"]
    targets = exporter["static_configs"]
    shards = [parse_shard(target["labels"]["shard"]) for target in targets]
    assert all(len(target["targets"]) == 1 for target in targets)
    assert sorted(shard.index for shard in shards) == list(range(1, shards[0].count + 1))
    assert {shard.count for shard in shards} == {len(shards)}
