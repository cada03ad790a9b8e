"""Settings: defaults, SANDBOX_* environment, flags over environment, every problem at once."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sandbox.config import ConfigError, SandboxConfig, load_config


def test_defaults_without_flags_or_environment() -> None:
    assert load_config([], {}) == SandboxConfig()


def test_environment_fills_every_option() -> None:
    environ = {
        "SANDBOX_HOST": "0.0.0.0",
        "SANDBOX_PORT": "9100",
        "SANDBOX_DB": "/tmp/x.db",
        "SANDBOX_SEED": "11",
        "SANDBOX_ORGS": "4",
        "SANDBOX_WORKSPACES": "250",
        "SANDBOX_TOKEN": "t0ken",
        "SANDBOX_RATE": "5.5",
        "SANDBOX_FAILURE_RATIO": "0.25",
        "SANDBOX_API_CALL_RATIO": "0",
        "SANDBOX_NO_STREAM": "true",
        "SANDBOX_RESET": "1",
        "SANDBOX_HISTORY_DAYS": "30",
        "SANDBOX_HISTORY_RATE": "12.5",
        "SANDBOX_HISTORY_END": "2026-10-27T12:00:00",
        "SANDBOX_LATE_RATIO": "0.5",
        "SANDBOX_LATENESS_SECONDS": "60",
        "SANDBOX_BOUNDARY_CLUSTER": "0.25",
    }
    config = load_config([], environ)
    assert config == SandboxConfig(
        host="0.0.0.0",
        port=9100,
        db=Path("/tmp/x.db"),
        seed=11,
        orgs=4,
        workspaces=250,
        token="t0ken",
        rate=5.5,
        failure_ratio=0.25,
        api_call_ratio=0.0,
        stream=False,
        reset=True,
        history_days=30,
        history_rate=12.5,
        history_end=datetime(2026, 10, 27, 12, tzinfo=UTC),
        late_ratio=0.5,
        lateness_seconds=60.0,
        boundary_cluster=0.25,
    )
    assert {f.name for f in fields(SandboxConfig)} == {
        "host",
        "port",
        "db",
        "seed",
        "orgs",
        "workspaces",
        "token",
        "rate",
        "failure_ratio",
        "api_call_ratio",
        "stream",
        "reset",
        "history_days",
        "history_rate",
        "history_end",
        "late_ratio",
        "lateness_seconds",
        "boundary_cluster",
    }


def test_flags_beat_environment() -> None:
    config = load_config(
        ["--orgs", "2", "--no-stream", "--rate=0"], {"SANDBOX_ORGS": "9", "SANDBOX_RATE": "3"}
    )
    assert (config.orgs, config.rate, config.stream) == (2, 0.0, False)


def test_false_environment_flag_keeps_the_stream() -> None:
    assert load_config([], {"SANDBOX_NO_STREAM": "false"}).stream is True


def test_all_problems_reported_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(
            ["--port", "http", "--orgs", "0", "--failure-ratio", "1.5"],
            {"SANDBOX_RATE": "-1", "SANDBOX_API_CALL_RATIO": "1", "SANDBOX_RESET": "maybe"},
        )
    message = str(caught.value)
    for fragment in (
        "--port",
        "orgs must be",
        "failure-ratio",
        "rate must",
        "api-call-ratio",
        "SANDBOX_RESET",
    ):
        assert fragment in message, (fragment, message)


def test_history_and_lateness_settings_are_checked() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(
            ["--history-days", "-1", "--history-end", "yesterday", "--late-ratio", "2"],
            {"SANDBOX_LATENESS_SECONDS": "-5", "SANDBOX_BOUNDARY_CLUSTER": "1.5"},
        )
    message = str(caught.value)
    for fragment in (
        "history-days must be",
        "--history-end",
        "late-ratio must be",
        "lateness-seconds must be",
        "boundary-cluster must be",
    ):
        assert fragment in message, (fragment, message)
    defaults = SandboxConfig()
    assert (defaults.history_days, defaults.history_end) == (90, None)
    offset = load_config(["--history-end", "2026-10-25T00:00:00+02:00"], {}).history_end
    assert offset == datetime(2026, 10, 24, 22, tzinfo=UTC)
