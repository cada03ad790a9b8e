"""Execution details on the platform's clock: latency buckets, tokens, apps, pipelines, codes.

Counted beside `exporter.ledger.event_time`, in the same transaction and by the same effective
time (a record's own second, or the settled point for a late one), in one-second slots folded
into a base at the same point as `event_slots`. Each count is a *series*: a kind and its label
values, stored as one text key joined by `SEP`:

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
    detail_base      (org, workspace, series) → value          everything before `folded`
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
from dataclasses import dataclass

from exporter.ledger.event_time import SECOND, SLOT, effective_micros
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


@dataclass(frozen=True)
class SeriesCounts:
    """One series of a workspace: a base (None when nothing is folded) plus running sums."""

    base: int | None
    ends: tuple[int, ...]  # the end (s) of each slot that holds counts, ascending
    running: tuple[int, ...]

    def value_at(self, seconds: int) -> int | None:
        """The count before `seconds`; None while nothing of the series is counted by then."""
        index = bisect.bisect_right(self.ends, seconds)
        if index == 0:
            return self.base
        return (self.base or 0) + self.running[index - 1]


WorkspaceDetails = Mapping[tuple[str, ...], SeriesCounts]  # series key (split) → counts


class Admissions:
    """The admitted values of each capped label per workspace, read once per transaction."""

    def __init__(self, connection: sqlite3.Connection, org_id: str, caps: Mapping[str, int]):
        self._connection, self._org, self._caps = connection, org_id, caps
        self._known: dict[tuple[str, str], set[str]] = {}

    def admit(self, workspace: str, label: str, value: str) -> str:
        """`value` when it keeps its own series (admitting it now if there is room), else other."""
        known = self._known.get((workspace, label))
        if known is None:
            rows = self._connection.execute(
                "SELECT value FROM label_admissions WHERE org_id = ? AND workspace_id = ? "
                "AND label = ?",
                (self._org, workspace, label),
            )
            known = self._known[(workspace, label)] = {row[0] for row in rows}
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


def _series(record: ExecutionRecord, admissions: Admissions) -> list[tuple[tuple[str, ...], int]]:
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
        for series, amount in _series(execution, admissions):
            slots[(execution.workspace_id, SEP.join(series), slot)] += amount
    connection.executemany(
        "INSERT INTO detail_slots VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (org_id, workspace_id, series, slot) DO UPDATE SET "
        "value = value + excluded.value",
        [(org_id, ws, series, slot, value) for (ws, series, slot), value in sorted(slots.items())],
    )


def fold(connection: sqlite3.Connection, org_id: str, before: int) -> None:
    """Move the org's slots before `before` (s) into the base."""
    connection.execute(
        "INSERT INTO detail_base (org_id, workspace_id, series, value) "
        "SELECT org_id, workspace_id, series, sum(value) FROM detail_slots "
        "WHERE org_id = ? AND slot < ? GROUP BY org_id, workspace_id, series "
        "ON CONFLICT (org_id, workspace_id, series) DO UPDATE SET value = value + excluded.value",
        (org_id, before),
    )
    connection.execute("DELETE FROM detail_slots WHERE org_id = ? AND slot < ?", (org_id, before))


def read_details(
    connection: sqlite3.Connection,
) -> dict[str, dict[str, dict[tuple[str, ...], SeriesCounts]]]:
    """Every org's detail series per workspace, as committed."""
    bases = {
        (org, ws, series): int(value)
        for org, ws, series, value in connection.execute("SELECT * FROM detail_base")
    }
    slots: dict[tuple[str, str, str], tuple[list[int], list[int]]] = {}
    rows = connection.execute(
        "SELECT org_id, workspace_id, series, slot, value FROM detail_slots "
        "ORDER BY org_id, workspace_id, series, slot"
    )
    for org, ws, series, slot, value in rows:
        ends, running = slots.setdefault((org, ws, series), ([], []))
        ends.append(int(slot) + SLOT)  # counted once the slot ends
        running.append((running[-1] if running else 0) + int(value))
    orgs: dict[str, dict[str, dict[tuple[str, ...], SeriesCounts]]] = {}
    for key in sorted(bases.keys() | slots.keys()):
        org, ws, series = key
        ends, running = slots.get(key, ([], []))
        counts = SeriesCounts(bases.get(key), tuple(ends), tuple(running))
        orgs.setdefault(org, {}).setdefault(ws, {})[tuple(series.split(SEP))] = counts
    return orgs
