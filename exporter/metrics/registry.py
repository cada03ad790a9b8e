"""The exporter's registry: which collectors `/metrics` serves, and in which order.

Nothing registers at import time: `build_registry` fills an explicit registry, and the order in
which it registers the collectors is the exposition order, for `generate_latest` and for the
cached exposition (`exporter.metrics.exposition`) alike.
"""

from __future__ import annotations

from prometheus_client.registry import Collector, CollectorRegistry

from exporter.metrics.collectors import (
    ExecutionCollector,
    InventoryCollector,
    MetricSources,
    SelfCollector,
)
from exporter.metrics.details import DetailCollector
from exporter.metrics.event_time import EventTimeCollector


class OrderedRegistry(CollectorRegistry):
    """A `CollectorRegistry` that also lists its collectors, in registration order."""

    def __init__(self) -> None:
        super().__init__(auto_describe=False)
        self._ordered: list[Collector] = []

    def register(self, collector: Collector) -> None:
        """Add a collector after the ones already registered."""
        super().register(collector)
        self._ordered.append(collector)

    def unregister(self, collector: Collector) -> None:
        """Remove a collector."""
        super().unregister(collector)
        self._ordered.remove(collector)

    @property
    def collectors(self) -> tuple[Collector, ...]:
        """The registered collectors, in the order `collect()` reads them."""
        return tuple(self._ordered)


def build_registry(sources: MetricSources) -> OrderedRegistry:
    """A registry holding the exporter's collectors in exposition order."""
    registry = OrderedRegistry()
    registry.register(InventoryCollector(sources))
    registry.register(ExecutionCollector(sources))
    registry.register(
        EventTimeCollector(
            sources.snapshot,
            sources.ledger,
            sources.mark_exposed,
            hold=sources.exposure_hold,
            step=sources.exposure_step,
        )
    )
    registry.register(
        DetailCollector(
            sources.snapshot,
            sources.ledger,
            app_metrics=sources.app_metrics,
            pipeline_metrics=sources.pipeline_metrics,
        )
    )
    registry.register(SelfCollector(sources))
    return registry
