"""Execution details on the platform's clock: latency buckets, tokens, apps, pipelines, codes.

Counted beside `exporter.ledger.event_time`, in the same transaction and by the same effective
time (a record's own second, or the settled point for a late one), in one-second slots. Only
one time per org is ever shown, its exposure time, which never moves back and which no record
counted later can precede (a record counts at the settled point or after it): so every
transaction folds the slots before it into the base, and the view reads the base alone (plus
any slot before it a ledger written elsewhere left). Each count is a *series*: a kind and its
label values, stored as one text key joined by `SEP`:

    duration <i>            executions whose `duration_ms` lies in bucket i of DURATION_BUCKETS
                            (i = len(DURATION_BUCKETS): above the last bound; not cumulative)
    duration_sum            the sum of `duration_ms` (exact integer milliseconds)
    tokens <kind>           tokens of that kind
    app <app>, app_failed <app>                          executions of an app (that failed)
    pipeline <app> <aug>, pipeline_failed <app> <aug>    ... of a pipeline of an app
    code <error code>       failed executions by code (`status_<code>` without one)
    overflow <label>        executions whose value of `label` went to `other`

Tables:

    detail_slots     (org, workspace, series, slot) → value    slots not yet folded
    detail_base      (org, workspace, series) → value          everything before the exposure
    label_admissions (org, workspace, label, value)            values that keep their own series

A capped label's value is admitted when first counted while its workspace has fewer than the
label's cap admitted; later values count as `OVERFLOW`. Admission is durable with the counts, so
a value maps the same way forever, whatever the caps become.
"""

from __future__ import annotations

import bisect
import sqlite3
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Protocol

from exporter.ledger.event_time import SECOND, SLOT, OrgEvents, effective_micros
from exporter.platform.api import ExecutionRecord
from vocabulary.details import DURATION_BUCKETS, LABEL_CAPS, OVERFLOW, STATUS_CODE_PREFIX

SEP = "\x1f"  # never in an id the platform accepts, nor in an error code we keep
DURATION, DURATION_SUM, TOKENS, CODE, OVERFLOWED = (
    "duration", "duration_sum", "tokens", "code", "overflow",
)  # fmt: skip
APP, APP_FAILED, PIPELINE, PIPELINE_FAILED = "app", "app_failed", "pipeline", "pipeline_failed"
# A failed execution with neither an error code nor a status code.
UNKNOWN_STATUS = "unknown"
BOUNDS_MS = tuple(round(bound * 1000) for bound in DURATION_BUCKETS)

SCHEMA = """
CREATE TABLE IF NOT EXISTS detail_slots (
    org_id TEXT NOT NULL, workspace_id TEXT NOT NULL, series TEXT NOT NULL,
    slot INTEGER NOT NULL, value INTEGER NOT NULL CHECK (value >= 0),
    PRIMARY KEY (org_id, workspace_id, series, slot)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS detail_base (
    org_id TEXT NOT NULL, workspace_id TEXT NOT NULL, series TEXT NOT NULL,
    value INTEGER NOT NULL CHECK (value >= 0),
    PRIMARY KEY (org_id, workspace_id, series)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS label_admissions (
    org_id TEXT NOT NULL, workspace_id TEXT NOT NULL, label TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (org_id, workspace_id, label, value)
) WITHOUT ROWID;
"""
TABLES = frozenset({"detail_slots", "detail_base", "label_admissions"})


# A workspace's detail series (key split at SEP) → the count at its org's exposure time.
WorkspaceDetails = Mapping[tuple[str, ...], int]


class Admissions:
    """The admitted values of each capped label per workspace, read once per transaction."""

    def __init__(self, connection: sqlite3.Connection, org_id: str, caps: Mapping[str, int]):
        self._connection, self._org, self._caps = connection, org_id, caps
        self._known: dict[tuple[str, str], set[str]] | None = None

    def _read(self) -> dict[tuple[str, str], set[str]]:
        known: dict[tuple[str, str], set[str]] = {}
        rows = self._connection.execute(
            "SELECT workspace_id, label, value FROM label_admissions WHERE org_id = ?",
            (self._org,),
        )
        for ws, label, value in rows:
            known.setdefault((ws, label), set()).add(value)
        return known

    def admit(self, workspace: str, label: str, value: str) -> str:
        """`value` when it keeps its own series (admitting it now if there is room), else other."""
        if self._known is None:
            self._known = self._read()
        known = self._known.setdefault((workspace, label), set())
        if value in known:
            return value
        if len(known) >= self._caps[label]:
            return OVERFLOW
        self._connection.execute(
            "INSERT INTO label_admissions VALUES (?, ?, ?, ?)", (self._org, workspace, label, value)
        )
        known.add(value)
        return value


def failure_code(error_code: str | None, status_code: int | None) -> str:
    """The `error_code` label of a failed execution."""
    if error_code is not None:
        return error_code
    return STATUS_CODE_PREFIX + (UNKNOWN_STATUS if status_code is None else str(status_code))


