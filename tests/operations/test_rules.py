"""Prometheus rules, their promtool unit tests and the Alertmanager config, checked by the real
promtool and amtool, plus the conventions every rule and alert must follow."""

from __future__ import annotations

import re
import subprocess
from functools import cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from stack.prometheus_files import DEFAULT_LINKS_URL
from stack.supervisor import find_binary
from tests.operations.repo_files import (
    ALERTMANAGER_CONFIG,
    PROMETHEUS_DIR,
    RULE_FILES,
    RULE_TEST_FILES,
    RULES_DIR,
    RUNBOOK,
    alerting_rules,
    dashboards,
    load_yaml,
    recording_rules,
    rule_groups,
    runbook_anchors,
)

# Where docker-compose's Grafana serves docs/runbook.md; `up --links-url` moves the base.
RUNBOOK_URL = f"{DEFAULT_LINKS_URL}/public/mechamental/runbook.md"
RECORD_NAME = re.compile(r"^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$")
SEVERITIES = {"critical", "warning"}
COMPONENTS = {"executions", "exporter", "facade", "monitoring"}
# The dead man's switch: always firing, routed to its own receiver, never silent.
WATCHDOG = "MechaMentalWatchdog"
# A comparison against a literal number other than 0 (thresholds belong in thresholds.yml).
LITERAL_COMPARISON = re.compile(r"(?:==|!=|>=|<=|>|<)\s*(?:bool\s+)?(\d+(?:\.\d+)?)")


def run_tool(*argv: str, cwd: Any = None) -> subprocess.CompletedProcess[str]:
    """Run a system tool and capture its output."""
    return subprocess.run(
        [find_binary(argv[0]), *argv[1:]],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
        check=False,
    )


