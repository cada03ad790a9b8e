"""The exporter's `prometheus_client` collectors: inventory, executions and self-metrics.

Each `collect()` builds fresh families from the current state (see `exporter.metrics.families`).
A `StateCollector` reads only immutable state objects and says which, so the exposition can
cache its bytes per state; the others are rendered on every scrape. Which collectors exist, and
in which order they are exposed, is `exporter.metrics.registry`'s alone.

Cardinality (measured in `docs/cardinality.md`): per workspace 24 series plus one per (source
type, status, scope) and per (secret type, active) present; per app 5 series (`app_info` + 4
`app_resources`); per namespace 3 (`namespace_info` + 2 `namespace_resources`). The app and
namespace families grow with the platform: `app_metrics: false` / `namespace_metrics: false`
switch them off, and `mechamental_exporter_detail_enabled{level}` then says 0 so consumers can
tell "off" from "none". The execution details (`exporter.metrics.details`) add 18 series per
workspace plus one per capped label value seen (`pipeline_metrics: false` drops the pipelines').
"""

from __future__ import annotations

import time
from abc import abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from prometheus_client import generate_latest
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from exporter.inventory.snapshot import InventorySnapshot
from exporter.ledger.store import LedgerView
from exporter.metrics import families
from exporter.platform.client import RequestCounter
from exporter.status import RunStatus

# The immutable objects a `StateCollector` reads, compared by identity.
S = TypeVar("S", bound=tuple[object, ...])


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
    pipeline_metrics: bool = True
    clock: Callable[[], float] = time.time
    mark_exposed: Callable[[str, int], None] = lambda org_id, boundary: None
    exposure_hold: float = 30.0
    exposure_step: int = 900


class StateCollector(Collector, Generic[S]):
    """A collector whose families are a pure function of immutable state objects.

    `state()` returns those objects (read once per scrape) and `families(state)` the families
    they give; the same objects, compared by identity, give the same bytes, which is what lets
    the exposition cache them. Samples may carry explicit timestamps, as in any collector.
    """

    @abstractmethod
    def state(self) -> S:
        """The immutable objects the families are built from, read now."""

    @abstractmethod
    def families(self, state: S) -> list[Metric]:
        """Fresh families of `state`, as returned by `state()`."""

    def collect(self) -> Iterator[Metric]:
        """Fresh families of the current state."""
        yield from self.families(self.state())

    def exposition(self, state: S) -> bytes:
        """`families(state)` in the text format, byte for byte as `generate_latest` writes it."""
        return generate_latest(BuiltFamilies(self.families(state)))


class BuiltFamilies(Collector):
    """Families already built, in the shape `generate_latest` reads."""

    def __init__(self, metrics: list[Metric]) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        """The families, as built."""
        return iter(self._metrics)


@dataclass(eq=False)  # a registry tells collectors apart by identity
class InventoryCollector(StateCollector[tuple[InventorySnapshot]]):
    """Gauges of the last inventory pass, for example::

        mechamental_workspace_info{org_id="org-a",workspace_id="ws-1",workspace_name="Support"} 1.0
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

    sources: MetricSources

    def state(self) -> tuple[InventorySnapshot]:
        """The current snapshot."""
        return (self.sources.snapshot(),)

    def families(self, state: tuple[InventorySnapshot]) -> list[Metric]:
        """The inventory families of the snapshot, without the detail levels switched off."""
        (snapshot,) = state
        metrics = families.workspace_families(snapshot)
        if self.sources.app_metrics:
            metrics += families.app_families(snapshot)
        if self.sources.namespace_metrics:
            metrics += families.namespace_families(snapshot)
        return metrics


@dataclass(eq=False)
class ExecutionCollector(StateCollector[tuple[InventorySnapshot, LedgerView]]):
    """Execution counters from the ledger, 0 for a known workspace without executions::

    mechamental_executions_total{org_id="org-a",workspace_id="ws-1"} 1234.0
    mechamental_executions_failed_total{org_id="org-a",workspace_id="ws-1"} 56.0
    """

    sources: MetricSources

    def state(self) -> tuple[InventorySnapshot, LedgerView]:
        """The current snapshot (its workspaces get counters) and committed ledger view."""
        return self.sources.snapshot(), self.sources.ledger()

    def families(self, state: tuple[InventorySnapshot, LedgerView]) -> list[Metric]:
        """Both counters of every workspace in the snapshot or the ledger."""
        return families.execution_families(*state)


@dataclass(eq=False)
class SelfCollector(Collector):
    """The exporter's own state, read at every scrape::

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

    sources: MetricSources

    def collect(self) -> Iterator[Metric]:
        """Fresh families of the run states, platform traffic and ledger progress."""
        sources = self.sources
        snapshot, ledger = sources.snapshot(), sources.ledger()
        yield from families.collector_families(sources.status.states())
        yield families.stale_family(snapshot, sources.org_ids)
        yield families.request_family(sources.requests.snapshot())
        yield from families.ledger_families(ledger, sources.org_ids, sources.clock())
        yield families.detail_family(
            {
                "app": sources.app_metrics,
                "namespace": sources.namespace_metrics,
                "pipeline": sources.pipeline_metrics,
            }
        )
