"""Reads of platform resources: existence checks and keyset-paged lists in the served shapes."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sandbox.database import COLUMNS
from sandbox.errors import ResourceNotFound


@dataclass(frozen=True)
class Listing:
    """How one resource list is read from its table and served."""

    table: str
    items_key: str
    columns: tuple[str, ...]
    booleans: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()  # left out of the item when NULL
    json_columns: dict[str, str] = field(default_factory=dict)  # name → SQL giving JSON or NULL


def _ids_of(table: str, column: str) -> str:
    return (
        f"(SELECT json_group_array({column}) FROM "  # noqa: S608 - constants only
        f"(SELECT {column} FROM {table} AS inner_t WHERE inner_t.namespace_id = t.namespace_id "
        "ORDER BY inner_t.seq))"
    )


WORKSPACES = Listing(
    "workspaces", "workspaces", COLUMNS["workspaces"], booleans=frozenset({"is_active"})
)
APPS = Listing("apps", "apps", COLUMNS["apps"])
RELEASES = Listing(
    "releases", "releases", ("release_id", "app_id", "version", "status", "created_at")
)
NAMESPACES = Listing(
    "namespaces",
    "namespaces",
    COLUMNS["namespaces"],
    json_columns={
        "thread_ids": _ids_of("threads", "thread_id"),
        "source_ids": _ids_of("sources", "source_id"),
    },
)
THREADS = Listing(
    "threads", "threads", ("thread_id", "namespace_id", "title", "status", "created_at")
)
SOURCES = Listing(
    "sources",
    "sources",
    COLUMNS["sources"],
    booleans=frozenset({"is_indexed"}),
    optional=frozenset({"total_tokens", "size_bytes"}),
)
AUGMENTATIONS = Listing("augmentations", "augmentations", COLUMNS["augmentations"])
ENDPOINTS = Listing("endpoints", "endpoints", COLUMNS["endpoints"])
ACTIONS = Listing("actions", "actions", COLUMNS["actions"], booleans=frozenset({"is_enabled"}))
SECRETS = Listing("secrets", "secrets", COLUMNS["secrets"], booleans=frozenset({"is_active"}))
ENTITLEMENTS = Listing(
    "entitlements", "entitlements", COLUMNS["entitlements"], booleans=frozenset({"enabled"})
)
ACTIVITY = Listing(
    "activity",
    "activities",
    (
        "id",
        "timestamp",
        "workspace_id",
        "app_id",
        "augmentation_id",
        "execution_id",
        "success",
        "status_code",
        "error_code",
        "duration_ms",
    ),
    booleans=frozenset({"success"}),
    json_columns={"token_usage": "t.token_usage"},
)


@dataclass(frozen=True)
class Page:
    """One page of a list: the items, the whole list's size and where the next page starts."""

    total: int
    items: list[dict[str, Any]]
    next_position: list[int] | None
    last_position: list[int] | None = None  # the sort key of the last item served


def _item(listing: Listing, row: sqlite3.Row) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for column in (*listing.columns, *listing.json_columns):
        value = row[column]
        if column in listing.optional and value is None:
            continue
        if column in listing.booleans:
            value = bool(value)
        elif column in listing.json_columns and value is not None:
            value = json.loads(value)
        item[column] = value
    return item


@dataclass(frozen=True)
class Window:
    """Which page to read: at most `limit` items after keyset `position`, ordered by `key`."""

    limit: int
    position: list[int] | None = None
    key: tuple[str, ...] = ("seq",)

    def key_position(self) -> list[int] | None:
        """The position cut or zero-padded to the length of the key."""
        if self.position is None:
            return None
        padding = [0] * (len(self.key) - len(self.position))
        return [*self.position[: len(self.key)], *padding]

    def compare(self, operator: Literal[">", "<="]) -> tuple[str, list[int]]:
        """The SQL condition (and its parameters) comparing items' keys with the position."""
        position = self.key_position()
        if position is None:
            return "", []
        columns = ", ".join(f"t.{k}" for k in self.key)
        marks = ", ".join("?" for _ in self.key)
        return f" AND ({columns}) {operator} ({marks})", position

    def after(self) -> tuple[str, list[int]]:
        """The SQL condition (and its parameters) selecting items after the position."""
        return self.compare(">")


