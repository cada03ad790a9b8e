"""The PromQL of counters on the platform's clock read at bucket boundaries (see
docs/metrics.md "Two clocks" and `facade.boundaries`): the executions, or a detail family per
value of its labels. Scopes, escaping and tags are those of `facade.promql`."""

from __future__ import annotations

from dataclasses import dataclass

from facade.promql import MAX_LOOKBACK_SECONDS, Part, Parts, Scope, duration, tagged
from vocabulary import catalogue as cat
from vocabulary import details


@dataclass(frozen=True)
class Counted:
    """A counter on the platform's clock (see docs/metrics.md) read at bucket boundaries: its
    samples' name and the labels it is counted by."""

    sample_name: str
    by: tuple[str, ...] = ()

    def aggregated(self, operation: str, expression: str) -> str:
        """`operation` over the scrape jobs, per value of the `by` labels."""
        return f"{operation} by ({', '.join(self.by)}) ({expression})"


EXECUTIONS_COUNTED = Counted(cat.EXECUTIONS_BY_TIME.sample_name)


def _counter_window(scope: Scope, window: float, shift: float, counted: Counted) -> str:
    series = f"{counted.sample_name}{scope.matchers()}[{duration(window)}]"
    return series + f" offset {duration(shift)}" if shift > 0 else series


def counter_values(
    scope: Scope, window: float, shift: float = 0.0, counted: Counted = EXECUTIONS_COUNTED
) -> Parts:
    """COUNTER_VALUE: the last sample in the window ending `shift` before the evaluation time."""
    series = _counter_window(scope, window, shift, counted)
    return {Part.COUNTER_VALUE: counted.aggregated("max", f"last_over_time({series})")}


def counter_reads(
    scope: Scope,
    window: float,
    shift: float = 0.0,
    counted: Counted = EXECUTIONS_COUNTED,
    checks: bool = True,
    reach: float | None = None,
) -> str:
    """COUNTER_VALUE, with `checks` what reveals a reset in the same window: COUNTER_RESETS
    (decreases inside it) and COUNTER_MIN (a reset between the last sample before it and the
    first in it); with a `reach`, COUNTER_RESETS_REACH, the `counter_resets` of that window.
    Another family adds COUNTER_SEEN, the workspace's executions: every family is shown at the
    same times, so a series absent where executions are seen had not started (0)."""
    series = _counter_window(scope, window, shift, counted)
    parts = counter_values(scope, window, shift, counted)
    if checks:
        parts[Part.COUNTER_RESETS] = counted.aggregated("max", f"resets({series})")
        parts[Part.COUNTER_MIN] = counted.aggregated("min", f"min_over_time({series})")
    if reach is not None:
        parts[Part.COUNTER_RESETS_REACH] = counter_resets(scope, reach, shift, counted)
    if counted != EXECUTIONS_COUNTED:
        seen = counter_values(scope.workspace, window, shift)
        parts[Part.COUNTER_SEEN] = seen[Part.COUNTER_VALUE]
    return tagged(parts)


def counter_before(scope: Scope, counted: Counted = EXECUTIONS_COUNTED) -> str:
    """The counter's last sample at or before the evaluation time, however old."""
    series = f"{counted.sample_name}{scope.matchers()}[{duration(MAX_LOOKBACK_SECONDS)}]"
    return counted.aggregated("max", f"last_over_time({series})")


def counter_resets(
    scope: Scope, window: float, shift: float = 0.0, counted: Counted = EXECUTIONS_COUNTED
) -> str:
    """The resets of every series of the counter in the window ending `shift` before the
    evaluation time, not aggregated: one result per scrape job and value of the counted labels,
    so a reader can tell one series from several."""
    return f"resets({_counter_window(scope, window, shift, counted)})"


def counter_samples(scope: Scope, window: float, counted: Counted = EXECUTIONS_COUNTED) -> str:
    """The raw counter samples of every scrape job in the window ending at the evaluation time."""
    return f"{counted.sample_name}{scope.matchers()}[{duration(window)}]"


# The detail families the façade counts, by the labels its answers group them by.
DURATION_BUCKETS = Counted(details.EXECUTION_DURATION.sample_names[0], ("le",))  # `_bucket`
TOKENS = Counted(details.TOKENS.sample_name, ("kind",))
APP_EXECUTIONS = Counted(details.APP_EXECUTIONS.sample_name)
APP_EXECUTIONS_FAILED = Counted(details.APP_EXECUTIONS_FAILED.sample_name)
PIPELINE_EXECUTIONS = Counted(details.PIPELINE_EXECUTIONS.sample_name, ("augmentation_id",))
PIPELINE_EXECUTIONS_FAILED = Counted(
    details.PIPELINE_EXECUTIONS_FAILED.sample_name, ("augmentation_id",)
)
FAILURES_BY_CODE = Counted(details.FAILURES_BY_CODE.sample_name, ("error_code",))
