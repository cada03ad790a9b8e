"""docker-compose.yml: valid for `docker-compose config`, pinned images, health checks, volumes,
retention, and environment variables each service actually reads."""

from __future__ import annotations

import os
import re
import subprocess
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from exporter import config as exporter_config
from sandbox import config as sandbox_config
from stack.stores import remote_write
from stack.supervisor import REPO_ROOT, find_binary
from tests.operations.repo_files import (
    COMPOSE_FILE,
    GRAFANA_DIR,
    PROMETHEUS_DIR,
    RUNBOOK,
    alerting_rules,
    load_yaml,
)

SERVICES = {"sandbox", "exporter", "facade", "prometheus", "alertmanager", "grafana"}
# The `victoriametrics` profile's services, started only with `--profile victoriametrics`.
PROFILE = "victoriametrics"
PROFILE_SERVICES = {
    "victoriametrics",
    "prometheus-replica-a",
    "prometheus-replica-b",
    "facade-victoriametrics",
}
REPLICAS = ("prometheus-replica-a", "prometheus-replica-b")
PROMETHEUS_IMAGE = re.compile(r"^prom/prometheus:v2\.42\.0$")
PINNED_IMAGES = {
    "prometheus": PROMETHEUS_IMAGE,
    **dict.fromkeys(REPLICAS, PROMETHEUS_IMAGE),
    "victoriametrics": re.compile(r"^victoriametrics/victoria-metrics:v1\.79\.\d+$"),
    "alertmanager": re.compile(r"^prom/alertmanager:v0\.25\.0$"),
    "grafana": re.compile(r"^grafana/grafana:1[01]\.\d+\.\d+$"),
}
MIN_RETENTION_DAYS = 100
TEST_SECRET = "compose-config-test-secret"


def compose_config(**env: str) -> subprocess.CompletedProcess[str]:
    """`docker-compose config` of the repository's compose file."""
    environ = {key: value for key, value in os.environ.items() if not key.startswith("FACADE_")}
    return subprocess.run(
        [find_binary("docker-compose"), "--file", str(COMPOSE_FILE), "config"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**environ, **env},
        timeout=120,
        check=False,
    )


def mounts(service: dict[str, Any]) -> dict[str, dict[str, str]]:
    """A service's mounts by target (docker-compose 1.x prints `source:target:mode`)."""
    found = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        kind = "bind" if source.startswith("/") else "volume"
        found[target] = {"source": source, "type": kind}
    return found


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The resolved compose configuration."""
    result = compose_config(FACADE_JWT_SECRET=TEST_SECRET)
    assert result.returncode == 0, result.stderr
    return dict(yaml.safe_load(result.stdout))


def test_docker_compose_config_accepts_the_file(compose):
    assert set(compose["services"]) == SERVICES | PROFILE_SERVICES
    profiles = {name: service.get("profiles") for name, service in compose["services"].items()}
    assert profiles == {name: [PROFILE] if name in PROFILE_SERVICES else None for name in profiles}


def test_facade_refuses_to_start_without_a_signing_secret():
    result = compose_config()
    assert result.returncode != 0
    assert "FACADE_JWT_SECRET" in result.stderr


def test_images_are_pinned(compose):
    for name, service in compose["services"].items():
        if name in PINNED_IMAGES:
            assert PINNED_IMAGES[name].match(service["image"]), service["image"]
        else:
            assert "build" in service and not service["image"].endswith(":latest")


def test_every_service_has_a_health_check(compose):
    for name, service in compose["services"].items():
        assert service["healthcheck"]["test"][0] == "CMD", name


def test_prometheus_keeps_more_than_100_days_in_a_volume(compose):
    prometheus = compose["services"]["prometheus"]
    flags = dict(flag.split("=", 1) for flag in prometheus["command"] if "=" in flag)
    retention = re.fullmatch(r"(\d+)d", flags["--storage.tsdb.retention.time"])
    assert retention and int(retention.group(1)) >= MIN_RETENTION_DAYS
    assert mounts(prometheus)[flags["--storage.tsdb.path"]]["type"] == "volume"


def command_flags(service: dict[str, Any]) -> dict[str, str]:
    """A service's `-flag=value` / `--flag=value` arguments by flag."""
    return dict(flag.split("=", 1) for flag in service["command"] if "=" in flag)


def test_victoriametrics_keeps_more_than_100_days_in_a_volume_and_dedups_the_pair(compose):
    victoria = compose["services"]["victoriametrics"]
    flags = command_flags(victoria)
    retention = re.fullmatch(r"(\d+)d", flags["-retentionPeriod"])
    assert retention and int(retention.group(1)) >= MIN_RETENTION_DAYS
    assert mounts(victoria)[flags["-storageDataPath"]]["type"] == "volume"
    # One sample per scrape interval of the pair, an interval dividing the 15-minute boundaries.
    spec = load_yaml(PROMETHEUS_DIR / "prometheus.compose.victoriametrics.yml")
    interval = spec["global"]["scrape_interval"]
    assert flags["-dedup.minScrapeInterval"] == interval
    assert 900 % int(interval.removesuffix("s")) == 0


def test_the_replicas_differ_only_in_their_replica_label(compose):
    first, second = (compose["services"][name] for name in REPLICAS)
    assert {first["environment"]["REPLICA"], second["environment"]["REPLICA"]} == {"a", "b"}
    assert first["command"] == second["command"]
    assert "--enable-feature=expand-external-labels" in first["command"]
    config = "/etc/prometheus/prometheus.yml"
    sources = {mounts(service)[config]["source"] for service in (first, second)}
    assert sources == {str(PROMETHEUS_DIR / "prometheus.compose.victoriametrics.yml")}
    data = {
        mounts(service)[command_flags(service)["--storage.tsdb.path"]]["source"]
        for service in (first, second)
    }
    assert len(data) == 2
    facade = compose["services"]["facade-victoriametrics"]
    assert facade["environment"]["FACADE_PROMETHEUS_URL"] == "http://victoriametrics:8428"


