"""The sandbox's SQLite database: schema, connections (WAL, one per thread) and first seeding."""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orgs (
    seq INTEGER PRIMARY KEY, org_id TEXT UNIQUE NOT NULL, name TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS workspaces (
    seq INTEGER PRIMARY KEY, workspace_id TEXT UNIQUE NOT NULL, org_id TEXT NOT NULL,
    name TEXT NOT NULL, description TEXT NOT NULL, is_active INTEGER NOT NULL,
    region TEXT NOT NULL, created_at TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS workspaces_org ON workspaces (org_id, deleted, seq);
CREATE TABLE IF NOT EXISTS apps (
    seq INTEGER PRIMARY KEY, app_id TEXT UNIQUE NOT NULL, workspace_id TEXT NOT NULL,
    name TEXT NOT NULL, total_releases INTEGER NOT NULL, active_release_id TEXT,
    created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS apps_ws ON apps (workspace_id, seq);
CREATE TABLE IF NOT EXISTS releases (
    seq INTEGER PRIMARY KEY, release_id TEXT UNIQUE NOT NULL, app_id TEXT NOT NULL,
    workspace_id TEXT NOT NULL, version TEXT NOT NULL, status TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS releases_app ON releases (app_id, seq);
CREATE TABLE IF NOT EXISTS namespaces (
    seq INTEGER PRIMARY KEY, namespace_id TEXT UNIQUE NOT NULL, app_id TEXT NOT NULL,
    workspace_id TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS namespaces_app ON namespaces (app_id, seq);
CREATE INDEX IF NOT EXISTS namespaces_ws ON namespaces (workspace_id, seq);
CREATE TABLE IF NOT EXISTS threads (
    seq INTEGER PRIMARY KEY, thread_id TEXT UNIQUE NOT NULL, namespace_id TEXT NOT NULL,
    workspace_id TEXT NOT NULL, title TEXT NOT NULL, status TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS threads_ns ON threads (namespace_id, seq);
CREATE TABLE IF NOT EXISTS sources (
    seq INTEGER PRIMARY KEY, source_id TEXT UNIQUE NOT NULL, workspace_id TEXT NOT NULL,
    namespace_id TEXT, source_scope TEXT NOT NULL, source_type TEXT NOT NULL,
    name TEXT NOT NULL, processing_status TEXT NOT NULL, is_indexed INTEGER NOT NULL,
    total_chunks INTEGER NOT NULL, total_tokens INTEGER, size_bytes INTEGER,
    created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sources_ws ON sources (workspace_id, seq);
CREATE INDEX IF NOT EXISTS sources_ns ON sources (namespace_id, seq);
CREATE TABLE IF NOT EXISTS augmentations (
    seq INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, workspace_id TEXT NOT NULL,
    app_id TEXT NOT NULL, name TEXT NOT NULL, augmentation_type TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS augmentations_ws ON augmentations (workspace_id, app_id, seq);
CREATE TABLE IF NOT EXISTS endpoints (
    seq INTEGER PRIMARY KEY, endpoint_id TEXT UNIQUE NOT NULL, app_id TEXT NOT NULL,
    workspace_id TEXT NOT NULL, path TEXT NOT NULL, method TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS endpoints_app ON endpoints (app_id, seq);
CREATE TABLE IF NOT EXISTS actions (
    seq INTEGER PRIMARY KEY, action_id TEXT UNIQUE NOT NULL, app_id TEXT NOT NULL,
    workspace_id TEXT NOT NULL, name TEXT NOT NULL, action_type TEXT NOT NULL,
    schedule_type TEXT NOT NULL, is_enabled INTEGER NOT NULL, total_runs INTEGER NOT NULL,
    successful_runs INTEGER NOT NULL, failed_runs INTEGER NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS actions_app ON actions (app_id, seq);
CREATE TABLE IF NOT EXISTS secrets (
    seq INTEGER PRIMARY KEY, secret_id TEXT UNIQUE NOT NULL, workspace_id TEXT NOT NULL,
    name TEXT NOT NULL, secret_type TEXT NOT NULL, is_active INTEGER NOT NULL,
    created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS secrets_ws ON secrets (workspace_id, seq);
CREATE TABLE IF NOT EXISTS entitlements (
    seq INTEGER PRIMARY KEY, entitlement_id TEXT UNIQUE NOT NULL, workspace_id TEXT NOT NULL,
    logical_model_id TEXT NOT NULL, enabled INTEGER NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS entitlements_ws ON entitlements (workspace_id, seq);
CREATE TABLE IF NOT EXISTS activity (
    seq INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, ts_us INTEGER NOT NULL,
    written_us INTEGER NOT NULL DEFAULT 0, timestamp TEXT NOT NULL, org_id TEXT NOT NULL,
    workspace_id TEXT NOT NULL, app_id TEXT, execution_id TEXT, success INTEGER NOT NULL,
    status_code INTEGER NOT NULL, duration_ms INTEGER NOT NULL, augmentation_id TEXT,
    error_code TEXT, token_usage TEXT);
CREATE INDEX IF NOT EXISTS activity_org_time ON activity (org_id, ts_us, seq);
CREATE INDEX IF NOT EXISTS activity_ws ON activity (workspace_id, execution_id, success);
"""

# The columns the generator writes, per table; lists that serve a whole row read the same.
COLUMNS: dict[str, tuple[str, ...]] = {
    "orgs": ("org_id", "name", "created_at"),
    "workspaces": (
        "workspace_id",
        "org_id",
        "name",
        "description",
        "is_active",
        "region",
        "created_at",
    ),
    "apps": ("app_id", "workspace_id", "name", "total_releases", "active_release_id", "created_at"),
    "releases": ("release_id", "app_id", "workspace_id", "version", "status", "created_at"),
    "namespaces": ("namespace_id", "app_id", "workspace_id", "name", "status", "created_at"),
    "threads": ("thread_id", "namespace_id", "workspace_id", "title", "status", "created_at"),
    "sources": (
        "source_id",
        "workspace_id",
        "namespace_id",
        "source_scope",
        "source_type",
        "name",
        "processing_status",
        "is_indexed",
        "total_chunks",
        "total_tokens",
        "size_bytes",
        "created_at",
    ),
    "augmentations": ("id", "workspace_id", "app_id", "name", "augmentation_type", "created_at"),
    "endpoints": ("endpoint_id", "app_id", "workspace_id", "path", "method", "created_at"),
    "actions": (
        "action_id",
        "app_id",
        "workspace_id",
        "name",
        "action_type",
        "schedule_type",
        "is_enabled",
        "total_runs",
        "successful_runs",
        "failed_runs",
        "created_at",
    ),
    "secrets": ("secret_id", "workspace_id", "name", "secret_type", "is_active", "created_at"),
    "entitlements": ("entitlement_id", "workspace_id", "logical_model_id", "enabled", "created_at"),
    "meta": ("key", "value"),
}

# Columns of `activity` added after its first version (`token_usage` holds a JSON object).
DETAIL_COLUMNS = ("augmentation_id", "error_code", "token_usage")
# Tables the generator fills, in insertion order; `--reset` empties them all.
DATA_TABLES = (
    "orgs",
    "workspaces",
    "apps",
    "releases",
    "namespaces",
    "threads",
    "sources",
    "augmentations",
    "endpoints",
    "actions",
    "secrets",
    "entitlements",
    "activity",
    "meta",
)


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, rows by name."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=30.0)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


def create_schema(connection: sqlite3.Connection) -> None:
    """Create every table and index that does not exist yet."""
    connection.executescript(SCHEMA)
    columns = {row["name"] for row in connection.execute("PRAGMA table_info(activity)")}
    if "written_us" not in columns:
        # A database from before records could be written late: each was written on time.
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ALTER TABLE activity ADD COLUMN written_us INTEGER NOT NULL DEFAULT 0")
        connection.execute("UPDATE activity SET written_us = ts_us")
        connection.execute("COMMIT")
    for column in DETAIL_COLUMNS:
        if column not in columns:
            # A database from before records carried details: none of its records has them.
            connection.execute(f"ALTER TABLE activity ADD COLUMN {column} TEXT")


def is_seeded(connection: sqlite3.Connection) -> bool:
    """Whether the database already holds generated data."""
    row = connection.execute("SELECT value FROM meta WHERE key = 'seed'").fetchone()
    return row is not None


def clear_data(connection: sqlite3.Connection) -> None:
    """Empty every data table (for `--reset`)."""
    connection.execute("BEGIN IMMEDIATE")
    for table in DATA_TABLES:
        connection.execute(f"DELETE FROM {table}")  # noqa: S608 - table names are constants
    connection.execute("COMMIT")


def read_meta(connection: sqlite3.Connection) -> dict[str, str]:
    """The key/value facts recorded when the database was seeded."""
    return {row["key"]: row["value"] for row in connection.execute("SELECT key, value FROM meta")}
