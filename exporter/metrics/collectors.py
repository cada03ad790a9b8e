"""The exporter's `prometheus_client` collectors: inventory, executions and self-metrics.

Nothing registers at import time: `build_registry` puts the three collectors into an explicit
registry in exposition order. Each `collect()` builds fresh families from the current immutable
state (see `exporter.metrics.families`); `exporter.metrics.exposition` serves the same bytes faster.

Cardinality: per workspace about 25 series plus one per (source type, status, scope) and per
(secret type, active) present; per app 5 series (`app_info` + 4 `app_resources`); per namespace
3 (`namespace_info` + 2 `namespace_resources`). The app and namespace families grow with the
platform: `app_metrics: false` / `namespace_metrics: false` switch them off, and
`mechamental_exporter_detail_enabled{level}` then says 0 so consumers can tell "off" from "none".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client.core import Metric
from prometheus_client.registry import Collector, CollectorRegistry

from exporter.inventory.snapshot import InventorySnapshot
from exporter.ledger.store import LedgerView
from exporter.metrics import families
from exporter.platform.client import RequestCounter
from exporter.status import RunStatus


@dataclass(frozen=True)
class MetricSources:
    """Where the collectors read the exporter's state; every getter returns an immutable value."""

    snapshot: Callable[[], InventorySnapshot]
    ledger: Callable[[], LedgerView]
    status: RunStatus
    requests: RequestCounter
    org_ids: tuple[str, ...]
    app_metrics: bool = True
    namespace_metrics: bool = True
    clock: Callable[[], float] = time.time


def inventory_families(
    snapshot: InventorySnapshot, app_metrics: bool, namespace_metrics: bool
) -> list[Metric]:
    """The inventory families of a snapshot, without the detail levels switched off."""
    metrics = families.workspace_families(snapshot)
    if app_metrics:
        metrics += families.app_families(snapshot)
    if namespace_metrics:
        metrics += families.namespace_families(snapshot)
    return metrics


def self_families(sources: MetricSources) -> list[Metric]:
    """The exporter's own health, platform traffic and ledger progress."""
    snapshot, ledger = sources.snapshot(), sources.ledger()
    return [
        *families.collector_families(sources.status.states()),
        families.stale_family(snapshot, sources.org_ids),
        families.request_family(sources.requests.snapshot()),
        *families.ledger_families(ledger, sources.org_ids, sources.clock()),
        families.detail_family(sources.app_metrics, sources.namespace_metrics),
    ]


class InventoryCollector(Collector):
    """Gauges of the last inventory pass, for example::

        mechamental_workspace_info{org_id="org-a",workspace_id="ws-1"} 1.0
        mechamental_workspace_resources{org_id="org-a",resource="apps",workspace_id="ws-1"} 2.0
        mechamental_workspace_collected_timestamp_seconds{org_id="org-a",workspace_id="ws-1"} 1.7e+09
        mechamental_sources{org_id="org-a",scope="workspace",source_type="pdf",status="completed",workspace_id="ws-1"} 3.0
        mechamental_sources_indexed{org_id="org-a",workspace_id="ws-1"} 2.0
        mechamental_secrets{active="true",org_id="org-a",secret_type="api_key",workspace_id="ws-1"} 1.0
        mechamental_actions{enabled="true",kind="trigger",org_id="org-a",workspace_id="ws-1"} 4.0
        mechamental_app_info{app_id="app-1",org_id="org-a",workspace_id="ws-1"} 1.0
        mechamental_app_resources{app_id="app-1",org_id="org-a",resource="endpoints",workspace_id="ws-1"} 2.0
        mechamental_namespace_info{app_id="app-1",namespace_id="ns-1",org_id="org-a",workspace_id="ws-1"} 1.0
        mechamental_namespace_resources{app_id="app-1",namespace_id="ns-1",org_id="org-a",resource="threads",workspace_id="ws-1"} 5.0

    (plus `source_chunks`, `source_tokens`, `source_bytes`, `sources_pending`; the app and
    namespace families only while their detail level is on).
    """  # noqa: E501 - exposition lines are quoted whole

    def __init__(self, sources: MetricSources) -> None:
        self.sources = sources

    def collect(self) -> Iterator[Metric]:
        """Fresh families from the current snapshot."""
        source = self.sources
        yield from inventory_families(
            source.snapshot(), source.app_metrics, source.namespace_metrics
        )


class ExecutionCollector(Collector):
    """Execution counters from the ledger, 0 for a known workspace without executions::

    mechamental_executions_total{org_id="org-a",workspace_id="ws-1"} 1234.0
    mechamental_executions_failed_total{org_id="org-a",workspace_id="ws-1"} 56.0
    """

    def __init__(self, sources: MetricSources) -> None:
        self.sources = sources

    def collect(self) -> Iterator[Metric]:
        """Fresh counters from the committed ledger view."""
        yield from families.execution_families(self.sources.snapshot(), self.sources.ledger())


class SelfCollector(Collector):
    """The exporter's own state::

    mechamental_exporter_collector_up{collector="inventory"} 1.0
    mechamental_exporter_collector_last_success_timestamp_seconds{collector="activity"} 1.7e+09
    mechamental_exporter_collector_duration_seconds{collector="inventory"} 0.42
    mechamental_exporter_collector_failures_total{collector="activity"} 0.0
    mechamental_exporter_stale_workspaces{org_id="org-a"} 0.0
    mechamental_exporter_platform_requests_total{code="200",endpoint="/v1/orgs/{org_id}/workspaces"} 12.0
    mechamental_exporter_ledger_high_water_timestamp_seconds{org_id="org-a"} 1.7e+09
    mechamental_exporter_ledger_lag_seconds{org_id="org-a"} 3.1
    mechamental_exporter_detail_enabled{level="app"} 1.0
    """  # noqa: E501 - exposition lines are quoted whole

    def __init__(self, sources: MetricSources) -> None:
        self.sources = sources

    def collect(self) -> Iterator[Metric]:
        """Fresh self-metric families."""
        yield from self_families(self.sources)


def build_registry(sources: MetricSources) -> CollectorRegistry:
    """A registry holding the exporter's collectors in exposition order."""
    registry = CollectorRegistry(auto_describe=False)
    for collector in (
        InventoryCollector(sources),
        ExecutionCollector(sources),
        SelfCollector(sources),
    ):
        registry.register(collector)
    return registry
