"""The execution details of a ledger view, and their text format written line by line.

`prometheus_client` builds a `Sample` and a label dict for every line and sorts and escapes the
labels again each time: about 10 µs a line, which made the 50 detail lines of each of 1,000
workspaces take half a second to a second on each ledger commit. `DetailText`
writes the same bytes as `generate_latest` over `DetailCollector.families` (a test compares
both on a realistic view): HELP/TYPE lines taken from `generate_latest` of each empty family,
labels sorted by name and escaped as it escapes them, values through `floatToGoString`,
timestamps in milliseconds; a workspace's labels are escaped and joined once for all its lines.
"""

from __future__ import annotations

import functools
import itertools
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client import generate_latest
from prometheus_client.utils import floatToGoString

from exporter.ledger import details as ledger
from exporter.metrics.collectors import BuiltFamilies
from exporter.metrics.families import new_family
from vocabulary import details as cat
from vocabulary.family import WS, Family

LE = tuple(floatToGoString(bound) for bound in (*cat.DURATION_BUCKETS, float("inf")))
BUCKET_KEYS = tuple((ledger.DURATION, str(index)) for index in range(len(LE)))
NO_SERIES: ledger.WorkspaceDetails = {}


@dataclass(frozen=True)
class OrgDetails:
    """What one org shows: its exposure time and every shown workspace's detail series."""

    org_id: str
    shown_at: int
    workspaces: tuple[tuple[str, ledger.WorkspaceDetails], ...]

    def overflow(self) -> dict[str, int]:
        """Executions counted as `other`, per capped label (0 where none)."""
        counts: Counter[str] = Counter()
        for _, values in self.workspaces:
            for key, value in values.items():
                if key[0] == ledger.OVERFLOWED:
                    counts[key[1]] += value
        return {label: counts[label] for label in cat.LABEL_CAPS}


def cumulative_buckets(values: ledger.WorkspaceDetails) -> list[int]:
    """The latency histogram's cumulative counts, one per bound of `LE`."""
    return list(itertools.accumulate(values.get(key, 0) for key in BUCKET_KEYS))


def duration_seconds(values: ledger.WorkspaceDetails) -> float:
    """The sum of the durations, in seconds."""
    return values.get((ledger.DURATION_SUM,), 0) / 1000


def labelled_series(
    values: ledger.WorkspaceDetails, kinds: Mapping[str, Family]
) -> Iterator[tuple[Family, tuple[str, ...], int]]:
    """The counter series of `kinds` among `values`: family, label values past the key, value."""
    for series, value in sorted(values.items()):
        family = kinds.get(series[0])
        if family is not None:
            yield family, series[1:], value


@functools.lru_cache(maxsize=1 << 16)  # ids and codes recur on many lines; the cache is bounded
def escape(value: str) -> str:
    """A label value escaped as the text format (and `generate_latest`) wants it."""
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


@functools.cache
def header(family: Family) -> str:
    """The family's HELP and TYPE lines, exactly as `generate_latest` writes them."""
    return generate_latest(BuiltFamilies([new_family(family)])).decode()


@functools.cache
def label_order(names: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    """Each label's position among `names` and its `name="` opening, sorted by name."""
    return tuple((names.index(name), f'{name}="') for name in sorted(names))


def label_text(names: tuple[str, ...], values: Sequence[str]) -> str:
    """`name="value"` pairs sorted by name, as `generate_latest` orders them."""
    return '",'.join(opening + escape(values[i]) for i, opening in label_order(names)) + '"'


@functools.lru_cache(maxsize=1 << 12)
def integer_text(value: int) -> str:
    """`floatToGoString` of a count, kept: counts recur (0 most of all)."""
    return floatToGoString(value)


@functools.lru_cache(maxsize=1 << 14)
def own_label_text(names: tuple[str, ...], values: tuple[str, ...]) -> str:
    """`label_text` of a series' own labels (past the workspace's key), kept: values recur."""
    return label_text(names, values)


def own_labels_first(family: Family) -> bool:
    """Whether the family's own labels all sort before its key (`org_id`, `workspace_id`)."""
    key, own = family.labels[:2], family.labels[2:]
    return key == WS and all(name < min(WS) for name in own)


class DetailText:
    """The text of the detail families `shown`, filled org by org.

    The detail families' own labels (`kind`, `app_id`, `error_code`, ... and a bucket's `le`)
    sort before `org_id`, so a line's labels are its own labels' text, then the workspace's:
    both are joined once and reused. A family whose labels sort otherwise takes the slow path.
    """

    def __init__(self, shown: Sequence[Family], kinds: Mapping[str, Family]) -> None:
        self._lines: dict[Family, list[str]] = {family: [] for family in shown}
        # series kind → (family, `name{`, whether its own labels sort first, its lines)
        self._series = {
            kind: (family, family.sample_name + "{", own_labels_first(family), self._lines[family])
            for kind, family in kinds.items()
        }
        histogram = cat.EXECUTION_DURATION  # its labels are `WS`, and `le` sorts before them
        self._buckets = tuple(f'{histogram.name}_bucket{{le="{le}",' for le in LE)
        self._totals = (f"{histogram.name}_count{{", f"{histogram.name}_sum{{")

    def add(self, org: OrgDetails) -> None:
        """One org's lines, after those of the orgs added before it."""
        stamp = f" {int(float(org.shown_at) * 1000):d}\n"
        for workspace_id, values in org.workspaces:
            key = (org.org_id, workspace_id)
            key_text = label_text(WS, key) + "} "
            self._add_histogram(key_text, values, stamp)
            for series, value in sorted(values.items()):
                found = self._series.get(series[0])
                if found is None:
                    continue
                family, name, fast, lines = found
                if fast:
                    text = own_label_text(family.labels[2:], series[1:]) + "," + key_text
                else:
                    text = label_text(family.labels, (*key, *series[1:])) + "} "
                lines.append(f"{name}{text}{integer_text(value)}{stamp}")
        for label, count in org.overflow().items():
            text = label_text(cat.LABEL_OVERFLOW.labels, (org.org_id, label))
            line = f"{cat.LABEL_OVERFLOW.sample_name}{{{text}}} {integer_text(count)}{stamp}"
            self._lines[cat.LABEL_OVERFLOW].append(line)

    def _add_histogram(self, key_text: str, values: ledger.WorkspaceDetails, stamp: str) -> None:
        buckets = cumulative_buckets(values)
        lines = self._lines[cat.EXECUTION_DURATION]
        lines.extend(
            f"{opening}{key_text}{integer_text(count)}{stamp}"
            for opening, count in zip(self._buckets, buckets, strict=True)
        )
        count_name, sum_name = self._totals
        seconds = floatToGoString(duration_seconds(values))
        lines.append(f"{count_name}{key_text}{integer_text(buckets[-1])}{stamp}")
        lines.append(f"{sum_name}{key_text}{seconds}{stamp}")

    def encode(self) -> bytes:
        """The families' text, in the order they were shown, as UTF-8."""
        parts = [header(family) + "".join(lines) for family, lines in self._lines.items()]
        return "".join(parts).encode()
