"""Execution details of a few workspaces of the history: durations, tokens, apps, pipelines and
error codes, and the detail families' counters the exporter showed at each scrape.

Details are drawn per execution from a generator of their own, so the executions, their times
and the execution counters are those of `history`. Durations are log-normal, with a median per
pipeline (from about 100 ms to a minute), so quantiles differ between pipelines and the
slowest land in `+Inf`. ws-a04 fails with more distinct error codes than its cap: the codes
first seen after the cap count as `other`, and some codes first appear weeks into the history,
as does a pipeline of ws-b03. ws-b03's counter reset resets its detail families too; ws-b06 is
three days old. Capped values are admitted per workspace in time order (the exporter's commit
order). A detail series is shown at every scrape from the first that counts one of its
executions on (the latency histogram from the workspace's first scrape, zeros included).
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cache, partial

from prometheus_client.utils import floatToGoString

from tests.support.history import DAY, END, PROFILES, SEED, Workspace
from tests.support.history_inventory import inventory
from vocabulary import details
from vocabulary.family import Family

DETAIL_WORKSPACES = ("ws-a04", "ws-b03", "ws-b06")
KINDS = ("prompt", "completion", "embedding", "reasoning")
NAMED_CODES = (
    "MODEL_TIMEOUT",
    "RATE_LIMITED",
    "TOOL_ERROR",
    "CONTEXT_LENGTH_EXCEEDED",
    "UPSTREAM_UNAVAILABLE",
    "INVALID_OUTPUT",
)
# ws-a04's plugins fail with codes of their own, one more every few days: more than its cap.
PLUGIN_CODES = tuple(f"PLUGIN_{n:02d}_FAILED" for n in range(1, 21))
PLUGIN_CODES_FROM = "ws-a04"
STATUS_CODES = (500, 502, 503)
LATE_PIPELINE_FROM = END - 20 * DAY  # ws-b03's app-03 runs its last pipeline only since then
LE = tuple(floatToGoString(b) for b in (*details.DURATION_BUCKETS, math.inf))


@dataclass(frozen=True)
class Execution:
    """One execution's details as the exporter labels them (capped values included)."""

    at: float
    failed: bool
    duration_ms: int
    app_id: str | None
    augmentation_id: str | None
    error_code: str | None  # failed executions only: the code, or `status_<status_code>`
    tokens: tuple[tuple[str, int], ...]


def _pipelines(workspace: Workspace) -> dict[str, list[str]]:
    apps = inventory(workspace.profile).apps
    return {
        app.app_id: [f"{app.app_id}-aug-{k}" for k in range(1, app.augmentations + 1)]
        for app in apps
    }


def _error_code(rng: random.Random, workspace: Workspace, at: float) -> str:
    if rng.random() < 0.15:
        return details.STATUS_CODE_PREFIX + str(rng.choice(STATUS_CODES))
    if workspace.profile.workspace_id == PLUGIN_CODES_FROM and rng.random() < 0.3:
        # Plugin n fails only from day 4n of the history on.
        started = [code for n, code in enumerate(PLUGIN_CODES) if at > END - (90 - 4 * n) * DAY]
        if started:
            return rng.choice(started)
    return rng.choice(NAMED_CODES)


def _drawn(
    rng: random.Random,
    workspace: Workspace,
    pipelines: dict[str, list[str]],
    at: float,
    failed: bool,
) -> Execution:
    app_id = rng.choice([*sorted(pipelines), None]) if pipelines else None
    choices = pipelines.get(app_id or "", [])
    if (
        workspace.profile.workspace_id == "ws-b03"
        and app_id == "app-03"
        and at < LATE_PIPELINE_FROM
    ):
        choices = choices[:-1]
    augmentation_id = rng.choice([*choices, None]) if choices else None
    index = choices.index(augmentation_id) + 1 if augmentation_id in choices else 0
    # The median grows with the pipeline: 120 ms without one, up to about a minute.
    median_ms = 120 * 3.5**index
    duration_ms = max(1, round(rng.lognormvariate(math.log(median_ms), 1.1)))
    tokens = {"prompt": rng.randint(50, 4000), "completion": rng.randint(0, 1500)}
    if rng.random() < 0.2:
        tokens["embedding"] = rng.randint(100, 9000)
    if rng.random() < 0.1:
        tokens["reasoning"] = rng.randint(0, 20000)
    code = _error_code(rng, workspace, at) if failed and rng.random() < 0.85 else None
    if failed and code is None:
        code = details.STATUS_CODE_PREFIX + str(rng.choice(STATUS_CODES))
    return Execution(
        at, failed, duration_ms, app_id, augmentation_id, code, tuple(sorted(tokens.items()))
    )


class _Caps:
    """Admission of capped label values in time order, per workspace."""

    def __init__(self) -> None:
        self.admitted: dict[str, set[str]] = {label: set() for label in details.LABEL_CAPS}

    def __call__(self, label: str, value: str | None) -> str | None:
        seen = self.admitted[label]
        if value is None or value in seen:
            return value
        if len(seen) < details.LABEL_CAPS[label]:
            seen.add(value)
            return value
        return details.OVERFLOW


