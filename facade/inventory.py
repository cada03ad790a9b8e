"""The current-state answers: summaries, resources, executions, sources, secrets, actions,
apps, namespaces and the org rollup. Each is one tagged instant query at "now"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from facade import promql
from facade.errors import FeatureDisabled, NotFound
from facade.promql import Part
from facade.readings import Reader, Reading
from facade.results import (
    ActionAnalytics,
    Executions,
    OrgAnalytics,
    ScopedCounts,
    SecretAnalytics,
    SourceAnalytics,
    WorkspaceAnalytics,
)
from vocabulary.catalogue import (
    APP_RESOURCE_KINDS,
    DETAIL_LEVELS,
    NAMESPACE_RESOURCE_KINDS,
    RESOURCE_KINDS,
)

INVENTORY = ("inventory",)
ACTIVITY = ("activity",)
BOTH = ("inventory", "activity")


@dataclass(frozen=True)
class DetailLevel:
    """How the counts of one app or namespace are read: its parts, presence and resources."""

    level: str
    parts: Callable[[promql.Scope], promql.Parts]
    presence: Part
    resources: Part
    kinds: tuple[str, ...]


APP_DETAIL = DetailLevel("app", promql.app_parts, Part.APP, Part.APP_RESOURCES, APP_RESOURCE_KINDS)
NAMESPACE_DETAIL = DetailLevel(
    "namespace",
    promql.namespace_parts,
    Part.NAMESPACE,
    Part.NAMESPACE_RESOURCES,
    NAMESPACE_RESOURCE_KINDS,
)


def _workspaces(reading: Reading) -> list[WorkspaceAnalytics]:
    """Every workspace in a reading of `promql.workspace_parts`, by id."""
    # Not collected since the exporter started: the inventory collector's time stands in.
    fallback = reading.by(Part.FRESHNESS, "collector").get("inventory", reading.now)
    found = []
    for workspace_id, own in sorted(reading.split("workspace_id").items()):
        if not own.samples(Part.WORKSPACE):
            continue
        # One pass over the workspace's resources, not one per kind (a rollup has many).
        per_kind = own.by(Part.RESOURCES, "resource")
        resources = {kind: round(per_kind.get(kind, 0.0)) for kind in RESOURCE_KINDS}
        # Executions since the live polls began, plus the history a backfill counted before.
        executions = Executions(
            own.total(Part.EXECUTIONS) + own.total(Part.HISTORY),
            own.total(Part.FAILED) + own.total(Part.FAILED_HISTORY),
        )
        collected = own.by(Part.COLLECTED, "workspace_id").get(workspace_id, fallback)
        found.append(WorkspaceAnalytics(workspace_id, resources, executions, collected))
    return found


class InventoryService:
    """Answers about the current state of a workspace, an app, a namespace or an org."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    def _read(
        self, scope: promql.Scope, parts: promql.Parts, collectors: tuple[str, ...]
    ) -> Reading:
        reading = self.reader.read({**promql.existence_parts(scope), **parts}, collectors)
        self.reader.require(reading, scope)
        return reading

    def summary(
        self, scope: promql.Scope, collectors: tuple[str, ...] = BOTH
    ) -> WorkspaceAnalytics:
        """Resources, executions and data time of one workspace."""
        reading = self.reader.read(promql.workspace_parts(scope), collectors)
        self.reader.require(reading, scope)
        [workspace] = _workspaces(reading)
        return workspace

    def resources(self, scope: promql.Scope) -> dict[str, int]:
        """The nine resource counts of one workspace."""
        return dict(self.summary(scope, INVENTORY).resources)

    def executions(self, scope: promql.Scope) -> Executions:
        """Execution totals of one workspace."""
        return self.summary(scope, ACTIVITY).executions

    def rollup(self, scope: promql.Scope) -> OrgAnalytics:
        """Every workspace of the org, or only `scope.workspace_id`."""
        reading = self.reader.read(promql.workspace_parts(scope), BOTH)
        self.reader.require(reading, scope)
        return OrgAnalytics(scope.org_id, tuple(_workspaces(reading)))

    def sources(self, scope: promql.Scope) -> SourceAnalytics:
        """Source counts of one workspace."""
        reading = self._read(scope, promql.source_parts(scope), INVENTORY)
        return SourceAnalytics(
            total=reading.total(Part.SOURCES),
            indexed=reading.total(Part.INDEXED),
            failed=reading.total(Part.SOURCES, status="failed"),
            pending=reading.total(Part.PENDING),
            chunks=reading.total(Part.CHUNKS),
            tokens=reading.total(Part.TOKENS),
            size_bytes=reading.total(Part.BYTES),
            workspace_scoped=reading.total(Part.SOURCES, scope="workspace"),
            namespace_scoped=reading.total(Part.SOURCES, scope="namespace"),
            by_type=reading.counts_by(Part.SOURCES, "source_type"),
            by_status=reading.counts_by(Part.SOURCES, "status"),
        )

    def secrets(self, scope: promql.Scope) -> SecretAnalytics:
        """Secret counts of one workspace."""
        reading = self._read(scope, promql.secret_parts(scope), INVENTORY)
        return SecretAnalytics(
            total=reading.total(Part.SECRETS),
            active=reading.total(Part.SECRETS, active="true"),
            by_type=reading.counts_by(Part.SECRETS, "secret_type"),
        )

    def actions(self, scope: promql.Scope) -> ActionAnalytics:
        """Action counts of one workspace."""
        reading = self._read(scope, promql.action_parts(scope), INVENTORY)
        return ActionAnalytics(
            total=reading.total(Part.ACTIONS),
            enabled=reading.total(Part.ACTIONS, enabled="true"),
            trigger=reading.total(Part.ACTIONS, kind="trigger"),
            scheduled=reading.total(Part.ACTIONS, kind="scheduled"),
        )

    def app(self, scope: promql.Scope) -> ScopedCounts:
        """Resource counts of one app."""
        return self._detail_counts(scope, APP_DETAIL, str(scope.app_id))

    def namespace(self, scope: promql.Scope) -> ScopedCounts:
        """Resource counts of one namespace."""
        return self._detail_counts(scope, NAMESPACE_DETAIL, str(scope.namespace_id))

    def _detail_counts(
        self, scope: promql.Scope, detail: DetailLevel, resource_id: str
    ) -> ScopedCounts:
        reading = self._read(scope, detail.parts(scope), INVENTORY)
        require_detail(reading, detail.level)
        if not reading.samples(detail.presence):
            raise NotFound(detail.level, resource_id)
        counts = {kind: reading.total(detail.resources, resource=kind) for kind in detail.kinds}
        return ScopedCounts(resource_id, counts)


def require_detail(reading: Reading, level: str) -> None:
    """FeatureDisabled when an exporter has the `level` of detail off (Part.DETAIL read)."""
    assert level in DETAIL_LEVELS
    if reading.by(Part.DETAIL, "level").get(level, 1.0) == 0:
        raise FeatureDisabled(level)
