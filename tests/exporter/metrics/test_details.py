"""The detail collector: a real ledger's details at the executions' exposure time, exactly."""

from __future__ import annotations

import inspect
import math
from pathlib import Path

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.utils import floatToGoString

from exporter.inventory.snapshot import InventorySnapshot
from exporter.ledger.event_time import SECOND
from exporter.ledger.store import Ledger
from exporter.metrics.details import DetailCollector
from exporter.metrics.event_time import EventTimeCollector
from exporter.platform.api import ExecutionRecord
from exporter.platform.details import ExecutionDetails
from tests.exporter.conftest import parse_samples, select
from vocabulary import details as cat
from vocabulary.details import DURATION_BUCKETS, LABEL_CAPS

T0 = 1_764_000_000  # a 15-minute boundary (s)


def run(ledger: Ledger, **switches: bool) -> tuple[str, str]:
    """The detail and by-time expositions of the ledger's committed state."""
    details = DetailCollector(InventorySnapshot, lambda: ledger.view, **switches)
    by_time = EventTimeCollector(InventorySnapshot, lambda: ledger.view, ledger.mark_exposed)
    return generate_latest(details).decode(), generate_latest(by_time).decode()


def committed(tmp_path: Path) -> tuple[Ledger, list[ExecutionRecord]]:
    ledger = Ledger(tmp_path / "ledger.sqlite3", LABEL_CAPS | {"error_code": 1})
    durations = [0, 25, 26, 999, 1000, 1_800_000, 1_800_001, 45_000]
    records = [
        ExecutionRecord(
            f"r{n}", (T0 + n) * SECOND, "ws-1", n % 3 == 0,
            ExecutionDetails("app-1", f"aug-{n % 2}", f"E{n % 4}", 500, duration,
                             (("completion", n), ("prompt", 10))),
        )
        for n, duration in enumerate(durations)
    ]  # fmt: skip
    late = (T0 + 60) * SECOND  # the org's first poll: settled at T0 + 60, shown there
    ledger.commit("org-a", records, late, 0, settled=late)
    return ledger, records


def test_the_details_are_shown_with_the_executions_timestamp_and_exact_values(tmp_path: Path):
    ledger, records = committed(tmp_path)
    text, by_time = run(ledger)
    samples = parse_samples(text)
    lines = [line for line in (text + by_time).splitlines() if "} " in line]
    timed = [line.rsplit("} ", 1)[1].split() for line in lines]
    stamps = {fields[1] for fields in timed if len(fields) == 2}
    assert stamps == {str(T0 * 1000)}  # the org's first second: nothing counted yet
    assert select(samples, cat.EXECUTION_DURATION.name + "_count") == {
        frozenset({("org_id", "org-a"), ("workspace_id", "ws-1")}): 0.0
    }
    ledger.mark_exposed("org-a", T0 + 900)  # the first second was shown: the fresh edge next
    samples = parse_samples(run(ledger)[0])
    buckets = select(samples, cat.EXECUTION_DURATION.name + "_bucket")
    by_le = {dict(labels)["le"]: value for labels, value in buckets.items()}
    for bound in (*DURATION_BUCKETS, math.inf):
        seconds = [r.details.duration_ms / 1000 for r in records]  # type: ignore[operator]
        assert by_le[floatToGoString(bound)] == sum(value <= bound for value in seconds)
    assert list(by_le)[:2] == ["0.025", "0.05"] and "1800.0" in by_le and "+Inf" in by_le
    total_ms = sum(r.details.duration_ms or 0 for r in records)
    assert select(samples, cat.EXECUTION_DURATION.name + "_sum") == {
        frozenset({("org_id", "org-a"), ("workspace_id", "ws-1")}): total_ms / 1000
    }
    tokens = select(samples, cat.TOKENS.sample_name)
    assert {dict(k)["kind"]: v for k, v in tokens.items()} == {"completion": 28, "prompt": 80}
    codes = select(samples, cat.FAILURES_BY_CODE.sample_name)
    assert {dict(k)["error_code"]: v for k, v in codes.items()} == {"E0": 1, "other": 2}
    overflow = select(samples, cat.LABEL_OVERFLOW.sample_name)
    assert {dict(k)["label"]: v for k, v in overflow.items()} == dict.fromkeys(LABEL_CAPS, 0) | {
        "error_code": 2
    }
    pipelines = select(samples, cat.PIPELINE_EXECUTIONS_FAILED.sample_name)
    assert {dict(k)["augmentation_id"]: v for k, v in pipelines.items()} == {"aug-0": 2, "aug-1": 1}
    assert select(samples, cat.APP_EXECUTIONS.sample_name, app_id="app-1")
    ledger.close()


def test_the_app_and_pipeline_families_follow_their_switches(tmp_path: Path):
    ledger, _ = committed(tmp_path)
    ledger.mark_exposed("org-a", T0 + 900)
    text = run(ledger, app_metrics=False, pipeline_metrics=False)[0]
    names = {family.name for family in text_string_to_metric_families(text)}
    assert names == {f.name for f in (*cat.WORKSPACE_DETAIL_FAMILIES, cat.LABEL_OVERFLOW)}
    ledger.close()


def test_docstring_lines_are_lines_the_collector_emits(tmp_path: Path):
    ledger, _ = committed(tmp_path)
    ledger.mark_exposed("org-a", T0 + 900)
    emitted = parse_samples(run(ledger)[0])
    quoted = [
        line.strip()
        for line in (inspect.getdoc(DetailCollector) or "").splitlines()
        if line.strip().startswith("mechamental_")
    ]
    names = {name for name, _ in emitted}
    for line in quoted:
        (family,) = text_string_to_metric_families(line + "\n")
        (sample,) = family.samples
        assert sample.name in names, line
        assert sample.timestamp is not None
    ledger.close()
