"""Every assumption the exporter makes about the MechaMental platform API, in one place.

Paths, items keys, page limits, envelope keys and the fields read from each item, as listed
in platform-api.md. Those marked ASSUMED are not in the platform's public reference (endpoints
and secrets lists, `total_tokens`/`size_bytes` on sources, the shape of a 404's details, the
activity ordering): when the platform turns out different, change this module only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from exporter.platform.details import NO_DETAILS, ExecutionDetails, execution_details
from vocabulary.ids import path_segment

# The list envelope and the error envelope.
TOTAL_KEY = "total"
HAS_MORE_KEY = "has_more"
NEXT_CURSOR_KEY = "next_cursor"
LIMIT_PARAM = "limit"
CURSOR_PARAM = "cursor"
ERROR_DETAILS_KEY = "details"
RETRY_AFTER_DETAIL = "retry_after"
RESOURCE_TYPE_DETAIL = "resource_type"
RESOURCE_ID_DETAIL = "resource_id"
WORKSPACE_RESOURCE_TYPE = "workspace"  # ASSUMED: the resource_type of a missing workspace
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


class RecordError(ValueError):
    """An item lacks a field the exporter relies on, or the field has the wrong type."""


@dataclass(frozen=True)
class Endpoint:
    """One list endpoint: path template (also its metrics label), items key, the field that
    identifies an item (how repeated items are recognised) and maximum limit."""

    template: str
    items_key: str
    id_key: str
    max_limit: int = 200

    def path(self, **ids: str) -> str:
        """The concrete path, each id percent-encoded."""
        return self.template.format(**{key: path_segment(value) for key, value in ids.items()})


WS_PATH = "/v1/orgs/{org_id}/workspaces/{workspace_id}"
APP_PATH = WS_PATH + "/apps/{app_id}"
WORKSPACES = Endpoint("/v1/orgs/{org_id}/workspaces", "workspaces", "workspace_id")
APPS = Endpoint(WS_PATH + "/apps", "apps", "app_id")
# Org-level path with a trailing slash; `workspace_id` is a required query parameter.
AUGMENTATIONS = Endpoint("/v1/orgs/{org_id}/augmentations/", "augmentations", "id")
NAMESPACES = Endpoint(APP_PATH + "/namespaces", "namespaces", "namespace_id")
SOURCES = Endpoint(WS_PATH + "/sources", "sources", "source_id")
# Threads hang off the namespace without the app in the path.
THREADS = Endpoint(WS_PATH + "/namespaces/{namespace_id}/threads", "threads", "thread_id")
ACTIONS = Endpoint(APP_PATH + "/actions", "actions", "action_id")
MODEL_ENTITLEMENTS = Endpoint(
    WS_PATH + "/model-entitlements", "entitlements", "entitlement_id", max_limit=100
)
ENDPOINTS = Endpoint(APP_PATH + "/endpoints", "endpoints", "endpoint_id")  # ASSUMED
SECRETS = Endpoint(WS_PATH + "/secrets", "secrets", "secret_id")  # ASSUMED
# Records ordered by (timestamp, id) ascending; start_time inclusive, end_time exclusive.
ACTIVITY = Endpoint("/v1/orgs/{org_id}/activity", "activities", "id")
AUGMENTATION_WORKSPACE_PARAM = "workspace_id"
ACTIVITY_START_PARAM = "start_time"
ACTIVITY_END_PARAM = "end_time"

# "Meanings we adopt" of platform-api.md.
SCHEDULED_TYPES = frozenset({"cron", "one_time"})
FAILED_STATUS = "failed"


@dataclass(frozen=True)
class WorkspaceRecord:
    """A workspace and the name people know it by (its id when the platform gives none)."""

    workspace_id: str
    name: str


@dataclass(frozen=True)
class AppRecord:
    """An app and its release count."""

    app_id: str
    releases: int


@dataclass(frozen=True)
class SourceRecord:
    """A source with the fields the analytics need."""

    source_type: str
    status: str
    scope: str
    namespace_id: str | None
    indexed: bool
    chunks: int
    tokens: int
    size_bytes: int

    @property
    def failed(self) -> bool:
        """Processing failed."""
        return self.status == FAILED_STATUS

    @property
    def pending(self) -> bool:
        """Neither indexed nor failed."""
        return not self.indexed and not self.failed


@dataclass(frozen=True)
class ActionRecord:
    """An action, classified as trigger or scheduled."""

    kind: str
    enabled: bool


@dataclass(frozen=True)
class SecretRecord:
    """A secret's type and whether it is active."""

    secret_type: str
    active: bool


