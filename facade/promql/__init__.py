"""Every PromQL expression the façade sends, built here and nowhere else.

Ids must match `ID_PATTERN` before they reach this module (the views validate them) and are
checked again here; every label value is escaped as a PromQL string on top of that, so no
request text can change the structure of a query. Label matchers are equality matchers only:
a `.` in an id is a dot, never a regular expression.

Every aggregation keeps only the labels it names (`max by (workspace_id) (...)`), which drops
`job` and `instance`: two scrapes of the same exporter must not double a count. Several
expressions are sent as one query, each tagged with a `mm_part` label (see `tagged`) whose
value is a `Part`: the builders here and the readers of the answers use the same names. The
reads of counters at bucket boundaries are built in `facade.promql.counters`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from vocabulary import catalogue as cat
from vocabulary import ids

ID_PATTERN = ids.ID_PATTERN  # the grammar of `vocabulary.ids`, re-exported for the façade
PART_LABEL = "mm_part"
# How far back the value of a counter is looked for when a bucket's own window holds no sample
# before the first boundary; longer than any retention the stack configures.
MAX_LOOKBACK_SECONDS = 400 * 86400
# How long a stopped exporter still owns its orgs: they answer 503 (stale) for this long, then
# 404 like an org no exporter covers.
OWNER_LOOKBACK = "1d"
OWNER_LABEL = "mm_owner"  # on a freshness result: whether its exporter is scraped now

_ID = ids.ID_REGEX


class UnsafeIdError(ValueError):
    """An id reached the query builder without matching the id pattern."""


def checked_id(value: str) -> str:
    """`value` if it matches the id pattern, else UnsafeIdError."""
    if not _ID.fullmatch(value):
        raise UnsafeIdError(f"not a valid id: {value!r}")
    return value


def escape_label_value(value: str) -> str:
    """`value` as the body of a double-quoted PromQL string."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def duration(seconds: float) -> str:
    """A PromQL duration in whole milliseconds (at least 1 ms)."""
    return f"{max(1, round(seconds * 1000))}ms"


@dataclass(frozen=True)
class Scope:
    """Which org, workspace, app or namespace a query is about (None: all of that level)."""

    org_id: str
    workspace_id: str | None = None
    app_id: str | None = None
    namespace_id: str | None = None

    def matchers(self) -> str:
        """The `{...}` label matchers of this scope."""
        labels = {
            "org_id": self.org_id,
            "workspace_id": self.workspace_id,
            "app_id": self.app_id,
            "namespace_id": self.namespace_id,
        }
        pairs = [
            f'{name}="{escape_label_value(checked_id(value))}"'
            for name, value in labels.items()
            if value is not None
        ]
        return "{" + ",".join(pairs) + "}"

    @property
    def org(self) -> Scope:
        """The whole org of this scope."""
        return Scope(self.org_id)

    @property
    def workspace(self) -> Scope:
        """The workspace of this scope, without app or namespace."""
        return Scope(self.org_id, self.workspace_id)


def selector(family: cat.Family, scope: Scope) -> str:
    """The series of one catalogue family within a scope."""
    return family.sample_name + scope.matchers()


def per_workspace(family: cat.Family, scope: Scope, *labels: str) -> str:
    """The family's value per workspace (and per `labels`), scrapes de-duplicated."""
    return f"max by ({', '.join(('workspace_id', *labels))}) ({selector(family, scope)})"


class Part(StrEnum):
    """The name a tagged expression carries in `mm_part`, and its readers look it up by."""

    ORG = "org"
    WORKSPACE = "workspace"
    RESOURCES = "resources"
    EXECUTIONS = "executions"
    FAILED = "failed"
    HISTORY = "history"
    FAILED_HISTORY = "failed_history"
    COLLECTED = "collected"
    FRESHNESS = "freshness"
    SOURCES = "sources"
    INDEXED = "indexed"
    PENDING = "pending"
    CHUNKS = "chunks"
    TOKENS = "tokens"
    BYTES = "bytes"
    SECRETS = "secrets"
    ACTIONS = "actions"
    DETAIL = "detail"
    APP = "app"
    APP_RESOURCES = "app_resources"
    NAMESPACE = "namespace"
    NAMESPACE_RESOURCES = "namespace_resources"
    COUNTER_VALUE = "value"
    COUNTER_RESETS = "resets"
    COUNTER_RESETS_REACH = "resets_reach"
    COUNTER_MIN = "min"
    COUNTER_SEEN = "seen"


Parts = dict[Part, str]


def tagged(parts: Mapping[Part, str]) -> str:
    """Several expressions as one query; each result carries its part's name in `mm_part`."""
    return " or ".join(
        f'label_replace({expression}, "{PART_LABEL}", "{name}", "", "")'
        for name, expression in parts.items()
    )


def org_exists(scope: Scope) -> str:
    """Non-empty when the org has at least one workspace."""
    return f"max by (org_id) ({selector(cat.WORKSPACE_INFO, scope.org)})"


