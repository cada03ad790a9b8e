"""Ids as the platform may really write them, end to end: a sandbox whose org, workspace, app
and namespace ids hold `:`, `/`, `%`, `?`, `#`, `+`, quotes, a backslash, spaces and non-ASCII
letters, read by a real exporter, scraped by a real Prometheus and served by the façade under
gunicorn, which answers with the sandbox's truth."""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from facade.tokens import mint_token
from stack.supervisor import ManagedProcess, free_port
from tests.exporter.conftest import launch_exporter, parse_samples, select
from tests.hardening.security_stack import FacadeServer
from tests.support.prometheus import PrometheusServer, scrape_config
from tests.support.sandbox import SandboxServer
from vocabulary import catalogue as cat
from vocabulary.ids import path_segment, valid_id

ORG = "org:ä/1 %x"
WORKSPACE = "ws/ü 2:%41+"
APP = "app?3 #ß/"
NAMESPACE = 'ns "4" \\ ñ'
ID_COLUMNS = ("org_id", "workspace_id", "app_id", "namespace_id")
EXECUTIONS, FAILED = 9, 4


def seeded_ids(db: sqlite3.Connection) -> dict[str, str]:
    """The first namespace that has threads, with its app, workspace and org."""
    row = db.execute(
        "SELECT w.org_id, n.workspace_id, n.app_id, n.namespace_id FROM namespaces AS n "
        "JOIN workspaces AS w USING (workspace_id) "
        "WHERE EXISTS (SELECT 1 FROM threads AS t WHERE t.namespace_id = n.namespace_id) "
        "ORDER BY n.seq LIMIT 1"
    ).fetchone()
    assert row is not None, "the seeded platform has no namespace with threads"
    return dict(zip(ID_COLUMNS, row, strict=True))


def rename_ids(db_path: Path) -> None:
    """Give one org, workspace, app and namespace the odd ids, in every table that holds them."""
    db = sqlite3.connect(db_path)
    try:
        new = dict(zip(ID_COLUMNS, (ORG, WORKSPACE, APP, NAMESPACE), strict=True))
        old = seeded_ids(db)
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        with db:
            for table in tables:
                columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                for column in columns & set(ID_COLUMNS):
                    db.execute(
                        f"UPDATE {table} SET {column} = ? WHERE {column} = ?",
                        (new[column], old[column]),
                    )
    finally:
        db.close()


@dataclass
class OddStack:
    """The running processes and the truth they must serve."""

    sandbox: SandboxServer
    exporter: ManagedProcess
    exporter_url: str
    prometheus: PrometheusServer
    facade: FacadeServer
    token: str
    truth: dict[str, Any]

    def get(self, path: str) -> requests.Response:
        """GET a façade path with the org's token."""
        return self.facade.get(path, self.token)

    def workspace_path(self) -> str:
        """The façade path of the odd workspace, every id one encoded segment."""
        return f"/v1/orgs/{path_segment(ORG)}/workspaces/{path_segment(WORKSPACE)}"


def wait_for_executions(prometheus: PrometheusServer, exporter: ManagedProcess) -> None:
    """Until Prometheus holds the odd workspace's executions."""
    selector = f"{cat.EXECUTIONS.sample_name}{{workspace_id={promql_string(WORKSPACE)}}}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert exporter.alive, exporter.log_hint
        if prometheus.query(selector) and prometheus.scalar(f"sum({selector})") == EXECUTIONS:
            return
        time.sleep(0.5)
    raise AssertionError(f"Prometheus never held {selector}; {exporter.log_hint}")


