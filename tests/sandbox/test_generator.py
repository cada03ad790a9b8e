"""The seeded generator: the same seed gives the same platform, with every kind of variety."""

from __future__ import annotations

import re
import sqlite3
import time
from collections import Counter
from pathlib import Path

from sandbox.database import COLUMNS, connect, create_schema
from sandbox.generator import (
    SCHEDULE_TYPES,
    SECRET_TYPES,
    SOURCE_STATUSES,
    SOURCE_TYPES,
    PlatformGenerator,
    seed_database,
)

ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
PREFIXES = {"orgs": "org-", "workspaces": "ws-", "apps": "app-", "namespaces": "ns-"}


def _column(rows: list[tuple], table: str, name: str) -> list:
    index = COLUMNS[table].index(name)
    return [row[index] for row in rows]


def test_same_seed_same_rows_other_seed_other_rows() -> None:
    first = PlatformGenerator(7, 3, 8).generate()
    assert first == PlatformGenerator(7, 3, 8).generate()
    assert first["workspaces"] != PlatformGenerator(8, 3, 8).generate()["workspaces"]


def test_ids_unique_and_well_formed() -> None:
    rows = PlatformGenerator(7, 3, 8).generate()
    for table, columns in COLUMNS.items():
        if table == "meta":
            continue
        ids = [row[0] for row in rows[table]]
        assert len(ids) == len(set(ids)), table
        assert all(ID_PATTERN.match(value) for value in ids), table
        if table in PREFIXES:
            assert all(value.startswith(PREFIXES[table]) for value in ids), table
        assert len(rows[table][0]) == len(columns) if rows[table] else True


def test_variety_of_the_default_platform() -> None:
    rows = PlatformGenerator(7, 3, 8).generate()
    workspaces = _column(rows["workspaces"], "workspaces", "workspace_id")
    assert len(workspaces) == 24
    for table in ("apps", "sources", "secrets"):
        owners = set(_column(rows[table], table, "workspace_id"))
        assert set(workspaces) - owners, f"some workspace must have no {table}"
    sources = rows["sources"]
    assert set(_column(sources, "sources", "source_type")) == set(SOURCE_TYPES)
    assert set(_column(sources, "sources", "processing_status")) == set(SOURCE_STATUSES)
    assert set(_column(sources, "sources", "source_scope")) == {"workspace", "namespace"}
    assert set(_column(sources, "sources", "is_indexed")) == {0, 1}
    assert None in _column(sources, "sources", "total_tokens")
    assert None in _column(sources, "sources", "size_bytes")
    tokens = _column(sources, "sources", "total_tokens")
    assert sum(value is not None for value in tokens) > len(tokens) / 2, "present on most"
    assert set(_column(rows["actions"], "actions", "schedule_type")) == set(SCHEDULE_TYPES)
    assert set(_column(rows["actions"], "actions", "is_enabled")) == {0, 1}
    assert set(_column(rows["secrets"], "secrets", "secret_type")) == set(SECRET_TYPES)
    assert set(_column(rows["secrets"], "secrets", "is_active")) == {0, 1}
    assert set(_column(rows["entitlements"], "entitlements", "enabled")) == {0, 1}
    assert set(_column(rows["workspaces"], "workspaces", "is_active")) == {0, 1}
    assert None in _column(rows["apps"], "apps", "active_release_id")
    assert Counter(_column(rows["threads"], "threads", "status")).keys() == {"active", "closed"}


def test_timestamps_mix_zulu_and_zone_less() -> None:
    rows = PlatformGenerator(7, 3, 8).generate()
    stamps = _column(rows["sources"], "sources", "created_at")
    assert any(s.endswith("Z") for s in stamps) and any(not s.endswith("Z") for s in stamps)


def test_releases_match_total_releases() -> None:
    rows = PlatformGenerator(7, 3, 8).generate()
    per_app = Counter(_column(rows["releases"], "releases", "app_id"))
    for app_id, total in zip(
        _column(rows["apps"], "apps", "app_id"),
        _column(rows["apps"], "apps", "total_releases"),
        strict=True,
    ):
        assert per_app.get(app_id, 0) == total


def test_thousand_workspaces_seed_in_seconds(tmp_path: Path) -> None:
    db = connect(tmp_path / "big.db")
    try:
        create_schema(db)
        started = time.monotonic()
        seed_database(db, 7, 4, 250)
        elapsed = time.monotonic() - started
        count = db.execute("SELECT count(*) FROM workspaces").fetchone()[0]
    finally:
        db.close()
    assert count == 1000
    assert elapsed < 10, f"seeding 1,000 workspaces took {elapsed:.1f} s"
    check = sqlite3.connect(tmp_path / "big.db")
    try:
        assert check.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        check.close()