def collector_freshness(scope: Scope) -> str:
    """Last successful run of each collector of the exporters that own the scope's org.

    An exporter lists the orgs it owns in `stale_workspaces` (one series per org, 0 when none
    is stale), so the join costs no series of its own; of several owners (a new shard layout, a
    replica) the latest success counts. An owner scraped now gives `OWNER_LABEL="present"`. One
    that owned the org within `OWNER_LOOKBACK` and is not scraped now (stopped: its series, the
    org's workspaces included, are gone) gives its last success with `OWNER_LABEL="gone"`, to be
    refused as stale however recent. An org no exporter owned falls back to the oldest collector
    of all exporters, so it is judged, then found unknown, as before sharding.
    """
    now = selector(cat.STALE_WORKSPACES, scope.org)
    before = f"last_over_time({now}[{OWNER_LOOKBACK}])"
    last = cat.COLLECTOR_LAST_SUCCESS.sample_name
    # Matched on every target label (job, instance, and any other) but the families' own.
    present = _owner(
        "present", f"max by (collector) ({last} and ignoring (collector, org_id) {now})"
    )
    gone = _owner(
        "gone",
        f"max by (collector) (last_over_time({last}[{OWNER_LOOKBACK}])"
        f" and ignoring (collector, org_id) {before})",
    )
    everyone = f"min by (collector) ({last}) unless on () {before}"
    return f"{present} or ({gone} unless on (collector) {present}) or ({everyone})"


def _owner(state: str, expression: str) -> str:
    return f'label_replace({expression}, "{OWNER_LABEL}", "{state}", "", "")'


def detail_levels() -> str:
    """Whether per-app and per-namespace families are exported (0 if any exporter has them off)."""
    return f"min by (level) ({cat.DETAIL_ENABLED.sample_name})"


def workspace_parts(scope: Scope) -> Parts:
    """Existence, resources, executions and collection time of the workspaces of a scope."""
    return {
        Part.ORG: org_exists(scope),
        Part.WORKSPACE: per_workspace(cat.WORKSPACE_INFO, scope),
        Part.RESOURCES: per_workspace(cat.WORKSPACE_RESOURCES, scope, "resource"),
        Part.EXECUTIONS: per_workspace(cat.EXECUTIONS, scope),
        Part.FAILED: per_workspace(cat.EXECUTIONS_FAILED, scope),
        Part.HISTORY: per_workspace(cat.EXECUTIONS_HISTORY, scope),
        Part.FAILED_HISTORY: per_workspace(cat.EXECUTIONS_FAILED_HISTORY, scope),
        Part.COLLECTED: per_workspace(cat.WORKSPACE_COLLECTED, scope),
        Part.FRESHNESS: collector_freshness(scope),
    }


def existence_parts(scope: Scope) -> Parts:
    """Whether the org and workspace exist, and how fresh the exporter's data is."""
    return {
        Part.ORG: org_exists(scope),
        Part.WORKSPACE: per_workspace(cat.WORKSPACE_INFO, scope.workspace),
        Part.FRESHNESS: collector_freshness(scope),
    }


def source_parts(scope: Scope) -> Parts:
    """The source families of a workspace."""
    return {
        Part.SOURCES: per_workspace(cat.SOURCES, scope, "source_type", "status", "scope"),
        Part.INDEXED: per_workspace(cat.SOURCES_INDEXED, scope),
        Part.PENDING: per_workspace(cat.SOURCES_PENDING, scope),
        Part.CHUNKS: per_workspace(cat.SOURCE_CHUNKS, scope),
        Part.TOKENS: per_workspace(cat.SOURCE_TOKENS, scope),
        Part.BYTES: per_workspace(cat.SOURCE_BYTES, scope),
    }


def secret_parts(scope: Scope) -> Parts:
    """Secrets of a workspace by type and activity."""
    return {Part.SECRETS: per_workspace(cat.SECRETS, scope, "secret_type", "active")}


def action_parts(scope: Scope) -> Parts:
    """Actions of a workspace by kind and whether enabled."""
    return {Part.ACTIONS: per_workspace(cat.ACTIONS, scope, "kind", "enabled")}


def app_parts(scope: Scope) -> Parts:
    """Existence and resources of one app."""
    return {
        Part.DETAIL: detail_levels(),
        Part.APP: per_workspace(cat.APP_INFO, scope, "app_id"),
        Part.APP_RESOURCES: per_workspace(cat.APP_RESOURCES, scope, "app_id", "resource"),
    }


def namespace_parts(scope: Scope) -> Parts:
    """Existence and resources of one namespace (summed over the apps that hold it)."""
    return {
        Part.DETAIL: detail_levels(),
        Part.NAMESPACE: per_workspace(cat.NAMESPACE_INFO, scope, "app_id", "namespace_id"),
        Part.NAMESPACE_RESOURCES: per_workspace(
            cat.NAMESPACE_RESOURCES, scope, "app_id", "namespace_id", "resource"
        ),
    }


def ping() -> str:
    """The cheapest query that proves the query API answers."""
    return "vector(1)"
