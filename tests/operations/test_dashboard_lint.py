"""A lint of the dashboard JSON as on-call reads it: every single-value panel says what its number
means (unit, decimals, thresholds instead of Grafana's default red at 80), thresholds that mirror
an alert carry the alert's value, and every variable is used."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.operations.repo_files import RULES_DIR, dashboards, load_yaml, panels

SINGLE_VALUE = {"stat", "bargauge", "gauge"}
# Panels whose colours mirror alert thresholds: title → the thresholds.yml names of its steps.
ALERT_STEPS = {
    "Burn rate, 1 h": ["burn_rate_page_6h", "burn_rate_page_1h"],
    "Data age": ["collection_stale_seconds"],
    "Worst workspaces: burn rate, 1 h": ["burn_rate_page_6h", "burn_rate_page_1h"],
    "Stalest workspaces: data age": ["collection_stale_seconds"],
}
# Single-value panels where an empty result is normal (none exist), not a fault: they say so in a
# neutral colour. Every other one shows "no data" in red, since there empty means broken.
EMPTY_IS_NORMAL = {
    ("workspace-detail.json", "Apps and namespaces"),
    ("workspace-detail.json", "Top error codes, time range"),
    ("org-overview.json", "Top error codes, time range"),
}
PROBLEM_COLOUR = "red"


def single_value_panels() -> list[tuple[str, dict[str, Any]]]:
    """(dashboard file, panel) of every stat, bar-gauge and gauge panel."""
    return [
        (name, panel)
        for name, board in dashboards().items()
        for panel in panels(board)
        if panel["type"] in SINGLE_VALUE
    ]


def alert_thresholds() -> dict[str, float]:
    """Each threshold of thresholds.yml that is a plain number, by name."""
    spec = load_yaml(RULES_DIR / "thresholds.yml")
    values = {}
    for group in spec["groups"]:
        for rule in group["rules"]:
            number = re.fullmatch(r"vector\(([0-9.]+)\)", rule["expr"])
            if number:
                values[rule["labels"]["threshold"]] = float(number.group(1))
    return values


@pytest.mark.parametrize(
    ("board", "panel"), single_value_panels(), ids=lambda v: v if isinstance(v, str) else v["title"]
)
def test_single_value_panels_define_unit_decimals_and_thresholds(board, panel):
    defaults = panel["fieldConfig"]["defaults"]
    assert "unit" in defaults and "decimals" in defaults, (board, panel["title"])
    assert "min" in defaults, (board, panel["title"])
    steps = defaults["thresholds"]["steps"]
    assert steps[0]["value"] is None and steps, (board, panel["title"])
    assert all(step["value"] != 80 for step in steps), "Grafana's default threshold"
    values = [step["value"] for step in steps[1:]]
    assert values == sorted(values), (board, panel["title"])


@pytest.mark.parametrize(
    ("board", "panel"), single_value_panels(), ids=lambda v: v if isinstance(v, str) else v["title"]
)
def test_single_value_panels_show_no_data_as_a_choice(board, panel):
    """Empty reads as a problem (red, saying what is broken) unless listed as normal."""
    defaults = panel["fieldConfig"]["defaults"]
    text = defaults.get("noValue", "")
    assert text.strip(), (board, panel["title"], "no noValue: Grafana's bare 'No data'")
    special = [m for m in defaults.get("mappings", []) if m["type"] == "special"]
    assert [m["options"]["match"] for m in special] == ["null+nan"], (board, panel["title"])
    result = special[0]["options"]["result"]
    assert result["text"] == text, (board, panel["title"])
    if (board, panel["title"]) in EMPTY_IS_NORMAL:
        assert result["color"] != PROBLEM_COLOUR and not text.startswith("no data"), panel["title"]
    else:
        assert result["color"] == PROBLEM_COLOUR, (board, panel["title"])
        assert text.startswith(("no data:", "no workspaces:", "no targets:")), text


def test_thresholds_that_mirror_alerts_carry_the_alerts_values():
    thresholds = alert_thresholds()
    found: dict[str, list[list[float]]] = {}
    for _, panel in single_value_panels():
        if panel["title"] in ALERT_STEPS:
            steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"][1:]
            found.setdefault(panel["title"], []).append([step["value"] for step in steps])
    assert found.keys() == ALERT_STEPS.keys()
    for title, names in ALERT_STEPS.items():
        assert all(values == [thresholds[n] for n in names] for values in found[title]), title


@pytest.mark.parametrize("name", sorted(dashboards()))
def test_every_variable_is_used_by_a_panel(name):
    board = dashboards()[name]
    text = " ".join(
        target.get("expr", "") for panel in panels(board) for target in panel.get("targets", [])
    )
    text += " ".join(str(panel.get("datasource")) for panel in panels(board))
    for variable in board["templating"]["list"]:
        assert f"${variable['name']}" in text or f"${{{variable['name']}" in text, variable["name"]


@pytest.mark.parametrize("name", sorted(dashboards()))
def test_burn_rate_panels_show_every_window_the_alerts_read(name):
    """Every window of a burn-rate tier (slo.yml) is drawn next to the tiers' thresholds."""
    slo = (RULES_DIR / "slo.yml").read_text(encoding="utf-8")
    windows = set(re.findall(r"ratio_rate(\d+[mhd])\b", slo))
    for panel in panels(dashboards()[name]):
        if not panel.get("title", "").startswith("Burn rate by window"):
            continue
        exprs = " ".join(target["expr"] for target in panel["targets"])
        assert windows == set(re.findall(r"ratio_rate(\d+[mhd])\b", exprs))
        assert 'threshold=~"burn_rate_.*"' in exprs


@pytest.mark.parametrize("name", sorted(dashboards()))
def test_firing_alerts_show_as_annotations(name, fixture_prometheus):
    """Each dashboard marks the firing alerts of its scope; the query runs in Prometheus."""
    board = dashboards()[name]
    queries = [a for a in board["annotations"]["list"] if a.get("expr", "").startswith("ALERTS{")]
    assert len(queries) == 1, name
    expr = queries[0]["expr"]
    assert 'alertstate="firing"' in expr
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            assert f"${variable['name']}" in expr, (name, variable["name"])
    values = {"org_id": "o", "workspace_id": "w"}
    query = re.sub(r"\$(\w+)", lambda match: values[match.group(1)], expr)
    assert isinstance(fixture_prometheus.query(query), list)


@pytest.mark.parametrize("name", sorted(dashboards()))
def test_bucket_panels_count_over_their_step_forward_from_the_bucket_start(name):
    """A bar panel with a minimum interval counts [t, t + step) and labels it t, as the façade
    does: a fixed `[1h]`/`[1d]` increase would label each bucket by its end and skip time once
    the step grows past the window."""
    for panel in panels(dashboards()[name]):
        if panel.get("interval") not in {"1h", "1d"} or not re.search(
            r"\bper (hour|day)\b", panel["title"]
        ):
            continue
        for target in panel["targets"]:
            assert "offset -$__interval" in target["expr"], panel["title"]
            assert not re.search(r"(increase|rate)\(", target["expr"]), panel["title"]