def test_prometheus_of_the_profile_is_the_compose_config_with_remote_write():
    """prometheus.compose.yml's jobs, rules and alerting target, the packaged remote_write
    section on the compose service, and `replica` dropped from alerts and written series."""
    plain = load_yaml(PROMETHEUS_DIR / "prometheus.compose.yml")
    replica = load_yaml(PROMETHEUS_DIR / "prometheus.compose.victoriametrics.yml")
    assert {**replica["global"], "external_labels": None} == {
        **plain["global"],
        "external_labels": None,
    }
    assert replica["global"]["external_labels"] == {"replica": "${REPLICA}"}
    assert replica["rule_files"] == plain["rule_files"]
    assert replica["scrape_configs"] == plain["scrape_configs"]
    assert replica["alerting"]["alertmanagers"] == plain["alerting"]["alertmanagers"]
    assert replica["alerting"]["alert_relabel_configs"] == [
        {"action": "labeldrop", "regex": "replica"}
    ]
    packaged = remote_write(PROMETHEUS_DIR, "http://victoriametrics:8428")
    assert replica["remote_write"] == packaged
    result = subprocess.run(
        [
            find_binary("promtool"),
            "check",
            "config",
            str(PROMETHEUS_DIR / "prometheus.compose.victoriametrics.yml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_exporter_ledger_lives_in_a_volume(compose):
    exporter = compose["services"]["exporter"]
    ledger = exporter["environment"]["EXPORTER_LEDGER_PATH"]
    volumes = [target for target, v in mounts(exporter).items() if v["type"] == "volume"]
    assert any(ledger.startswith(target + "/") for target in volumes)


def environment_names(compose: dict[str, Any], prefix: str) -> set[str]:
    """Every environment variable with `prefix` set on any service."""
    return {
        name
        for service in compose["services"].values()
        for name in service.get("environment", {})
        if name.startswith(prefix)
    }


def test_environment_variables_are_ones_the_services_read(compose):
    exporter_names = {exporter_config.env_name(key) for key in exporter_config.PARSERS}
    assert environment_names(compose, "EXPORTER_") <= exporter_names
    sandbox_names = {
        sandbox_config.ENV_PREFIX + option.upper().replace("-", "_")
        for option in [*sandbox_config.OPTIONS, *sandbox_config.FLAGS]
    }
    assert environment_names(compose, "SANDBOX_") <= sandbox_names
    facade_source = "".join(
        p.read_text(encoding="utf-8") for p in (REPO_ROOT / "facade").glob("*.py")
    )
    for name in environment_names(compose, "FACADE_"):
        assert f'"{name}"' in facade_source, name


def test_published_ports_listen_on_loopback_only(compose):
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), name


def test_prometheus_of_compose_matches_the_local_stack_config():
    """Same jobs, rules and intervals as prometheus/prometheus.yml; only the targets differ."""
    local = load_yaml(PROMETHEUS_DIR / "prometheus.yml")
    compose_variant = load_yaml(PROMETHEUS_DIR / "prometheus.compose.yml")
    assert compose_variant["global"] == local["global"]
    assert compose_variant["rule_files"] == local["rule_files"]
    jobs = [job["job_name"] for job in compose_variant["scrape_configs"]]
    assert jobs == [job["job_name"] for job in local["scrape_configs"]]
    result = subprocess.run(
        [
            find_binary("promtool"),
            "check",
            "config",
            str(PROMETHEUS_DIR / "prometheus.compose.yml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_targets_are_compose_services(compose):
    spec = load_yaml(PROMETHEUS_DIR / "prometheus.compose.yml")
    hosts = [
        t.split(":")[0]
        for job in spec["scrape_configs"]
        for c in job["static_configs"]
        for t in c["targets"]
    ]
    hosts += [
        t.split(":")[0]
        for am in spec["alerting"]["alertmanagers"]
        for c in am["static_configs"]
        for t in c["targets"]
    ]
    assert set(hosts) - {"localhost"} <= set(compose["services"])
    datasource = load_yaml(GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml")
    url = datasource["datasources"][0]["url"]
    assert re.fullmatch(r"http://prometheus:9090", url)


def test_grafana_mounts_provisioning_and_dashboards(compose):
    volumes = {target: v["source"] for target, v in mounts(compose["services"]["grafana"]).items()}
    assert volumes["/etc/grafana/provisioning"] == str(GRAFANA_DIR / "provisioning")
    provider = load_yaml(GRAFANA_DIR / "provisioning" / "dashboards" / "mechamental.yml")
    path = provider["providers"][0]["options"]["path"]
    assert volumes[path] == str(GRAFANA_DIR / "dashboards")


def test_grafana_serves_the_runbook_where_the_alerts_link_to_it(compose):
    """Alert links sit on Grafana's address; the runbook is a static file below it."""
    volumes = {target: v["source"] for target, v in mounts(compose["services"]["grafana"]).items()}
    for rule in alerting_rules():
        path = urlsplit(rule["annotations"]["runbook_url"]).path
        assert path.startswith("/public/"), path
        assert volumes["/usr/share/grafana" + path] == str(RUNBOOK)


def test_dockerfile_runs_the_cli_as_an_unprivileged_user():
    text = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11[\w.-]*$", text, re.MULTILINE)
    assert 'ENTRYPOINT ["mm-analytics"]' in text
    assert re.search(r"^USER (?!root)\w+$", text, re.MULTILINE)
