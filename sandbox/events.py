"""Drawing activity records for the stream and the seeded history from one seeded generator
(latencies, tokens and failures as `sandbox.profiles` describes them)."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sandbox.activity import ActivityEvent
from sandbox.profiles import DIRECT, PIPELINE_SHARE, Pipeline, failure, pipeline_profile

T = TypeVar("T")


@dataclass(frozen=True)
class WorkspaceTarget:
    """A workspace activity can be written for, with its apps and each app's pipelines
    (`pipelines[i]` belongs to `app_ids[i]`; none given: no app has any)."""

    org_id: str
    workspace_id: str
    app_ids: tuple[str, ...]
    pipelines: tuple[tuple[Pipeline, ...], ...] = ()

    def __post_init__(self) -> None:
        # One entry per app, so drawing an app and its pipelines costs a single index.
        if len(self.pipelines) != len(self.app_ids):
            padded = (*self.pipelines, *((),) * len(self.app_ids))[: len(self.app_ids)]
            object.__setattr__(self, "pipelines", padded)


def _pipelines(connection: sqlite3.Connection) -> dict[str, list[Pipeline]]:
    """Every app's pipelines, in a stable order."""
    pipelines: dict[str, list[Pipeline]] = {}
    sql = "SELECT id, app_id, augmentation_type FROM augmentations ORDER BY seq"
    for row in connection.execute(sql):
        profile = pipeline_profile(row["id"], row["augmentation_type"])
        pipelines.setdefault(row["app_id"], []).append(Pipeline(row["id"], profile))
    return pipelines


def load_targets(connection: sqlite3.Connection) -> list[WorkspaceTarget]:
    """Every workspace that has not vanished, in a stable order."""
    apps: dict[str, list[str]] = {}
    for row in connection.execute("SELECT workspace_id, app_id FROM apps ORDER BY seq"):
        apps.setdefault(row["workspace_id"], []).append(row["app_id"])
    pipelines = _pipelines(connection)
    rows = connection.execute(
        "SELECT org_id, workspace_id FROM workspaces WHERE deleted = 0 ORDER BY seq"
    )
    targets = []
    for row in rows:
        app_ids = tuple(apps.get(row["workspace_id"], ()))
        own = tuple(tuple(pipelines.get(app_id, ())) for app_id in app_ids)
        targets.append(WorkspaceTarget(row["org_id"], row["workspace_id"], app_ids, own))
    return targets


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
        """One finished execution in `target` that fails with `failure_ratio`, in one of its
        app's pipelines most of the time."""
        rng = self.rng
        failed = rng.random() < failure_ratio
        app_id, pipeline = None, None
        if target.app_ids:
            index = int(rng.random() * len(target.app_ids))
            app_id, pipelines = target.app_ids[index], target.pipelines[index]
            if pipelines and rng.random() < PIPELINE_SHARE:
                pipeline = _one_of(rng, pipelines)
        error_code, status_code = failure(rng) if failed else (None, 200)
        profile = DIRECT if pipeline is None else pipeline.profile
        return ActivityEvent(
            org_id=target.org_id,
            workspace_id=target.workspace_id,
            app_id=app_id,
            execution_id=f"exe-{rng.getrandbits(48):012x}",
            success=not failed,
            status_code=status_code,
            duration_ms=profile.duration_ms(rng),
            late_us=late_us,
            augmentation_id=None if pipeline is None else pipeline.augmentation_id,
            error_code=error_code,
            token_usage=profile.token_usage(rng, error_code, failed),
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
