"""Execution counts on the platform's clock: per workspace, how many executions happened before t.

Every counted record also lands in a one-second slot of its *effective* time: its own activity
`timestamp`, unless the org's settled point had already passed it when the record was first
seen (a record written later than the lateness allows), in which case it lands at the settled
point, so counts already exposed for earlier times never change. `value_at(t)` is the number of
executions whose effective time is before t: exact at every whole second, and so at every
15-minute boundary, which every time zone's hours and midnights fall on.

Tables (in the ledger's transaction, see `exporter.ledger.store`):

    event_slots  (org, workspace, slot) → total, failed   slots not yet folded
    event_base     (org, workspace) → total, failed           everything before `folded`
    event_marks    org → settled (µs), exposed (s), folded (s), late
    activity_start org → µs: where the live polls began; earlier activity is history
    history        (org, workspace) → total, failed   executions before it, as backfilled
    history_progress org → µs: the oldest time the backfill has written (see `ledger.history`)

`settled` is the time up to which the org's activity is complete (the poll's end minus the
lateness); `exposed` is the next boundary the exporter still has to show to a scrape (to begin
with, the second of the org's first execution or settled point); slots before both are folded
into the base, so the table holds about the last half hour.
"""

from __future__ import annotations

import bisect
import sqlite3
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from exporter.platform.api import ExecutionRecord

SECOND = 1_000_000
SLOT = 1  # seconds; the resolution of effective times
BOUNDARY = 15 * 60  # seconds; every zone's offset is a multiple of 15 minutes

SCHEMA = """
CREATE TABLE IF NOT EXISTS event_slots (
    org_id TEXT NOT NULL, workspace_id TEXT NOT NULL, slot INTEGER NOT NULL,
    total INTEGER NOT NULL CHECK (total >= 0), failed INTEGER NOT NULL CHECK (failed >= 0),
    PRIMARY KEY (org_id, workspace_id, slot)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS event_base (
    org_id TEXT NOT NULL, workspace_id TEXT NOT NULL,
    total INTEGER NOT NULL CHECK (total >= 0), failed INTEGER NOT NULL CHECK (failed >= 0),
    PRIMARY KEY (org_id, workspace_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS activity_start (
    org_id TEXT PRIMARY KEY, micros INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history (
    org_id TEXT NOT NULL, workspace_id TEXT NOT NULL,
    total INTEGER NOT NULL CHECK (total >= 0), failed INTEGER NOT NULL CHECK (failed >= 0),
    PRIMARY KEY (org_id, workspace_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history_progress (
    org_id TEXT PRIMARY KEY, through INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS event_marks (
    org_id TEXT PRIMARY KEY, settled INTEGER NOT NULL, exposed INTEGER NOT NULL,
    folded INTEGER NOT NULL DEFAULT 0, late INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
"""
TABLES = frozenset(
    {"event_slots", "event_base", "event_marks", "activity_start", "history", "history_progress"}
)


def floor_to(seconds: int, step: int) -> int:
    """`seconds` rounded down to a multiple of `step`."""
    return seconds - seconds % step


def ceil_to(seconds: int, step: int) -> int:
    """`seconds` rounded up to a multiple of `step`."""
    return -floor_to(-seconds, step)


@dataclass(frozen=True)
class WorkspaceEvents:
    """One workspace's counts by effective time: a base plus running sums per slot."""

    base: tuple[int, int] = (0, 0)
    slots: tuple[int, ...] = ()  # the end of each slot that holds executions, ascending
    running: tuple[tuple[int, int], ...] = ()

    def value_at(self, seconds: int) -> tuple[int, int]:
        """(total, failed) executions whose effective time is before `seconds`."""
        index = bisect.bisect_right(self.slots, seconds)
        if index == 0:
            return self.base
        total, failed = self.running[index - 1]
        return self.base[0] + total, self.base[1] + failed


