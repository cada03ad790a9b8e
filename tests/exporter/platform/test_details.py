"""Execution details: read when well formed; a malformed detail is dropped, never the execution."""

from __future__ import annotations

import logging

import pytest

from exporter.platform.api import execution_record
from exporter.platform.details import NO_DETAILS, ExecutionDetails

BASE = {
    "id": "act-1",
    "timestamp": "2025-11-24T16:00:00Z",
    "workspace_id": "ws-1",
    "execution_id": "ex-1",
    "success": False,
}


def test_every_detail_is_read():
    item = BASE | {
        "app_id": "app-1",
        "augmentation_id": "aug-1",
        "error_code": "MODEL_TIMEOUT",
        "status_code": 504,
        "duration_ms": 1250,
        "token_usage": {"prompt": 900, "completion": 120, "reasoning": 0},
    }
    record = execution_record(item)
    assert record is not None and record.failed
    assert record.details == ExecutionDetails(
        "app-1",
        "aug-1",
        "MODEL_TIMEOUT",
        504,
        1250,
        (("completion", 120), ("prompt", 900), ("reasoning", 0)),
    )


def test_missing_and_null_details_are_none():
    assert execution_record(BASE).details == NO_DETAILS  # type: ignore[union-attr]
    nulls = dict.fromkeys(("app_id", "augmentation_id", "error_code", "token_usage"), None)
    assert execution_record(BASE | nulls).details == NO_DETAILS  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("field", "value", "kept"),
    [
        ("duration_ms", -5, {}),
        ("duration_ms", "1200", {}),
        ("duration_ms", True, {}),
        ("status_code", 500.0, {}),
        ("app_id", 7, {}),
        ("app_id", "", {}),
        ("error_code", ["X"], {}),
        ("token_usage", [1, 2], {}),
        ("token_usage", {"prompt": -1, "completion": 3}, {"tokens": (("completion", 3),)}),
        ("token_usage", {"prompt": 2.5, "": 1}, {}),
    ],
)
def test_a_malformed_detail_is_dropped_and_logged_but_the_execution_counts(
    caplog, field, value, kept
):
    item = BASE | {"app_id": "app-1", "duration_ms": 40, "status_code": 500} | {field: value}
    with caplog.at_level(logging.WARNING, logger="exporter.platform.details"):
        record = execution_record(item)
    assert record is not None and record.record_id == "act-1" and record.failed
    good = {"app_id": "app-1", "duration_ms": 40, "status_code": 500}
    expected = ExecutionDetails(**({k: v for k, v in good.items() if k != field} | kept))
    assert record.details == expected
    assert "act-1" in caplog.text and field in caplog.text
