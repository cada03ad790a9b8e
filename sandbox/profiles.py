"""How executions look per pipeline: a long-tailed latency, the tokens used, why failures fail.

Each pipeline (an augmentation of an app) has a profile drawn from a generator seeded by its id
alone, so the stream, the seeded history and every restart agree on it. Durations are lognormal
around the profile's median (log-uniform between 50 ms and 60 s, spread σ 0.5-1.3), clipped to
[5 ms, 40 min]; executions that run no pipeline share `DIRECT`. Tokens come in the kinds the
profile uses: prompt on all, completion on all but rerank pipelines, embedding on retrieval and
some others, reasoning on some that complete; a record uses one of `USAGE_VARIANTS` drawn per
profile, each kind 0.5x to 1.5x its typical count (hundreds to tens of thousands). A failure
carries an error code nine times in ten, drawn from a weighted set with a status code that fits
it; failures that never reached a model carry no tokens, the others only their prompt. A record
costs a few `rng.random()` calls and one `math.exp`: a seeded history draws millions of them.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist

MIN_DURATION_MS = 5
MAX_DURATION_MS = 40 * 60 * 1000
TOKEN_KINDS = ("prompt", "completion", "embedding", "reasoning")
# Error code → (weight among failures, status code); the weights leave 10 in 100 failures
# without a code, with a status from `UNCODED_STATUSES`.
ERROR_CODES = {
    "MODEL_TIMEOUT": (22, 504),
    "RATE_LIMITED": (18, 429),
    "UPSTREAM_UNAVAILABLE": (14, 503),
    "TOOL_ERROR": (14, 500),
    "INVALID_OUTPUT": (13, 422),
    "CONTEXT_LENGTH_EXCEEDED": (9, 400),
}
UNCODED_STATUSES = (500, 502, 504, 422)
UNCODED_WEIGHT = 10
# Failures that end before any model ran use no tokens.
BEFORE_THE_MODEL = frozenset({"RATE_LIMITED", "UPSTREAM_UNAVAILABLE"})
FAILURE_DRAWS: tuple[str | None, ...] = (
    *(code for code, (weight, _) in ERROR_CODES.items() for _ in range(weight)),
    *(None,) * UNCODED_WEIGHT,
)
# Share of an app's executions that run one of its pipelines (when it has any).
PIPELINE_SHARE = 0.75
QUANTILE_STEPS = 1024
USAGE_VARIANTS = 64


def _normal_quantiles(steps: int) -> tuple[float, ...]:
    """Standard normal quantiles at 0/steps … steps/steps, the two ends cut short of infinity."""
    normal, tail = NormalDist(), 0.25 / steps
    inner = (normal.inv_cdf(i / steps) for i in range(1, steps))
    return (normal.inv_cdf(tail), *inner, normal.inv_cdf(1.0 - tail))


# A normal draw interpolates between neighbours: one uniform, no log, no trigonometry.
NORMAL_QUANTILES = _normal_quantiles(QUANTILE_STEPS)


def usage_text(usage: dict[str, int]) -> str:
    """Tokens by kind as the `token_usage` column stores them (compact JSON)."""
    return json.dumps(usage, separators=(",", ":"))


@dataclass(frozen=True)
class Profile:
    """A latency (lognormal: median in ms, spread σ) and the `token_usage` texts of successes
    and of failures that reached a model, drawn once (json.dumps per record is slow)."""

    median_ms: float
    sigma: float
    usages: tuple[str, ...]
    prompts: tuple[str, ...]

    def duration_ms(self, rng: random.Random) -> int:
        """One duration drawn from the profile."""
        x = rng.random() * QUANTILE_STEPS
        index = int(x)
        low = NORMAL_QUANTILES[index]
        normal = low + (NORMAL_QUANTILES[index + 1] - low) * (x - index)
        ms = self.median_ms * math.exp(self.sigma * normal)
        return int(min(max(ms, MIN_DURATION_MS), MAX_DURATION_MS))

    def token_usage(self, rng: random.Random, error_code: str | None, failed: bool) -> str | None:
        """One record's `token_usage` text, None when it used no tokens."""
        if error_code in BEFORE_THE_MODEL:
            return None
        return (self.prompts if failed else self.usages)[int(rng.random() * USAGE_VARIANTS)]


def make_profile(
    rng: random.Random, median_ms: float, sigma: float, tokens: list[tuple[str, int]]
) -> Profile:
    """A profile whose records use each kind's typical count times 0.5 to 1.5."""

    def variant(kinds: list[tuple[str, int]]) -> str:
        return usage_text({kind: int(typical * (0.5 + rng.random())) for kind, typical in kinds})

    usages = tuple(variant(tokens) for _ in range(USAGE_VARIANTS))
    return Profile(median_ms, sigma, usages, tuple(variant(tokens[:1]) for _ in usages))


@dataclass(frozen=True)
class Pipeline:
    """An augmentation of an app, as executions run it."""

    augmentation_id: str
    profile: Profile


DIRECT = make_profile(
    random.Random("profile-direct"),  # noqa: S311 - reproducible data
    900.0,
    1.0,
    [("prompt", 1_200), ("completion", 350)],
)


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return low * (high / low) ** rng.random()


@lru_cache(maxsize=65_536)
def pipeline_profile(augmentation_id: str, augmentation_type: str) -> Profile:
    """The profile of one pipeline, the same wherever and whenever it is drawn."""
    rng = random.Random(f"profile-{augmentation_id}")  # noqa: S311 - reproducible data
    median, sigma = _log_uniform(rng, 50.0, 60_000.0), 0.5 + 0.8 * rng.random()
    tokens = [("prompt", int(_log_uniform(rng, 200.0, 20_000.0)))]
    if augmentation_type != "rerank":
        tokens.append(("completion", int(_log_uniform(rng, 100.0, 4_000.0))))
    if augmentation_type == "retrieval" or rng.random() < 0.2:
        tokens.append(("embedding", int(_log_uniform(rng, 300.0, 30_000.0))))
    if augmentation_type != "rerank" and rng.random() < 0.3:
        tokens.append(("reasoning", int(_log_uniform(rng, 500.0, 25_000.0))))
    return make_profile(rng, median, sigma, tokens)


def failure(rng: random.Random) -> tuple[str | None, int]:
    """The error code (None for some) and status code of one failed execution."""
    code = FAILURE_DRAWS[int(rng.random() * len(FAILURE_DRAWS))]
    if code is None:
        return None, UNCODED_STATUSES[int(rng.random() * len(UNCODED_STATUSES))]
    return code, ERROR_CODES[code][1]


def status_of(error_code: str | None) -> int:
    """The status code a failure with `error_code` is written with (500 for codes not listed)."""
    known = ERROR_CODES.get(error_code or "")
    return 500 if known is None else known[1]
