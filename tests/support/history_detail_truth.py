"""Expected answers of the detail endpoints over the history, from its executions' details.

As in `history_truth`, an execution counts in the bucket in which a scrape first shows it (the
first scrape at or after it, unless a counter reset falls between the two: then it is lost
with the exporter's state). None of this reads a counter value.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from datetime import tzinfo

from facade.quantiles import quantiles_ms
from tests.support.history import END, PROFILES, Workspace
from tests.support.history_details import DETAIL_WORKSPACES, LE, Execution, executions
from tests.support.history_truth import execution_totals, label
from vocabulary.details import DURATION_BUCKETS, OVERFLOW

Buckets = list[list[Execution]]


def shown(workspace: Workspace) -> tuple[list[float], list[Execution]]:
    """The scrape that first showed each shown execution, and the executions, in that order."""
    scrapes = workspace.scrapes
    resets = sorted(workspace.profile.resets)
    found: list[tuple[float, Execution]] = []
    for execution in executions(workspace.profile.workspace_id):
        index = bisect_left(scrapes, execution.at)
        if index == len(scrapes):
            continue
        scrape = scrapes[index]
        if any(execution.at <= reset <= scrape for reset in resets):
            continue
        found.append((scrape, execution))
    return [at for at, _ in found], [execution for _, execution in found]


def nearest_rank(q: float, durations: Sequence[int]) -> int:
    """The exact q-quantile: the ⌈q·n⌉-th smallest duration."""
    ordered = sorted(durations)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def bucket_of(duration_ms: float) -> tuple[float, float]:
    """The latency bucket [lower, upper] (ms) holding a duration (upper inf in `+Inf`)."""
    bounds = [0.0, *(b * 1000 for b in DURATION_BUCKETS), math.inf]
    upper = next(index for index, bound in enumerate(bounds) if duration_ms <= bound)
    return bounds[max(0, upper - 1)], bounds[upper]


def latency(executions_in: Sequence[Execution]) -> dict[str, object]:
    """Count and quantiles of some executions, from their histogram's bucket counts."""
    cumulative = {
        le: sum(1 for e in executions_in if e.duration_ms / 1000 <= float(le)) for le in LE
    }
    return {"count": len(executions_in), **quantiles_ms(cumulative)}


class DetailTruth:
    """Expected detail answers of the workspaces with details, computed once per session."""

    def __init__(self) -> None:
        self._shown = {
            p.workspace_id: shown(Workspace(p))
            for p in PROFILES
            if p.workspace_id in DETAIL_WORKSPACES
        }

    def buckets(self, workspace_id: str, starts: list[float], now: float = END) -> Buckets:
        """The shown executions of each bucket (start, next start], the last one up to `now`."""
        times, found = self._shown.get(workspace_id, ([], []))
        return [
            found[bisect_right(times, start) : bisect_right(times, end)]
            for start, end in itertools.pairwise([*starts, now])
        ]

    def latency(self, workspace_id: str, starts: list[float], zone: tzinfo) -> dict[str, object]:
        """The expected latency body without `metric`, `period` and `unit`."""
        buckets = self.buckets(workspace_id, starts)
        window = latency([e for bucket in buckets for e in bucket])
        data = [
            {"timestamp": label(start, zone), **latency(bucket)}
            for start, bucket in zip(starts, buckets, strict=True)
        ]
        return {**window, "data": data}

    def tokens(self, workspace_id: str, starts: list[float], zone: tzinfo) -> dict[str, object]:
        """The expected token body without `metric` and `period`."""
        buckets = self.buckets(workspace_id, starts)
        per_day: list[Counter[str]] = [Counter() for _ in buckets]
        for day, bucket in zip(per_day, buckets, strict=True):
            for execution in bucket:
                day.update(dict(execution.tokens))
        kinds = sorted(kind for kind in set().union(*per_day) if sum(d[kind] for d in per_day))
        window = {kind: sum(day[kind] for day in per_day) for kind in kinds}
        data = [
            {
                "timestamp": label(start, zone),
                "total": sum(day[kind] for kind in kinds),
                "by_kind": {kind: day[kind] for kind in kinds},
            }
            for start, day in zip(starts, per_day, strict=True)
        ]
        return {"total": sum(window.values()), "by_kind": window, "data": data}

    def app(
        self, workspace_id: str, app_id: str, starts: list[float], zone: tzinfo
    ) -> dict[str, object]:
        """The expected body of an app's executions."""
        buckets = [
            [e for e in bucket if e.app_id == app_id]
            for bucket in self.buckets(workspace_id, starts)
        ]
        runs = [e for bucket in buckets for e in bucket]
        pipelines = Counter(e.augmentation_id for e in runs if e.augmentation_id is not None)
        failed = Counter(e.augmentation_id for e in runs if e.failed and e.augmentation_id)
        ranked = sorted(pipelines.items(), key=lambda item: (-item[1], item[0]))
        return {
            "app_id": app_id,
            "period": "daily",
            **execution_totals(len(runs), sum(e.failed for e in runs)),
            "data": [
                {"timestamp": label(s, zone), "total": len(b), "failed": sum(e.failed for e in b)}
                for s, b in zip(starts, buckets, strict=True)
            ],
            "pipelines": [
                {"augmentation_id": aug, **execution_totals(total, failed[aug])}
                for aug, total in ranked
            ],
        }

    def failures(self, workspace_id: str, starts: list[float]) -> dict[str, object]:
        """The expected failures body."""
        buckets = self.buckets(workspace_id, starts)
        codes = Counter(e.error_code for bucket in buckets for e in bucket if e.failed)
        total = sum(codes.values())
        ranked = sorted(codes.items(), key=lambda item: (-item[1], str(item[0])))
        return {
            "metric": "failures",
            "period": "daily",
            "total": total,
            "overflow_code": OVERFLOW,
            "codes": [
                {
                    "error_code": code,
                    "count": count,
                    "share": round(count / total, 4),
                    "overflow": code == OVERFLOW,
                }
                for code, count in ranked
            ],
        }
