"""Config: YAML file plus EXPORTER_* overrides, every problem reported at once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from exporter.config import ConfigError, ExporterConfig, load_config
from vocabulary.details import LABEL_CAPS

REQUIRED_ENV = {
    "EXPORTER_PLATFORM_URL": "http://platform.test",
    "EXPORTER_PLATFORM_TOKEN": "secret",
    "EXPORTER_ORG_IDS": "org-a, org-b",
}


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_defaults_from_the_environment_alone():
    config = load_config(None, REQUIRED_ENV)
    assert config.org_ids == ("org-a", "org-b")
    assert config.platform_url == "http://platform.test"
    assert config.inventory_interval == 60.0
    assert config.activity_interval == 15.0
    assert config.activity_lag == 2.0
    assert config.activity_overlap == 120.0
    assert config.activity_start is None
    assert config.concurrency == 8
    assert config.request_timeout == 10.0
    assert config.listen_address == "127.0.0.1:9877"
    assert (config.listen_host, config.listen_port) == ("127.0.0.1", 9877)
    assert config.app_metrics and config.namespace_metrics


def test_file_values_and_environment_overrides(tmp_path):
    path = write(
        tmp_path / "exporter.yml",
        """
platform_url: http://from-file.test/
platform_token: file-token
org_ids: [org-x, org-y]
inventory_interval: 30
activity_start: 2025-01-01T00:00:00Z
app_metrics: false
concurrency: 4
""",
    )
    env = {"EXPORTER_CONCURRENCY": "16", "EXPORTER_NAMESPACE_METRICS": "no", "HOME": "/root"}
    config = load_config(path, env)
    assert config.platform_url == "http://from-file.test"
    assert config.org_ids == ("org-x", "org-y")
    assert config.inventory_interval == 30.0
    assert config.activity_start == datetime(2025, 1, 1, tzinfo=UTC).timestamp()
    assert config.concurrency == 16  # the environment beats the file
    assert config.app_metrics is False
    assert config.namespace_metrics is False


def test_empty_environment_values_count_as_unset(tmp_path):
    path = write(tmp_path / "exporter.yml", "concurrency: 3\n")
    config = load_config(path, {**REQUIRED_ENV, "EXPORTER_CONCURRENCY": "", "EXPORTER_X": ""})
    assert config.concurrency == 3
    with pytest.raises(ConfigError, match="org_ids is required"):
        load_config(None, {**REQUIRED_ENV, "EXPORTER_ORG_IDS": ""})


def test_flags_beat_the_environment(tmp_path):
    config = load_config(None, REQUIRED_ENV, {"org_ids": "org-z", "platform_url": None})
    assert config.org_ids == ("org-z",)
    assert config.platform_url == "http://platform.test"


def test_every_problem_is_reported_at_once(tmp_path):
    path = write(
        tmp_path / "bad.yml",
        """
platform_url: ftp://nowhere
inventory_interval: -1
concurrency: many
listen_address: localhost
colour: blue
""",
    )
    env = {
        "EXPORTER_ACTIVITY_LAG": "-3",
        "EXPORTER_APP_METRICS": "perhaps",
        "EXPORTER_ORG_IDS": "org-a,*",
        "EXPORTER_BOGUS": "1",
        "EXPORTER_ACTIVITY_START": "yesterday",
    }
    with pytest.raises(ConfigError) as caught:
        load_config(path, env)
    problems = caught.value.problems
    expected_fragments = [
        "platform_url (from file)",
        "inventory_interval (from file): must be greater than 0",
        "concurrency (from file)",
        "listen_address (from file)",
        "unknown key 'colour'",
        "activity_lag (from EXPORTER_ACTIVITY_LAG): must be 0 or more",
        "app_metrics (from EXPORTER_APP_METRICS): must be true or false",
        "org_ids (from EXPORTER_ORG_IDS): invalid org ids ['*']",
        "unknown environment variable EXPORTER_BOGUS",
        "activity_start (from EXPORTER_ACTIVITY_START)",
        "platform_token is required",
    ]
    for fragment in expected_fragments:
        assert any(fragment in problem for problem in problems), (fragment, problems)
    assert len(problems) == len(expected_fragments)
    assert all(problem in str(caught.value) for problem in problems)


def test_unreadable_and_invalid_files_are_reported(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "missing.yml", REQUIRED_ENV)
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path / "broken.yml", "a: [1, 2"), REQUIRED_ENV)
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_config(write(tmp_path / "list.yml", "- 1\n- 2\n"), REQUIRED_ENV)


def test_cross_checks_and_duplicates():
    env = {**REQUIRED_ENV, "EXPORTER_BACKOFF_BASE": "5", "EXPORTER_BACKOFF_MAX": "1"}
    with pytest.raises(ConfigError, match="backoff_max must not be smaller"):
        load_config(None, env)
    with pytest.raises(ConfigError, match="more than once"):
        load_config(None, {**REQUIRED_ENV, "EXPORTER_ORG_IDS": "org-a,org-a"})


def test_config_is_frozen():
    config = load_config(None, REQUIRED_ENV)
    with pytest.raises(AttributeError):
        config.concurrency = 3  # type: ignore[misc]
    assert isinstance(config, ExporterConfig)


def test_detail_switches_and_label_caps(tmp_path):
    config = load_config(None, REQUIRED_ENV)
    assert config.pipeline_metrics and dict(config.label_caps) == LABEL_CAPS
    env = REQUIRED_ENV | {
        "EXPORTER_PIPELINE_METRICS": "off",
        "EXPORTER_LABEL_CAPS": "error_code=5, kind=0",
    }
    config = load_config(None, env)
    assert not config.pipeline_metrics
    assert dict(config.label_caps) == LABEL_CAPS | {"error_code": 5, "kind": 0}
    path = write(tmp_path / "c.yaml", "label_caps: {app_id: 3}\n")
    assert load_config(path, REQUIRED_ENV).label_caps["app_id"] == 3


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("error_code=-1", "the cap of error_code is '-1'"),
        ("colour=3", "unknown labels ['colour']"),
        ("error_code", "label=cap pairs"),
        ("kind=many", "the cap of kind is 'many'"),
    ],
)
def test_invalid_label_caps_are_refused_at_start(value, words):
    with pytest.raises(ConfigError) as refused:
        load_config(None, REQUIRED_ENV | {"EXPORTER_LABEL_CAPS": value})
    assert "label_caps (from EXPORTER_LABEL_CAPS): " in str(refused.value)
    assert words in str(refused.value)
