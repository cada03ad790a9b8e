"""The seeded generator of platform data: the same seed always yields the same platform.

Rows are produced as tuples in the column order of `database.COLUMNS` and inserted in bulk, so
seeding a thousand workspaces takes a few seconds.
"""

from __future__ import annotations

import random
import sqlite3
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.database import COLUMNS
from sandbox.timefmt import item_timestamp

SOURCE_TYPES = ("pdf", "docx", "txt", "md", "csv", "json", "image")
SOURCE_STATUSES = ("created", "processing", "completed", "failed")
SOURCE_STATUS_WEIGHTS = (1, 2, 6, 2)
SECRET_TYPES = ("api_key", "oauth_token", "password", "certificate", "webhook_secret")
ACTION_TYPES = ("trigger", "workflow", "webhook", "agent")
SCHEDULE_TYPES = ("cron", "one_time", "manual")
MODELS = ("gpt-4o", "claude-3-5-sonnet", "llama-3-70b", "mistral-large", "embed-large", "gemini")
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2")
WORDS = ("alpha", "nova", "delta", "orbit", "atlas", "ember", "lumen", "quartz", "sierra", "zephyr")
BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)
# Workspaces at these positions (counted across all orgs) lack one kind of resource, so every
# seed has a workspace with no apps, one with no sources and one with no secrets.
NO_APPS, NO_SOURCES, NO_SECRETS = 0, 1, 2


