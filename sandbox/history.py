"""Past activity seeded into a fresh database: `days` of records ending at start-up.

The shape a platform clock shows: each workspace lives in a zone (New York, Berlin, UTC,
Kathmandu, Lord Howe, St John's) and is busier in its working hours and quieter at its weekends;
plain API calls are mixed in and executions fail, last and use tokens as in the live stream.
Bursts of executions land within ±5 s of every UTC hour boundary and of every local midnight of
`BURST_ZONES`, where an off-by-one bucketing shows; the 90 days before any date span clock
changes in some of them.

The records of each UTC hour are drawn from a generator seeded by the seed and that hour, so two
histories of one seed agree on every hour both hold whole. Records are inserted in timestamp
order, one hour after another, in a single transaction: ids grow with timestamps, and each record
counts as written when it happened (`written_us` = `ts_us`).
"""

from __future__ import annotations

import math
import random
import sqlite3
from bisect import bisect, bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import accumulate, islice
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.activity import INSERT_ACTIVITY, ActivityEvent, activity_row
from sandbox.boundaries import BURST_ZONES, HOUR_US, hour_boundaries, local_midnights
from sandbox.database import create_schema
from sandbox.events import EventFactory, WorkspaceTarget, load_targets
from sandbox.timefmt import from_micros, item_timestamp

DAY_US = 24 * HOUR_US
Draw = Callable[[WorkspaceTarget], ActivityEvent]
BURST_US = 5_000_000
BURST_SIZES = {"hour": (2, 6), "midnight": (3, 8)}
WORKSPACE_ZONES = (
    "America/New_York",
    "Europe/Berlin",
    "UTC",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "America/St_Johns",
)
# Activity by local hour of day (working hours busiest) and on a weekend day.
HOURLY_FACTORS = (
    *(0.25,) * 7,
    *(0.6, 1.2, 1.8, 1.8, 1.8, 1.4, 1.8, 1.8, 1.8, 1.8, 1.3, 0.8, 0.8),
    *(0.5, 0.5, 0.5, 0.35),
)
WEEKEND_FACTOR = 0.35
MEAN_FACTOR = sum(HOURLY_FACTORS) * (5 + 2 * WEEKEND_FACTOR) / (7 * 24)
ROWS_PER_INSERT = 50_000
BULK_DROPPED_INDEXES = ("activity_org_time", "activity_ws")  # `database.SCHEMA` defines them
NORMAL_APPROXIMATION_ABOVE = 30.0


@dataclass(frozen=True)
class HistoryPlan:
    """What to seed: `rate` executions per hour across all workspaces on average (bursts come
    on top), over `days` days ending at `end_us`."""

    seed: int
    days: int
    rate: float
    failure_ratio: float
    api_call_ratio: float
    end_us: int

    @property
    def start_us(self) -> int:
        """The first instant of the history."""
        return self.end_us - self.days * DAY_US