def test_promtool_check_config_accepts_the_local_stack_config():
    result = run_tool("promtool", "check", "config", str(PROMETHEUS_DIR / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(RULE_FILES)} rule files found" in result.stdout


def test_promtool_check_rules_accepts_every_rule_file():
    result = run_tool("promtool", "check", "rules", *map(str, RULE_FILES))
    assert result.returncode == 0, result.stdout + result.stderr
    found = sum(int(n) for n in re.findall(r"SUCCESS: (\d+) rules found", result.stdout))
    assert found == len(recording_rules()) + len(alerting_rules())


def test_promtool_unit_tests_pass():
    tests = [str(path.relative_to(PROMETHEUS_DIR)) for path in RULE_TEST_FILES]
    result = run_tool("promtool", "test", "rules", *tests, cwd=PROMETHEUS_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(RULE_TEST_FILES)


def test_amtool_accepts_the_alertmanager_config():
    result = run_tool("amtool", "check-config", str(ALERTMANAGER_CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr


@cache
def unit_tests() -> tuple[tuple[dict[str, Any], dict[str, Any]], ...]:
    """Every (test file, test case) of the promtool unit tests."""
    specs = [load_yaml(path) for path in RULE_TEST_FILES]
    return tuple((spec, case) for spec in specs for case in spec["tests"])


def alert_tests(alertname: str) -> list[dict[str, Any]]:
    """Every alert_rule_test of one alert."""
    return [
        test
        for _, case in unit_tests()
        for test in case.get("alert_rule_test", [])
        if test["alertname"] == alertname
    ]


def fired_labels(alertname: str) -> list[dict[str, str]]:
    """The labels of every firing alert the unit tests expect of one alert."""
    return [
        alert["exp_labels"]
        for test in alert_tests(alertname)
        for alert in test.get("exp_alerts") or []
    ]


def expr_tests() -> list[dict[str, Any]]:
    """Every promql_expr_test of every unit test."""
    return [expr for _, case in unit_tests() for expr in case.get("promql_expr_test", [])]


@pytest.mark.parametrize(
    "rule", recording_rules(), ids=lambda rule: f"{rule['record']}{rule.get('labels', '')}"
)
def test_every_recording_rule_has_a_unit_test(rule):
    """A promql_expr_test queries the recorded name and expects the rule's static labels."""
    wanted = rule.get("labels", {})
    for test in expr_tests():
        if rule["record"] not in test["expr"]:
            continue
        text = test["expr"] + " ".join(sample["labels"] for sample in test["exp_samples"])
        if all(f'{key}="{value}"' in text for key, value in wanted.items()):
            assert test["exp_samples"], f"{rule['record']} is only tested for absence"
            return
    pytest.fail(f"no promtool unit test checks {rule['record']} {wanted}")


@pytest.mark.parametrize(
    "rule", alerting_rules(), ids=lambda rule: f"{rule['alert']}{rule['labels']}"
)
def test_every_alert_is_unit_tested_firing_and_silent(rule):
    """Each alert rule fires in some test (with its labels) and is expected silent in another."""
    cases = alert_tests(rule["alert"])
    silent = any(not test.get("exp_alerts") for test in cases)
    assert silent or rule["alert"] == WATCHDOG, f"{rule['alert']}: no silent case"
    fired = fired_labels(rule["alert"])
    assert any(rule["labels"].items() <= labels.items() for labels in fired), (
        f"{rule['alert']} {rule['labels']}: never expected to fire"
    )


def test_unit_tests_fix_the_evaluation_order_of_every_group():
    """Without group_eval_order promtool runs groups in random order and results flake; the
    order must list every loaded group, each after the groups whose records it reads."""
    groups = {group["name"]: group for group in rule_groups()}
    files = {path.name: [g["name"] for g in load_yaml(path)["groups"]] for path in RULE_FILES}
    for path in RULE_TEST_FILES:
        spec = load_yaml(path)
        loaded = {name for file in spec["rule_files"] for name in files[file.split("/")[-1]]}
        if len(loaded) == 1 or not any("alert_rule_test" in case for case in spec["tests"]):
            continue
        order = spec["group_eval_order"]
        assert sorted(order) == sorted(loaded), path.name
        for position, name in enumerate(order):
            later = {
                rule["record"]
                for g in order[position + 1 :]
                for rule in groups[g]["rules"]
                if "record" in rule
            }
            used = {token for rule in groups[name]["rules"] for token in rule["expr"].split()}
            assert not any(record in token for record in later for token in used), (path.name, name)


def test_recorded_names_follow_level_metric_operation():
    for rule in recording_rules():
        assert RECORD_NAME.match(rule["record"]), rule["record"]
        assert "mechamental_" in rule["record"].split(":")[1], rule["record"]


def test_every_rule_is_preceded_by_a_comment():
    for path in RULE_FILES:
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if re.match(r"\s+- (record|alert):", line):
                assert lines[number - 1].strip().startswith("#"), f"{path.name}:{number + 1}"


def test_group_names_are_unique():
    names = [group["name"] for group in rule_groups()]
    assert len(names) == len(set(names))


def threshold_names() -> set[str]:
    """The thresholds recorded in thresholds.yml."""
    spec = load_yaml(RULES_DIR / "thresholds.yml")
    return {rule["labels"]["threshold"] for group in spec["groups"] for rule in group["rules"]}


@pytest.mark.parametrize("rule", alerting_rules(), ids=lambda rule: rule["alert"])
def test_alert_thresholds_live_in_the_threshold_group(rule):
    """Alerts compare against threshold series, never against literal numbers (0 aside)."""
    used = set(re.findall(r'threshold="([a-z0-9_]+)"', rule["expr"]))
    assert used <= threshold_names()
    literals = [float(number) for number in LITERAL_COMPARISON.findall(rule["expr"])]
    assert all(number == 0 for number in literals), (rule["alert"], literals)
    for text in rule["annotations"].values():
        assert set(re.findall(r"threshold='([a-z0-9_]+)'", text)) <= threshold_names()


@pytest.mark.parametrize("rule", alerting_rules(), ids=lambda rule: rule["alert"])
def test_alert_carries_severity_summary_description_and_links(rule):
    severities = {"none"} if rule["alert"] == WATCHDOG else SEVERITIES
    assert rule["labels"]["severity"] in severities
    assert rule["labels"]["component"] in COMPONENTS
    assert "for" in rule
    annotations = rule["annotations"]
    assert {"summary", "description", "runbook_url", "dashboard_url"} <= annotations.keys()
    assert "{{" in annotations["description"], "a description shows the values that matter"
    path, _, anchor = annotations["runbook_url"].partition("#")
    assert path == RUNBOOK_URL
    assert anchor == rule["alert"].lower() and anchor in runbook_anchors()


@pytest.mark.parametrize("rule", alerting_rules(), ids=lambda rule: rule["alert"])
def test_alert_links_are_absolute_on_the_default_base(rule):
    for name in ("runbook_url", "dashboard_url"):
        url = urlsplit(rule["annotations"][name])
        assert url.scheme == "http" and url.netloc, (name, url)
        assert rule["annotations"][name].startswith(f"{DEFAULT_LINKS_URL}/"), name


@pytest.mark.parametrize("rule", alerting_rules(), ids=lambda rule: rule["alert"])
def test_alert_dashboard_link_opens_a_provisioned_dashboard(rule):
    url = urlsplit(rule["annotations"]["dashboard_url"])
    match = re.fullmatch(r"/d/([^/]+)/[a-z0-9-]+", url.path)
    assert match, url.path
    by_uid = {board["uid"]: board for board in dashboards().values()}
    assert match.group(1) in by_uid
    variables = {variable["name"] for variable in by_uid[match.group(1)]["templating"]["list"]}
    params = {key.removeprefix("var-") for key in parse_qs(url.query)}
    assert params <= variables
    # Every label the link passes is one the alert carries (as its unit tests show).
    for value in parse_qs(url.query).values():
        label = re.fullmatch(r"\{\{ \$labels\.([a-z_]+) \}\}", value[0])
        assert label, value
        assert all(label.group(1) in fired for fired in fired_labels(rule["alert"])), value


def test_runbook_has_a_complete_section_per_alert():
    text = RUNBOOK.read_text(encoding="utf-8")
    sections = dict(re.findall(r"^## (\S+)\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL))
    for name in {rule["alert"] for rule in alerting_rules()}:
        body = sections[name]
        for part in ("**Meaning.**", "**Impact.**", "**Diagnosis.**", "**Fix.**", "```promql"):
            assert part in body, (name, part)
    assert "thresholds" in runbook_anchors()
