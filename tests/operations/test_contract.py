"""The metric contract: rules, alerts, dashboards and the façade use only catalogue names or
names recorded by a rule, and docs/metrics.md lists exactly the catalogue."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from stack.supervisor import REPO_ROOT
from tests.operations.repo_files import (
    DASHBOARD_FILES,
    METRICS_DOC,
    RULE_FILES,
    alerting_rules,
    mechamental_names,
    recorded_names,
    recording_rules,
)
from vocabulary import catalogue, details

FACADE_SOURCES = sorted((REPO_ROOT / "facade").rglob("*.py"))
DOC_ROW = re.compile(r"^\| `(mechamental_\w+)` \| (\w+) \| ([^|]*) \|", re.MULTILINE)
# Identifiers of the façade that look like metric names but are not (its Flask extension key).
NOT_METRICS = frozenset({"mechamental_facade"})
RECORDED_ROW = re.compile(r"^\| `([a-z_]+:[a-z0-9_]+:[a-z0-9_]+)` \|", re.MULTILINE)


def known_names() -> frozenset[str]:
    """Catalogue series names and recorded names."""
    return catalogue.sample_names() | recorded_names()


def rule_texts() -> list[str]:
    """Every expression and annotation of every rule (comments excluded)."""
    texts = [rule["expr"] for rule in recording_rules()]
    for rule in alerting_rules():
        texts += [rule["expr"], *rule["annotations"].values()]
    return texts


def test_rules_and_alerts_use_only_known_names():
    used = set().union(*(mechamental_names(text) for text in rule_texts()))
    assert used, "the rules query MechaMental series"
    # Overrides (objectives, latency thresholds) are records operators add; none ships.
    override = re.compile(r"[a-z_]+:mechamental_\w+:override")
    overrides = {name for name in used if override.fullmatch(name)}
    assert used - overrides <= known_names(), sorted(used - overrides - known_names())


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=lambda path: path.name)
def test_dashboards_use_only_known_names(path):
    used = mechamental_names(path.read_text(encoding="utf-8"))
    assert used, f"{path.name} queries MechaMental series"
    assert used <= known_names(), sorted(used - known_names())


def test_every_catalogue_family_is_used_by_a_dashboard_or_rule():
    """Nothing is exported that no one looks at (the façade's own queries aside)."""
    used = set().union(*(mechamental_names(text) for text in rule_texts()))
    for path in DASHBOARD_FILES:
        used |= mechamental_names(path.read_text(encoding="utf-8"))
    for family in catalogue.ALL_FAMILIES:
        assert used & set(family.sample_names), family.name


@pytest.mark.parametrize("path", FACADE_SOURCES, ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_facade_source_uses_only_known_names(path: Path):
    source = path.read_text(encoding="utf-8")
    used = mechamental_names(source) - NOT_METRICS
    assert used <= known_names(), sorted(used - known_names())
    # Names built from catalogue constants: each constant must exist in the catalogue.
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute) or not isinstance(node.value, ast.Name):
            continue
        if node.value.id == "catalogue":
            assert hasattr(catalogue, node.attr), f"{path.name}: catalogue.{node.attr}"


def test_recorded_names_derive_from_catalogue_names():
    """The metric part of a recorded name starts with a catalogue family (thresholds and
    objectives aside)."""
    families = [family.name for family in catalogue.ALL_FAMILIES]
    for name in recorded_names() - {"threshold:mechamental_alert:value"}:
        metric = name.split(":")[1]
        if metric.startswith("mechamental_slo_"):
            continue
        assert any(metric.startswith(family) for family in families), name


def test_metrics_doc_lists_exactly_the_catalogue():
    text = METRICS_DOC.read_text(encoding="utf-8")
    documented = {
        (name, kind, tuple(re.findall(r"`(\w+)`", labels)))
        for name, kind, labels in DOC_ROW.findall(text)
    }
    expected = {
        (
            family.name if family.kind == "histogram" else family.sample_name,
            family.kind,
            family.labels,
        )
        for family in catalogue.ALL_FAMILIES
    }
    assert documented == expected
    assert len(DOC_ROW.findall(text)) == len(catalogue.ALL_FAMILIES), "a family is listed twice"


def test_metrics_doc_lists_exactly_the_recorded_series():
    text = METRICS_DOC.read_text(encoding="utf-8")
    assert set(RECORDED_ROW.findall(text)) == recorded_names()
    assert RULE_FILES


def test_metrics_doc_states_the_detail_buckets_and_caps():
    """The latency bounds and the default caps as vocabulary/details.py holds them."""
    text = " ".join(METRICS_DOC.read_text(encoding="utf-8").split())
    bounds = ", ".join(f"{bound:g}" for bound in details.DURATION_BUCKETS)
    assert f"Latency bucket bounds (seconds): {bounds}." in text
    caps = ", ".join(f"`{label}` {cap}" for label, cap in details.LABEL_CAPS.items())
    assert f"(defaults: {caps});" in text
    assert f"under `{details.OVERFLOW}`" in text
