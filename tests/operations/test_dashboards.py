"""Grafana dashboards: valid JSON, stable uids, datasources that resolve, sane layout, and every
panel and variable query answering against a real Prometheus fed catalogue-shaped data."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.operations.catalogue_fixture import LABEL_VALUES
from tests.operations.repo_files import (
    GRAFANA_DIR,
    alerting_rules,
    dashboards,
    load_yaml,
    panels,
    recording_rules,
    variable_query,
)
from tests.support.prometheus import PrometheusServer
from vocabulary import details

# The stable uids (alert links and bookmarks use them) and the file holding each.
EXPECTED_UIDS = {
    "mm-org-overview": "org-overview.json",
    "mm-workspace-detail": "workspace-detail.json",
    "mm-stack-health": "stack-health.json",
}
GRAFANA_BUILTIN = {"type": "grafana", "uid": "-- Grafana --"}
# Grafana's global variables, replaced by values that suit a Prometheus fed for a few seconds.
GLOBALS = {"__rate_interval": "10s", "__interval": "5s", "__range": "1h", "__range_s": "3600"}
VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")
LABEL_VALUES_QUERY = re.compile(r"^label_values\((?:(.+),\s*)?(\w+)\)$")
QUERY_RESULT = re.compile(r"^query_result\((.+)\)$", re.DOTALL)
# What panels and variables join to name workspaces (one series per workspace).
NAMES = "org_workspace:mechamental_workspace_info:latest"


def provisioned_datasource() -> dict[str, Any]:
    """The one provisioned Prometheus datasource."""
    files = sorted((GRAFANA_DIR / "provisioning" / "datasources").glob("*.yml"))
    sources = [source for path in files for source in load_yaml(path)["datasources"]]
    assert len(sources) == 1, sources
    return dict(sources[0])


def datasource_refs(node: Any) -> list[Any]:
    """Every `datasource` value anywhere in a dashboard."""
    if isinstance(node, dict):
        found = [node["datasource"]] if "datasource" in node else []
        return found + [ref for value in node.values() for ref in datasource_refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in datasource_refs(item)]
    return []


def panel_targets() -> list[tuple[str, str, str, str]]:
    """(dashboard uid, panel title, refId, expr) of every panel query."""
    return [
        (board["uid"], panel["title"], target["refId"], target["expr"])
        for board in dashboards().values()
        for panel in panels(board)
        if panel["type"] != "row"
        for target in panel["targets"]
    ]


def substitute(text: str, values: dict[str, str]) -> str:
    """Replace Grafana variables; an unknown variable fails the test."""

    def replace(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group)
        assert name in values, f"unknown variable {name} in {text}"
        return values[name]

    return VARIABLE.sub(replace, text)


def label_values(prometheus: PrometheusServer, query: str) -> list[str]:
    """What Grafana's `label_values(selector, label)` returns, asked of Prometheus."""
    match = LABEL_VALUES_QUERY.match(query.strip())
    assert match, f"not a label_values() query: {query}"
    selector, label = match.groups()
    if selector is None:
        return list(prometheus.api(f"label/{label}/values"))
    series = prometheus.api("series", **{"match[]": selector})
    return sorted({item[label] for item in series if label in item})


def result_line(row: dict[str, Any]) -> str:
    """A query_result() row as Grafana writes it for the variable's regex: name, labels
    (in Prometheus' order, values unescaped), value and time in milliseconds."""
    metric = dict(row["metric"])
    name = metric.pop("__name__", "")
    labels = ",".join(f'{key}="{value}"' for key, value in metric.items())
    value, at = row["value"][1], int(float(row["value"][0]) * 1000)
    return f"{name}{{{labels}}} {value} {at}"


def variable_options(
    prometheus: PrometheusServer, variable: dict[str, Any], values: dict[str, str]
) -> list[tuple[str, str]]:
    """(text, value) of each option Grafana lists for a query variable, sorted by text."""
    query = substitute(variable_query(variable), values)
    found = QUERY_RESULT.match(query.strip())
    if found is None:
        return [(value, value) for value in label_values(prometheus, query)]
    # Grafana's regexes are JavaScript's, whose named groups Python spells (?P<name>).
    pattern = re.compile(variable["regex"].strip("/").replace("(?<", "(?P<"))
    options = set()
    for row in prometheus.query(found.group(1)):
        match = pattern.search(result_line(row))
        assert match, (variable["name"], result_line(row))
        options.add((match.group("text"), match.group("value")))
    return sorted(options)


