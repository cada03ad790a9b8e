"""The workspace dashboard's hourly and daily bars, run as Grafana runs them (a range query with
the panel's step) against the backfilled history, show the façade's numbers under the façade's
labels, for several dashboard time ranges; a bucket holding a counter reset shows no bar, and so
does one before a workspace's first execution, where the façade answers 0."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC

import pytest
import requests

from stack.supervisor import REPO_ROOT
from tests.support.facade_http import ApiClient
from tests.support.history import END, PROFILES, Profile
from tests.support.history_truth import label
from tests.support.prometheus import PrometheusServer

HOUR = 3600
DAY = 86400
DASHBOARD = REPO_ROOT / "grafana" / "dashboards" / "workspace-detail.json"
PANELS = {"hourly": ("Executions per hour", HOUR, "1h"), "daily": ("Executions per day", DAY, "1d")}


def panel_query(title: str, profile: Profile, interval: str) -> str:
    """The panel's executions query with Grafana's variables filled in."""
    board = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    panel = next(p for p in board["panels"] if p.get("title") == title)
    assert panel["interval"] == interval
    expr = str(panel["targets"][0]["expr"])
    for name, value in (
        ("__interval", interval),
        ("org_id", profile.org_id),
        ("workspace_id", profile.workspace_id),
    ):
        expr = expr.replace(f"${name}", value)
    return expr


def bars(server: PrometheusServer, expr: str, start: float, step: int) -> dict[str, int]:
    """Grafana's range query over [start, END] at `step`: each bar by its UTC label."""
    answer = requests.get(
        f"{server.url}/api/v1/query_range",
        params={"query": expr, "start": str(start), "end": str(END), "step": str(step)},
        timeout=30,
    ).json()
    assert answer["status"] == "success", answer
    values = answer["data"]["result"][0]["values"] if answer["data"]["result"] else []
    return {label(float(at), UTC): int(float(value)) for at, value in values}


@pytest.mark.parametrize(
    ("period", "buckets"), [("hourly", 24), ("hourly", 168), ("daily", 7), ("daily", 30)]
)
def test_bars_equal_the_facade_bucket_by_bucket(
    history_prometheus: PrometheusServer,
    api: ApiClient,
    token: Callable[..., str],
    period: str,
    buckets: int,
) -> None:
    title, step, interval = PANELS[period]
    start = END - END % step - (buckets - 1) * step  # Grafana aligns the range to the step
    unit = "hours" if period == "hourly" else "days"
    for profile in PROFILES:
        path = f"/v1/orgs/{profile.org_id}/workspaces/{profile.workspace_id}"
        answer = api.get(
            f"{path}/analytics/executions/{period}", token(profile.org_id), **{unit: buckets}
        )
        assert answer.status_code == 200
        facade = {point["timestamp"]: point["value"] for point in answer.get_json()["data"]}
        shown = bars(history_prometheus, panel_query(title, profile, interval), start, step)
        resets = {label(at - at % step, UTC) for at in profile.resets}
        # The same labels (today included) and the same numbers, except that a bucket holding a
        # reset shows no bar, nor does one before the workspace's first execution (the façade's 0).
        assert set(shown) <= set(facade), profile.workspace_id
        missing = set(facade) - set(shown)
        assert all(b in resets or facade[b] == 0 for b in missing), profile.workspace_id
        for bucket, value in shown.items():
            assert value == facade[bucket], (profile.workspace_id, bucket)
        assert list(facade)[-1] in shown or list(facade)[-1] in resets, "today's bar"
