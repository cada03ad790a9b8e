"""Execution details by the platform's clock: latency, tokens, apps, pipelines, error codes.

Every family here is counted like `executions_by_time` (see `exporter.ledger.event_time`):
samples carry explicit timestamps on 15-minute boundaries (and the fresh edge) and count the
executions whose activity timestamp is before the sample's own. Label values the platform
supplies (app and pipeline ids, error codes, token kinds) are capped per workspace: the first
`cap` distinct values seen keep their own series, later ones count under `OVERFLOW`, and
`LABEL_OVERFLOW` counts the executions that did. `docs/cardinality.md` holds the budget.
"""

from __future__ import annotations

from vocabulary.family import APP, WS, family

OVERFLOW = "other"
# Failed executions without an `error_code` count under `status_<status_code>`.
STATUS_CODE_PREFIX = "status_"
# Upper bounds (seconds) of the latency buckets: AI executions take tens of milliseconds (a
# cached answer) to tens of minutes (a long agent run); each bound is at most 3× the previous.
DURATION_BUCKETS = (
    0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0,
)  # fmt: skip
# Capped labels → default cap per workspace (distinct values besides `OVERFLOW`).
LABEL_CAPS = {"app_id": 50, "augmentation_id": 100, "error_code": 20, "kind": 8}

BY_TIME = ", by activity time (explicit sample timestamps)."
CAPPED = " Over the workspace's cap the label is `other`."

EXECUTION_DURATION = family(
    "execution_duration_by_time_seconds",
    "histogram",
    WS,
    "Durations of finished executions (`duration_ms`), in seconds" + BY_TIME,
)
TOKENS = family(
    "tokens_by_time",
    "counter",
    (*WS, "kind"),
    "Tokens used by finished executions by kind (the keys of `token_usage`)" + BY_TIME + CAPPED,
)
APP_EXECUTIONS = family(
    "app_executions_by_time",
    "counter",
    APP,
    "Finished executions of an app" + BY_TIME + CAPPED,
)
APP_EXECUTIONS_FAILED = family(
    "app_executions_failed_by_time",
    "counter",
    APP,
    "Finished executions of an app that failed" + BY_TIME + CAPPED,
)
PIPELINE = (*APP, "augmentation_id")
PIPELINE_EXECUTIONS = family(
    "pipeline_executions_by_time",
    "counter",
    PIPELINE,
    "Finished executions of a pipeline (augmentation) of an app" + BY_TIME + CAPPED,
)
PIPELINE_EXECUTIONS_FAILED = family(
    "pipeline_executions_failed_by_time",
    "counter",
    PIPELINE,
    "Finished executions of a pipeline (augmentation) that failed" + BY_TIME + CAPPED,
)
FAILURES_BY_CODE = family(
    "executions_failed_by_code_by_time",
    "counter",
    (*WS, "error_code"),
    "Failed executions by `error_code` (`status_<code>` without one)" + BY_TIME + CAPPED,
)
LABEL_OVERFLOW = family(
    "exporter_label_overflow",
    "counter",
    ("org_id", "label"),
    "Executions whose value of a capped label (app_id, augmentation_id, error_code, kind) was "
    "over its workspace's cap and counted as `other`.",
)

WORKSPACE_DETAIL_FAMILIES = (EXECUTION_DURATION, TOKENS, FAILURES_BY_CODE)
APP_DETAIL_FAMILIES = (APP_EXECUTIONS, APP_EXECUTIONS_FAILED)
PIPELINE_DETAIL_FAMILIES = (PIPELINE_EXECUTIONS, PIPELINE_EXECUTIONS_FAILED)
DETAIL_FAMILIES = (
    *WORKSPACE_DETAIL_FAMILIES,
    *APP_DETAIL_FAMILIES,
    *PIPELINE_DETAIL_FAMILIES,
    LABEL_OVERFLOW,
)
