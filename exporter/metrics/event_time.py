"""Executions on the platform's clock: counters whose samples carry their own timestamps.

Each scrape shows, per org, one time t (see `OrgEvents.exposure_time`): the next 15-minute
boundary not yet shown, or else the fresh edge (the last whole settled second). Every sample
then says how many executions happened before t, which is final once t is settled, so the
store may keep it as it is. A boundary stays on show until scrapes have seen it for `hold`
seconds (long enough for every replica of an HA pair to scrape it); only then does the ledger
record it as shown, so boundaries passed while the exporter or Prometheus was down are shown,
in order, once both are back. Only a served scrape counts (`scraped()`, called by the
`/metrics` handler), never a render ahead of scrapes; `hold` must be above 0 for that.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from prometheus_client.core import Metric

from exporter.inventory.snapshot import InventorySnapshot
from exporter.ledger.event_time import BOUNDARY, SECOND, OrgEvents, WorkspaceEvents
from exporter.ledger.store import LedgerError, LedgerView
from exporter.metrics.collectors import StateCollector
from exporter.metrics.families import new_family
from vocabulary import catalogue as cat

log = logging.getLogger(__name__)
NO_EXECUTIONS = WorkspaceEvents()


class EventTimeCollector(StateCollector[tuple[InventorySnapshot, LedgerView]]):
    """Counters by execution time, with explicit timestamps, and their progress (a function of
    the snapshot and the ledger's view, so the exposition caches it per commit)::

    mechamental_executions_by_time_total{org_id="org-a",workspace_id="ws-1"} 1234.0 1764000900000
    mechamental_executions_failed_by_time_total{org_id="org-a",workspace_id="ws-1"} 56.0 1764000900000
    mechamental_executions_complete_timestamp_seconds{org_id="org-a"} 1.76400096e+09
    mechamental_exporter_late_executions_total{org_id="org-a"} 0.0
    """  # noqa: E501 - exposition lines are quoted whole

    def __init__(
        self,
        snapshot: Callable[[], InventorySnapshot],
        ledger: Callable[[], LedgerView],
        mark_exposed: Callable[[str, int], None],
        *,
        hold: float = 30.0,
        step: int = BOUNDARY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._snapshot = snapshot
        self._ledger = ledger
        self._mark_exposed = mark_exposed
        self._hold = hold
        self._step = step  # the spacing of the boundaries shown; divides 15 minutes
        self._clock = clock
        self._first_shown: dict[tuple[str, int], float] = {}

    def state(self) -> tuple[InventorySnapshot, LedgerView]:
        """The current snapshot (its workspaces get counters) and committed ledger view."""
        return self._snapshot(), self._ledger()

    def families(self, state: tuple[InventorySnapshot, LedgerView]) -> list[Metric]:
        """The families of the orgs the ledger has settled activity for."""
        snapshot, view = state
        total = new_family(cat.EXECUTIONS_BY_TIME)
        failed = new_family(cat.EXECUTIONS_FAILED_BY_TIME)
        complete, late = new_family(cat.EXECUTIONS_COMPLETE), new_family(cat.LATE_EXECUTIONS)
        for org_id, events in sorted(view.events.items()):
            shown_at = events.exposure_time()
            timestamp = float(shown_at)
            known = {ws for org, ws in snapshot.workspaces if org == org_id}
            for workspace_id in sorted(known | events.workspaces.keys()):
                value = events.workspaces.get(workspace_id, NO_EXECUTIONS).value_at(shown_at)
                total.add_metric([org_id, workspace_id], value[0], timestamp=timestamp)
                failed.add_metric([org_id, workspace_id], value[1], timestamp=timestamp)
            complete.add_metric([org_id], events.settled / SECOND)
            late.add_metric([org_id], events.late)
        return [total, failed, complete, late]

    def scraped(self) -> None:
        """A scrape was served: each boundary on show for `hold` is recorded as shown."""
        for org_id, events in sorted(self._ledger().events.items()):
            if not self._seen(org_id, events):
                return  # the ledger cannot be written now: the next scrape tries again

    def _seen(self, org_id: str, events: OrgEvents) -> bool:
        """Whether the ledger took what this org showed (or had nothing to take)."""
        shown_at = events.exposure_time()
        if shown_at != events.exposed:
            return True
        now = self._clock()
        first = self._first_shown.setdefault((org_id, shown_at), now)
        if now - first >= self._hold:
            try:
                self._mark_exposed(org_id, shown_at - shown_at % self._step + self._step)
            except LedgerError as error:
                log.warning(
                    "cannot record boundary %d of org %s as shown: %s", shown_at, org_id, error
                )
                return False
            del self._first_shown[(org_id, shown_at)]
        return True