class Admitter(Protocol):
    """Maps a capped label's value to the value its series carries."""

    def admit(self, workspace: str, label: str, value: str) -> str:
        """`value`, or `OVERFLOW` when it is over its workspace's cap."""


def execution_series(
    record: ExecutionRecord, admissions: Admitter
) -> list[tuple[tuple[str, ...], int]]:
    """Every (series, amount) one execution adds, its overflows included."""
    details, ws = record.details, record.workspace_id
    added: list[tuple[tuple[str, ...], int]] = []

    def admit(label: str, value: str) -> str:
        mapped = admissions.admit(ws, label, value)
        if mapped == OVERFLOW:
            added.append(((OVERFLOWED, label), 1))
        return mapped

    if details.duration_ms is not None:
        added.append(((DURATION, str(bisect.bisect_left(BOUNDS_MS, details.duration_ms))), 1))
        added.append(((DURATION_SUM,), details.duration_ms))
    for kind, count in details.tokens:
        added.append(((TOKENS, admit("kind", kind)), count))
    if details.app_id is not None:
        app = admit("app_id", details.app_id)
        added += [((APP, app), 1)] + [((APP_FAILED, app), 1)] * record.failed
        if details.augmentation_id is not None:
            pipeline = (app, admit("augmentation_id", details.augmentation_id))
            added += [((PIPELINE, *pipeline), 1)] + [
                ((PIPELINE_FAILED, *pipeline), 1)
            ] * record.failed
    if record.failed:
        added.append(
            ((CODE, admit("error_code", failure_code(details.error_code, details.status_code))), 1)
        )
    return added


def record(
    connection: sqlite3.Connection,
    org_id: str,
    counted: Sequence[ExecutionRecord],
    caps: Mapping[str, int] = LABEL_CAPS,
) -> None:
    """Add the details of newly counted records to their slots (before `event_time.record`
    moves the settled point, so both use the same effective times)."""
    row = connection.execute(
        "SELECT settled FROM event_marks WHERE org_id = ?", (org_id,)
    ).fetchone()
    previous = None if row is None else int(row[0])
    admissions = Admissions(connection, org_id, caps)
    slots: Counter[tuple[str, str, int]] = Counter()
    for execution in counted:
        slot = effective_micros(execution.micros, previous) // SECOND // SLOT * SLOT
        for series, amount in execution_series(execution, admissions):
            slots[(execution.workspace_id, SEP.join(series), slot)] += amount
    connection.executemany(
        "INSERT INTO detail_slots VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (org_id, workspace_id, series, slot) DO UPDATE SET "
        "value = value + excluded.value",
        [(org_id, ws, series, slot, value) for (ws, series, slot), value in slots.items()],
    )


def fold_shown(connection: sqlite3.Connection, org_id: str) -> None:
    """Move the org's slots counted at its exposure time into the base."""
    row = connection.execute(
        "SELECT settled, exposed FROM event_marks WHERE org_id = ?", (org_id,)
    ).fetchone()
    if row is not None:
        shown_at = OrgEvents(int(row[0]), int(row[1]), 0).exposure_time()
        _fold(connection, org_id, shown_at - SLOT + 1)


def _fold(connection: sqlite3.Connection, org_id: str, before: int) -> None:
    connection.execute(
        "INSERT INTO detail_base (org_id, workspace_id, series, value) "
        "SELECT org_id, workspace_id, series, sum(value) FROM detail_slots "
        "WHERE org_id = ? AND slot < ? GROUP BY org_id, workspace_id, series "
        "ON CONFLICT (org_id, workspace_id, series) DO UPDATE SET value = value + excluded.value",
        (org_id, before),
    )
    connection.execute("DELETE FROM detail_slots WHERE org_id = ? AND slot < ?", (org_id, before))


def read_details(
    connection: sqlite3.Connection, shown_at: Mapping[str, int]
) -> dict[str, dict[str, dict[tuple[str, ...], int]]]:
    """Each org's detail series per workspace, counted before the org's `shown_at` (s); a series
    with nothing counted by then is left out."""
    orgs: dict[str, dict[str, dict[tuple[str, ...], int]]] = {}
    for org_id, seconds in sorted(shown_at.items()):
        rows = connection.execute(
            "SELECT workspace_id, series, sum(value) FROM ("
            "SELECT workspace_id, series, value FROM detail_base WHERE org_id = ? UNION ALL "
            "SELECT workspace_id, series, value FROM detail_slots WHERE org_id = ? AND slot < ?"
            ") GROUP BY workspace_id, series",
            (org_id, org_id, seconds - SLOT + 1),
        )
        workspaces: dict[str, dict[tuple[str, ...], int]] = {}
        for ws, series, value in rows:
            workspaces.setdefault(ws, {})[tuple(series.split(SEP))] = int(value)
        if workspaces:
            orgs[org_id] = workspaces
    return orgs
