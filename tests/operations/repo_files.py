"""The operability files of the repository, loaded once and shared by the operations tests."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from stack.supervisor import REPO_ROOT

PROMETHEUS_DIR = REPO_ROOT / "prometheus"
RULES_DIR = PROMETHEUS_DIR / "rules"
RULE_TESTS_DIR = PROMETHEUS_DIR / "tests"
RULE_FILES = tuple(sorted(RULES_DIR.glob("*.yml")))
RULE_TEST_FILES = tuple(sorted(RULE_TESTS_DIR.glob("*.yml")))
ALERTMANAGER_CONFIG = PROMETHEUS_DIR / "alertmanager.yml"
GRAFANA_DIR = REPO_ROOT / "grafana"
DASHBOARD_FILES = tuple(sorted((GRAFANA_DIR / "dashboards").glob("*.json")))
RUNBOOK = REPO_ROOT / "docs" / "runbook.md"
README = REPO_ROOT / "README.md"
METRICS_DOC = REPO_ROOT / "docs" / "metrics.md"
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"

# A PromQL identifier (metric names, recorded names with colons, label names).
IDENTIFIER = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def load_yaml(path: Path) -> Any:
    """A YAML file's content."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@cache
def rule_groups() -> tuple[dict[str, Any], ...]:
    """Every rule group of every rule file, in file order."""
    return tuple(group for path in RULE_FILES for group in load_yaml(path)["groups"])


def rules() -> Iterator[dict[str, Any]]:
    """Every recording and alerting rule."""
    for group in rule_groups():
        yield from group["rules"]


def recording_rules() -> list[dict[str, Any]]:
    """Every recording rule."""
    return [rule for rule in rules() if "record" in rule]


def alerting_rules() -> list[dict[str, Any]]:
    """Every alerting rule."""
    return [rule for rule in rules() if "alert" in rule]


def recorded_names() -> frozenset[str]:
    """Every series name recorded by a rule."""
    return frozenset(rule["record"] for rule in recording_rules())


@cache
def dashboards() -> dict[str, dict[str, Any]]:
    """Each dashboard file's name and parsed JSON."""
    return {path.name: json.loads(path.read_text(encoding="utf-8")) for path in DASHBOARD_FILES}


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, including those nested in collapsed rows."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def variable_query(variable: dict[str, Any]) -> str:
    """A query variable's PromQL-ish query (Grafana stores a string or an object)."""
    query = variable.get("query")
    return str(query["query"] if isinstance(query, dict) else query)


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def runbook_anchors() -> set[str]:
    """The anchors of every heading of the runbook."""
    headings = re.findall(r"^#{1,6} (.+)$", RUNBOOK.read_text(encoding="utf-8"), re.MULTILINE)
    return {github_anchor(heading) for heading in headings}


def mechamental_names(text: str) -> set[str]:
    """Every identifier in `text` that names a MechaMental series (a prefix alone is not one)."""
    return {
        token
        for token in IDENTIFIER.findall(text)
        if "mechamental_" in token and not token.endswith("_")
    }


def fast_rule_copies(directory: Path, alert_for: str | None = None) -> list[Path]:
    """Copies of the rule files for a test Prometheus: every group evaluated at the global
    interval (the long-window group waits a minute otherwise) and, when given, every alert's
    `for` replaced by `alert_for`."""
    directory.mkdir(parents=True, exist_ok=True)
    copies = []
    for path in RULE_FILES:
        spec = load_yaml(path)
        for group in spec["groups"]:
            group.pop("interval", None)
            for rule in group["rules"]:
                if "alert" in rule and alert_for is not None:
                    rule["for"] = alert_for
        copy = directory / path.name
        copy.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
        copies.append(copy)
    return copies