def promql_string(value: str) -> str:
    """`value` as a double-quoted PromQL string, escaped independently of the façade's code."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.fixture(scope="module")
def odd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OddStack]:
    """Sandbox (renamed ids), exporter, Prometheus and façade, all real, on loopback."""
    workdir = tmp_path_factory.mktemp("odd-ids")
    sandbox = SandboxServer(workdir / "sandbox", orgs=2, workspaces=3)
    sandbox.start()
    sandbox.stop()  # seeded; renamed while no process holds the database
    rename_ids(sandbox.db_path)
    port = free_port()
    prometheus = PrometheusServer(
        workdir / "prometheus", scrape_configs=[scrape_config("exporter", [f"127.0.0.1:{port}"])]
    )
    secret = secrets.token_urlsafe(32)
    home = workdir / "home"
    home.mkdir()
    env = {"FACADE_JWT_SECRET": secret, "HOME": str(home), "XDG_RUNTIME_DIR": ""}
    started: list[Any] = []
    try:
        started.append(sandbox.start())
        sandbox.insert_executions(WORKSPACE, EXECUTIONS, FAILED)
        exporter = launch_exporter(
            sandbox, workdir, port=port, app_metrics="true", namespace_metrics="true"
        ).process
        started.append(exporter)
        started.append(prometheus.start())
        wait_for_executions(prometheus, exporter)
        env["FACADE_PROMETHEUS_URL"] = prometheus.url
        facade = FacadeServer(workdir, env).start()
        started.append(facade)
        token = mint_token(secret, ORG, ["analytics:*:view"])
        yield OddStack(
            sandbox,
            exporter,
            f"http://127.0.0.1:{port}",
            prometheus,
            facade,
            token,
            sandbox.truth(),
        )
    finally:
        for process in reversed(started):
            process.stop()


def workspace_truth(odd: OddStack) -> dict[str, Any]:
    truth: dict[str, Any] = odd.truth["orgs"][ORG]["workspaces"][WORKSPACE]
    return truth


def test_the_odd_ids_are_valid_and_the_sandbox_serves_them(odd: OddStack) -> None:
    assert all(valid_id(value) for value in (ORG, WORKSPACE, APP, NAMESPACE))
    truth = workspace_truth(odd)
    assert APP in truth["apps"] and NAMESPACE in truth["namespaces"]
    assert truth["executions"] == {
        "total": EXECUTIONS,
        "success": EXECUTIONS - FAILED,
        "failed": FAILED,
    }
    seen = odd.sandbox.requests_seen()
    assert seen["by_status"].keys() == {"200"}, seen["by_status"]  # every encoded path routed


def test_the_exposition_carries_the_ids_exactly(odd: OddStack) -> None:
    text = requests.get(f"{odd.exporter_url}/metrics", timeout=10).text
    samples = parse_samples(text)
    namespace = select(samples, cat.NAMESPACE_INFO.sample_name, org_id=ORG, workspace_id=WORKSPACE)
    assert NAMESPACE in {dict(labels)["namespace_id"] for labels in namespace}
    assert 'namespace_id="ns \\"4\\" \\\\ ñ"' in text  # escaped as the text format requires
    apps = select(samples, cat.APP_INFO.sample_name, org_id=ORG, workspace_id=WORKSPACE)
    assert APP in {dict(labels)["app_id"] for labels in apps}


def test_the_facade_answers_with_the_truth(odd: OddStack) -> None:
    truth = workspace_truth(odd)
    base = odd.workspace_path()
    summary = odd.get(f"{base}/analytics")
    assert summary.status_code == 200, summary.text
    body = summary.json()
    assert body["workspace_id"] == WORKSPACE
    assert body["resources"] == truth["resources"]
    executions = {key: body["executions"][key] for key in ("total", "success", "failed")}
    assert executions == truth["executions"]
    resources = odd.get(f"{base}/analytics/resources")
    assert resources.status_code == 200 and resources.json() == truth["resources"]
    app = odd.get(f"{base}/apps/{path_segment(APP)}/analytics")
    assert app.status_code == 200 and app.json() == truth["apps"][APP]
    namespace = odd.get(f"{base}/namespaces/{path_segment(NAMESPACE)}/analytics")
    expected = truth["namespaces"][NAMESPACE]
    assert namespace.status_code == 200
    assert namespace.json() == {
        key: expected[key] for key in ("namespace_id", "threads", "sources")
    }


def test_the_odd_org_is_still_guarded(odd: OddStack) -> None:
    base = odd.workspace_path()
    # The id's `/` sent raw is a path separator: another route, which does not exist.
    raw = odd.get(
        f"/v1/orgs/{path_segment(ORG)}/workspaces/ws/{path_segment('ü 2:%41+')}/analytics"
    )
    assert raw.status_code == 404 and raw.json()["details"]["resource_type"] == "route"
    other = next(org for org in odd.truth["orgs"] if org != ORG)
    foreign = odd.facade.get(f"{base}/analytics", mint_token_for(odd, other))
    assert foreign.status_code == 403
    unknown = odd.get(f"/v1/orgs/{path_segment(ORG)}/workspaces/{path_segment('ws/ü 2')}/analytics")
    assert unknown.status_code == 404
    assert unknown.json()["details"] == {"resource_type": "workspace", "resource_id": "ws/ü 2"}


def mint_token_for(odd: OddStack, org_id: str) -> str:
    """An org-wide token of another org, signed with the façade's secret."""
    return mint_token(odd.facade.env["FACADE_JWT_SECRET"], org_id, ["analytics:*:view"])
