"""How executions look per pipeline: a long-tailed latency, the tokens used, why failures fail.

Each pipeline (an augmentation of an app) has a profile drawn from a generator seeded by its id
alone, so the stream, the seeded history and every restart agree on it. Durations are lognormal
around the profile's median (log-uniform between 50 ms and 60 s, spread σ 0.5-1.3), clipped to
[5 ms, 40 min]; executions that run no pipeline share `DIRECT`. Tokens come in the kinds the
profile uses: prompt on all, completion on all but rerank pipelines, embedding on retrieval and
some others, reasoning on some that complete; each record's counts are 0.5x to 1.5x the
profile's typical ones (hundreds to tens of thousands). A failure carries an error code nine
times in ten, drawn from a weighted set with a status code that fits it; failures that never
reached a model carry no tokens, the others only their prompt. Draws use `rng.random()` and
`math` alone: a seeded history draws millions of records.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from functools import cached_property, lru_cache

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
TWO_PI = 2.0 * math.pi


def usage_text(usage: dict[str, int]) -> str:
    """Tokens by kind as the `token_usage` column stores them (compact JSON)."""
    return json.dumps(usage, separators=(",", ":"))


@dataclass(frozen=True)
class Profile:
    """A latency (lognormal: median in ms, spread σ) and the typical tokens per kind."""

    median_ms: float
    sigma: float
    tokens: tuple[tuple[str, int], ...]

    @cached_property
    def _templates(self) -> tuple[str, str]:
        """`token_usage` text with %d for each kind's count: all kinds, and the prompt alone."""
        every = usage_text({kind: 0 for kind, _ in self.tokens}).replace(":0", ":%d")
        return every, usage_text({self.tokens[0][0]: 0}).replace(":0", ":%d")

    def duration_ms(self, rng: random.Random) -> int:
        """One duration drawn from the profile (Box-Muller on two uniforms)."""
        normal = math.sqrt(-2.0 * math.log(1.0 - rng.random())) * math.cos(TWO_PI * rng.random())
        ms = self.median_ms * math.exp(self.sigma * normal)
        return int(min(max(ms, MIN_DURATION_MS), MAX_DURATION_MS))

    def token_usage(self, rng: random.Random, error_code: str | None, failed: bool) -> str | None:
        """One record's `token_usage` text (each kind 0.5x to 1.5x its typical count), None when
        it used no tokens; written from a template since json.dumps per record is slow."""
        if error_code in BEFORE_THE_MODEL:
            return None
        every, prompt = self._templates
        uniform = rng.random
        if failed:
            return prompt % (self.tokens[0][1] * (0.5 + uniform()))  # %d truncates
        return every % tuple([typical * (0.5 + uniform()) for _, typical in self.tokens])


@dataclass(frozen=True)
class Pipeline:
    """An augmentation of an app, as executions run it."""

    augmentation_id: str
    profile: Profile


DIRECT = Profile(900.0, 1.0, (("prompt", 1_200), ("completion", 350)))


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
    return Profile(median, sigma, tuple(tokens))


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
