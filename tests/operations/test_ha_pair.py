"""An HA pair: two real Prometheus replicas scrape the same exporter, evaluate the repository's
rules and both remote-write to one real VictoriaMetrics (with -dedup.minScrapeInterval) and
send alerts to one real Alertmanager. The replicas differ only in their `replica` external
label, which remote_write (prometheus/remote_write.yml) and alert relabelling drop: counts read
from VictoriaMetrics equal the sandbox's truth once, as they do on each replica (the direct
path); recorded rates are one copy's; each alert reaches Alertmanager as one alert."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from stack.stores import remote_write
from stack.supervisor import REPO_ROOT, ManagedProcess, free_port, python_command
from tests.operations.repo_files import fast_rule_copies
from tests.operations.test_alerting_e2e import BURN_ALERT, alertmanager_process
from tests.operations.webhook import WebhookReceiver
from tests.support.prometheus import PrometheusServer, scrape_config
from tests.support.sandbox import SandboxServer
from tests.support.victoria import VictoriaMetricsServer
from vocabulary import catalogue as cat

pytestmark = pytest.mark.slow

REPLICAS = ("a", "b")
BOUNDARY = 10  # s between the by-time counters' boundaries in this test (divides 900)
DEDUP = "1s"  # the scrape interval; divides BOUNDARY, so every boundary sample is kept
DROP_REPLICA = [{"action": "labeldrop", "regex": "replica"}]
TIMEOUT = 90.0


@dataclass
class Pair:
    """The running pieces."""

    sandbox: SandboxServer
    replicas: list[PrometheusServer]
    victoria: VictoriaMetricsServer
    alertmanager_url: str
    webhook: WebhookReceiver
    failing_workspace: str


def exporter_process(workdir: Path, sandbox: SandboxServer) -> ManagedProcess:
    """The real exporter on a 10 s boundary grid, executions final after 1 s."""
    port = free_port()
    env = {
        "EXPORTER_PLATFORM_URL": sandbox.url,
        "EXPORTER_PLATFORM_TOKEN": sandbox.token,
        "EXPORTER_ORG_IDS": ",".join(sandbox.org_ids()),
        "EXPORTER_LISTEN_ADDRESS": f"127.0.0.1:{port}",
        "EXPORTER_LEDGER_PATH": str(workdir / "ledger.sqlite3"),
        "EXPORTER_ACTIVITY_INTERVAL": "1",
        "EXPORTER_ACTIVITY_LAG": "0",
        "EXPORTER_ACTIVITY_LATENESS": "1",
        "EXPORTER_EXPOSURE_BOUNDARY": str(BOUNDARY),
        "EXPORTER_EXPOSURE_HOLD": "3",  # both replicas scrape a boundary before it moves on
    }
    return ManagedProcess(
        "exporter",
        python_command("exporter"),
        log_path=workdir / "exporter.log",
        env=env,
        ready_url=f"http://127.0.0.1:{port}/metrics",
    )


def replica(
    workdir: Path, name: str, exporter: str, alertmanager: str, vm: str
) -> PrometheusServer:
    """One replica: the same scrape job and rules as its twin, its own `replica` label."""
    return PrometheusServer(
        workdir / f"prometheus-{name}",
        scrape_configs=[scrape_config("exporter", [exporter])],
        rule_files=fast_rule_copies(workdir / "rules", alert_for="1s"),
        alertmanagers=[alertmanager],
        extra_config={
            "global": {"external_labels": {"replica": name}},
            "remote_write": remote_write(REPO_ROOT / "prometheus", vm),
            "alerting": {
                "alert_relabel_configs": DROP_REPLICA,
                "alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}],
            },
        },
    )


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    workdir = tmp_path_factory.mktemp("ha-pair")
    with contextlib.ExitStack() as running:
        webhook = WebhookReceiver().start()
        running.callback(webhook.stop)
        sandbox = SandboxServer(
            workdir / "sandbox", orgs=1, workspaces=3, rate=20.0, failure_ratio=0.0
        )
        running.callback(sandbox.stop)
        sandbox.start()
        org_id = sandbox.org_ids()[0]
        listed = sandbox.get(f"/v1/orgs/{org_id}/workspaces", limit=200).json()["workspaces"]
        failing = listed[0]["workspace_id"]
        victoria = VictoriaMetricsServer(workdir / "victoria-metrics", dedup_interval=DEDUP)
        running.callback(victoria.stop)
        victoria.start()
        exporter = exporter_process(workdir, sandbox)
        running.callback(exporter.stop)
        exporter.start(ready_timeout=60)
        am_port = free_port()
        alertmanager = alertmanager_process(workdir, webhook.url, am_port)
        running.callback(alertmanager.stop)
        alertmanager.start()
        target = str(exporter.ready_url).split("/")[2]
        replicas = []
        for name in REPLICAS:
            server = replica(workdir, name, target, f"127.0.0.1:{am_port}", victoria.url)
            running.callback(server.stop)
            replicas.append(server.start())
        # Executions start once the exporter counts: every one of them is in its live counters.
        listed_everywhere = f"count({cat.WORKSPACE_INFO.sample_name})"
        replicas[0].wait_for(listed_everywhere, bool, timeout=TIMEOUT)
        sandbox.set_stream(running=True, workspace_failure_ratios={failing: 0.9})
        yield Pair(sandbox, replicas, victoria, f"http://127.0.0.1:{am_port}", webhook, failing)


def by_workspace(result: list[dict[str, Any]]) -> dict[str, float]:
    return {item["metric"]["workspace_id"]: float(item["value"][1]) for item in result}


def wait_until(check: Any, timeout: float = TIMEOUT) -> Any:
    """Call `check` until it returns something true; return that."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "never true"
        time.sleep(0.5)
    return result


