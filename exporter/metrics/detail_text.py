"""The execution details of a ledger view, and their text format written line by line.

`prometheus_client` builds a `Sample` and a label dict for every line and sorts and escapes the
labels again each time: about 40 µs per workspace for the 18 histogram lines alone, which made
the details of 1,000 workspaces take close to a second on each ledger commit. `DetailText`
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
from vocabulary.family import Family

LE = tuple(floatToGoString(bound) for bound in (*cat.DURATION_BUCKETS, float("inf")))
BUCKET_KEYS = tuple((ledger.DURATION, str(index)) for index in range(len(LE)))
NO_SERIES: ledger.WorkspaceDetails = {}
PLACE = "\x00"  # stands for `le` (sorted first) in a bucket's labels until each bound fills it


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


class DetailText:
    """The text of the detail families `shown`, filled org by org."""

    def __init__(self, shown: Sequence[Family], kinds: Mapping[str, Family]) -> None:
        self._kinds = kinds
        self._lines: dict[Family, list[str]] = {family: [] for family in shown}
        name = cat.EXECUTION_DURATION.name
        self._names = (f"{name}_bucket{{", f"{name}_count{{", f"{name}_sum{{")

    def add(self, org: OrgDetails) -> None:
        """One org's lines, after those of the orgs added before it."""
        stamp = f" {int(float(org.shown_at) * 1000):d}\n"
        for workspace_id, values in org.workspaces:
            self._add_histogram((org.org_id, workspace_id), values, stamp)
            for family, labels, value in labelled_series(values, self._kinds):
                self._add(family, (org.org_id, workspace_id, *labels), value, stamp)
        for label, count in org.overflow().items():
            self._add(cat.LABEL_OVERFLOW, (org.org_id, label), count, stamp)

    def _add(self, family: Family, values: Sequence[str], value: int, stamp: str) -> None:
        labels = label_text(family.labels, values)
        line = f"{family.sample_name}{{{labels}}} {integer_text(value)}{stamp}"
        self._lines[family].append(line)

    def _add_histogram(
        self, key: tuple[str, str], values: ledger.WorkspaceDetails, stamp: str
    ) -> None:
        names = cat.EXECUTION_DURATION.labels
        labels = label_text(names, key)
        # the bucket's labels with `le` in its sorted place: `le="0.025",org_id="o",...`
        head, _, tail = label_text((*names, "le"), (*key, PLACE)).partition(PLACE)
        bucket, count, total = self._names
        buckets = cumulative_buckets(values)
        lines = self._lines[cat.EXECUTION_DURATION]
        lines.extend(
            f"{bucket}{head}{le}{tail}}} {integer_text(value)}{stamp}"
            for le, value in zip(LE, buckets, strict=True)
        )
        lines.append(f"{count}{labels}}} {integer_text(buckets[-1])}{stamp}")
        lines.append(f"{total}{labels}}} {floatToGoString(duration_seconds(values))}{stamp}")

    def encode(self) -> bytes:
        """The families' text, in the order they were shown, as UTF-8."""
        parts = [header(family) + "".join(lines) for family, lines in self._lines.items()]
        return "".join(parts).encode()
