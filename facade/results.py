"""What the analytics services answer, before `facade.bodies` shapes it as the spec's JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Period = Literal["hourly", "daily", "weekly", "monthly"]


@dataclass(frozen=True)
class Executions:
    """Finished executions of a workspace (or an org) and how many failed."""

    total: int
    failed: int

    @property
    def success(self) -> int:
        """Executions that did not fail."""
        return max(0, self.total - self.failed)

    @property
    def success_rate(self) -> float:
        """Successful share in [0, 1]; 0 when there were no executions."""
        return self.success / self.total if self.total > 0 else 0.0

    def __add__(self, other: Executions) -> Executions:
        return Executions(self.total + other.total, self.failed + other.failed)


@dataclass(frozen=True)
class WorkspaceAnalytics:
    """A workspace summary: resource counts, executions, time of the data."""

    workspace_id: str
    resources: Mapping[str, int]
    executions: Executions
    updated_at: float


@dataclass(frozen=True)
class OrgAnalytics:
    """The org rollup: every (or one) workspace of the org."""

    org_id: str
    workspaces: tuple[WorkspaceAnalytics, ...]

    @property
    def resources(self) -> dict[str, int]:
        """Each resource count summed over the workspaces."""
        kinds = self.workspaces[0].resources.keys() if self.workspaces else ()
        return {kind: sum(item.resources[kind] for item in self.workspaces) for kind in kinds}

    @property
    def executions(self) -> Executions:
        """The executions of every workspace."""
        return sum((item.executions for item in self.workspaces), Executions(0, 0))

    @property
    def updated_at(self) -> float:
        """The oldest collection time among the workspaces."""
        # The rollup is as current as its least recently collected workspace.
        return min(item.updated_at for item in self.workspaces)


@dataclass(frozen=True)
class SourceAnalytics:
    """Source counts of a workspace."""

    total: int
    indexed: int
    failed: int
    pending: int
    chunks: int
    tokens: int
    size_bytes: int
    workspace_scoped: int
    namespace_scoped: int
    by_type: Mapping[str, int]
    by_status: Mapping[str, int]


@dataclass(frozen=True)
class SecretAnalytics:
    """Secret counts of a workspace."""

    total: int
    active: int
    by_type: Mapping[str, int]


@dataclass(frozen=True)
class ActionAnalytics:
    """Action counts of a workspace."""

    total: int
    enabled: int
    trigger: int
    scheduled: int


@dataclass(frozen=True)
class ScopedCounts:
    """Resource counts of one app or namespace."""

    resource_id: str
    counts: Mapping[str, int]


@dataclass(frozen=True)
class TimeSeries:
    """Executions per bucket, labelled by bucket start, oldest first."""

    metric: str
    period: Period
    labels: tuple[str, ...]
    values: tuple[int, ...]


@dataclass(frozen=True)
class Latency:
    """Executions with a duration and their quantiles in ms (None: no executions)."""

    count: int
    quantiles: Mapping[str, float | None]


@dataclass(frozen=True)
class LatencySeries:
    """Latency over the whole window, then per bucket labelled by its start, oldest first."""

    period: Period
    window: Latency
    labels: tuple[str, ...]
    buckets: tuple[Latency, ...]


@dataclass(frozen=True)
class TokenSeries:
    """Tokens per kind in each day, labelled by its start, oldest first."""

    labels: tuple[str, ...]
    by_kind: tuple[Mapping[str, int], ...]


@dataclass(frozen=True)
class AppSeries:
    """One app's executions per day, and the window's executions of each of its pipelines."""

    app_id: str
    labels: tuple[str, ...]
    buckets: tuple[Executions, ...]
    pipelines: Mapping[str, Executions]


@dataclass(frozen=True)
class FailureCodes:
    """Failed executions per error code over the window (codes with none left out)."""

    counts: Mapping[str, int]
