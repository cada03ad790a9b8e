"""The execution-detail panels without a Prometheus: hourly bars on the platform's clock count
exactly (checked by promtool on by-time series), and the latency panels draw what
MechaMentalExecutionLatencyHigh compares. Against the fixture Prometheus, test_dashboards.py."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.operations.repo_files import RULES_DIR, dashboards, load_yaml, mechamental_names, panels
from tests.operations.test_dashboards import substitute
from tests.operations.test_rules import run_tool
from vocabulary import details

HOURLY_DETAIL_FAMILIES = {
    family.sample_name
    for family in (details.TOKENS, details.FAILURES_BY_CODE, *details.APP_DETAIL_FAMILIES)
}
QUANTILES = (
    "org_workspace_quantile:mechamental_execution_duration_by_time_seconds:histogram_quantile1h"
)


def detail_panels(pattern: str) -> list[tuple[str, dict[str, Any]]]:
    """(dashboard file, panel) of every panel whose title matches `pattern`."""
    return [
        (name, panel)
        for name, board in dashboards().items()
        for panel in panels(board)
        if re.search(pattern, panel.get("title", ""))
    ]


def hourly_bars() -> list[tuple[str, dict[str, Any]]]:
    """The hourly bar panels of the by-time detail families."""
    return [
        (name, panel)
        for name, panel in detail_panels(r"per hour")
        if mechamental_names(panel["targets"][0]["expr"]) & HOURLY_DETAIL_FAMILIES
    ]


def by_time_series(metric: str, label: str) -> list[dict[str, str]]:
    """Workspace w1 (two replicas) and w2 of org o1, sampled each minute for 3 hours: value `a`
    grows 7 a minute from 0 (w1) and 1 a minute (w2); value `b` appears at minute 90 at 5 and
    grows 3 a minute, so it counts from 0 in its first bucket."""

    def series(instance: str, workspace: str, value: str) -> str:
        return (
            f'{metric}{{job="exporter",instance="{instance}",org_id="o1",'
            f'workspace_id="{workspace}",{label}="{value}"}}'
        )

    return [
        {"series": series("e1", "w1", "a"), "values": "0+7x180"},
        {"series": series("e2", "w1", "a"), "values": "0+7x180"},
        {"series": series("e1", "w1", "b"), "values": "_x90 5+3x90"},
        {"series": series("e1", "w2", "a"), "values": "0+1x180"},
    ]


@pytest.mark.parametrize(
    ("board", "panel"), hourly_bars(), ids=lambda v: v if isinstance(v, str) else v["title"]
)
def test_hourly_detail_bars_count_each_hour_exactly(tmp_path: Path, board, panel):
    """The bar at 1 h counts [1 h, 2 h): 7 × 60 of `a` per replica pair (counted once), and `b`'s
    95 since it appeared; an org's bars add its workspaces. promtool holds no sample later than
    its evaluation time, so the bar reads at 2 h through a subquery an hour back."""
    expr = panel["targets"][0]["expr"]
    (metric,) = mechamental_names(expr) & HOURLY_DETAIL_FAMILIES
    (label,) = re.findall(r"max by \((?:org_id, workspace_id, )?(\w+)\)", expr)[:1]
    bar = substitute(expr, {"org_id": "o1", "workspace_id": "w1", "__interval": "1h"})
    query = f"last_over_time(({bar})[1m:1m] offset 1h)"
    whole_org = "workspace_id=" not in expr
    test = {
        "rule_files": [],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": by_time_series(metric, label),
                "promql_expr_test": [
                    {
                        "expr": query,
                        "eval_time": "120m",
                        "exp_samples": [
                            {"labels": f'{{{label}="a"}}', "value": 420 + (60 if whole_org else 0)},
                            {"labels": f'{{{label}="b"}}', "value": 95},
                        ],
                    }
                ],
            }
        ],
    }
    path = tmp_path / "bars_test.yml"
    path.write_text(yaml.safe_dump(test), encoding="utf-8")
    result = run_tool("promtool", "test", "rules", str(path))
    assert result.returncode == 0, (board, panel["title"], result.stdout + result.stderr)


def test_every_detail_family_on_the_platform_clock_has_hourly_bars():
    shown = set().union(*(mechamental_names(p["targets"][0]["expr"]) for _, p in hourly_bars()))
    assert shown == HOURLY_DETAIL_FAMILIES


def test_latency_panels_draw_what_the_alert_compares():
    spec = load_yaml(RULES_DIR / "latency.yml")
    alert = next(r for g in spec["groups"] for r in g["rules"] if "alert" in r)
    (threshold,) = [name for name in mechamental_names(alert["expr"]) if "_p95_threshold" in name]
    exprs = {
        name: " ".join(t["expr"] for t in panel["targets"])
        for name, panel in detail_panels(r"^Execution latency")
        if panel["type"] == "timeseries"
    }
    assert exprs.keys() == {"workspace-detail.json", "org-overview.json"}
    for text in exprs.values():
        assert f"{QUANTILES}{{" in text and 'quantile="0.95"' in text
        assert QUANTILES in alert["expr"]
    assert threshold in exprs["workspace-detail.json"]
    # The org's panel draws the default; each workspace's own shows on its dashboard.
    assert 'threshold="execution_latency_p95_seconds"' in exprs["org-overview.json"]
