"""The immutable inventory: what one pass learnt about every workspace, app and namespace.

`summarize` turns the records fetched for one workspace (`WorkspaceListing`) into the counts
the catalogue exports (`WorkspaceInventory`); `InventorySnapshot` holds every workspace of a
pass and is replaced as a whole, never changed in place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

from exporter.platform.api import ActionRecord, AppRecord, SecretRecord, SourceRecord
from vocabulary.catalogue import ACTION_KINDS, RESOURCE_KINDS

WorkspaceKey = tuple[str, str]  # (org_id, workspace_id)
K = TypeVar("K", bound=tuple[str, ...])


def flag(value: bool) -> str:
    """A boolean as the catalogue's label value."""
    return "true" if value else "false"


@dataclass(frozen=True)
class NamespaceInventory:
    """A namespace and its resource counts."""

    namespace_id: str
    app_id: str
    threads: int
    sources: int


@dataclass(frozen=True)
class AppInventory:
    """An app and its resource counts."""

    app_id: str
    augmentations: int
    namespaces: int
    endpoints: int
    releases: int


@dataclass(frozen=True)
class WorkspaceInventory:
    """Every gauge value of one workspace; label tuples map to counts, in a stable order."""

    org_id: str
    workspace_id: str
    collected_at: float
    name: str
    resources: tuple[tuple[str, int], ...]
    sources: tuple[tuple[tuple[str, str, str], int], ...]
    sources_indexed: int
    sources_pending: int
    source_chunks: int
    source_tokens: int
    source_bytes: int
    secrets: tuple[tuple[tuple[str, str], int], ...]
    actions: tuple[tuple[tuple[str, str], int], ...]
    apps: tuple[AppInventory, ...]
    namespaces: tuple[NamespaceInventory, ...]

    @property
    def key(self) -> WorkspaceKey:
        """(org_id, workspace_id)."""
        return (self.org_id, self.workspace_id)


@dataclass(frozen=True)
class NamespaceListing:
    """A namespace as listed under its app, with its thread count."""

    namespace_id: str
    app_id: str
    threads: int


@dataclass(frozen=True)
class WorkspaceListing:
    """The records fetched from the platform for one workspace."""

    org_id: str
    workspace_id: str
    collected_at: float
    apps: tuple[AppRecord, ...] = ()
    augmentation_apps: tuple[str | None, ...] = ()
    namespaces: tuple[NamespaceListing, ...] = ()
    endpoints: Mapping[str, int] = field(default_factory=dict)
    actions: tuple[ActionRecord, ...] = ()
    sources: tuple[SourceRecord, ...] = ()
    secrets: tuple[SecretRecord, ...] = ()
    models: int = 0
    name: str = ""  # the workspace's name on the platform; empty means "use the id"


def _sorted_counts(counter: Mapping[K, int]) -> tuple[tuple[K, int], ...]:
    return tuple(sorted(counter.items()))


def _apps(listing: WorkspaceListing) -> tuple[AppInventory, ...]:
    augmentations = Counter(listing.augmentation_apps)
    namespaces = Counter(namespace.app_id for namespace in listing.namespaces)
    return tuple(
        AppInventory(
            app_id=app.app_id,
            augmentations=augmentations[app.app_id],
            namespaces=namespaces[app.app_id],
            endpoints=listing.endpoints.get(app.app_id, 0),
            releases=app.releases,
        )
        for app in sorted(listing.apps, key=lambda app: app.app_id)
    )


def _namespaces(listing: WorkspaceListing) -> tuple[NamespaceInventory, ...]:
    sources = Counter(source.namespace_id for source in listing.sources)
    return tuple(
        NamespaceInventory(ns.namespace_id, ns.app_id, ns.threads, sources[ns.namespace_id])
        for ns in sorted(listing.namespaces, key=lambda ns: (ns.app_id, ns.namespace_id))
    )


def _actions(actions: Iterable[ActionRecord]) -> tuple[tuple[tuple[str, str], int], ...]:
    # Every kind × enabled pair is present, at 0 when there is none, so sums never go missing.
    counts = Counter((action.kind, flag(action.enabled)) for action in actions)
    pairs = [(kind, enabled) for kind in ACTION_KINDS for enabled in ("false", "true")]
    return tuple((pair, counts[pair]) for pair in pairs)


def summarize(listing: WorkspaceListing) -> WorkspaceInventory:
    """The counts of one workspace, with the meanings of platform-api.md."""
    apps = _apps(listing)
    namespaces = _namespaces(listing)
    resources = {
        "sources": len(listing.sources),
        "augmentations": len(listing.augmentation_apps),
        "endpoints": sum(listing.endpoints.values()),
        "namespaces": len(listing.namespaces),
        "apps": len(listing.apps),
        "threads": sum(namespace.threads for namespace in listing.namespaces),
        "actions": len(listing.actions),
        "secrets": len(listing.secrets),
        "models": listing.models,
    }
    sources = listing.sources
    return WorkspaceInventory(
        org_id=listing.org_id,
        workspace_id=listing.workspace_id,
        collected_at=listing.collected_at,
        name=listing.name or listing.workspace_id,
        resources=tuple((kind, resources[kind]) for kind in RESOURCE_KINDS),
        sources=_sorted_counts(Counter((s.source_type, s.status, s.scope) for s in sources)),
        sources_indexed=sum(1 for source in sources if source.indexed),
        sources_pending=sum(1 for source in sources if source.pending),
        source_chunks=sum(source.chunks for source in sources),
        source_tokens=sum(source.tokens for source in sources),
        source_bytes=sum(source.size_bytes for source in sources),
        secrets=_sorted_counts(Counter((s.secret_type, flag(s.active)) for s in listing.secrets)),
        actions=_actions(listing.actions),
        apps=apps,
        namespaces=namespaces,
    )


@dataclass(frozen=True)
class InventorySnapshot:
    """Every workspace of the last pass; `stale` ones show the values of an earlier pass."""

    workspaces: Mapping[WorkspaceKey, WorkspaceInventory] = field(
        default_factory=lambda: MappingProxyType({})
    )
    stale: frozenset[WorkspaceKey] = frozenset()
    version: int = 0

    @classmethod
    def build(
        cls,
        workspaces: Iterable[WorkspaceInventory],
        stale: Iterable[WorkspaceKey] = (),
        version: int = 0,
    ) -> InventorySnapshot:
        """A snapshot ordered by (org_id, workspace_id)."""
        ordered = sorted(workspaces, key=lambda inventory: inventory.key)
        mapping = MappingProxyType({inventory.key: inventory for inventory in ordered})
        return cls(mapping, frozenset(stale) & frozenset(mapping), version)

    def stale_by_org(self, org_ids: Iterable[str]) -> dict[str, int]:
        """Stale workspaces per org (0 for an org without any)."""
        counts = Counter(org for org, _ in self.stale)
        return {org: counts[org] for org in org_ids}
