"""The registry: the exporter's collectors, listed once, in exposition order."""

from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from exporter.metrics.collectors import ExecutionCollector, InventoryCollector, SelfCollector
from exporter.metrics.details import DetailCollector
from exporter.metrics.event_time import EventTimeCollector
from exporter.metrics.registry import OrderedRegistry, build_registry


def test_the_exporter_registry_holds_inventory_then_executions_then_self_metrics(fixed_sources):
    registry = build_registry(fixed_sources)
    kinds = [type(collector) for collector in registry.collectors]
    assert kinds == [
        InventoryCollector,
        ExecutionCollector,
        EventTimeCollector,
        DetailCollector,
        SelfCollector,
    ]


def test_generate_latest_reads_the_collectors_in_the_listed_order(fixed_sources):
    registry = build_registry(fixed_sources)
    exposed = [f.name for f in text_string_to_metric_families(generate_latest(registry).decode())]
    listed = [family.name for collector in registry.collectors for family in collector.collect()]
    assert exposed == listed


def test_an_unregistered_collector_leaves_the_list(fixed_sources):
    inventory, executions = InventoryCollector(fixed_sources), ExecutionCollector(fixed_sources)
    registry = OrderedRegistry()
    registry.register(inventory)
    registry.register(executions)
    registry.unregister(inventory)
    assert registry.collectors == (executions,)
    assert generate_latest(registry).startswith(b"# HELP mechamental_executions_total ")