def _select_sql(listing: Listing, where: str, window: Window) -> str:
    selected = [f"t.{column}" for column in (*listing.columns, *window.key) if column != "seq"]
    selected.append("t.seq AS seq")
    selected += [f"{sql} AS {name}" for name, sql in listing.json_columns.items()]
    after, _ = window.after()
    order = ", ".join(f"t.{k}" for k in window.key)
    return (
        f"SELECT {', '.join(selected)} FROM {listing.table} AS t "  # noqa: S608 - constants only
        f"WHERE {where}{after} ORDER BY {order} LIMIT ?"
    )


def _where(conditions: Sequence[tuple[str, Any]]) -> tuple[str, list[Any]]:
    return " AND ".join(["1 = 1", *(sql for sql, _ in conditions)]), [v for _, v in conditions]


def read_page(
    connection: sqlite3.Connection,
    listing: Listing,
    conditions: Sequence[tuple[str, Any]],
    window: Window,
) -> Page:
    """One page of the items matching `conditions`, and their total, in one read transaction."""
    where, params = _where(conditions)
    count_sql = f"SELECT count(*) FROM {listing.table} AS t WHERE {where}"  # noqa: S608
    connection.execute("BEGIN")
    try:
        total = connection.execute(count_sql, params).fetchone()[0]
        rows = connection.execute(
            _select_sql(listing, where, window), [*params, *window.after()[1], window.limit + 1]
        ).fetchall()
    finally:
        connection.execute("COMMIT")
    more = len(rows) > window.limit
    rows = rows[: window.limit]
    last_position = [int(rows[-1][k]) for k in window.key] if rows else None
    next_position = last_position if more else None
    return Page(int(total), [_item(listing, row) for row in rows], next_position, last_position)


def shift_position(
    connection: sqlite3.Connection,
    listing: Listing,
    conditions: Sequence[tuple[str, Any]],
    window: Window,
    steps: int,
) -> list[int] | None:
    """The window's position moved `steps` matching items on (or back, when negative): back past
    the start gives None, on past the end gives the last item's position."""
    if window.position is None or steps == 0:
        return window.position
    where, params = _where(conditions)
    ascending = ", ".join(f"t.{k}" for k in window.key)
    descending = ", ".join(f"t.{k} DESC" for k in window.key)
    compare, position = window.compare(">" if steps > 0 else "<=")
    order, offset = (ascending, steps - 1) if steps > 0 else (descending, -steps)
    sql = (
        f"SELECT {ascending} FROM {listing.table} AS t "  # noqa: S608 - constants only
        f"WHERE {where}{compare} ORDER BY {order} LIMIT 1 OFFSET ?"
    )
    row = connection.execute(sql, [*params, *position, offset]).fetchone()
    if row is None and steps > 0:
        last = (
            f"SELECT {ascending} FROM {listing.table} AS t "  # noqa: S608 - constants only
            f"WHERE {where} ORDER BY {descending} LIMIT 1"
        )
        row = connection.execute(last, params).fetchone()
    if row is None:
        return None if steps < 0 else window.position  # an empty list: nothing to skip
    return [int(value) for value in row]


def require_org(connection: sqlite3.Connection, org_id: str) -> None:
    """ResourceNotFound unless the org exists."""
    if connection.execute("SELECT 1 FROM orgs WHERE org_id = ?", (org_id,)).fetchone() is None:
        raise ResourceNotFound("organization", org_id)


def require_workspace(connection: sqlite3.Connection, org_id: str, workspace_id: str) -> None:
    """ResourceNotFound unless the org exists and holds the (not vanished) workspace."""
    require_org(connection, org_id)
    row = connection.execute(
        "SELECT 1 FROM workspaces WHERE workspace_id = ? AND org_id = ? AND deleted = 0",
        (workspace_id, org_id),
    ).fetchone()
    if row is None:
        raise ResourceNotFound("workspace", workspace_id)


def require_child(
    connection: sqlite3.Connection, kind: str, child_id: str, workspace_id: str
) -> None:
    """ResourceNotFound unless the app or namespace `child_id` belongs to the workspace."""
    table, column = {"app": ("apps", "app_id"), "namespace": ("namespaces", "namespace_id")}[kind]
    row = connection.execute(
        f"SELECT 1 FROM {table} WHERE {column} = ? AND workspace_id = ?",  # noqa: S608
        (child_id, workspace_id),
    ).fetchone()
    if row is None:
        raise ResourceNotFound(kind, child_id)
