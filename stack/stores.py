"""Where `mm-analytics up` keeps the samples: the embedded Prometheus (the default), or
VictoriaMetrics fed by Prometheus' remote_write.

With VictoriaMetrics, Prometheus still scrapes and evaluates the rules and alerts (its local
TSDB is their source, as in the default stack) and sends every sample it appends to
VictoriaMetrics; the façade and the history's backfill use VictoriaMetrics. Both stores keep
the same explicit retention (`--retention`, at least 100 days: the daily analytics reach back
90, and VictoriaMetrics' own default is one month).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from stack.options import Options
from stack.supervisor import victoriametrics_argv

PROMETHEUS = "prometheus"
VICTORIAMETRICS = "victoriametrics"
WRITE_PATH = "/api/v1/write"
REMOTE_WRITE_FILE = "remote_write.yml"
# Prometheus writes a sample into its WAL, and so sends it, on every scrape that shows it, even
# when it repeats the stored sample exactly: a boundary held on show for 30 s arrives 30 times
# at a 1 s scrape interval. One sample per series and millisecond drops only those repeats.
SAME_SAMPLE = "1ms"
# The façade's setting naming the query engine behind FACADE_PROMETHEUS_URL.
ENGINE_SETTING = "FACADE_PROMETHEUS_ENGINE"


def remote_write(prometheus_dir: Path, url: str) -> list[dict[str, Any]]:
    """The packaged remote_write section with its URL on the VictoriaMetrics at `url`."""
    spec = yaml.safe_load((prometheus_dir / REMOTE_WRITE_FILE).read_text(encoding="utf-8"))
    sections: list[dict[str, Any]] = spec["remote_write"]
    return [{**section, "url": url + WRITE_PATH} for section in sections]


def add_remote_write(config: dict[str, Any], options: Options) -> None:
    """Point `config` (a parsed prometheus.yml) at this run's store."""
    if options.store == VICTORIAMETRICS:
        config["remote_write"] = remote_write(options.prometheus_dir, options.url(VICTORIAMETRICS))
    else:
        config.pop("remote_write", None)


def victoriametrics_command(options: Options) -> list[str]:
    """VictoriaMetrics with its data under the state directory and the run's retention."""
    data_dir = options.state_dir / VICTORIAMETRICS
    return victoriametrics_argv(
        data_dir, options.ports[VICTORIAMETRICS], retention=options.retention
    )


def facade_env(options: Options) -> dict[str, str]:
    """Where the façade reads its numbers from (the engine named only when it is not Prometheus)."""
    env = {"FACADE_PROMETHEUS_URL": options.url(options.store)}
    if options.store == VICTORIAMETRICS:
        env[ENGINE_SETTING] = VICTORIAMETRICS
    return env


def backfill_target(options: Options, prometheus_data_dir: Path) -> str:
    """The backfill's flag naming where the history goes."""
    if options.store == VICTORIAMETRICS:
        return f"--victoriametrics-url={options.url(VICTORIAMETRICS)}"
    return f"--prometheus-data-dir={prometheus_data_dir}"
