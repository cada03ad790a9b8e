"""Fixtures of the operations tests: a real Prometheus scraping catalogue-shaped fixture data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.operations.catalogue_fixture import CatalogueServer
from tests.operations.repo_files import fast_rule_copies
from tests.support.prometheus import PrometheusServer, scrape_config

# Recorded series that show the fixture has been scraped and evaluated long enough for rate().
READY_QUERIES = (
    "org_workspace:mechamental_executions:rate5m > 0",
    "job_quantile:mechamental_facade_request_duration_seconds:histogram_quantile >= 0",
    "job:mechamental_exporter_platform_requests_errors:ratio_rate5m > 0",
    "org:mechamental_executions_failed:ratio_rate6h > 0",
    "org_workspace:mechamental_workspace_info:latest",
    "org_workspace_quantile:mechamental_execution_duration_by_time_seconds:histogram_quantile1h",
)


@pytest.fixture(scope="session")
def catalogue_server() -> Iterator[CatalogueServer]:
    """The fixture exposition server, serving every catalogue family."""
    server = CatalogueServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fixture_prometheus(
    tmp_path_factory: pytest.TempPathFactory, catalogue_server: CatalogueServer
) -> Iterator[PrometheusServer]:
    """A real Prometheus scraping the fixture every second, with every rule file of the repo."""
    workdir: Path = tmp_path_factory.mktemp("dashboards-prometheus")
    jobs = []
    for job in ("exporter", "facade"):
        config = scrape_config(job, [catalogue_server.address])
        config["metrics_path"] = f"/{job}/metrics"
        jobs.append(config)
    rule_files = fast_rule_copies(workdir / "rules")
    prometheus = PrometheusServer(workdir, scrape_configs=jobs, rule_files=rule_files)
    # Its own port is known only now: add the self-scrape job the stack config also has.
    config = yaml.safe_load(prometheus.config_path.read_text())
    config["scrape_configs"].append(scrape_config("prometheus", [f"127.0.0.1:{prometheus.port}"]))
    prometheus.config_path.write_text(yaml.safe_dump(config))
    prometheus.start()
    try:
        for query in READY_QUERIES:
            prometheus.wait_for(query, bool, timeout=30)
        yield prometheus
    finally:
        prometheus.stop()