@cache
def executions(workspace_id: str) -> tuple[Execution, ...]:
    """The workspace's executions with their details as exported, oldest first."""
    workspace = Workspace(next(p for p in PROFILES if p.workspace_id == workspace_id))
    rng = random.Random(f"{SEED}:{workspace_id}:details")
    failed = set(workspace.failures)
    cap = _Caps()
    pipelines = _pipelines(workspace)
    found = []
    for at in workspace.executions:
        drawn = _drawn(rng, workspace, pipelines, at, at in failed)
        tokens: dict[str, int] = {}
        for kind, count in drawn.tokens:
            key = cap("kind", kind) or kind
            tokens[key] = tokens.get(key, 0) + count
        found.append(
            replace(
                drawn,
                app_id=cap("app_id", drawn.app_id),
                augmentation_id=cap("augmentation_id", drawn.augmentation_id),
                error_code=cap("error_code", drawn.error_code),
                tokens=tuple(sorted(tokens.items())),
            )
        )
    return tuple(found)


Weight = Callable[[Execution], int]


@dataclass(frozen=True)
class DetailCounter:
    """One detail series: its family, sample name, labels and what each execution adds."""

    family: Family
    sample_name: str
    labels: dict[str, str]
    weight: Weight
    always: bool = False  # shown from the workspace's first scrape, not its first execution


def _within(bound: float, e: Execution) -> int:
    return int(e.duration_ms / 1000 <= bound)


def _tokens_of(kind: str, e: Execution) -> int:
    return dict(e.tokens).get(kind, 0)


def _of_pipeline(app_id: str, aug: str | None, failed_only: bool, e: Execution) -> int:
    ran = e.app_id == app_id and (aug is None or e.augmentation_id == aug)
    return int(ran and (e.failed or not failed_only))


def _with_code(code: str, e: Execution) -> int:
    return int(e.error_code == code)


def counters(workspace_id: str) -> Iterator[DetailCounter]:
    """Every detail series of the workspace."""
    found = executions(workspace_id)
    bucket = details.EXECUTION_DURATION.sample_names[0]
    for le, bound in zip(LE, (*details.DURATION_BUCKETS, math.inf), strict=True):
        weight = partial(_within, bound)
        yield DetailCounter(details.EXECUTION_DURATION, bucket, {"le": le}, weight, always=True)
    for kind in sorted({k for e in found for k, _ in e.tokens}):
        family = details.TOKENS
        yield DetailCounter(family, family.sample_name, {"kind": kind}, partial(_tokens_of, kind))
    apps = sorted({(e.app_id, None) for e in found if e.app_id is not None})
    pipelines = sorted({(e.app_id, e.augmentation_id) for e in found if e.augmentation_id})
    for app_id, aug in [*apps, *pipelines]:
        assert app_id is not None
        pair = details.APP_DETAIL_FAMILIES if aug is None else details.PIPELINE_DETAIL_FAMILIES
        labels = {"app_id": app_id} if aug is None else {"app_id": app_id, "augmentation_id": aug}
        for family, failed_only in zip(pair, (False, True), strict=True):
            weight = partial(_of_pipeline, app_id, aug, failed_only)
            yield DetailCounter(family, family.sample_name, labels, weight)
    for code in sorted({e.error_code for e in found if e.error_code is not None}):
        family = details.FAILURES_BY_CODE
        yield DetailCounter(
            family, family.sample_name, {"error_code": code}, partial(_with_code, code)
        )


_EPOCHS: dict[str, list[float | None]] = {}


def _epochs(workspace: Workspace) -> list[float | None]:
    """The last counter reset at or before each scrape of the workspace (None: none yet)."""
    key = workspace.profile.workspace_id
    if key not in _EPOCHS:
        resets = workspace.profile.resets
        _EPOCHS[key] = [
            max((r for r in resets if r <= scrape), default=None) for scrape in workspace.scrapes
        ]
    return _EPOCHS[key]


def counter_samples(
    workspace: Workspace, counter: DetailCounter
) -> tuple[list[float], list[float]]:
    """The series' (times, values): at each scrape from its first on, what it counted since the
    last counter reset."""
    found = [e for e in executions(workspace.profile.workspace_id) if counter.weight(e)]
    times = [e.at for e in found]
    running = [0]
    for e in found:
        running.append(running[-1] + counter.weight(e))
    first = 0
    if not counter.always:
        if not found:
            return [], []
        first = bisect_left(workspace.scrapes, times[0])
    scrapes, epochs = workspace.scrapes[first:], _epochs(workspace)[first:]
    values = []
    for scrape, epoch in zip(scrapes, epochs, strict=True):
        since = 0 if epoch is None else bisect_right(times, epoch)
        values.append(float(running[bisect_right(times, scrape)] - running[since]))
    return list(scrapes), values