@dataclass(frozen=True)
class OrgEvents:
    """An org's event-time state: complete up to `settled` (µs); next boundary to expose."""

    settled: int
    exposed: int
    late: int
    workspaces: Mapping[str, WorkspaceEvents] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def complete_until(self) -> int:
        """The latest whole second (s) up to which every count is final."""
        return floor_to(self.settled // SECOND, SLOT)

    def exposure_time(self) -> int:
        """The time (s) of the sample to show now: a boundary not yet shown, else the fresh edge."""
        return min(self.exposed, self.complete_until)


def effective_micros(micros: int, settled: int | None) -> int:
    """When a record counts: its own time, or the settled point it arrived after."""
    return micros if settled is None or micros >= settled else settled


def read_events(connection: sqlite3.Connection) -> dict[str, OrgEvents]:
    """Every org's event-time state as committed."""
    bases: dict[tuple[str, str], tuple[int, int]] = {}
    for org, ws, total, failed in connection.execute("SELECT * FROM event_base"):
        bases[(org, ws)] = (int(total), int(failed))
    slots: dict[tuple[str, str], list[tuple[int, int, int]]] = {}
    rows = connection.execute(
        "SELECT org_id, workspace_id, slot, total, failed FROM event_slots "
        "ORDER BY org_id, workspace_id, slot"
    )
    for org, ws, slot, total, failed in rows:
        slots.setdefault((org, ws), []).append((int(slot), int(total), int(failed)))
    workspaces: dict[str, dict[str, WorkspaceEvents]] = {}
    for key in sorted(bases.keys() | slots.keys()):
        workspaces.setdefault(key[0], {})[key[1]] = _workspace(bases.get(key), slots.get(key, []))
    marks = connection.execute("SELECT org_id, settled, exposed, late FROM event_marks")
    return {
        org: OrgEvents(
            int(settled),
            int(exposed),
            int(late),
            MappingProxyType(workspaces.get(org, {})),
        )
        for org, settled, exposed, late in marks
    }


def _workspace(
    base: tuple[int, int] | None, slots: Sequence[tuple[int, int, int]]
) -> WorkspaceEvents:
    running, total, failed = [], 0, 0
    for _, slot_total, slot_failed in slots:
        total, failed = total + slot_total, failed + slot_failed
        running.append((total, failed))
    ends = tuple(slot + SLOT for slot, _, _ in slots)  # counted once the slot ends
    return WorkspaceEvents(base or (0, 0), ends, tuple(running))


def read_starts(connection: sqlite3.Connection) -> dict[str, int]:
    """Where each org's live polls began (µs)."""
    return {org: int(micros) for org, micros in connection.execute("SELECT * FROM activity_start")}


def read_history(connection: sqlite3.Connection) -> dict[tuple[str, str], tuple[int, int]]:
    """Executions before each org's activity start, as far as a backfill has counted them."""
    rows = connection.execute("SELECT org_id, workspace_id, total, failed FROM history")
    return {(org, ws): (int(total), int(failed)) for org, ws, total, failed in rows}


def begin(connection: sqlite3.Connection, org_id: str, micros: int) -> None:
    """Record where the org's live polls begin, unless that was recorded before."""
    connection.execute("INSERT OR IGNORE INTO activity_start VALUES (?, ?)", (org_id, micros))


def record(
    connection: sqlite3.Connection,
    org_id: str,
    counted: Sequence[ExecutionRecord],
    settled: int,
) -> int:
    """Add newly counted records to their slots and move the settled point; returns how many
    arrived after the settled point had passed them (each then counts at the settled point)."""
    row = connection.execute(
        "SELECT settled FROM event_marks WHERE org_id = ?", (org_id,)
    ).fetchone()
    previous = None if row is None else int(row[0])
    slots: Counter[tuple[str, int, bool]] = Counter()
    late = 0
    for execution in counted:
        micros = effective_micros(execution.micros, previous)
        late += micros != execution.micros
        slots[(execution.workspace_id, floor_to(micros // SECOND, SLOT), execution.failed)] += 1
    for ws, slot in sorted({(ws, slot) for ws, slot, _ in slots}):
        failed = slots[(ws, slot, True)]
        connection.execute(
            "INSERT INTO event_slots VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (org_id, workspace_id, slot) DO UPDATE SET "
            "total = total + excluded.total, failed = failed + excluded.failed",
            (org_id, ws, slot, failed + slots[(ws, slot, False)], failed),
        )
    # An org's first time to show is its first execution (or first settled point), whole
    # seconds; the boundaries after it follow on the exporter's grid, so a first poll that reads
    # hours at once still shows all of their boundaries.
    first = min([settled, *(execution.micros for execution in counted)])
    connection.execute(
        "INSERT INTO event_marks (org_id, settled, exposed, late) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (org_id) DO UPDATE SET settled = max(settled, excluded.settled), "
        "late = late + excluded.late",
        (org_id, settled, ceil_to(first, SECOND) // SECOND, late),
    )
    return late


def mark_exposed(connection: sqlite3.Connection, org_id: str, boundary: int) -> None:
    """Remember that every boundary before `boundary` (s) was shown, and fold older slots."""
    connection.execute(
        "UPDATE event_marks SET exposed = max(exposed, ?) WHERE org_id = ?",
        (boundary, org_id),
    )
    row = connection.execute(
        "SELECT settled, exposed, folded FROM event_marks WHERE org_id = ?", (org_id,)
    ).fetchone()
    if row is None:
        return
    settled, exposed, folded = int(row[0]), int(row[1]), int(row[2])
    # Keep one boundary of slots before anything still to be shown.
    fold_before = floor_to(min(exposed, settled // SECOND), BOUNDARY) - BOUNDARY
    if fold_before <= folded:
        return
    connection.execute(
        "INSERT INTO event_base (org_id, workspace_id, total, failed) "
        "SELECT org_id, workspace_id, sum(total), sum(failed) FROM event_slots "
        "WHERE org_id = ? AND slot < ? GROUP BY org_id, workspace_id "
        "ON CONFLICT (org_id, workspace_id) DO UPDATE SET "
        "total = total + excluded.total, failed = failed + excluded.failed",
        (org_id, fold_before),
    )
    connection.execute(
        "DELETE FROM event_slots WHERE org_id = ? AND slot < ?", (org_id, fold_before)
    )
    connection.execute("UPDATE event_marks SET folded = ? WHERE org_id = ?", (fold_before, org_id))