def query_variables(board: dict[str, Any]) -> list[dict[str, Any]]:
    """The dashboard's query variables (the data source variable aside)."""
    return [v for v in board["templating"]["list"] if v["type"] == "query"]


def resolve_variables(prometheus: PrometheusServer, board: dict[str, Any]) -> dict[str, str]:
    """Each template variable's first value, resolved in order like Grafana does."""
    values = dict(GLOBALS)
    for variable in query_variables(board):
        options = variable_options(prometheus, variable, values)
        assert options, f"{board['uid']}: variable {variable['name']} has no values"
        values[variable["name"]] = options[0][1]
    return values


def test_dashboards_have_the_stable_uids_in_their_files():
    uids = {board["uid"]: name for name, board in dashboards().items()}
    assert uids == EXPECTED_UIDS
    for board in dashboards().values():
        assert "mechamental" in board["tags"]
        assert board["title"].startswith("MechaMental / ")


def test_every_datasource_reference_resolves_to_the_provisioned_uid():
    """Panels read the data source variable, whose default is the provisioned Prometheus."""
    source = provisioned_datasource()
    assert source["type"] == "prometheus" and source["uid"]
    expected = {"type": "prometheus", "uid": "${datasource}"}
    for board in dashboards().values():
        variable = board["templating"]["list"][0]
        assert (variable["name"], variable["type"], variable["query"]) == (
            "datasource",
            "datasource",
            "prometheus",
        )
        assert variable["current"]["value"] == source["uid"]
        refs = datasource_refs(board)
        assert refs
        for ref in refs:
            assert ref in (expected, GRAFANA_BUILTIN), (board["uid"], ref)
        for panel in panels(board):
            if panel["type"] != "row":
                assert panel["datasource"] == expected, panel["title"]


def test_dashboard_provider_loads_the_dashboard_directory():
    files = sorted((GRAFANA_DIR / "provisioning" / "dashboards").glob("*.yml"))
    providers = [p for path in files for p in load_yaml(path)["providers"]]
    assert [p["type"] for p in providers] == ["file"]
    assert providers[0]["options"]["path"] == "/var/lib/grafana/dashboards"


def test_panels_have_unique_ids_and_do_not_overlap():
    for board in dashboards().values():
        ids = [panel["id"] for panel in panels(board)]
        assert len(ids) == len(set(ids)), board["uid"]
        cells: set[tuple[int, int]] = set()
        for panel in panels(board):
            pos = panel["gridPos"]
            assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, panel["title"]
            area = {
                (x, y)
                for x in range(pos["x"], pos["x"] + pos["w"])
                for y in range(pos["y"], pos["y"] + pos["h"])
            }
            assert not area & cells, f"{board['uid']}: {panel['title']} overlaps another panel"
            cells |= area
            if panel["type"] != "row":
                assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"])


def test_org_and_workspace_dashboards_choose_org_and_workspace():
    """Orgs from label values; workspaces by name, the value staying the id."""
    by_uid = {board["uid"]: board for board in dashboards().values()}
    for uid, names in (
        ("mm-org-overview", ["org_id"]),
        ("mm-workspace-detail", ["org_id", "workspace_id"]),
    ):
        variables = query_variables(by_uid[uid])
        assert [variable["name"] for variable in variables] == names
        assert LABEL_VALUES_QUERY.match(variable_query(variables[0]))
    workspace = query_variables(by_uid["mm-workspace-detail"])[1]
    assert "$org_id" in variable_query(workspace), "workspaces are listed for the chosen org"
    assert NAMES in variable_query(workspace)
    assert "(?<text>" in workspace["regex"] and "(?<value>" in workspace["regex"]


