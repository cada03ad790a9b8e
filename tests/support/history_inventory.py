"""The inventory behind the history's gauges: sources, secrets, actions, apps and namespaces.

Each workspace's inventory is drawn from a generator seeded by its id, so the backfill and the
expected answers of the tests build the same objects independently.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from tests.support.history import SEED, Profile
from vocabulary.catalogue import RESOURCE_KINDS

SOURCE_TYPES = ("pdf", "docx", "txt", "md", "csv", "json", "image")
SOURCE_STATUSES = ("created", "processing", "completed", "failed")
SECRET_TYPES = ("api_key", "oauth_token", "password", "certificate")


@dataclass(frozen=True)
class Source:
    """One source: what the exporter reads of it."""

    source_type: str
    status: str
    namespace_id: str | None
    indexed: bool
    chunks: int
    tokens: int
    size_bytes: int

    @property
    def scope(self) -> str:
        """`namespace` for a namespace's source, `workspace` otherwise."""
        return "workspace" if self.namespace_id is None else "namespace"


@dataclass(frozen=True)
class Namespace:
    """A namespace of an app."""

    namespace_id: str
    threads: int


@dataclass(frozen=True)
class App:
    """An app of a workspace and its directly counted resources."""

    app_id: str
    augmentations: int
    endpoints: int
    releases: int
    namespaces: tuple[Namespace, ...]


@dataclass(frozen=True)
class Inventory:
    """Everything the inventory collection of one workspace reports."""

    sources: tuple[Source, ...]
    secrets: tuple[tuple[str, bool], ...]  # (secret_type, active)
    actions: tuple[tuple[str, bool], ...]  # (kind, enabled)
    apps: tuple[App, ...]
    models: int
    collection_lag: int  # seconds between a scrape and the workspace's last collection

    def resources(self) -> dict[str, int]:
        """The nine resource counts of the workspace summary."""
        namespaces = [ns for app in self.apps for ns in app.namespaces]
        counts = {
            "sources": len(self.sources),
            "augmentations": sum(app.augmentations for app in self.apps),
            "endpoints": sum(app.endpoints for app in self.apps),
            "namespaces": len(namespaces),
            "apps": len(self.apps),
            "threads": sum(ns.threads for ns in namespaces),
            "actions": len(self.actions),
            "secrets": len(self.secrets),
            "models": self.models,
        }
        assert tuple(counts) == RESOURCE_KINDS
        return counts

    def namespace_sources(self, namespace_id: str) -> int:
        """Sources scoped to one namespace."""
        return sum(1 for source in self.sources if source.namespace_id == namespace_id)


def _source(rng: random.Random, namespace_ids: list[str]) -> Source:
    status = rng.choice(SOURCE_STATUSES)
    indexed = status == "completed" and rng.random() < 0.9
    chunks = rng.randint(1, 400) if indexed else 0
    return Source(
        source_type=rng.choice(SOURCE_TYPES),
        status=status,
        namespace_id=rng.choice(namespace_ids) if namespace_ids and rng.random() < 0.4 else None,
        indexed=indexed,
        chunks=chunks,
        tokens=chunks * rng.randint(100, 900),
        size_bytes=rng.randint(1_000, 50_000_000),
    )


def _apps(rng: random.Random) -> tuple[App, ...]:
    apps = []
    namespace_number = 0
    for app_number in range(1, rng.randint(0, 4) + 1):
        namespaces = []
        for _ in range(rng.randint(0, 3)):
            namespace_number += 1
            namespaces.append(Namespace(f"ns-{namespace_number:02d}", rng.randint(0, 40)))
        apps.append(
            App(
                app_id=f"app-{app_number:02d}",
                augmentations=rng.randint(0, 6),
                endpoints=rng.randint(0, 5),
                releases=rng.randint(0, 12),
                namespaces=tuple(namespaces),
            )
        )
    return tuple(apps)


def inventory(profile: Profile) -> Inventory:
    """The inventory of one workspace (the workspace without executions has none at all)."""
    rng = random.Random(f"{SEED}:inventory:{profile.workspace_id}")
    if profile.rate_per_hour <= 0:
        return Inventory((), (), (), (), 0, rng.randint(5, 50))
    apps = _apps(rng)
    namespace_ids = [ns.namespace_id for app in apps for ns in app.namespaces]
    return Inventory(
        sources=tuple(_source(rng, namespace_ids) for _ in range(rng.randint(0, 30))),
        secrets=tuple(
            (rng.choice(SECRET_TYPES), rng.random() < 0.7) for _ in range(rng.randint(0, 8))
        ),
        actions=tuple(
            (rng.choice(("trigger", "scheduled")), rng.random() < 0.6)
            for _ in range(rng.randint(0, 10))
        ),
        apps=apps,
        models=rng.randint(0, 5),
        collection_lag=rng.randint(5, 50),
    )
