"""The inventory pass: walk every org's workspaces concurrently and swap in a new snapshot.

A workspace whose walk fails keeps its previous values (and is counted as stale); one the
platform says is gone leaves the snapshot; an org whose workspace list cannot be read keeps all
its previous workspaces. The new snapshot replaces the old one in a single assignment, so a
scrape sees either the old pass or the new one, never a mixture.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from exporter.inventory.snapshot import (
    InventorySnapshot,
    WorkspaceInventory,
    WorkspaceKey,
    summarize,
)
from exporter.inventory.walk import WorkspaceGone, list_workspaces, walk_workspace
from exporter.platform.client import PlatformClient
from exporter.platform.errors import Cancelled, PlatformError
from exporter.status import CollectionFailed

log = logging.getLogger(__name__)
# How many failures the run's error message names before summarising the rest.
NAMED_FAILURES = 5


class InventoryCollection:
    """Runs inventory passes and holds the current snapshot."""

    def __init__(
        self,
        client: PlatformClient,
        org_ids: Sequence[str],
        concurrency: int = 8,
        clock: Callable[[], float] = time.time,
        page_size: int | None = None,
    ) -> None:
        self._client = client
        self._org_ids = tuple(org_ids)
        self._clock = clock
        self._page_size = page_size
        self._snapshot = InventorySnapshot()
        # One pool for the collection's life: a pool per pass started `concurrency` new threads
        # every pass, and their allocator arenas and stacks grew the exporter's RSS pass by pass.
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="inventory")

    @property
    def snapshot(self) -> InventorySnapshot:
        """The snapshot of the last pass (empty before the first)."""
        return self._snapshot

    def run(self) -> None:
        """One pass over every org; CollectionFailed names what failed after the swap."""
        previous = self._snapshot
        kept: dict[WorkspaceKey, WorkspaceInventory] = {}
        stale: set[WorkspaceKey] = set()
        failures: list[str] = []
        walks: dict[WorkspaceKey, Future[WorkspaceInventory]] = {}
        for org_id in self._org_ids:
            try:
                workspaces = list_workspaces(self._client, org_id, self._page_size)
            except PlatformError as error:
                log.warning("org %s: workspaces list: %s: %s", org_id, _name(error), error)
                failures.append(f"org {org_id}: workspaces list: {error}")
                # The org's workspaces are unknown this pass: all keep their previous values.
                keys = [key for key in previous.workspaces if key[0] == org_id]
                kept.update((key, previous.workspaces[key]) for key in keys)
                stale.update(keys)
                continue
            for workspace in workspaces:
                key = (org_id, workspace.workspace_id)
                walks[key] = self._pool.submit(self._walk, *key, workspace.name)
        for key, walk in walks.items():
            reason = self._collect(key, walk, kept)
            if reason is not None:
                failures.append(f"workspace {key[0]}/{key[1]}: {reason}")
                if key in previous.workspaces:
                    kept[key] = previous.workspaces[key]
                    stale.add(key)
        self._snapshot = InventorySnapshot.build(kept.values(), stale, previous.version + 1)
        if failures:
            raise CollectionFailed(_summary(failures))

    def close(self) -> None:
        """Stop the walk threads, after the walks already submitted (call once no pass runs)."""
        self._pool.shutdown(wait=True)

    def _walk(self, org_id: str, workspace_id: str, name: str) -> WorkspaceInventory:
        listing = walk_workspace(
            self._client, org_id, workspace_id, self._clock, self._page_size, name
        )
        return summarize(listing)

    @staticmethod
    def _collect(
        key: WorkspaceKey,
        walk: Future[WorkspaceInventory],
        kept: dict[WorkspaceKey, WorkspaceInventory],
    ) -> str | None:
        """Store a finished walk; the reason when it failed, None otherwise."""
        try:
            kept[key] = walk.result()
        except WorkspaceGone as gone:
            log.info("workspace left the inventory: %s", gone)
        except Cancelled:
            return "the exporter is stopping"
        except PlatformError as error:
            log.warning("workspace %s/%s: %s: %s", *key, _name(error), error)
            return f"{_name(error)}: {error}"
        except Exception as error:
            # A bug must not freeze every other workspace: keep this one's old values, loudly.
            log.exception("workspace %s/%s: unexpected failure", *key)
            return f"{type(error).__name__}: {error}"
        return None


def _name(error: Exception) -> str:
    return type(error).__name__


def _summary(failures: list[str]) -> str:
    named = "; ".join(failures[:NAMED_FAILURES])
    rest = len(failures) - NAMED_FAILURES
    return f"{len(failures)} failures: {named}" + (f"; and {rest} more" if rest > 0 else "")
