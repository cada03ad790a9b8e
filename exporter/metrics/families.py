"""Pure functions from the exporter's state to fresh `prometheus_client` metric families.

Every family comes from a catalogue entry (name, type, labels, HELP); samples carry no
timestamps and no static labels, and appear in a stable order (by org, workspace, app,
namespace, then label values), so two renders of the same state are byte-identical.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from exporter.inventory.snapshot import InventorySnapshot
from exporter.ledger.store import LedgerView
from exporter.status import RunState
from vocabulary import catalogue as cat

SECOND = 1_000_000  # ledger times are integer microseconds


def new_family(family: cat.Family) -> Any:
    """An empty family of the catalogue entry's type, labels and HELP."""
    if family.kind == "counter":
        return CounterMetricFamily(family.name, family.help, labels=family.labels)
    if family.kind == "gauge":
        return GaugeMetricFamily(family.name, family.help, labels=family.labels)
    if family.kind == "histogram":
        return HistogramMetricFamily(family.name, family.help, labels=family.labels)
    raise ValueError(f"{family.name}: the exporter renders no {family.kind} families")


def _add(
    metric: GaugeMetricFamily | CounterMetricFamily, labels: Iterable[str], value: Any
) -> None:
    metric.add_metric(list(labels), float(value))


def workspace_families(snapshot: InventorySnapshot) -> list[Metric]:
    """The per-workspace inventory families of `INVENTORY_FAMILIES`, in catalogue order."""
    metrics = {family.name: new_family(family) for family in cat.INVENTORY_FAMILIES}
    single = {
        cat.SOURCES_INDEXED.name: lambda ws: ws.sources_indexed,
        cat.SOURCES_PENDING.name: lambda ws: ws.sources_pending,
        cat.SOURCE_CHUNKS.name: lambda ws: ws.source_chunks,
        cat.SOURCE_TOKENS.name: lambda ws: ws.source_tokens,
        cat.SOURCE_BYTES.name: lambda ws: ws.source_bytes,
        cat.WORKSPACE_COLLECTED.name: lambda ws: ws.collected_at,
    }
    for ws in snapshot.workspaces.values():
        key = ws.key
        _add(metrics[cat.WORKSPACE_INFO.name], (*key, ws.name), 1)
        for name, value in single.items():
            _add(metrics[name], key, value(ws))
        for kind, count in ws.resources:
            _add(metrics[cat.WORKSPACE_RESOURCES.name], (*key, kind), count)
        _add_labelled(metrics[cat.SOURCES.name], key, ws.sources)
        _add_labelled(metrics[cat.SECRETS.name], key, ws.secrets)
        _add_labelled(metrics[cat.ACTIONS.name], key, ws.actions)
    return list(metrics.values())


def _add_labelled(
    metric: GaugeMetricFamily | CounterMetricFamily,
    key: tuple[str, str],
    counts: Iterable[tuple[tuple[str, ...], int]],
) -> None:
    for labels, count in counts:
        _add(metric, (*key, *labels), count)


def app_families(snapshot: InventorySnapshot) -> list[Metric]:
    """`app_info` and `app_resources` for every app."""
    info, resources = new_family(cat.APP_INFO), new_family(cat.APP_RESOURCES)
    for ws in snapshot.workspaces.values():
        for app in ws.apps:
            labels = (*ws.key, app.app_id)
            _add(info, labels, 1)
            for kind in cat.APP_RESOURCE_KINDS:
                _add(resources, (*labels, kind), getattr(app, kind))
    return [info, resources]


def namespace_families(snapshot: InventorySnapshot) -> list[Metric]:
    """`namespace_info` and `namespace_resources` for every namespace."""
    info, resources = new_family(cat.NAMESPACE_INFO), new_family(cat.NAMESPACE_RESOURCES)
    for ws in snapshot.workspaces.values():
        for namespace in ws.namespaces:
            labels = (*ws.key, namespace.app_id, namespace.namespace_id)
            _add(info, labels, 1)
            for kind in cat.NAMESPACE_RESOURCE_KINDS:
                _add(resources, (*labels, kind), getattr(namespace, kind))
    return [info, resources]


def execution_families(snapshot: InventorySnapshot, ledger: LedgerView) -> list[Metric]:
    """Both execution counters of every workspace in the snapshot or the ledger (0 if none),
    and the history a backfill counted before the live polls began (where there is some)."""
    total, failed = new_family(cat.EXECUTIONS), new_family(cat.EXECUTIONS_FAILED)
    for key in sorted(set(snapshot.workspaces) | set(ledger.counts)):
        executions, failures = ledger.counts.get(key, (0, 0))
        _add(total, key, executions)
        _add(failed, key, failures)
    history = new_family(cat.EXECUTIONS_HISTORY)
    failed_history = new_family(cat.EXECUTIONS_FAILED_HISTORY)
    for key, (executions, failures) in sorted(ledger.history.items()):
        _add(history, key, executions)
        _add(failed_history, key, failures)
    return [total, failed, history, failed_history]


def collector_families(states: Mapping[str, RunState]) -> list[Metric]:
    """`collector_up`, last success, duration and failures of every collector."""
    up, last = new_family(cat.COLLECTOR_UP), new_family(cat.COLLECTOR_LAST_SUCCESS)
    duration, failures = new_family(cat.COLLECTOR_DURATION), new_family(cat.COLLECTOR_FAILURES)
    for name, state in states.items():
        _add(up, [name], state.up)
        _add(last, [name], state.last_success)
        _add(duration, [name], state.duration)
        _add(failures, [name], state.failures)
    return [up, last, duration, failures]


def stale_family(snapshot: InventorySnapshot, org_ids: Iterable[str]) -> Metric:
    """Stale workspaces of every configured org."""
    stale = new_family(cat.STALE_WORKSPACES)
    for org, count in snapshot.stale_by_org(org_ids).items():
        _add(stale, [org], count)
    return stale


def request_family(counts: Mapping[tuple[str, str], int]) -> Metric:
    """Platform requests by endpoint template and status code."""
    requests = new_family(cat.PLATFORM_REQUESTS)
    for (endpoint, code), count in sorted(counts.items()):
        _add(requests, [endpoint, code], count)
    return requests


def ledger_families(ledger: LedgerView, org_ids: Iterable[str], now: float) -> list[Metric]:
    """High-water mark and lag of every configured org that has one."""
    high_water, lag = new_family(cat.LEDGER_HIGH_WATER), new_family(cat.LEDGER_LAG)
    for org in org_ids:
        if org in ledger.high_water:
            seconds = ledger.high_water[org] / SECOND
            _add(high_water, [org], seconds)
            _add(lag, [org], max(0.0, now - seconds))
    return [high_water, lag]


def detail_family(enabled: Mapping[str, bool]) -> Metric:
    """Whether each detail level's families (per app, namespace, pipeline) are exported."""
    detail = new_family(cat.DETAIL_ENABLED)
    for level in cat.DETAIL_LEVELS:
        _add(detail, [level], enabled[level])
    return detail
