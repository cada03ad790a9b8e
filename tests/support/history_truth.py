"""Expected answers of the façade over the history, from its events and scrape times.

An execution counts in the bucket in which a scrape first shows it: a scrape at s shows the
executions that ended after the previous scrape (or after a counter reset between the two,
executions before the reset being lost with the exporter's state) and at or before s. A bucket
(start, end] of boundaries holds the executions shown by scrapes in it. None of this reads a
counter value: it is independent of how the façade counts.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from tests.support.history import END, HOUR, Workspace, workspaces
from tests.support.history_inventory import Inventory, inventory
from tests.support.history_openmetrics import GAUGE_INTERVAL

QUARTER_HOUR = 900  # every UTC offset in use is a multiple of 15 minutes


class ShownCounts:
    """Cumulative executions shown by the scrapes of one workspace."""

    def __init__(self, workspace: Workspace, events: list[float]) -> None:
        self.scrapes = workspace.scrapes
        self.cumulative: list[int] = []
        total, previous = 0, float("-inf")
        for scrape in self.scrapes:
            resets = [r for r in workspace.profile.resets if previous < r <= scrape]
            since = max(resets) if resets else previous
            total += bisect_right(events, scrape) - bisect_right(events, since)
            self.cumulative.append(total)
            previous = scrape

    def at(self, moment: float) -> int:
        """Executions shown by scrapes at or before `moment`."""
        index = bisect_right(self.scrapes, moment)
        return self.cumulative[index - 1] if index else 0

    def buckets(self, boundaries: list[float]) -> list[int]:
        """Executions shown in each (boundaries[k-1], boundaries[k]]."""
        return [self.at(end) - self.at(start) for start, end in itertools.pairwise(boundaries)]


def day_starts(zone: tzinfo, start: float, end: float) -> Iterator[float]:
    """Instants in [start, end] at which the local calendar date of `zone` changes."""
    moment = int(start) - int(start) % QUARTER_HOUR
    previous = datetime.fromtimestamp(moment - QUARTER_HOUR, zone).date()
    while moment <= end:
        today = datetime.fromtimestamp(moment, zone).date()
        if today != previous:
            yield float(moment)
        previous = today
        moment += QUARTER_HOUR


def label(moment: float, zone: tzinfo) -> str:
    """The expected bucket label: local ISO-8601 time with offset, `Z` for zero offset."""
    local = datetime.fromtimestamp(moment, zone)
    offset = local.utcoffset()
    assert offset is not None
    if not offset:
        return local.strftime("%Y-%m-%dT%H:%M:%SZ")
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return (
        local.strftime("%Y-%m-%dT%H:%M:%S")
        + f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    )


def hour_starts(hours: int, now: float = END) -> list[float]:
    """Starts of the last `hours` UTC hours, the current one last."""
    return [now - now % HOUR - i * HOUR for i in range(hours - 1, -1, -1)]


def calendar_days(days: int, zone: tzinfo, now: float = END) -> list[float]:
    """Starts of the last `days` calendar days of `zone`, today last."""
    return list(day_starts(zone, now - (days + 1) * 25 * HOUR, now))[-days:]


def execution_totals(total: int, failed: int) -> dict[str, object]:
    """The `total`, `success`, `failed`, `success_rate` of an executions answer."""
    success = total - failed
    return {
        "total": total,
        "success": success,
        "failed": failed,
        "success_rate": success / total if total else 0.0,
    }


class HistoryTruth:
    """Every expected answer, computed once per test session."""

    def __init__(self) -> None:
        self.workspaces = {w.profile.workspace_id: w for w in workspaces()}
        self._shown = {ws: ShownCounts(w, w.executions) for ws, w in self.workspaces.items()}
        self.inventories: dict[str, Inventory] = {
            ws: inventory(w.profile) for ws, w in self.workspaces.items()
        }

    def hourly(self, workspace_id: str, hours: int, now: float = END) -> list[dict[str, object]]:
        """Expected `data` of the hourly series."""
        starts = hour_starts(hours, now)
        counts = self._shown[workspace_id].buckets([*starts, now])
        return [
            {"timestamp": label(s, ZoneInfo("UTC")), "value": c}
            for s, c in zip(starts, counts, strict=True)
        ]

    def daily(
        self, workspace_id: str, days: int, zone: tzinfo, now: float = END
    ) -> list[dict[str, object]]:
        """Expected `data` of the daily series in `zone`."""
        return self._series(workspace_id, calendar_days(days, zone, now), zone, now)

    def weekly(
        self, workspace_id: str, weeks: int, zone: tzinfo, week_start: int = 0, now: float = END
    ) -> list[dict[str, object]]:
        """Expected `data` of the weekly series in `zone`: weeks from local midnight of weekday
        `week_start` (0: Monday), this week last."""
        days = day_starts(zone, now - (weeks + 1) * 7 * 25 * HOUR, now)
        starts = [s for s in days if datetime.fromtimestamp(s, zone).weekday() == week_start]
        return self._series(workspace_id, starts[-weeks:], zone, now)

    def monthly(
        self, workspace_id: str, months: int, zone: tzinfo, now: float = END
    ) -> list[dict[str, object]]:
        """Expected `data` of the monthly series in `zone`: months from local midnight of their
        first day, this month last."""
        days = day_starts(zone, now - (months + 1) * 31 * 25 * HOUR, now)
        starts = [s for s in days if datetime.fromtimestamp(s, zone).day == 1]
        return self._series(workspace_id, starts[-months:], zone, now)

    def _series(
        self, workspace_id: str, starts: list[float], zone: tzinfo, now: float
    ) -> list[dict[str, object]]:
        counts = self._shown[workspace_id].buckets([*starts, now])
        return [
            {"timestamp": label(s, zone), "value": c} for s, c in zip(starts, counts, strict=True)
        ]

    def counter_now(self, workspace_id: str, failed: bool = False, now: float = END) -> int:
        """The counter the exporter reported at the last scrape at or before `now`."""
        workspace = self.workspaces[workspace_id]
        scrapes = workspace.scrapes
        last = scrapes[bisect_right(scrapes, now) - 1]
        return workspace.counter_value(workspace.failures if failed else workspace.executions, last)

    def executions(self, workspace_id: str) -> dict[str, object]:
        """Expected execution totals: what the exporter's counters showed at the end."""
        total = self.counter_now(workspace_id)
        return execution_totals(total, self.counter_now(workspace_id, failed=True))

    def collected_at(self, workspace_id: str) -> float:
        """When the workspace was last collected, as the last gauge scrape before the end saw it."""
        last_gauge_scrape = END - END % GAUGE_INTERVAL
        return last_gauge_scrape - self.inventories[workspace_id].collection_lag

    def summary(self, workspace_id: str) -> dict[str, object]:
        """Expected workspace summary."""
        return {
            "workspace_id": workspace_id,
            "resources": self.inventories[workspace_id].resources(),
            "executions": self.executions(workspace_id),
            "updated_at": label(self.collected_at(workspace_id), UTC),
        }

    def rollup(self, org_id: str, workspace_id: str | None = None) -> dict[str, object]:
        """Expected org rollup (sums first, then each workspace in id order)."""
        ids = sorted(
            ws
            for ws, w in self.workspaces.items()
            if w.profile.org_id == org_id and workspace_id in (None, ws)
        )
        resources = [self.inventories[ws].resources() for ws in ids]
        total = sum(self.counter_now(ws) for ws in ids)
        failed = sum(self.counter_now(ws, failed=True) for ws in ids)
        return {
            "org_id": org_id,
            "workspace_count": len(ids),
            "resources": {kind: sum(r[kind] for r in resources) for kind in resources[0]},
            "executions": {
                "total": total,
                "success": total - failed,
                "failed": failed,
                "success_rate": (total - failed) / total if total else 0.0,
            },
            "workspaces": [self.summary(ws) for ws in ids],
            "updated_at": label(min(self.collected_at(ws) for ws in ids), UTC),
        }

    def sources(self, workspace_id: str) -> dict[str, object]:
        """Expected source analytics."""
        sources = self.inventories[workspace_id].sources
        by_type = Counter(s.source_type for s in sources)
        by_status = Counter(s.status for s in sources)
        return {
            "total_sources": len(sources),
            "indexed_sources": sum(1 for s in sources if s.indexed),
            "failed_sources": by_status["failed"],
            "pending_sources": sum(1 for s in sources if not s.indexed and s.status != "failed"),
            "total_chunks": sum(s.chunks for s in sources),
            "total_tokens": sum(s.tokens for s in sources),
            "total_bytes": sum(s.size_bytes for s in sources),
            "workspace_sources": sum(1 for s in sources if s.namespace_id is None),
            "namespace_sources": sum(1 for s in sources if s.namespace_id is not None),
            "sources_by_type": dict(by_type),
            "sources_by_status": dict(by_status),
        }

    def secrets(self, workspace_id: str) -> dict[str, object]:
        """Expected secret analytics."""
        secrets = self.inventories[workspace_id].secrets
        return {
            "total_secrets": len(secrets),
            "active_secrets": sum(1 for _, active in secrets if active),
            "secrets_by_type": dict(Counter(kind for kind, _ in secrets)),
        }

    def actions(self, workspace_id: str) -> dict[str, object]:
        """Expected action analytics."""
        actions = self.inventories[workspace_id].actions
        return {
            "total_actions": len(actions),
            "enabled_actions": sum(1 for _, enabled in actions if enabled),
            "trigger_actions": sum(1 for kind, _ in actions if kind == "trigger"),
            "scheduled_actions": sum(1 for kind, _ in actions if kind == "scheduled"),
        }

    def apps(self, workspace_id: str) -> dict[str, dict[str, object]]:
        """Expected app analytics of every app of the workspace, by app id."""
        return {
            app.app_id: {
                "app_id": app.app_id,
                "augmentations": app.augmentations,
                "namespaces": len(app.namespaces),
                "endpoints": app.endpoints,
                "releases": app.releases,
            }
            for app in self.inventories[workspace_id].apps
        }

    def namespaces(self, workspace_id: str) -> dict[str, dict[str, object]]:
        """Expected namespace analytics of every namespace of the workspace, by id."""
        inv = self.inventories[workspace_id]
        return {
            ns.namespace_id: {
                "namespace_id": ns.namespace_id,
                "threads": ns.threads,
                "sources": inv.namespace_sources(ns.namespace_id),
            }
            for app in inv.apps
            for ns in app.namespaces
        }
