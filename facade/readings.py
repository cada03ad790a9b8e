"""One tagged instant query at "now", its results by part, and the checks every answer needs.

Each analytics answer is one round trip: its parts (see `promql.tagged`) plus whether the org
and workspace exist and when each collector of the exporters owning the org last succeeded.
Data older than the configured staleness limit is refused rather than served as current.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from facade import promql
from facade.errors import NotFound, ServiceUnavailable
from facade.last_modified import note
from facade.prometheus import PrometheusClient, Sample
from facade.promql import Part

Clock = Callable[[], float]


class Reading:
    """The results of a tagged query, grouped by part."""

    def __init__(self, samples: Sequence[Sample], now: float) -> None:
        self.now = now
        self.parts: dict[str, list[Sample]] = {}
        for sample in samples:
            part = sample.labels.get(promql.PART_LABEL, "")
            self.parts.setdefault(part, []).append(sample)

    def samples(self, part: Part) -> list[Sample]:
        """Every result of one part."""
        return self.parts.get(part, [])

    def total(self, part: Part, **labels: str) -> int:
        """The sum of a part's values whose labels match `labels`, as an exact count."""
        return round(
            sum(
                sample.value
                for sample in self.samples(part)
                if all(sample.labels.get(name) == value for name, value in labels.items())
            )
        )

    def by(self, part: Part, label: str) -> dict[str, float]:
        """A part's values summed per value of one label."""
        result: dict[str, float] = {}
        for sample in self.samples(part):
            key = sample.labels.get(label, "")
            result[key] = result.get(key, 0.0) + sample.value
        return result

    def split(self, label: str) -> dict[str, Reading]:
        """One Reading per value of `label`, holding the samples that carry that value."""
        groups: dict[str, list[Sample]] = {}
        for samples in self.parts.values():
            for sample in samples:
                key = sample.labels.get(label)
                if key is not None:
                    groups.setdefault(key, []).append(sample)
        return {key: Reading(samples, self.now) for key, samples in groups.items()}

    def counts_by(self, part: Part, label: str) -> dict[str, int]:
        """`by` as exact counts, without zero entries."""
        return {
            key: round(value) for key, value in sorted(self.by(part, label).items()) if round(value)
        }


@dataclass(frozen=True)
class Freshness:
    """How old the exporter's collections may be, and what a client is told to wait."""

    stale_after: float
    retry_after: int

    def check(self, reading: Reading, collectors: Sequence[str]) -> None:
        """ServiceUnavailable when a collector never succeeded, not recently enough, or its
        exporter is no longer scraped (see `promql.collector_freshness`); else the oldest of
        their last successes is noted as the answer's data time."""
        last = reading.by(Part.FRESHNESS, "collector")
        gone = {
            sample.labels.get("collector")
            for sample in reading.samples(Part.FRESHNESS)
            if sample.labels.get(promql.OWNER_LABEL) == "gone"
        }
        for collector in collectors:
            at = last.get(collector)
            if at is None or reading.now - at > self.stale_after or collector in gone:
                raise ServiceUnavailable(
                    "Analytics data is stale: the exporter has not collected recently",
                    self.retry_after,
                    reason="stale",
                    collector=collector,
                    last_success=None if at is None else round(at, 3),
                )
            note(at)


class Reader:
    """Sends tagged queries at the clock's "now" and applies the common checks."""

    def __init__(self, client: PrometheusClient, clock: Clock, freshness: Freshness) -> None:
        self.client = client
        self.clock = clock
        self.freshness = freshness

    def read(
        self, parts: Mapping[Part, str], collectors: Sequence[str], now: float | None = None
    ) -> Reading:
        """Evaluate `parts` at `now` (default: the clock's); refuse stale data of `collectors`."""
        now = self.clock() if now is None else now
        reading = Reading(self.client.instant(promql.tagged(parts), now), now)
        self.freshness.check(reading, collectors)
        return reading

    def require(self, reading: Reading, scope: promql.Scope) -> None:
        """NotFound for an unknown org, or an unknown workspace of a known org."""
        if not reading.samples(Part.ORG):
            raise NotFound("organization", scope.org_id)
        if scope.workspace_id is not None and not reading.samples(Part.WORKSPACE):
            raise NotFound("workspace", scope.workspace_id)
