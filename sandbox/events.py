"""Drawing activity records for the stream and the seeded history from one seeded generator."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sandbox.activity import ActivityEvent

T = TypeVar("T")


@dataclass(frozen=True)
class WorkspaceTarget:
    """A workspace activity can be written for, with its apps."""

    org_id: str
    workspace_id: str
    app_ids: tuple[str, ...]


def load_targets(connection: sqlite3.Connection) -> list[WorkspaceTarget]:
    """Every workspace that has not vanished, in a stable order."""
    apps: dict[str, list[str]] = {}
    for row in connection.execute("SELECT workspace_id, app_id FROM apps ORDER BY seq"):
        apps.setdefault(row["workspace_id"], []).append(row["app_id"])
    rows = connection.execute(
        "SELECT org_id, workspace_id FROM workspaces WHERE deleted = 0 ORDER BY seq"
    )
    return [
        WorkspaceTarget(
            row["org_id"], row["workspace_id"], tuple(apps.get(row["workspace_id"], ()))
        )
        for row in rows
    ]


FAILED_CODES = (500, 502, 504, 422)
API_CODES = (200, 200, 201)
API_ERROR_CODES = (400, 404)


def _one_of(rng: random.Random, choices: Sequence[T]) -> T:
    # `rng.random()` alone: a seeded history draws millions of these and `choice` is slower.
    return choices[int(rng.random() * len(choices))]


@dataclass
class EventFactory:
    """Draws activity records from a seeded generator."""

    rng: random.Random
    targets: list[WorkspaceTarget] = field(default_factory=list)

    def pick(self) -> WorkspaceTarget:
        """A workspace drawn at random."""
        return _one_of(self.rng, self.targets)

    def execution_in(
        self, target: WorkspaceTarget, failure_ratio: float, late_us: int = 0
    ) -> ActivityEvent:
        """One finished execution in `target` that fails with `failure_ratio`."""
        rng = self.rng
        failed = rng.random() < failure_ratio
        return ActivityEvent(
            org_id=target.org_id,
            workspace_id=target.workspace_id,
            app_id=_one_of(rng, target.app_ids) if target.app_ids else None,
            execution_id=f"exe-{rng.getrandbits(48):012x}",
            success=not failed,
            status_code=_one_of(rng, FAILED_CODES) if failed else 200,
            duration_ms=20 + int(rng.random() * 4_981),
            late_us=late_us,
        )

    def api_call_in(self, target: WorkspaceTarget) -> ActivityEvent:
        """One ordinary API call (no execution) in `target`."""
        rng = self.rng
        ok = rng.random() < 0.95
        return ActivityEvent(
            org_id=target.org_id,
            workspace_id=target.workspace_id,
            app_id=_one_of(rng, target.app_ids) if target.app_ids else None,
            execution_id=None,
            success=ok,
            status_code=_one_of(rng, API_CODES if ok else API_ERROR_CODES),
            duration_ms=5 + int(rng.random() * 296),
        )
