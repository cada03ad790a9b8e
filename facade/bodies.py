"""Every JSON body the façade answers with, one pydantic model per shape.

A model both serializes its answer (`model_dump(mode="json")`, keys in field order) and
describes it in `/openapi.json` (`model_json_schema`), so a field added here appears in both.
Field names are the spec's keys; `of` builds a body from what the services answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

from facade import results
from facade.buckets import iso_time
from facade.descriptions import ErrorCode, ErrorDetails, ValidationContext, documented

Count = Annotated[int, Field(ge=0)]
IsoTime = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
ErrorTime = Annotated[
    str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$")
]


class Body(BaseModel):
    """A response body: exactly its fields, all required, never changed once built."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=documented)


class ResourceCounts(Body):
    """The nine resource counts of a workspace."""

    # The spec's keys, in its order; tests check they are the catalogue's RESOURCE_KINDS.
    sources: Count
    augmentations: Count
    endpoints: Count
    namespaces: Count
    apps: Count
    threads: Count
    actions: Count
    secrets: Count
    models: Count


class ExecutionMetrics(Body):
    """Finished executions; success_rate is 0 when there were none."""

    total: Count
    success: Count
    failed: Count
    success_rate: Annotated[float, Field(ge=0, le=1)]

    @classmethod
    def of(cls, value: results.Executions) -> Self:
        """The metrics of an execution total."""
        return cls(
            total=value.total,
            success=value.success,
            failed=value.failed,
            success_rate=value.success_rate,
        )


class WorkspaceAnalytics(Body):
    """A workspace summary; updated_at is the time of the data (last successful collection)."""

    workspace_id: str
    resources: ResourceCounts
    executions: ExecutionMetrics
    updated_at: IsoTime

    @classmethod
    def of(cls, value: results.WorkspaceAnalytics) -> Self:
        """The summary of one workspace."""
        return cls(
            workspace_id=value.workspace_id,
            resources=ResourceCounts(**value.resources),
            executions=ExecutionMetrics.of(value.executions),
            updated_at=iso_time(value.updated_at),
        )


class OrgAnalytics(Body):
    """Sums over the org's workspaces (or the one asked for), then each; updated_at: the oldest."""

    org_id: str
    workspace_count: Count
    resources: ResourceCounts
    executions: ExecutionMetrics
    workspaces: list[WorkspaceAnalytics]
    updated_at: IsoTime

    @classmethod
    def of(cls, value: results.OrgAnalytics) -> Self:
        """The org rollup: sums over its workspaces, then each workspace."""
        return cls(
            org_id=value.org_id,
            workspace_count=len(value.workspaces),
            resources=ResourceCounts(**value.resources),
            executions=ExecutionMetrics.of(value.executions),
            workspaces=[WorkspaceAnalytics.of(item) for item in value.workspaces],
            updated_at=iso_time(value.updated_at),
        )


class Bucket(Body):
    """One bucket: its start and the executions that finished in it."""

    timestamp: IsoTime
    value: Count


class TimeSeries(Body):
    """Executions per bucket, oldest first; the last bucket is the current, partial one."""

    metric: str
    period: results.Period
    data: list[Bucket]

    @classmethod
    def of(cls, value: results.TimeSeries) -> Self:
        """The series, oldest bucket first."""
        pairs = zip(value.labels, value.values, strict=True)
        return cls(
            metric=value.metric,
            period=value.period,
            data=[Bucket(timestamp=label, value=count) for label, count in pairs],
        )


class AppAnalytics(Body):
    """Resource counts of an app."""

    app_id: str
    augmentations: Count
    namespaces: Count
    endpoints: Count
    releases: Count

    @classmethod
    def of(cls, value: results.ScopedCounts) -> Self:
        """The counts of one app."""
        return cls(app_id=value.resource_id, **value.counts)


class NamespaceAnalytics(Body):
    """Resource counts of a namespace."""

    namespace_id: str
    threads: Count
    sources: Count

    @classmethod
    def of(cls, value: results.ScopedCounts) -> Self:
        """The counts of one namespace."""
        return cls(namespace_id=value.resource_id, **value.counts)


class ActionAnalytics(Body):
    """Action counts of a workspace."""

    total_actions: Count
    enabled_actions: Count
    trigger_actions: Count
    scheduled_actions: Count

    @classmethod
    def of(cls, value: results.ActionAnalytics) -> Self:
        """The action counts."""
        return cls(
            total_actions=value.total,
            enabled_actions=value.enabled,
            trigger_actions=value.trigger,
            scheduled_actions=value.scheduled,
        )


class SecretAnalytics(Body):
    """Secret counts of a workspace."""

    total_secrets: Count
    active_secrets: Count
    secrets_by_type: dict[str, Count]

    @classmethod
    def of(cls, value: results.SecretAnalytics) -> Self:
        """The secret counts."""
        return cls(
            total_secrets=value.total,
            active_secrets=value.active,
            secrets_by_type=dict(value.by_type),
        )


class SourceAnalytics(Body):
    """Source counts of a workspace."""

    total_sources: Count
    indexed_sources: Count
    failed_sources: Count
    pending_sources: Count
    total_chunks: Count
    total_tokens: Count
    total_bytes: Count
    workspace_sources: Count
    namespace_sources: Count
    sources_by_type: dict[str, Count]
    sources_by_status: dict[str, Count]

    @classmethod
    def of(cls, value: results.SourceAnalytics) -> Self:
        """The source counts."""
        return cls(
            total_sources=value.total,
            indexed_sources=value.indexed,
            failed_sources=value.failed,
            pending_sources=value.pending,
            total_chunks=value.chunks,
            total_tokens=value.tokens,
            total_bytes=value.size_bytes,
            workspace_sources=value.workspace_scoped,
            namespace_sources=value.namespace_scoped,
            sources_by_type=dict(value.by_type),
            sources_by_status=dict(value.by_status),
        )


class Status(Body):
    """A health or readiness status."""

    status: str


class ErrorResponse(Body):
    """The error envelope; timestamp is UTC."""

    error: ErrorCode | str  # any code of ErrorCode, or one added later
    message: str
    details: ErrorDetails
    timestamp: ErrorTime
    status_code: int


class ValidationErrorItem(Body):
    """One invalid parameter."""

    loc: list[str | int]
    msg: str
    type: str
    input: Any
    ctx: ValidationContext


class HTTPValidationError(Body):
    """Request validation failed."""

    detail: list[ValidationErrorItem]

    @classmethod
    def of(cls, items: Sequence[Any]) -> Self:
        """The 422 body listing `items` (mappings in the ValidationErrorItem shape)."""
        return cls(detail=[ValidationErrorItem.model_validate(item) for item in items])