@dataclass(frozen=True)
class ExecutionRecord:
    """An activity record that is one finished execution."""

    record_id: str
    micros: int
    workspace_id: str
    failed: bool
    details: ExecutionDetails = NO_DETAILS


def _field(item: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if not isinstance(item, Mapping):
        raise RecordError(f"item is a {type(item).__name__}, not an object")
    value = item.get(key)
    # bool is an int subclass; a count must never be a boolean.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise RecordError(f"field {key!r} is {value!r}, expected {getattr(kind, '__name__', kind)}")
    return value


def _optional_count(item: Mapping[str, Any], key: str) -> int:
    value = item.get(key)
    return 0 if value is None else int(_field(item, key, int))


def item_id(item: Any, key: str) -> str:
    """The identity of a list item (a string or integer field), as a string."""
    return str(_field(item, key, (str, int)))


def parse_time(text: Any) -> int:
    """Microseconds since the epoch of an ISO-8601 item timestamp; a zone-less time is UTC."""
    if not isinstance(text, str):
        raise RecordError(f"timestamp {text!r} is not a string")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RecordError(f"timestamp {text!r} is not ISO-8601") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // MICROSECOND


def format_time(micros: int) -> str:
    """An ISO-8601 UTC query time with microseconds and `Z`, exactly `micros` after the epoch."""
    return (EPOCH + micros * MICROSECOND).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def workspace_id(item: Mapping[str, Any]) -> str:
    """The id of a workspaces-list item."""
    return str(_field(item, "workspace_id", str))


def workspace_record(item: Mapping[str, Any]) -> WorkspaceRecord:
    """A workspaces-list item; a missing, empty or non-string `name` gives the id instead, so
    every workspace has a name to show and dashboards never show a blank one."""
    ws_id = workspace_id(item)
    name = item.get("name")
    return WorkspaceRecord(ws_id, name if isinstance(name, str) and name.strip() else ws_id)


def app_record(item: Mapping[str, Any]) -> AppRecord:
    """An apps-list item; `total_releases` gives the releases without listing them."""
    return AppRecord(_field(item, "app_id", str), _optional_count(item, "total_releases"))


def augmentation_app(item: Mapping[str, Any]) -> str | None:
    """The app an augmentation belongs to (its own id field is `id`, not `augmentation_id`)."""
    _field(item, "id", str)
    app = item.get("app_id")
    return app if isinstance(app, str) else None


def namespace_id(item: Mapping[str, Any]) -> str:
    """The id of a namespaces-list item (its app is the one in the path)."""
    return str(_field(item, "namespace_id", str))


def source_record(item: Mapping[str, Any]) -> SourceRecord:
    """A sources-list item; absent `total_tokens`/`size_bytes` count as 0."""
    namespace = item.get("namespace_id") if isinstance(item, Mapping) else None
    return SourceRecord(
        source_type=_field(item, "source_type", str),
        status=_field(item, "processing_status", str),
        scope=_field(item, "source_scope", str),
        namespace_id=namespace if isinstance(namespace, str) else None,
        indexed=_field(item, "is_indexed", bool),
        chunks=_optional_count(item, "total_chunks"),
        tokens=_optional_count(item, "total_tokens"),
        size_bytes=_optional_count(item, "size_bytes"),
    )


def action_record(item: Mapping[str, Any]) -> ActionRecord:
    """An actions-list item: scheduled when cron/one_time, trigger otherwise."""
    schedule = item.get("schedule_type") if isinstance(item, Mapping) else None
    kind = "scheduled" if schedule in SCHEDULED_TYPES else "trigger"
    return ActionRecord(kind, _field(item, "is_enabled", bool))


def secret_record(item: Mapping[str, Any]) -> SecretRecord:
    """A secrets-list item."""
    return SecretRecord(_field(item, "secret_type", str), _field(item, "is_active", bool))


def execution_record(item: Mapping[str, Any]) -> ExecutionRecord | None:
    """An activity item as an execution, or None for a plain API call (no `execution_id`)."""
    if _field(item, "execution_id", (str, int, type(None))) is None:
        return None
    record_id = str(_field(item, "id", (str, int)))
    return ExecutionRecord(
        record_id=record_id,
        micros=parse_time(item.get("timestamp")),
        workspace_id=_field(item, "workspace_id", str),
        failed=_field(item, "success", bool) is False,
        details=execution_details(item, record_id),
    )


def not_found_names_workspace(details: Mapping[str, Any], workspace: str) -> bool:
    """Whether a 404's details say the workspace itself is gone (not one of its children)."""
    return (
        details.get(RESOURCE_TYPE_DETAIL) == WORKSPACE_RESOURCE_TYPE
        or details.get(RESOURCE_ID_DETAIL) == workspace
    )