@dataclass(frozen=True)
class ZoneGroup:
    """The workspaces living in one zone, weighted by how busy each is."""

    zone: ZoneInfo
    targets: tuple[WorkspaceTarget, ...]
    cum_weights: tuple[float, ...]
    share: float  # of all activity


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; normal approximation for large means)."""
    if mean <= 0:
        return 0
    if mean > NORMAL_APPROXIMATION_ABOVE:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def zone_groups(seed: int, targets: list[WorkspaceTarget]) -> list[ZoneGroup]:
    """The workspaces by zone (assigned in turn), each weighted 0.3-1.7 by the seed."""
    rng = random.Random(f"history-{seed}-weights")  # noqa: S311 - reproducible data
    weights = [rng.uniform(0.3, 1.7) for _ in targets]
    total = sum(weights)
    groups = []
    for index, zone in enumerate(WORKSPACE_ZONES):
        members = range(index, len(targets), len(WORKSPACE_ZONES))
        if not members:
            continue
        group_weights = [weights[i] for i in members]
        groups.append(
            ZoneGroup(
                ZoneInfo(zone),
                tuple(targets[i] for i in members),
                tuple(accumulate(group_weights)),
                sum(group_weights) / total,
            )
        )
    return groups


def rhythm(hour_us: int, zone: ZoneInfo) -> float:
    """How busy the hour starting at `hour_us` is in `zone`, 1.0 on average over a week."""
    local = from_micros(hour_us).astimezone(zone)
    weekend = WEEKEND_FACTOR if local.weekday() >= 5 else 1.0
    return HOURLY_FACTORS[local.hour] * weekend / MEAN_FACTOR


class HistoryDraw:
    """Draws the records of the history hour by hour."""

    def __init__(self, plan: HistoryPlan, targets: list[WorkspaceTarget]) -> None:
        self.plan = plan
        self.targets = targets
        self.groups = zone_groups(plan.seed, targets)
        self.bursts = sorted(
            [(at, "hour") for at in hour_boundaries(plan.start_us - BURST_US, plan.end_us)]
            + [
                (at, zone)
                for zone in BURST_ZONES
                for at in local_midnights(zone, plan.start_us - BURST_US, plan.end_us + BURST_US)
            ]
        )

    def hours(self) -> Iterator[list[tuple[int, ActivityEvent]]]:
        """Each UTC hour's records within the history, in timestamp order."""
        first = self.plan.start_us // HOUR_US * HOUR_US
        for hour_us in range(first, self.plan.end_us, HOUR_US):
            low, high = max(hour_us, self.plan.start_us), min(hour_us + HOUR_US, self.plan.end_us)
            records = [
                (ts, event)
                for ts, event in (*self._regular(hour_us), *self._bursts_near(hour_us))
                if low <= ts < high
            ]
            records.sort(key=lambda record: record[0])
            yield records

    def _regular(self, hour_us: int) -> list[tuple[int, ActivityEvent]]:
        rng = random.Random(f"history-{self.plan.seed}-{hour_us}")  # noqa: S311
        factory, uniform = EventFactory(rng, self.targets), rng.random
        ratio = self.plan.failure_ratio
        draws: tuple[Draw, Draw] = (
            partial(factory.execution_in, failure_ratio=ratio),
            factory.api_call_in,
        )
        api_per_execution = self.plan.api_call_ratio / (1.0 - self.plan.api_call_ratio)
        records: list[tuple[int, ActivityEvent]] = []
        for group in self.groups:
            targets, cum_weights, total = group.targets, group.cum_weights, group.cum_weights[-1]
            executions = self.plan.rate * group.share * rhythm(hour_us, group.zone)
            for draw, mean in zip(draws, (executions, executions * api_per_execution), strict=True):
                records += [
                    (
                        hour_us + int(uniform() * HOUR_US),
                        draw(targets[bisect(cum_weights, uniform() * total)]),
                    )
                    for _ in range(poisson(rng, mean))
                ]
        return records

    def _bursts_near(self, hour_us: int) -> list[tuple[int, ActivityEvent]]:
        """The bursts that may reach into this hour (those of its edges are drawn for both
        neighbours, identically, and each keeps its own side)."""
        records = []
        first = bisect_left(self.bursts, (hour_us - BURST_US, ""))
        last = bisect_right(self.bursts, (hour_us + HOUR_US + BURST_US, "~"))
        for at, key in self.bursts[first:last]:
            rng = random.Random(f"history-{self.plan.seed}-burst-{key}-{at}")  # noqa: S311
            factory = EventFactory(rng, self.targets)
            low, high = BURST_SIZES["hour" if key == "hour" else "midnight"]
            for _ in range(rng.randint(low, high)):
                ts = at + rng.randint(-BURST_US, BURST_US)
                records.append((ts, factory.execution_in(factory.pick(), self.plan.failure_ratio)))
        return records


def _rows(draw: HistoryDraw, first_seq: int) -> Iterator[tuple[Any, ...]]:
    seq = first_seq
    for records in draw.hours():
        for ts, event in records:
            yield activity_row(seq, ts, ts, event)
            seq += 1


def seed_history(connection: sqlite3.Connection, plan: HistoryPlan) -> int:
    """Insert the history of `plan` for every workspace; returns how many records it holds."""
    targets = load_targets(connection)
    if plan.days <= 0 or not targets:
        return 0
    first_seq = int(connection.execute("SELECT coalesce(max(seq), 0) FROM activity").fetchone()[0])
    rows = _rows(HistoryDraw(plan, targets), first_seq + 1)
    inserted = 0
    connection.execute("BEGIN IMMEDIATE")
    try:
        # Building the indexes once after the load is cheaper than keeping them up to date.
        for index in BULK_DROPPED_INDEXES:
            connection.execute(f"DROP INDEX IF EXISTS {index}")
        while block := list(islice(rows, ROWS_PER_INSERT)):
            connection.executemany(INSERT_ACTIVITY, block)
            inserted += len(block)
        meta = {"history_days": str(plan.days)}
        meta["history_end"] = item_timestamp(from_micros(plan.end_us), zulu=True)
        connection.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", meta.items()
        )
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    create_schema(connection)  # builds the dropped indexes again
    return inserted
