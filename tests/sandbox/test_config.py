"""Settings: defaults, SANDBOX_* environment, flags over environment, every problem at once."""

from __future__ import annotations

from dataclasses import fields
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