class PlatformGenerator:
    """Generates orgs and everything below them from one seeded random generator."""

    def __init__(self, seed: int, orgs: int, workspaces_per_org: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
        self.orgs = orgs
        self.workspaces_per_org = workspaces_per_org
        self.rows: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        self._ids: set[str] = set()
        self._workspace_index = 0

    def generate(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, in insertion order."""
        for _ in range(self.orgs):
            org_id = self._new_id("org")
            self.rows["orgs"].append((org_id, f"{self._word().title()} Labs", self._time()))
            for _ in range(self.workspaces_per_org):
                self._workspace(org_id)
        return dict(self.rows)

    def _new_id(self, prefix: str) -> str:
        while True:
            candidate = f"{prefix}-{self.rng.getrandbits(40):010x}"
            if self.rng.random() < 0.2:
                candidate = f"{prefix}-{self._word()}_{self.rng.getrandbits(24):06x}"
            if candidate not in self._ids:
                self._ids.add(candidate)
                return candidate

    def _word(self) -> str:
        return self.rng.choice(WORDS)

    def _time(self) -> str:
        moment = BASE_TIME + timedelta(microseconds=self.rng.randrange(300 * 86_400 * 10**6))
        return item_timestamp(moment, zulu=self.rng.random() < 0.5)

    def _workspace(self, org_id: str) -> None:
        index = self._workspace_index
        self._workspace_index += 1
        ws = self._new_id("ws")
        name = f"{self._word()} {self._word()} {index}"
        active = int(self.rng.random() < 0.85)
        region = self.rng.choice(REGIONS)
        self.rows["workspaces"].append(
            (ws, org_id, name, f"Workspace {name}", active, region, self._time())
        )
        namespaces: list[str] = []
        for _ in range(0 if index == NO_APPS else self.rng.randint(0, 4)):
            namespaces += self._app(ws)
        if index != NO_SOURCES:
            for _ in range(self.rng.randint(0, 12)):
                self._source(ws, namespaces)
        if index != NO_SECRETS:
            for _ in range(self.rng.randint(0, 5)):
                self._secret(ws)
        for model in self.rng.sample(MODELS, self.rng.randint(0, len(MODELS))):
            enabled = int(self.rng.random() < 0.7)
            self.rows["entitlements"].append(
                (self._new_id("ent"), ws, model, enabled, self._time())
            )

    def _app(self, ws: str) -> list[str]:
        """One app with its releases, augmentations, endpoints, actions; returns its namespaces."""
        app = self._new_id("app")
        releases = self._releases(ws, app)
        active = releases[-1] if releases and self.rng.random() < 0.8 else None
        for release_id in releases:
            status = "active" if release_id == active else self.rng.choice(("archived", "draft"))
            version = f"v{len(self.rows['releases']) % 7}.{self.rng.randint(0, 9)}"
            self.rows["releases"].append((release_id, app, ws, version, status, self._time()))
        self.rows["apps"].append(
            (app, ws, f"{self._word()}-app", len(releases), active, self._time())
        )
        for _ in range(self.rng.randint(0, 3)):
            kind = self.rng.choice(("retrieval", "rerank", "summarise"))
            name = f"{self._word()} pipeline"
            self.rows["augmentations"].append(
                (self._new_id("aug"), ws, app, name, kind, self._time())
            )
        for _ in range(self.rng.randint(0, 4)):
            path, method = f"/{self._word()}/{self._word()}", self.rng.choice(("GET", "POST"))
            self.rows["endpoints"].append((self._new_id("ep"), app, ws, path, method, self._time()))
        for _ in range(self.rng.randint(0, 4)):
            self._action(ws, app)
        return [self._namespace(ws, app) for _ in range(self.rng.randint(0, 3))]

    def _releases(self, ws: str, app: str) -> list[str]:
        return [self._new_id("rel") for _ in range(self.rng.randint(0, 5))]

    def _action(self, ws: str, app: str) -> None:
        total = self.rng.randint(0, 500)
        failed = self.rng.randint(0, total // 5)
        self.rows["actions"].append(
            (
                self._new_id("action"),
                app,
                ws,
                f"{self._word()} job",
                self.rng.choice(ACTION_TYPES),
                self.rng.choice(SCHEDULE_TYPES),
                int(self.rng.random() < 0.7),
                total,
                total - failed,
                failed,
                self._time(),
            )
        )

    def _namespace(self, ws: str, app: str) -> str:
        ns = self._new_id("ns")
        status = self.rng.choice(("active", "active", "archived", "provisioning"))
        self.rows["namespaces"].append((ns, app, ws, f"{self._word()} space", status, self._time()))
        for _ in range(self.rng.randint(0, 6)):
            status = self.rng.choice(("active", "closed"))
            title = f"{self._word()} thread"
            self.rows["threads"].append((self._new_id("thr"), ns, ws, title, status, self._time()))
        return ns

    def _source(self, ws: str, namespaces: list[str]) -> None:
        ns = self.rng.choice(namespaces) if namespaces and self.rng.random() < 0.5 else None
        kind = self.rng.choice(SOURCE_TYPES)
        status = self.rng.choices(SOURCE_STATUSES, SOURCE_STATUS_WEIGHTS)[0]
        indexed = status == "completed" and self.rng.random() < 0.9
        chunks = {"completed": self.rng.randint(1, 400), "processing": self.rng.randint(0, 20)}
        total_chunks = chunks.get(status, 0)
        tokens = None if self.rng.random() < 0.15 else total_chunks * self.rng.randint(200, 800)
        size = None if self.rng.random() < 0.1 else self.rng.randint(1_000, 50_000_000)
        self.rows["sources"].append(
            (
                self._new_id("src"),
                ws,
                ns,
                "namespace" if ns else "workspace",
                kind,
                f"{self._word()}.{kind}",
                status,
                int(indexed),
                total_chunks,
                tokens,
                size,
                self._time(),
            )
        )

    def _secret(self, ws: str) -> None:
        kind = self.rng.choice(SECRET_TYPES)
        active = int(self.rng.random() < 0.75)
        name = f"{self._word().upper()}_{kind.upper()}"
        self.rows["secrets"].append((self._new_id("sec"), ws, name, kind, active, self._time()))


def insert_rows(connection: sqlite3.Connection, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    """Insert generated rows in one transaction, one `executemany` per table."""
    connection.execute("BEGIN IMMEDIATE")
    for table, columns in COLUMNS.items():
        placeholders = ", ".join("?" for _ in columns)
        statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608
        connection.executemany(statement, rows.get(table, []))
    connection.execute("COMMIT")


def seed_database(
    connection: sqlite3.Connection, seed: int, orgs: int, workspaces_per_org: int
) -> None:
    """Fill an empty database with the platform for `seed` and record how it was made."""
    rows = PlatformGenerator(seed, orgs, workspaces_per_org).generate()
    meta = {"seed": seed, "orgs": orgs, "workspaces": workspaces_per_org}
    rows["meta"] = [(key, str(value)) for key, value in meta.items()]
    insert_rows(connection, rows)
