"""The platform's fields and meanings, read from items shaped as platform-api.md shows them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from exporter.platform import api
from exporter.platform.details import ExecutionDetails


def test_times_with_and_without_a_zone_are_utc_microseconds():
    moment = datetime(2025, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    micros = int(moment.timestamp()) * 1_000_000 + moment.microsecond
    assert api.parse_time("2025-03-04T05:06:07.891011Z") == micros
    assert api.parse_time("2025-03-04T05:06:07.891011") == micros
    assert api.parse_time("2025-03-04T06:06:07.891011+01:00") == micros
    assert api.format_time(micros) == "2025-03-04T05:06:07.891011Z"
    with pytest.raises(api.RecordError):
        api.parse_time("yesterday")


def test_actions_are_scheduled_only_for_cron_and_one_time():
    kinds = {
        schedule: api.action_record({"schedule_type": schedule, "is_enabled": True}).kind
        for schedule in ("cron", "one_time", "manual", None)
    }
    assert kinds == {
        "cron": "scheduled",
        "one_time": "scheduled",
        "manual": "trigger",
        None: "trigger",
    }


def test_sources_indexed_failed_pending_and_optional_sizes():
    base = {"source_type": "pdf", "source_scope": "workspace", "total_chunks": 4}
    indexed = api.source_record(
        {
            **base,
            "processing_status": "completed",
            "is_indexed": True,
            "total_tokens": 10,
            "size_bytes": 20,
        }
    )
    failed = api.source_record({**base, "processing_status": "failed", "is_indexed": False})
    pending = api.source_record({**base, "processing_status": "processing", "is_indexed": False})
    assert (indexed.indexed, indexed.failed, indexed.pending) == (True, False, False)
    assert (failed.failed, failed.pending) == (True, False)
    assert pending.pending
    assert (indexed.tokens, indexed.size_bytes) == (10, 20)
    assert (failed.tokens, failed.size_bytes) == (0, 0)  # absent counts as 0
    with pytest.raises(api.RecordError):
        api.source_record({**base, "processing_status": "failed", "is_indexed": "no"})


def test_only_records_with_an_execution_id_are_executions():
    record = {
        "id": "act-1",
        "timestamp": "2025-01-01T00:00:00Z",
        "workspace_id": "ws-1",
        "app_id": "app-1",
        "execution_id": None,
        "success": True,
    }
    assert api.execution_record(record) is None
    execution = api.execution_record({**record, "execution_id": "ex-1", "success": False})
    assert execution == api.ExecutionRecord(
        "act-1", api.parse_time(record["timestamp"]), "ws-1", True, ExecutionDetails("app-1")
    )
    with pytest.raises(api.RecordError):
        api.execution_record({**record, "execution_id": "ex-1", "success": None})


def test_a_404_names_the_workspace_by_type_or_id():
    assert api.not_found_names_workspace({"resource_type": "workspace", "resource_id": "x"}, "ws")
    assert api.not_found_names_workspace({"resource_type": "thing", "resource_id": "ws"}, "ws")
    assert not api.not_found_names_workspace({"resource_type": "app", "resource_id": "a"}, "ws")


def test_paths_encode_ids():
    assert api.APPS.path(org_id="o/1", workspace_id="w 2") == "/v1/orgs/o%2F1/workspaces/w%202/apps"
