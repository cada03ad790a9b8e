"""Reading one window of an org's activity from the platform into per-slot counts.

Pages are read forward as the platform serves them, exactly as the live poller reads them
(`exporter.ledger.activity`); a record without an `execution_id` is an API call, not an
execution. Only the counts are kept, so memory does not grow with the records.
"""

from __future__ import annotations

from collections.abc import Callable

from exporter.backfill.values import Window, WindowCounts
from exporter.platform import api
from exporter.platform.client import PlatformClient, parse_items


class ActivityReader:
    """Counts an org's executions of a window; `on_page(records)` after every page."""

    def __init__(
        self, client: PlatformClient, on_page: Callable[[int], None] = lambda records: None
    ) -> None:
        self._client = client
        self._on_page = on_page

    def read(self, org_id: str, window: Window) -> WindowCounts:
        """The window's executions per workspace and 15-minute slot."""
        counts = WindowCounts(window)
        params = {
            api.ACTIVITY_START_PARAM: api.format_time(window.low),
            api.ACTIVITY_END_PARAM: api.format_time(window.high),
        }
        for page in self._client.pages(api.ACTIVITY, {"org_id": org_id}, params):
            for execution in parse_items(page.items, api.execution_record, api.ACTIVITY):
                if execution is not None:
                    counts.add(execution)
            counts.records += len(page.items)
            self._on_page(len(page.items))
        return counts
