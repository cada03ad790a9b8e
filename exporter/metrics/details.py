"""Execution details on the platform's clock: latency, tokens, apps, pipelines, error codes.

Shown per org at the same time t as `executions_by_time` (`OrgEvents.exposure_time()`), with
the same explicit timestamp: each value counts the executions whose effective time is before t
(see `exporter.ledger.details`). The latency histogram is shown for every workspace the
execution counters show (zeros included); a capped label's series appears once its first
execution is counted. The per-app and per-pipeline families follow their detail levels.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client.core import Metric

from exporter.inventory.snapshot import InventorySnapshot
from exporter.ledger import details as ledger
from exporter.ledger.store import LedgerView
from exporter.metrics.collectors import StateCollector
from exporter.metrics.detail_text import (
    LE,
    NO_SERIES,
    DetailText,
    OrgDetails,
    cumulative_buckets,
    duration_seconds,
    labelled_series,
)
from exporter.metrics.families import new_family
from vocabulary import details as cat
from vocabulary.family import Family

# The counter family of each kind of ledger series; its labels after `org_id, workspace_id`
# carry the series' values, each a capped label.
COUNTED_FAMILIES = {
    ledger.TOKENS: cat.TOKENS,
    ledger.CODE: cat.FAILURES_BY_CODE,
    ledger.APP: cat.APP_EXECUTIONS,
    ledger.APP_FAILED: cat.APP_EXECUTIONS_FAILED,
    ledger.PIPELINE: cat.PIPELINE_EXECUTIONS,
    ledger.PIPELINE_FAILED: cat.PIPELINE_EXECUTIONS_FAILED,
}


def counted_families(app_metrics: bool, pipeline_metrics: bool) -> dict[str, Family]:
    """`COUNTED_FAMILIES` of the detail levels that are on."""
    switched = {*cat.APP_DETAIL_FAMILIES} if not app_metrics else set()
    switched |= {*cat.PIPELINE_DETAIL_FAMILIES} if not pipeline_metrics else set()
    return {kind: family for kind, family in COUNTED_FAMILIES.items() if family not in switched}


class DetailCollector(StateCollector[tuple[InventorySnapshot, LedgerView]]):
    """The detail families of every org with settled activity (cached per ledger commit)::

    mechamental_execution_duration_by_time_seconds_bucket{le="0.025",org_id="org-a",workspace_id="ws-1"} 3.0 1764000900000
    mechamental_execution_duration_by_time_seconds_bucket{le="+Inf",org_id="org-a",workspace_id="ws-1"} 12.0 1764000900000
    mechamental_execution_duration_by_time_seconds_count{org_id="org-a",workspace_id="ws-1"} 12.0 1764000900000
    mechamental_execution_duration_by_time_seconds_sum{org_id="org-a",workspace_id="ws-1"} 41.5 1764000900000
    mechamental_tokens_by_time_total{kind="prompt",org_id="org-a",workspace_id="ws-1"} 5120.0 1764000900000
    mechamental_app_executions_by_time_total{app_id="app-1",org_id="org-a",workspace_id="ws-1"} 9.0 1764000900000
    mechamental_app_executions_failed_by_time_total{app_id="app-1",org_id="org-a",workspace_id="ws-1"} 2.0 1764000900000
    mechamental_pipeline_executions_by_time_total{app_id="app-1",augmentation_id="aug-1",org_id="org-a",workspace_id="ws-1"} 4.0 1764000900000
    mechamental_pipeline_executions_failed_by_time_total{app_id="app-1",augmentation_id="aug-1",org_id="org-a",workspace_id="ws-1"} 1.0 1764000900000
    mechamental_executions_failed_by_code_by_time_total{error_code="MODEL_TIMEOUT",org_id="org-a",workspace_id="ws-1"} 2.0 1764000900000
    mechamental_exporter_label_overflow_total{label="error_code",org_id="org-a"} 0.0 1764000900000
    """  # noqa: E501 - exposition lines are quoted whole

    def __init__(
        self,
        snapshot: Callable[[], InventorySnapshot],
        view: Callable[[], LedgerView],
        *,
        app_metrics: bool = True,
        pipeline_metrics: bool = True,
    ) -> None:
        self._snapshot = snapshot
        self._view = view
        self._kinds = counted_families(app_metrics, pipeline_metrics)
        switchable = (*cat.APP_DETAIL_FAMILIES, *cat.PIPELINE_DETAIL_FAMILIES)
        self._families = tuple(
            family
            for family in cat.DETAIL_FAMILIES
            if family not in switchable or family in self._kinds.values()
        )

    def state(self) -> tuple[InventorySnapshot, LedgerView]:
        """The current snapshot (its workspaces get a histogram) and committed ledger view."""
        return self._snapshot(), self._view()

    def families(self, state: tuple[InventorySnapshot, LedgerView]) -> list[Metric]:
        """The detail families, in the catalogue's order (`prometheus_client` objects)."""
        metrics = {family: new_family(family) for family in self._families}
        for org in org_details(*state):
            timestamp = float(org.shown_at)
            for workspace_id, values in org.workspaces:
                self._add_workspace(metrics, (org.org_id, workspace_id), values, timestamp)
            for label, count in org.overflow().items():
                metrics[cat.LABEL_OVERFLOW].add_metric(
                    [org.org_id, label], count, timestamp=timestamp
                )
        return list(metrics.values())

    def exposition(self, state: tuple[InventorySnapshot, LedgerView]) -> bytes:
        """The text of `families(state)`, written directly (`exporter.metrics.detail_text`)."""
        text = DetailText(self._families, self._kinds)
        for org in org_details(*state):
            text.add(org)
        return text.encode()

    def _add_workspace(
        self,
        metrics: Mapping[Family, Metric],
        key: tuple[str, str],
        values: ledger.WorkspaceDetails,
        timestamp: float,
    ) -> None:
        counts = cumulative_buckets(values)
        buckets = [(le, float(count)) for le, count in zip(LE, counts, strict=True)]
        metrics[cat.EXECUTION_DURATION].add_metric(  # type: ignore[attr-defined]
            list(key), buckets, duration_seconds(values), timestamp=timestamp
        )
        for family, labels, value in labelled_series(values, self._kinds):
            metrics[family].add_metric(  # type: ignore[attr-defined]
                [*key, *labels], value, timestamp=timestamp
            )


def org_details(snapshot: InventorySnapshot, view: LedgerView) -> Iterator[OrgDetails]:
    """Every org with settled activity, in order, at its exposure time (as `executions_by_time`),
    with the workspaces the snapshot or the ledger knows (those without details included)."""
    for org_id, events in sorted(view.events.items()):
        known = {ws for org, ws in snapshot.workspaces if org == org_id}
        found = view.details.get(org_id, {})
        workspaces = sorted(known | events.workspaces.keys())
        yield OrgDetails(
            org_id,
            events.exposure_time(),
            tuple((ws, found.get(ws, NO_SERIES)) for ws in workspaces),
        )
