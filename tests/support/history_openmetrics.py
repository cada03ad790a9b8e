"""The history as OpenMetrics text, one file per two-hour window, for `promtool` backfilling.

promtool re-reads its whole input for every two-hour block it writes, so one big file costs
time quadratic in the history's length; one file per window keeps the cost linear.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.history import (
    EXPORTER_JOB,
    GAUGE_START,
    INSTANCE,
    WINDOW,
    Workspace,
    data_windows,
    grid,
    workspaces,
)
from tests.support.history_details import DETAIL_WORKSPACES, counter_samples
from tests.support.history_details import counters as detail_counters
from tests.support.history_inventory import Inventory, inventory
from vocabulary import catalogue as cat

SELF_INTERVAL = 15
COLLECTOR_LAG = 3  # seconds between a collector's last success and the scrape
GAUGE_INTERVAL = 60


@dataclass(frozen=True)
class SeriesData:
    """One series of the history: family, label text, sample times and values."""

    family: cat.Family
    labels: str
    times: list[float]
    values: list[float]
    name: str | None = None  # the samples' name when not the family's (a histogram's `_bucket`)


def label_text(job: str, **labels: str) -> str:
    """The `{...}` part of a sample line (history ids never need escaping)."""
    pairs = {"job": job, "instance": INSTANCE, **labels}
    assert all('"' not in value and "\\" not in value for value in pairs.values())
    return "{" + ",".join(f'{name}="{value}"' for name, value in pairs.items()) + "}"


def _constant(family: cat.Family, times: list[float], value: float, **labels: str) -> SeriesData:
    return SeriesData(family, label_text(EXPORTER_JOB, **labels), times, [value] * len(times))


def _counter_series(workspace: Workspace) -> Iterator[SeriesData]:
    ids = {"org_id": workspace.profile.org_id, "workspace_id": workspace.profile.workspace_id}
    # The same counts on both clocks: the history's samples are exact at their own times.
    for family, events in (
        (cat.EXECUTIONS, workspace.executions),
        (cat.EXECUTIONS_FAILED, workspace.failures),
        (cat.EXECUTIONS_BY_TIME, workspace.executions),
        (cat.EXECUTIONS_FAILED_BY_TIME, workspace.failures),
    ):
        for series in workspace.series(events):
            yield SeriesData(
                family,
                label_text(series.job, **ids),
                series.times,
                [float(v) for v in series.values],
            )


def _grouped_counts(items: list[tuple[str, ...]]) -> dict[tuple[str, ...], int]:
    counts: dict[tuple[str, ...], int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


def _inventory_series(
    workspace: Workspace, inv: Inventory, times: list[float]
) -> Iterator[SeriesData]:
    ids = {"org_id": workspace.profile.org_id, "workspace_id": workspace.profile.workspace_id}
    for name in sorted({workspace.profile.name(t) for t in times}):
        named = [t for t in times if workspace.profile.name(t) == name]
        yield _constant(cat.WORKSPACE_INFO, named, 1, **ids, workspace_name=name)
    yield SeriesData(
        cat.WORKSPACE_COLLECTED,
        label_text(EXPORTER_JOB, **ids),
        times,
        [t - inv.collection_lag for t in times],
    )
    for resource, count in inv.resources().items():
        yield _constant(cat.WORKSPACE_RESOURCES, times, count, **ids, resource=resource)
    by_kind = _grouped_counts([(s.source_type, s.status, s.scope) for s in inv.sources])
    for (source_type, status, scope), count in sorted(by_kind.items()):
        yield _constant(
            cat.SOURCES, times, count, **ids, source_type=source_type, status=status, scope=scope
        )
    pending = [s for s in inv.sources if not s.indexed and s.status != "failed"]
    yield _constant(cat.SOURCES_INDEXED, times, sum(s.indexed for s in inv.sources), **ids)
    yield _constant(cat.SOURCES_PENDING, times, len(pending), **ids)
    yield _constant(cat.SOURCE_CHUNKS, times, sum(s.chunks for s in inv.sources), **ids)
    yield _constant(cat.SOURCE_TOKENS, times, sum(s.tokens for s in inv.sources), **ids)
    yield _constant(cat.SOURCE_BYTES, times, sum(s.size_bytes for s in inv.sources), **ids)
    secrets = _grouped_counts([(kind, str(active).lower()) for kind, active in inv.secrets])
    for (secret_type, active), count in sorted(secrets.items()):
        yield _constant(cat.SECRETS, times, count, **ids, secret_type=secret_type, active=active)
    actions = _grouped_counts([(kind, str(enabled).lower()) for kind, enabled in inv.actions])
    for kind in cat.ACTION_KINDS:  # the exporter pre-creates every combination at 0
        for enabled in ("true", "false"):
            yield _constant(
                cat.ACTIONS,
                times,
                actions.get((kind, enabled), 0),
                **ids,
                kind=kind,
                enabled=enabled,
            )
    yield from _app_series(ids, inv, times)


def _app_series(ids: dict[str, str], inv: Inventory, times: list[float]) -> Iterator[SeriesData]:
    for app in inv.apps:
        app_ids = {**ids, "app_id": app.app_id}
        yield _constant(cat.APP_INFO, times, 1, **app_ids)
        counts = {
            "augmentations": app.augmentations,
            "namespaces": len(app.namespaces),
            "endpoints": app.endpoints,
            "releases": app.releases,
        }
        for resource, count in counts.items():
            yield _constant(cat.APP_RESOURCES, times, count, **app_ids, resource=resource)
        for ns in app.namespaces:
            ns_ids = {**app_ids, "namespace_id": ns.namespace_id}
            yield _constant(cat.NAMESPACE_INFO, times, 1, **ns_ids)
            yield _constant(
                cat.NAMESPACE_RESOURCES, times, ns.threads, **ns_ids, resource="threads"
            )
            yield _constant(
                cat.NAMESPACE_RESOURCES,
                times,
                inv.namespace_sources(ns.namespace_id),
                **ns_ids,
                resource="sources",
            )


def _self_series(end: float) -> Iterator[SeriesData]:
    times = [float(t) for t in grid(GAUGE_START, end + 1, SELF_INTERVAL, 0)]
    for collector in cat.COLLECTORS:
        yield _constant(cat.COLLECTOR_UP, times, 1, collector=collector)
        yield SeriesData(
            cat.COLLECTOR_LAST_SUCCESS,
            label_text(EXPORTER_JOB, collector=collector),
            times,
            [t - COLLECTOR_LAG for t in times],
        )
        yield _constant(cat.COLLECTOR_DURATION, times, 0.25, collector=collector)
    for level in cat.DETAIL_LEVELS:
        yield _constant(cat.DETAIL_ENABLED, times, 1, level=level)


def _scraped_by(series: SeriesData, job: str) -> SeriesData:
    labels = series.labels.replace(f'job="{EXPORTER_JOB}"', f'job="{job}"')
    return SeriesData(series.family, labels, series.times, series.values)


def _detail_series(workspace: Workspace) -> Iterator[SeriesData]:
    profile = workspace.profile
    if profile.workspace_id not in DETAIL_WORKSPACES:
        return
    ids = {"org_id": profile.org_id, "workspace_id": profile.workspace_id}
    for counter in detail_counters(profile.workspace_id):
        times, values = counter_samples(workspace, counter)
        if times:
            labels = label_text(EXPORTER_JOB, **ids, **counter.labels)
            yield SeriesData(counter.family, labels, times, values, counter.sample_name)


def all_series(end: float) -> list[SeriesData]:
    """Every series of the history, grouped by family (OpenMetrics needs families contiguous)."""
    gauge_times = [float(t) for t in grid(GAUGE_START, end + 1, GAUGE_INTERVAL, 0)]
    series: list[SeriesData] = list(_self_series(end))
    for workspace in workspaces():
        series += _counter_series(workspace)
        series += _detail_series(workspace)
        gauges = list(_inventory_series(workspace, inventory(workspace.profile), gauge_times))
        for job, _ in workspace.profile.jobs:  # a second job scrapes the gauges too
            series += [_scraped_by(item, job) for item in gauges]
    order = {family.name: index for index, family in enumerate(cat.ALL_FAMILIES)}
    return sorted(series, key=lambda s: order[s.family.name])


def block_windows() -> list[tuple[int, int]]:
    """The two-hour-aligned [start, end) windows that hold at least one scrape."""
    starts: set[int] = set()
    for start, end in data_windows():
        first = int(start) - int(start) % WINDOW
        starts.update(range(first, int(end), WINDOW))
    return [(start, start + WINDOW) for start in sorted(starts)]


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def write_window(series: list[SeriesData], start: int, end: int, path: Path) -> int:
    """Write the samples in [start, end) as one OpenMetrics file; returns the sample count."""
    lines: list[str] = []
    current: cat.Family | None = None
    for item in series:
        low, high = bisect_left(item.times, start), bisect_left(item.times, end)
        if low == high:
            continue
        if item.family != current:
            current = item.family
            lines.append(f"# TYPE {current.name} {current.kind}\n")
        name = item.name or item.family.sample_name
        lines += [
            f"{name}{item.labels} {_number(item.values[i])} {_number(item.times[i])}\n"
            for i in range(low, high)
        ]
    lines.append("# EOF\n")
    path.write_text("".join(lines))
    return sum(1 for line in lines if not line.startswith("#"))
