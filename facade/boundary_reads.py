"""The answers of boundary reads (`facade.boundaries`), per group of a counted family and per
boundary: each window's last value, whether the workspace's executions were seen in it, and the
resets of windows reaching back two buckets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from facade import buckets as calendar
from facade import promql
from facade.counting import BoundaryRead
from facade.prometheus import Series
from facade.promql import Part
from facade.promql.counters import EXECUTIONS_COUNTED, Counted

Group = tuple[str, ...]  # the values of a Counted's `by` labels
Reads = list[BoundaryRead | None]  # one per boundary (None: no sample in its window)


@dataclass
class Resets:
    """A group's resets per boundary over windows reaching back two buckets, and how many
    series it has."""

    per_boundary: list[float]
    series: set[frozenset[tuple[str, str]]] = field(default_factory=set)


def group_of(counted: Counted, labels: Mapping[str, str]) -> Group:
    """The values of `counted.by` in `labels`."""
    return tuple(labels.get(name, "") for name in counted.by)


@dataclass(frozen=True)
class BoundaryReads:
    """Every group's reads at every boundary, and whether the workspace's executions had a
    sample in each boundary's window."""

    groups: dict[Group, Reads]
    seen: list[bool]
    # Per group, the resets of windows reaching back two buckets; None when each read holds its
    # own window's resets and minimum instead.
    resets: dict[Group, Resets] | None = None


def columns(
    series: list[Series], run: calendar.Run, counted: Counted, reads: BoundaryReads
) -> None:
    """Put the values (with their window's resets and minimum, when read) and the executions
    seen in the answer of `run` into `reads`."""
    columns: dict[Group, dict[int, dict[str, float]]] = {}
    origin = run.start + run.shift
    for item in series:
        part = item.labels.get(promql.PART_LABEL, "")
        seen = part == Part.COUNTER_SEEN or (
            counted == EXECUTIONS_COUNTED and part == Part.COUNTER_VALUE
        )
        column = (
            None
            if part == Part.COUNTER_SEEN
            else columns.setdefault(group_of(counted, item.labels), {})
        )
        for at, value in item.points:
            index = run.first + round((at - origin) / run.step)
            if seen:
                reads.seen[index] = True
            if column is not None:
                column.setdefault(index, {})[part] = value
    size = len(reads.seen)
    for group, found in columns.items():
        target = reads.groups.setdefault(group, [None] * size)
        for index, parts in found.items():
            target[index] = BoundaryRead(
                value=parts.get(Part.COUNTER_VALUE),
                resets=parts.get(Part.COUNTER_RESETS, 0.0),
                minimum=parts.get(Part.COUNTER_MIN),
            )


def forget(run: calendar.Run, reads: BoundaryReads) -> None:
    """Clear what was read at the boundaries of `run`."""
    reads.seen[run.indices] = [False] * (run.last - run.first + 1)
    for found in reads.groups.values():
        found[run.indices] = [None] * (run.last - run.first + 1)


RESETS_PARTS = ("", Part.COUNTER_RESETS_REACH)  # a `counter_resets` answer carries no part


def part_of(series: Series) -> str:
    """The part a series of an answer belongs to ("" for an untagged query)."""
    return series.labels.get(promql.PART_LABEL, "")


def reset_columns(
    series: list[Series], run: calendar.Run, counted: Counted, size: int, found: dict[Group, Resets]
) -> None:
    """Put the two-bucket resets in the answer of `run` into `found` (`size` boundaries),
    counting each group's series."""
    for item in series:
        resets = found.setdefault(group_of(counted, item.labels), Resets([0.0] * size))
        resets.series.add(frozenset(item.labels.items() - {(promql.PART_LABEL, part_of(item))}))
        origin, per_boundary = run.start + run.shift, resets.per_boundary
        for at, value in item.points:
            index = run.first + round((at - origin) / run.step)
            per_boundary[index] = max(per_boundary[index], value)