def test_alerts_of_the_pair_reach_alertmanager_once(pair: Pair) -> None:
    firing = f'ALERTS{{alertname="{BURN_ALERT}",alertstate="firing"}}'
    for server in pair.replicas:  # both replicas fire it, and send it
        server.wait_for(firing, lambda result: len(result) > 0, timeout=TIMEOUT)

    def received() -> list[dict[str, Any]]:
        url = f"{pair.alertmanager_url}/api/v2/alerts"
        found = requests.get(url, params={"filter": f'alertname="{BURN_ALERT}"'}, timeout=10)
        return list(found.json())

    alerts = wait_until(received)
    labels = [alert["labels"] for alert in alerts]
    assert all("replica" not in item for item in labels)
    assert len(labels) == len({frozenset(item.items()) for item in labels})
    assert {item["workspace_id"] for item in labels} == {pair.failing_workspace}
    notification = pair.webhook.wait_for(lambda n: bool(n["alerts"]), TIMEOUT)
    sent = [frozenset(alert["labels"].items()) for alert in notification["alerts"]]
    assert len(sent) == len(set(sent))


def test_recorded_rates_are_one_copy_in_victoriametrics(pair: Pair) -> None:
    rule = "org_workspace:mechamental_executions:rate5m"
    direct = wait_until(lambda: by_workspace(pair.replicas[0].query(rule)))
    pair.victoria.flush()
    copies = by_workspace(pair.victoria.query(f"count by (workspace_id) ({rule})"))
    assert copies == {workspace: 1.0 for workspace in direct}
    stored = by_workspace(pair.victoria.query(f"sum by (workspace_id) ({rule})"))
    for workspace, rate in direct.items():
        assert rate > 0
        assert abs(stored[workspace] - rate) < 0.5 * rate, (workspace, stored, direct)


def test_counts_are_the_truth_once_in_victoriametrics_and_on_each_replica(pair: Pair) -> None:
    pair.sandbox.set_stream(running=False)
    stopped = time.time()
    truth = {
        workspace: float(item["executions"]["total"])
        for org in pair.sandbox.truth()["orgs"].values()
        for workspace, item in org["workspaces"].items()
    }
    live = f"sum by (workspace_id) ({cat.EXECUTIONS.sample_name})"
    for server in [*pair.replicas, pair.victoria]:
        wait_until(lambda server=server: by_workspace(server.query(live)) == truth)

    # The first boundary after every execution is final holds the total, in VictoriaMetrics
    # (deduplicated) exactly as on each replica.
    boundary = (int(stopped) + 2) // BOUNDARY * BOUNDARY + BOUNDARY
    series = f'{cat.EXECUTIONS_BY_TIME.sample_name}{{job="exporter"}}'
    by_time = f"sum by (workspace_id) (last_over_time({series}[500ms]))"  # the boundary sample
    wait_until(lambda: time.time() > boundary + 5)
    for server in [*pair.replicas, pair.victoria]:
        wait_until(lambda server=server: by_workspace(server.query(by_time, boundary)) == truth)
    pair.victoria.flush()
    samples = pair.victoria.query(f"count_over_time({series}[{BOUNDARY}s])", boundary)
    assert samples and all(float(item["value"][1]) <= BOUNDARY for item in samples)
