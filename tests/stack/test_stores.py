"""stack.stores and `up`'s store options: retention, the Prometheus config each store runs with
(checked by the real promtool), and where the façade and the backfill go."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from stack import stores
from stack.launcher import parse_options, render_prometheus_config
from stack.options import STORE_PORTS, retention_days
from stack.supervisor import find_binary


def test_the_default_store_is_the_embedded_prometheus(tmp_path: Path) -> None:
    options = parse_options([f"--state-dir={tmp_path}"], {})
    assert (options.store, options.retention) == ("prometheus", "120d")
    assert stores.facade_env(options) == {"FACADE_PROMETHEUS_URL": options.url("prometheus")}
    data_dir = tmp_path / "prometheus"
    assert stores.backfill_target(options, data_dir) == f"--prometheus-data-dir={data_dir}"
    assert "remote_write" not in yaml.safe_load(render_prometheus_config(options).read_text())


def test_victoriametrics_is_written_to_by_prometheus_and_read_by_the_facade(
    tmp_path: Path,
) -> None:
    argv = [f"--state-dir={tmp_path}", "--store=victoriametrics", "--retention=1y"]
    options = parse_options([*argv, "--victoriametrics-port=18428"], {})
    url = "http://127.0.0.1:18428"
    assert options.url("victoriametrics") == url
    assert stores.facade_env(options) == {
        "FACADE_PROMETHEUS_URL": url,
        "FACADE_PROMETHEUS_ENGINE": "victoriametrics",
    }
    assert stores.backfill_target(options, tmp_path) == f"--victoriametrics-url={url}"
    command = stores.victoriametrics_command(options)
    assert "-retentionPeriod=1y" in command
    assert f"-storageDataPath={tmp_path / 'victoriametrics'}" in command
    config = render_prometheus_config(options)
    written = yaml.safe_load(config.read_text())["remote_write"]
    assert [item["url"] for item in written] == [f"{url}/api/v1/write"]
    assert written[0]["write_relabel_configs"] == [{"action": "labeldrop", "regex": "replica"}]
    result = subprocess.run(
        [find_binary("promtool"), "check", "config", "--syntax-only", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("text", "days"), [("120d", 120), ("15w", 105), ("1y", 365), ("90", None), ("3mo", None)]
)
def test_retention_is_read_in_days(text: str, days: int | None) -> None:
    assert retention_days(text) == days


@pytest.mark.parametrize("retention", ["30d", "99d", "14w", "1mo", "120"])
def test_a_retention_under_100_days_or_unreadable_is_refused(
    retention: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse_options(["--store=victoriametrics", f"--retention={retention}"], {})
    assert stopped.value.code == 2
    assert "--retention needs at least 100d" in capsys.readouterr().err


def test_every_store_port_is_an_option() -> None:
    options = parse_options([], {})
    assert {service: options.ports[service] for service in STORE_PORTS} == STORE_PORTS
