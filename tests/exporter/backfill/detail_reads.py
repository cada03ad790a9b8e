"""The backfilled detail series read back from a store at bucket edges, and the sandbox's truth
of the same buckets, both as flat counts keyed like `("le", "0.5")`, `("app", "app-1")`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from exporter.backfill.samples import JOB
from tests.support.prometheus import PrometheusServer
from tests.support.sandbox import SandboxServer
from tests.support.victoria import VictoriaMetricsServer
from vocabulary import details

Counts = dict[tuple[str, ...], int]
H = details.EXECUTION_DURATION.name
# (sample name, labels, key, scale): each series counts `scale` × its value under (key, *labels).
READS = (
    (f"{H}_bucket", ("le",), "le", 1),
    (f"{H}_count", (), "count", 1),
    (f"{H}_sum", (), "sum_ms", 1000),
    (details.TOKENS.sample_name, ("kind",), "tokens", 1),
    (details.APP_EXECUTIONS.sample_name, ("app_id",), "app", 1),
    (details.APP_EXECUTIONS_FAILED.sample_name, ("app_id",), "app_failed", 1),
    (details.PIPELINE_EXECUTIONS.sample_name, ("app_id", "augmentation_id"), "pipeline", 1),
    (
        details.PIPELINE_EXECUTIONS_FAILED.sample_name,
        ("app_id", "augmentation_id"),
        "pipeline_failed",
        1,
    ),
    (details.FAILURES_BY_CODE.sample_name, ("error_code",), "code", 1),
)


def flat_truth(summary: dict[str, Any]) -> Counts:
    """A truth summary's non-zero counts."""
    found: Counts = {("count",): summary["count"], ("sum_ms",): summary["sum_ms"]}
    found |= {("le", le): value for le, value in summary["le"].items()}
    found |= {("tokens", kind): value for kind, value in summary["tokens"].items()}
    for app, counts in summary["apps"].items():
        found |= {("app", app): counts["total"], ("app_failed", app): counts["failed"]}
    for item in summary["pipelines"]:
        ids = (item["app_id"], item["augmentation_id"])
        found |= {("pipeline", *ids): item["total"], ("pipeline_failed", *ids): item["failed"]}
    found |= {("code", code): value for code, value in summary["error_codes"].items()}
    return {key: value for key, value in found.items() if value}


def detail_truth(sandbox: SandboxServer, resolution: str, tz: str) -> dict[str, dict[int, Counts]]:
    """Per workspace, each non-empty bucket's counts by its start (s)."""
    response = sandbox._session.get(
        f"{sandbox.url}/_sandbox/truth/details",
        params={"resolution": resolution, "tz": tz},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return {
        ws: {
            int(datetime.fromisoformat(bucket["start_utc"].replace("Z", "+00:00")).timestamp()): (
                flat_truth(bucket)
            )
            for bucket in item["buckets"]
        }
        for ws, item in response.json()["workspaces"].items()
        if item["count"]
    }


@dataclass(frozen=True)
class DetailHistory:
    """Every detail series' values at the edges read, per workspace."""

    first: int
    start: float
    values: dict[int, dict[str, dict[tuple[str, ...], float]]]  # edge → workspace → key → value

    def at(self, workspace: str, edge: int) -> dict[tuple[str, ...], float]:
        """The values at an edge, outside the backfilled span included (absent: 0)."""
        if edge > self.start:
            return {}
        return self.values[max(edge, self.first)].get(workspace, {})

    def buckets(self, workspace: str, edges: list[int]) -> dict[int, Counts]:
        """The workspace's non-zero counts of each bucket between `edges`."""
        measured = {}
        for low, high in pairwise(edges):
            later, earlier = self.at(workspace, high), self.at(workspace, low)
            counts = {
                key: round(later.get(key, 0.0) - earlier.get(key, 0.0))
                for key in later.keys() | earlier.keys()
            }
            counts = {key: value for key, value in counts.items() if value}
            if counts:
                measured[low] = counts
        return measured


def read_details(
    store: PrometheusServer | VictoriaMetricsServer, first: int, start: float, edges: list[int]
) -> DetailHistory:
    """Every detail series at `first` and at the equally spaced `edges` in [first, start]."""
    inside = [edge for edge in edges if first <= edge <= start]
    step = inside[1] - inside[0]
    assert all(high - low == step for low, high in pairwise(inside))
    values: dict[int, dict[str, dict[tuple[str, ...], float]]] = {first: {}}
    values |= {edge: {} for edge in inside}
    for name, labels, key, scale in READS:
        expr = (
            f"max by (workspace_id, {', '.join(labels)}) "
            f'(last_over_time({name}{{job="{JOB}"}}[15m]))'
        )
        ranges = store.api("query_range", query=expr, start=inside[0], end=inside[-1], step=step)
        instant = store.api("query", query=expr, time=first)["result"]
        found = [*ranges["result"], *({**s, "values": [s["value"]]} for s in instant)]
        for series in found:
            metric = series["metric"]
            series_key = (key, *(metric[label] for label in labels))
            for at, value in series["values"]:
                workspace = values[int(at)].setdefault(metric["workspace_id"], {})
                workspace[series_key] = float(value) * scale
    return DetailHistory(first, start, values)
