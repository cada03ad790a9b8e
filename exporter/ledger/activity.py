"""Execution counting: poll each org's activity and commit new executions to the ledger.

Each poll of an org reads the window [high_water - overlap, now - lag): the lag leaves the
platform time to write a record, the overlap re-reads recent records the platform may have
written late, and the ledger counts a record id only once. Every commit also settles the org's
activity up to `end - lateness`: a record found after its time was settled counts at the settled
point instead of its own minute (see `exporter.ledger.event_time`). A sweep, run less often,
re-reads the longer `horizon`, so records written later than the overlap are still counted once;
the ledger remembers record ids for the horizon. When the window holds more records
than one poll may read (`page_cap` pages), its end is moved back by bisection on the list's
`total` (one `limit=1` request per step) and the next poll continues from there, so a long
outage or a fresh ledger catches up in bounded steps instead of one unbounded poll.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from exporter.ledger.store import Ledger, LedgerError
from exporter.platform import api
from exporter.platform.client import PlatformClient, parse_items
from exporter.platform.errors import PlatformError
from exporter.status import CollectionFailed

log = logging.getLogger(__name__)
SECOND = 1_000_000  # activity times are integer microseconds
BISECTION_STEPS = 24
# A window is never narrowed below this, so a burst inside one instant still makes progress.
MIN_STEP = SECOND


@dataclass(frozen=True)
class ActivitySettings:
    """Window and work bounds of a poll, in microseconds and pages."""

    lag: int = 2 * SECOND
    overlap: int = 120 * SECOND
    start: int | None = None
    page_cap: int = 50
    lateness: int = 0
    horizon: int = 0

    @classmethod
    def from_seconds(cls, page_cap: int, **seconds: float | None) -> ActivitySettings:
        """Settings from the config's seconds (`lag`, `overlap`, `start`, `lateness`, `horizon`);
        a `start` of None begins each org at its first poll, as recorded in the ledger."""
        values = {
            name: None if value is None else round(value * SECOND)
            for name, value in seconds.items()
        }
        return cls(page_cap=page_cap, **values)  # type: ignore[arg-type]

    @property
    def reread(self) -> int:
        """How far back every poll re-reads: the overlap, and never less than the lateness."""
        return max(self.overlap, self.lateness)

    @property
    def memory(self) -> int:
        """How far back record ids are remembered: the longest window ever re-read."""
        return max(self.reread, self.horizon)

    @property
    def budget(self) -> int:
        """Records one poll of one org may read."""
        return self.page_cap * api.ACTIVITY.max_limit


@dataclass(frozen=True)
class PollResult:
    """What one poll of one org did."""

    start: int
    end: int
    read: int
    counted: int
    caught_up: bool


class ActivityPoller:
    """Polls the activity of every configured org into the ledger."""

    def __init__(
        self,
        client: PlatformClient,
        ledger: Ledger,
        org_ids: Sequence[str],
        settings: ActivitySettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._ledger = ledger
        self._org_ids = tuple(org_ids)
        self._settings = settings
        self._clock = clock
        # Polls and sweeps run on different scheduler threads; one at a time, or a sweep that
        # read from an older high-water mark would count ids a poll has just forgotten.
        self._one_at_a_time = threading.Lock()

    def sweep(self) -> None:
        """Re-read every org's `horizon` for records written later than the overlap."""
        self.run(sweep=True)

    def run(self, *, sweep: bool = False) -> None:
        """Poll every org; the orgs that fail are named in one CollectionFailed."""
        with self._one_at_a_time:
            self._run(sweep=sweep)

    def _run(self, *, sweep: bool) -> None:
        try:
            # Nothing is read from the platform while nothing read could be committed.
            self._ledger.ensure_writable()
        except LedgerError as error:
            raise CollectionFailed(f"{type(error).__name__}: {error}") from None
        failures = []
        for org_id in self._org_ids:
            try:
                result = self.poll(org_id, sweep=sweep)
            except PlatformError as error:
                failures.append(f"org {org_id}: {type(error).__name__}: {error}")
                continue
            except LedgerError as error:
                # One ledger holds every org: when it refuses one write it refuses them all.
                failures.append(f"{type(error).__name__}: {error}")
                break
            if result is not None and not result.caught_up:
                log.info("org %s: activity is behind, counted up to %s", org_id, result.end)
        if failures:
            raise CollectionFailed("; ".join(failures))

    def poll(self, org_id: str, *, sweep: bool = False) -> PollResult | None:
        """Count the org's new executions; None when there is no new time to read."""
        settings = self._settings
        now_end = int(self._clock() * SECOND) - settings.lag
        org_start = self._org_start(org_id, now_end)
        high_water = self._ledger.view.high_water.get(org_id)
        floor = org_start if high_water is None else high_water
        reread = settings.memory if sweep else settings.reread
        # Nothing before the org's start is ever read, not even by the overlap: it is history.
        start = max(org_start, floor - reread)
        if now_end <= floor and not sweep:
            return None
        now_end = max(now_end, floor)
        end = now_end
        records = self._read(org_id, start, end, forced=False)
        if records is None:
            end = self._narrow(org_id, start, floor, end)
            records = self._read(org_id, start, end, forced=True)
            assert records is not None
        executions = [record for record in records if record is not None]
        settled = max(org_start, end - settings.lateness)
        result = self._ledger.commit(
            org_id, executions, end, end - settings.memory, settled=settled
        )
        if result.late:
            log.warning(
                "org %s: %d executions were written after their time was settled; "
                "they count from %s",
                org_id,
                result.late,
                api.format_time(settled),
            )
        return PollResult(start, end, len(records), result.counted, end == now_end)

    def _org_start(self, org_id: str, now_end: int) -> int:
        """The configured start; else where the ledger says the org's polls began (recorded at
        its first poll: what happened before is history, for `mm-analytics backfill`)."""
        if self._settings.start is not None:
            return self._settings.start
        return self._ledger.begin(org_id, now_end)

    def _params(self, start: int, end: int) -> dict[str, str]:
        return {
            api.ACTIVITY_START_PARAM: api.format_time(start),
            api.ACTIVITY_END_PARAM: api.format_time(end),
        }

    def _read(
        self, org_id: str, start: int, end: int, *, forced: bool
    ) -> list[api.ExecutionRecord | None] | None:
        """Every record of the window; None when it exceeds the budget and is not `forced`."""
        records: list[api.ExecutionRecord | None] = []
        ids = {"org_id": org_id}
        for page in self._client.pages(api.ACTIVITY, ids, self._params(start, end)):
            if page.total > self._settings.budget and not forced:
                return None
            records.extend(parse_items(page.items, api.execution_record, api.ACTIVITY))
        return records

    def _narrow(self, org_id: str, start: int, floor: int, end: int) -> int:
        """A window end after `floor` whose window fits the budget (or `floor` + MIN_STEP)."""
        low, high = floor, end
        ids = {"org_id": org_id}
        for _ in range(BISECTION_STEPS):
            if high - low <= MIN_STEP:
                break
            middle = (low + high) // 2
            total = self._client.count(api.ACTIVITY, ids, self._params(start, middle))
            if total <= self._settings.budget:
                low = middle
            else:
                high = middle
        return low if low > floor else min(floor + MIN_STEP, end)
