"""The cached exposition: byte-identical to generate_latest, cached per state, fresh per scrape."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import pytest
from prometheus_client import generate_latest
from prometheus_client.core import CounterMetricFamily, Metric

from exporter.inventory.snapshot import InventorySnapshot
from exporter.ledger.store import LedgerView
from exporter.metrics.collectors import InventoryCollector, MetricSources, StateCollector
from exporter.metrics.exposition import CachedExposition
from exporter.metrics.registry import OrderedRegistry, build_registry
from tests.exporter.conftest import parse_samples
from vocabulary import catalogue as cat


class CountingInventory(InventoryCollector):
    """The inventory collector, counting how often it builds families."""

    builds = 0

    def families(self, state: tuple[InventorySnapshot]) -> list[Metric]:
        self.builds += 1
        return super().families(state)


@dataclasses.dataclass(eq=False)
class EventTimeCounter(StateCollector[tuple[LedgerView]]):
    """A counter family whose samples carry the time of the event they count::

    mechamental_test_events_total{org_id="org-a",workspace_id="ws-1"} 120.0 1735689590000
    """

    sources: MetricSources

    def state(self) -> tuple[LedgerView]:
        return (self.sources.ledger(),)

    def families(self, state: tuple[LedgerView]) -> list[Metric]:
        (ledger,) = state
        events = CounterMetricFamily("mechamental_test_events", "Events.", labels=cat.WS)
        for key, (count, _) in sorted(ledger.counts.items()):
            events.add_metric(list(key), count, timestamp=ledger.high_water[key[0]] / 1e6)
        return [events]


@dataclasses.dataclass
class State:
    """The snapshot, ledger view and time a test replaces between renders."""

    snapshot: InventorySnapshot
    ledger: LedgerView
    now: float


def mutable(sources: MetricSources) -> tuple[MetricSources, State]:
    """Sources whose snapshot, ledger view and clock a test can replace."""
    state = State(sources.snapshot(), sources.ledger(), sources.clock())
    replaced = dataclasses.replace(
        sources,
        snapshot=lambda: state.snapshot,
        ledger=lambda: state.ledger,
        clock=lambda: state.now,
    )
    return replaced, state


@pytest.mark.parametrize("detail", [True, False])
def test_cached_rendering_is_byte_identical_to_generate_latest(fixed_sources, detail):
    sources = dataclasses.replace(fixed_sources, app_metrics=detail, namespace_metrics=detail)
    registry = build_registry(sources)
    exposition = CachedExposition(registry)
    assert exposition.render() == generate_latest(registry)
    assert exposition.render() == generate_latest(registry)  # served from the cache this time


def test_cache_follows_a_new_snapshot(fixed_sources):
    sources, state = mutable(fixed_sources)
    registry = build_registry(sources)
    exposition = CachedExposition(registry)
    first = exposition.render()
    state.snapshot = InventorySnapshot.build([], version=4)
    second = exposition.render()
    assert second != first
    assert second == generate_latest(registry)
    assert b"mechamental_workspace_info{" not in second


def test_inventory_families_are_built_once_per_snapshot(fixed_sources):
    sources, state = mutable(fixed_sources)
    inventory = CountingInventory(sources)
    registry = OrderedRegistry()
    registry.register(inventory)
    exposition = CachedExposition(registry)
    bodies = {exposition.render() for _ in range(3)}
    assert (len(bodies), inventory.builds) == (1, 1)
    state.snapshot = InventorySnapshot.build([], version=4)  # equal content, new object
    exposition.render()
    exposition.render()
    assert inventory.builds == 2


def test_self_metrics_and_counters_follow_every_change_between_snapshots(fixed_sources):
    sources, state = mutable(fixed_sources)
    exposition = CachedExposition(build_registry(sources))
    lag = (cat.LEDGER_LAG.sample_name, frozenset({("org_id", "org-a")}))
    total = (cat.EXECUTIONS.sample_name, frozenset({("org_id", "org-a"), ("workspace_id", "ws-1")}))
    before = parse_samples(exposition.render().decode())
    state.now = sources.clock() + 30
    state.ledger = LedgerView(
        MappingProxyType({("org-a", "ws-1"): (121, 7)}),
        MappingProxyType({"org-a": 1_735_689_595_000_000}),
        version=10,
    )
    after = parse_samples(exposition.render().decode())
    assert after[lag] == before[lag] + 30 - 5
    assert (before[total], after[total]) == (120, 121)


def test_a_collector_with_sample_timestamps_is_served_on_the_same_path(fixed_sources):
    sources, state = mutable(fixed_sources)
    registry = build_registry(sources)
    registry.register(EventTimeCounter(sources))
    exposition = CachedExposition(registry)
    body = exposition.render()
    assert body == generate_latest(registry)
    expected = (
        b'mechamental_test_events_total{org_id="org-a",workspace_id="ws-1"} 120.0 1735689590000\n'
    )
    assert expected in body
    last = body.index(b"# HELP " + cat.DETAIL_ENABLED.name.encode())
    assert body.index(b"# HELP mechamental_test_events_total") > last  # in registration order
    state.ledger = LedgerView(
        MappingProxyType({("org-a", "ws-1"): (121, 7)}),
        MappingProxyType({"org-a": 1_735_689_595_000_000}),
        version=10,
    )
    assert exposition.render() == generate_latest(registry)
    assert b'workspace_id="ws-1"} 121.0 1735689595000\n' in exposition.render()


def test_a_collector_registered_or_unregistered_later_is_followed(fixed_sources):
    registry = build_registry(fixed_sources)
    exposition = CachedExposition(registry)
    exposition.render()
    events = EventTimeCounter(fixed_sources)
    registry.register(events)
    assert exposition.render() == generate_latest(registry)
    registry.unregister(events)
    assert exposition.render() == generate_latest(registry)
    assert b"mechamental_test_events_total" not in exposition.render()
