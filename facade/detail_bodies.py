"""The JSON bodies of the execution details: latency, tokens, an app's executions, failures.

Like `facade.bodies`, one pydantic model per shape serializes the answer and documents it.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field

from facade import results
from facade.bodies import Body, Count, ExecutionMetrics, IsoTime
from vocabulary.details import OVERFLOW

Millis = Annotated[float, Field(ge=0)] | None
Ratio = Annotated[float, Field(ge=0, le=1)]


class LatencyBucket(Body):
    """One bucket: its start, the executions that finished in it and their latency quantiles."""

    timestamp: IsoTime
    count: Count
    p50: Millis
    p90: Millis
    p95: Millis
    p99: Millis

    @classmethod
    def of(cls, label: str, value: results.Latency) -> Self:
        """The bucket starting at `label`."""
        return cls(timestamp=label, count=value.count, **value.quantiles)


class ExecutionLatency(Body):
    """Latency of finished executions over the window, then per bucket, oldest first.

    Quantiles are estimated from exact histogram bucket counts with Prometheus'
    `histogram_quantile` interpolation: each lies in the same latency bucket as the exact
    (nearest-rank) quantile, so it is off by less than that bucket's width."""

    metric: Literal["execution_latency"]
    period: results.Period
    unit: Literal["ms"]
    count: Count
    p50: Millis
    p90: Millis
    p95: Millis
    p99: Millis
    data: list[LatencyBucket]

    @classmethod
    def of(cls, value: results.LatencySeries) -> Self:
        """The latency of the window, then of each bucket."""
        pairs = zip(value.labels, value.buckets, strict=True)
        return cls(
            metric="execution_latency",
            period=value.period,
            unit="ms",
            count=value.window.count,
            **value.window.quantiles,
            data=[LatencyBucket.of(label, bucket) for label, bucket in pairs],
        )


class TokenBucket(Body):
    """One day: its start and the tokens used in it, in all and per kind."""

    timestamp: IsoTime
    total: Count
    by_kind: dict[str, Count]


class TokenUsage(Body):
    """Tokens used by finished executions over the window, then per day, oldest first."""

    metric: Literal["tokens"]
    period: Literal["daily"]
    total: Count
    by_kind: dict[str, Count]
    data: list[TokenBucket]

    @classmethod
    def of(cls, value: results.TokenSeries) -> Self:
        """The window's tokens, then each day's."""
        kinds = sorted({kind for day in value.by_kind for kind in day})
        window = {kind: sum(day.get(kind, 0) for day in value.by_kind) for kind in kinds}
        return cls(
            metric="tokens",
            period="daily",
            total=sum(window.values()),
            by_kind=window,
            data=[
                TokenBucket(
                    timestamp=label, total=sum(day.values()), by_kind=dict(sorted(day.items()))
                )
                for label, day in zip(value.labels, value.by_kind, strict=True)
            ],
        )


class AppBucket(Body):
    """One day: its start, the app's executions that finished in it and how many failed."""

    timestamp: IsoTime
    total: Count
    failed: Count


class PipelineExecutions(Body):
    """Executions of one pipeline (augmentation) of the app over the window."""

    augmentation_id: str
    total: Count
    success: Count
    failed: Count
    success_rate: Ratio

    @classmethod
    def of(cls, augmentation_id: str, value: results.Executions) -> Self:
        """The window's executions of one pipeline."""
        return cls(augmentation_id=augmentation_id, **ExecutionMetrics.of(value).model_dump())


class AppExecutions(Body):
    """Executions of one app over the window, per day (oldest first) and per pipeline (most
    executions first, ties by id)."""

    app_id: str
    period: Literal["daily"]
    total: Count
    success: Count
    failed: Count
    success_rate: Ratio
    data: list[AppBucket]
    pipelines: list[PipelineExecutions]

    @classmethod
    def of(cls, value: results.AppSeries) -> Self:
        """The app's executions, then each day's, then each pipeline's."""
        window = sum(value.buckets, results.Executions(0, 0))
        pipelines = sorted(value.pipelines.items(), key=lambda item: (-item[1].total, item[0]))
        return cls(
            app_id=value.app_id,
            period="daily",
            **ExecutionMetrics.of(window).model_dump(),
            data=[
                AppBucket(timestamp=label, total=day.total, failed=day.failed)
                for label, day in zip(value.labels, value.buckets, strict=True)
            ],
            pipelines=[PipelineExecutions.of(key, item) for key, item in pipelines],
        )


class FailureCode(Body):
    """Failed executions with one error code over the window."""

    error_code: str
    count: Count
    share: Ratio
    overflow: bool


class Failures(Body):
    """Failed executions by error code over the window, most frequent first (ties by code)."""

    metric: Literal["failures"]
    period: Literal["daily"]
    total: Count
    overflow_code: str
    codes: list[FailureCode]

    @classmethod
    def of(cls, value: results.FailureCodes) -> Self:
        """The window's failures, each code with its share of them."""
        total = sum(value.counts.values())
        ranked = sorted(value.counts.items(), key=lambda item: (-item[1], item[0]))
        return cls(
            metric="failures",
            period="daily",
            total=total,
            overflow_code=OVERFLOW,
            codes=[
                FailureCode(
                    error_code=code,
                    count=count,
                    share=round(count / total, 4),
                    overflow=code == OVERFLOW,
                )
                for code, count in ranked
            ],
        )
