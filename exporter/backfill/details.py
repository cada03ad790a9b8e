"""The history of the execution details: the live exporter's series, counted per window.

An execution adds the series `exporter.ledger.details.execution_series` gives it (the ledger's
keys: non-cumulative latency buckets, the sum in ms, tokens, apps, pipelines, codes), first with
its capped values as the platform wrote them. Once the window is read, those values are admitted
through the ledger's `label_admissions` (shared with the live exporter, committed before any
sample is written) and each series takes the value it maps to: one admitted live keeps its
series, one over its workspace's cap joins `OVERFLOW`. `LABEL_OVERFLOW` is left alone: it
counts what the live exporter sent to `other`, the history adds nothing to it.

Every workspace with executions in a window gets all its latency series there (zeros included),
so its histogram's buckets share their sample times and are summed into `le` when rendered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from exporter.ledger import details as ledger
from exporter.ledger.history import Admission, DetailKey
from exporter.metrics.detail_text import LE
from exporter.metrics.details import COUNTED_FAMILIES
from exporter.platform.api import ExecutionRecord

# The latency series of a workspace: one per bucket, then the sum.
LATENCY_SERIES = (
    *((ledger.DURATION, str(index)) for index in range(len(LE))),
    (ledger.DURATION_SUM,),
)


class LabelRequests:
    """Records each capped value an execution carries, in order, and maps none of them."""

    def __init__(self) -> None:
        self.requested: dict[Admission, None] = {}

    def admit(self, workspace: str, label: str, value: str) -> str:
        """`value` as written; remembered for the window's admission."""
        self.requested.setdefault((workspace, label, value), None)
        return value


@dataclass
class WindowDetails:
    """One window's detail series per (workspace, 15-minute slot), values as written."""

    slots: dict[tuple[DetailKey, int], list[int]] = field(default_factory=dict)
    labels: LabelRequests = field(default_factory=LabelRequests)

    def start_workspace(self, workspace: str, slot: int) -> None:
        """The workspace's first execution of the window lies in `slot`: its latency series
        start there."""
        for series in LATENCY_SERIES:
            self.slots.setdefault(((workspace, series), slot), [0])

    def add(self, execution: ExecutionRecord, slot: int) -> None:
        """Count one execution's series in `slot`."""
        for series, amount in ledger.execution_series(execution, self.labels):
            if series[0] == ledger.OVERFLOWED:
                continue  # the history never overflows before admission; see the module doc
            entry = self.slots.setdefault(((execution.workspace_id, series), slot), [0])
            entry[0] += amount

    def admitted(
        self, mapping: Mapping[Admission, str], kinds: Mapping[str, object]
    ) -> dict[tuple[DetailKey, int], list[int]]:
        """The slots with each capped value as `mapping` (the admission of `labels.requested`)
        maps it; the latency series and the series of `kinds` (the levels that are on) only."""
        slots: dict[tuple[DetailKey, int], list[int]] = {}
        for ((ws, written), slot), (value,) in self.slots.items():
            series = written
            if written[0] in kinds:
                labels = COUNTED_FAMILIES[written[0]].labels[2:]
                mapped = (
                    mapping[(ws, label, raw)]
                    for label, raw in zip(labels, written[1:], strict=True)
                )
                series = (written[0], *mapped)
            elif written[0] not in (ledger.DURATION, ledger.DURATION_SUM):
                continue
            entry = slots.setdefault(((ws, series), slot), [0])
            entry[0] += value
        return slots
