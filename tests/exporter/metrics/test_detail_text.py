"""The detail families' text written directly equals `prometheus_client`'s own rendering."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path
from types import MappingProxyType

import pytest
from prometheus_client import generate_latest

from exporter.inventory.snapshot import InventorySnapshot, summarize
from exporter.ledger.event_time import SECOND, OrgEvents, WorkspaceEvents
from exporter.ledger.store import LedgerView
from exporter.metrics.collectors import BuiltFamilies
from exporter.metrics.details import DetailCollector
from tests.exporter.conftest import fixed_listings
from tests.exporter.metrics.test_details import committed

# label values the text format must escape, or that are merely unusual
ODD = ('say "hi"', "back\\slash", "new\nline", "ünï-çødé", "other", "", "a,b=c}")
CODES = ("MODEL_TIMEOUT", "status_500", "other", 'quote"d')


def workspace_details(rng: random.Random) -> dict[tuple[str, ...], int]:
    """One workspace's series as the ledger keeps them, some of them zero or huge."""
    series: dict[tuple[str, ...], int] = {("duration_sum",): rng.choice([0, 7, 1_234_567_891])}
    for index in rng.sample(range(16), rng.randint(0, 16)):
        series[("duration", str(index))] = rng.choice([0, 1, 3, 99_999_999])
    for kind in rng.sample(["prompt", "completion", "other", *ODD[:2]], 3):
        series[("tokens", kind)] = rng.randint(0, 10**9)
    for app in rng.sample(["app-1", "app-2", *ODD], 3):
        series[("app", app)] = rng.randint(0, 500)
        series[("app_failed", app)] = rng.randint(0, 5)
        aug = rng.choice(["aug-1", *ODD])
        series[("pipeline", app, aug)] = rng.randint(1, 50)
        series[("pipeline_failed", app, aug)] = 0
    series[("code", rng.choice(CODES))] = rng.randint(1, 9)
    series[("overflow", rng.choice(["app_id", "error_code", "kind"]))] = rng.randint(0, 4)
    return series


def realistic_view(orgs: int = 3, workspaces: int = 60) -> LedgerView:
    """Orgs whose workspaces have details, none (zeros), or odd ids."""
    rng = random.Random(7)
    events, details = {}, {}
    for n in range(orgs):
        org = ("org-a", 'org "b"', "org\\c")[n % 3]
        ids = [f"ws-{i:04d}" for i in range(workspaces)] + list(ODD[:3])
        events[org] = OrgEvents(
            settled=(1_764_000_000 + n) * SECOND,
            exposed=1_764_000_000 + 900 * n,
            late=0,
            workspaces=MappingProxyType({ws: WorkspaceEvents((1, 0)) for ws in ids}),
        )
        details[org] = {ws: workspace_details(rng) for ws in ids if rng.random() < 0.8}
    return LedgerView(events=MappingProxyType(events), details=MappingProxyType(details))


@pytest.mark.parametrize("switches", [{}, {"app_metrics": False}, {"pipeline_metrics": False}])
def test_the_direct_text_is_what_prometheus_client_writes(switches: dict[str, bool]):
    # the snapshot's org-a workspaces without activity read 0; org-b has no settled activity
    snapshot = InventorySnapshot.build(summarize(listing) for listing in fixed_listings())
    collector = DetailCollector(lambda: snapshot, realistic_view, **switches)
    state = collector.state()
    text = collector.exposition(state)
    assert text == generate_latest(BuiltFamilies(collector.families(state)))
    assert text.count(b"\n") > 3 * 60 * 18  # every workspace's histogram at least
    assert b'workspace_id="ws-2"' in text and b'org_id="org \\"b\\""' in text
    assert b'app_id="new\\nline"' in text or switches


def test_promtool_finds_the_odd_labels_escaped_and_every_family_well_formed():
    promtool = shutil.which("promtool")
    assert promtool, "promtool is a required system binary"
    collector = DetailCollector(InventorySnapshot, realistic_view)
    text = collector.exposition(collector.state())
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 0 and not result.stdout + result.stderr, result.stderr


def test_a_real_ledger_s_details_render_alike(tmp_path: Path):
    ledger, _ = committed(tmp_path)
    collector = DetailCollector(InventorySnapshot, lambda: ledger.view)
    state = collector.state()
    assert collector.exposition(state) == generate_latest(collector)
    ledger.close()