def test_variables_list_the_orgs_and_workspaces_by_name(fixture_prometheus):
    by_uid = {board["uid"]: board for board in dashboards().values()}
    org_variable, workspace_variable = query_variables(by_uid["mm-workspace-detail"])
    orgs = variable_options(fixture_prometheus, org_variable, dict(GLOBALS))
    assert orgs == [(org, org) for org in sorted(LABEL_VALUES["org_id"])]
    values = {**GLOBALS, "org_id": orgs[-1][1]}
    workspaces = variable_options(fixture_prometheus, workspace_variable, values)
    # One option per workspace although each has two names (as mid-rename), named, not by id.
    assert sorted(value for _, value in workspaces) == sorted(LABEL_VALUES["workspace_id"])
    assert {text for text, _ in workspaces} <= set(LABEL_VALUES["workspace_name"])


@pytest.mark.parametrize(
    ("uid", "title", "ref", "expr"), panel_targets(), ids=lambda v: str(v)[:60]
)
def test_panel_query_returns_data(fixture_prometheus, uid, title, ref, expr):
    board = next(b for b in dashboards().values() if b["uid"] == uid)
    query = substitute(expr, resolve_variables(fixture_prometheus, board))
    result = fixture_prometheus.query(query)
    assert result, f"{uid} / {title} / {ref}: {query} returned nothing"
    assert all(item["value"][1] not in {"NaN", "+Inf", "-Inf"} for item in result), result
    workspaces = [item["metric"] for item in result if "workspace_id" in item["metric"]]
    if len(workspaces) > 1:  # a row or line per workspace: each named, each once
        assert all(m.get("workspace_name") in LABEL_VALUES["workspace_name"] for m in workspaces)
        keys = [(m.get("org_id"), m["workspace_id"]) for m in workspaces]
        assert len(keys) == len(set(keys)), f"{uid} / {title}: a workspace shown twice"


def test_every_legend_and_table_that_shows_a_workspace_shows_its_name():
    for board in dashboards().values():
        for panel in panels(board):
            for target in panel.get("targets", []):
                expr, legend = target["expr"], target.get("legendFormat", "")
                where = (board["uid"], panel["title"], target["refId"])
                if "workspace_id" in legend:
                    assert "{{workspace_name}}" in legend, where
                per_workspace = re.search(r"by \((?:org_id, )?workspace_id\)", expr)
                shown = legend or target.get("format") == "table"
                if shown and (per_workspace or "{{workspace_name}}" in legend):
                    assert f"group_left (workspace_name) {NAMES}" in expr, where


def test_every_rule_the_panels_read_evaluates(fixture_prometheus):
    """No rule group errs on catalogue-shaped series (a many-to-many join, a duplicate series):
    an erring group records nothing, so its panels go blank and
    MechaMentalPrometheusRuleFailures fires."""
    groups = fixture_prometheus.api("rules")["groups"]
    rules = [(group["name"], rule) for group in groups for rule in group["rules"]]
    assert len(rules) == len(recording_rules()) + len(alerting_rules())
    erring = [
        (name, rule["name"], rule["lastError"]) for name, rule in rules if rule["health"] == "err"
    ]
    assert erring == []
    latency = [rule for name, rule in rules if name.startswith("mechamental-execution-latency")]
    assert latency and all(rule["health"] == "ok" for rule in latency)


@pytest.mark.parametrize(
    ("uid", "title", "ref", "expr"),
    [target for target in panel_targets() if target[1].startswith("Top error codes")],
    ids=lambda v: str(v)[:60],
)
def test_top_error_codes_keep_other_beyond_the_topk(fixture_prometheus, uid, title, ref, expr):
    """`other` (codes over a workspace's cap) shows whenever it counts, even outside the topk."""
    assert f'error_code!="{details.OVERFLOW}"' in expr
    assert f'error_code="{details.OVERFLOW}"' in expr
    board = next(b for b in dashboards().values() if b["uid"] == uid)
    query = substitute(expr, resolve_variables(fixture_prometheus, board))
    codes = [row["metric"]["error_code"] for row in fixture_prometheus.query(query)]
    narrowed = query.replace("topk(10,", "topk(1,")
    top = [row["metric"]["error_code"] for row in fixture_prometheus.query(narrowed)]
    assert details.OVERFLOW in codes and len(codes) > 2, codes
    assert len(top) == 2 and details.OVERFLOW in top, top
