"""A real Prometheus for tests: the system binary on a free loopback port, plus query helpers."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import requests
import yaml

from stack.supervisor import ManagedProcess, free_port, prometheus_argv


def scrape_config(job: str, targets: Sequence[str], interval: str = "1s") -> dict[str, Any]:
    """One static scrape job."""
    return {
        "job_name": job,
        "scrape_interval": interval,
        "scrape_timeout": interval,
        "static_configs": [{"targets": list(targets)}],
    }


class PrometheusServer:
    """A Prometheus process with its own config and TSDB under `workdir`."""

    def __init__(
        self,
        workdir: Path,
        *,
        scrape_configs: Sequence[dict[str, Any]] = (),
        rule_files: Sequence[Path] = (),
        evaluation_interval: str = "1s",
        alertmanagers: Sequence[str] = (),
        data_dir: Path | None = None,
        extra_args: Sequence[str] = (),
        query_log: Path | None = None,
        extra_config: dict[str, Any] | None = None,
    ) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir or workdir / "data"
        config: dict[str, Any] = {
            "global": {"scrape_interval": "1s", "evaluation_interval": evaluation_interval},
            "scrape_configs": list(scrape_configs),
            "rule_files": [str(path) for path in rule_files],
        }
        if query_log is not None:  # every query it evaluates, one JSON line each
            config["global"]["query_log_file"] = str(query_log)
        if alertmanagers:
            config["alerting"] = {
                "alertmanagers": [{"static_configs": [{"targets": list(alertmanagers)}]}]
            }
        for key, value in (extra_config or {}).items():  # `global` is merged, the rest set
            config[key] = {**config[key], **value} if key == "global" else value
        workdir.mkdir(parents=True, exist_ok=True)
        self.config_path = workdir / "prometheus.yml"
        self.config_path.write_text(yaml.safe_dump(config))
        self.process = ManagedProcess(
            "prometheus",
            prometheus_argv(self.config_path, self.data_dir, self.port, extra=extra_args),
            log_path=workdir / "prometheus.log",
            ready_url=f"{self.url}/-/ready",
        )

    def start(self, timeout: float = 60.0) -> PrometheusServer:
        """Start the process and wait until it is ready."""
        self.process.start(ready_timeout=timeout)
        return self

    def stop(self) -> None:
        """Stop the process (its TSDB stays on disk)."""
        self.process.stop()

    def api(self, path: str, **params: Any) -> Any:
        """GET an `/api/v1/` path and return its `data`, failing on any error."""
        response = requests.get(f"{self.url}/api/v1/{path}", params=params, timeout=30)
        body = response.json()
        assert body.get("status") == "success", body
        return body["data"]

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        """Instant query; returns the result vector."""
        params = {"query": expr} if at is None else {"query": expr, "time": at}
        return list(self.api("query", **params)["result"])

    def scalar(self, expr: str, at: float | None = None) -> float | None:
        """The single value of an instant query, or None when it returns nothing."""
        result = self.query(expr, at)
        assert len(result) <= 1, result
        return float(result[0]["value"][1]) if result else None

    def by_label(self, expr: str, label: str, at: float | None = None) -> dict[str, float]:
        """An instant query's values keyed by one label."""
        return {item["metric"][label]: float(item["value"][1]) for item in self.query(expr, at)}

    def wait_for(
        self,
        expr: str,
        predicate: Callable[[list[dict[str, Any]]], bool],
        timeout: float = 60.0,
    ) -> list[dict[str, Any]]:
        """Poll an instant query until `predicate(result)` holds."""
        deadline = time.monotonic() + timeout
        result: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            result = self.query(expr)
            if predicate(result):
                return result
            time.sleep(0.5)
        raise AssertionError(f"{expr} never satisfied the condition; last result {result}")
