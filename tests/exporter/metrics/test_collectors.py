"""The collectors: golden exposition, promtool-clean, catalogue families, docstrings that hold."""

from __future__ import annotations

import dataclasses
import inspect
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from exporter.metrics.collectors import (
    ExecutionCollector,
    InventoryCollector,
    MetricSources,
    SelfCollector,
)
from exporter.metrics.exposition import CachedExposition
from exporter.metrics.registry import build_registry
from tests.exporter.conftest import parse_samples, select
from vocabulary import catalogue as cat
from vocabulary import details

GOLDEN = Path(__file__).parent / "golden" / "metrics.txt"


def render(sources: MetricSources) -> bytes:
    """The `/metrics` body the exporter serves for `sources`."""
    return CachedExposition(build_registry(sources)).render()


def test_the_exposition_matches_the_golden_file(fixed_sources):
    body = render(fixed_sources)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_bytes(body)
    assert body.decode() == GOLDEN.read_text()


def test_promtool_finds_nothing_to_complain_about():
    promtool = shutil.which("promtool")
    assert promtool, "promtool is a required system binary"
    result = subprocess.run(
        [promtool, "check", "metrics"], input=GOLDEN.read_bytes(), capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"" and result.stderr == b""


def test_every_family_comes_from_the_catalogue_with_its_type_and_help(fixed_sources):
    text = render(fixed_sources).decode()
    families = {family.name: family for family in text_string_to_metric_families(text)}
    exporter_families = [f for f in cat.ALL_FAMILIES if f.component == "exporter"]
    assert set(families) == {family.name for family in exporter_families}
    for family in exporter_families:
        assert families[family.name].type == family.kind
        assert families[family.name].documentation == family.help
        for sample in families[family.name].samples:
            bucket = sample.name.endswith("_bucket") and family.kind == "histogram"
            expected = {*family.labels, "le"} if bucket else set(family.labels)
            assert set(sample.labels) == expected, (family.name, sample)
            # Only the counters on the platform's clock carry their own timestamps.
            timed = family in (
                cat.EXECUTIONS_BY_TIME,
                cat.EXECUTIONS_FAILED_BY_TIME,
                *details.DETAIL_FAMILIES,
            )
            assert (sample.timestamp is not None) == timed, (family.name, sample)


def test_counters_exist_for_every_known_workspace(fixed_sources):
    samples = parse_samples(render(fixed_sources).decode())
    totals = select(samples, cat.EXECUTIONS.sample_name)
    failed = select(samples, cat.EXECUTIONS_FAILED.sample_name)
    expected = set(fixed_sources.snapshot().workspaces) | set(fixed_sources.ledger().counts)
    keys = {(dict(labels)["org_id"], dict(labels)["workspace_id"]) for labels in totals}
    assert keys == expected
    for labels, value in totals.items():
        key = (dict(labels)["org_id"], dict(labels)["workspace_id"])
        assert (value, failed[labels]) == fixed_sources.ledger().counts.get(key, (0, 0))


def test_self_metrics_report_runs_requests_and_ledger(fixed_sources):
    samples = parse_samples(render(fixed_sources).decode())
    states = fixed_sources.status.states()
    for name, state in states.items():
        labels = frozenset({("collector", name)})
        assert samples[(cat.COLLECTOR_UP.sample_name, labels)] == float(state.up)
        assert samples[(cat.COLLECTOR_FAILURES.sample_name, labels)] == state.failures
        assert samples[(cat.COLLECTOR_LAST_SUCCESS.sample_name, labels)] == state.last_success
    requests_seen = {
        (dict(labels)["endpoint"], dict(labels)["code"]): value
        for labels, value in select(samples, cat.PLATFORM_REQUESTS.sample_name).items()
    }
    assert requests_seen == fixed_sources.requests.snapshot()
    mark = fixed_sources.ledger().high_water["org-a"] / 1e6
    org_a = frozenset({("org_id", "org-a")})
    assert samples[(cat.LEDGER_HIGH_WATER.sample_name, org_a)] == mark
    assert samples[(cat.LEDGER_LAG.sample_name, org_a)] == fixed_sources.clock() - mark
    assert select(samples, cat.LEDGER_LAG.sample_name, org_id="org-b") == {}
    stale = select(samples, cat.STALE_WORKSPACES.sample_name)
    assert {dict(k)["org_id"]: v for k, v in stale.items()} == {"org-a": 0, "org-b": 1}


def test_detail_levels_can_be_switched_off(fixed_sources):
    sources = dataclasses.replace(
        fixed_sources, app_metrics=False, namespace_metrics=False, pipeline_metrics=False
    )
    body = render(sources)
    names = {family.name for family in text_string_to_metric_families(body.decode())}
    switched = (
        *cat.APP_FAMILIES,
        *cat.NAMESPACE_FAMILIES,
        *details.APP_DETAIL_FAMILIES,
        *details.PIPELINE_DETAIL_FAMILIES,
    )
    assert not names & {f.name for f in switched}
    assert names >= {f.name for f in (*details.WORKSPACE_DETAIL_FAMILIES, details.LABEL_OVERFLOW)}
    samples = parse_samples(body.decode())
    detail = select(samples, cat.DETAIL_ENABLED.sample_name)
    levels = {dict(k)["level"]: v for k, v in detail.items()}
    assert levels == {"app": 0.0, "namespace": 0.0, "pipeline": 0.0}


@pytest.mark.parametrize("collector_type", [InventoryCollector, ExecutionCollector, SelfCollector])
def test_docstring_lines_are_lines_the_collector_emits(fixed_sources, collector_type):
    collector: Collector = collector_type(fixed_sources)
    emitted = {sample.name for family in collector.collect() for sample in family.samples}
    entries = {entry.sample_name: entry for entry in cat.ALL_FAMILIES}
    quoted = [
        line.strip()
        for line in (inspect.getdoc(collector_type) or "").splitlines()
        if line.strip().startswith("mechamental_")
    ]
    assert quoted
    for line in quoted:
        (family,) = text_string_to_metric_families(line + "\n")
        (sample,) = family.samples
        assert sample.name in emitted, line
        assert set(sample.labels) == set(entries[sample.name].labels), line
        assert sample.timestamp is None
