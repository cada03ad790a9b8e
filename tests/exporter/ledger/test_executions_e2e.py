"""Execution counters against a streaming sandbox: exact, and unharmed by kill -9 restarts."""

from __future__ import annotations

import random
import time

from stack.supervisor import free_port
from tests.exporter.truth import executions, truth_executions
from tests.support.prometheus import PrometheusServer, scrape_config
from vocabulary import catalogue as cat


def stream_for(sandbox, seconds: float, rate: float = 40.0) -> None:
    sandbox.set_stream(running=True, rate=rate, failure_ratio=0.25)
    time.sleep(seconds)
    sandbox.set_stream(running=False)


def test_counters_equal_the_truth_once_the_stream_stops(sandbox, start_exporter):
    exporter = start_exporter(sandbox)
    stream_for(sandbox, 3.0)
    expected = truth_executions(sandbox.truth())
    assert sum(total for total, _ in expected.values()) > 0
    assert sum(failed for _, failed in expected.values()) > 0
    samples = exporter.wait_for(lambda s: executions(s) == expected, timeout=20)
    assert executions(samples) == expected


def test_kill_9_restarts_lose_nothing_and_count_nothing_twice(sandbox, start_exporter, tmp_path):
    port = free_port()
    exporter = start_exporter(sandbox, port=port)
    prometheus = PrometheusServer(
        tmp_path / "prometheus",
        scrape_configs=[scrape_config("exporter", [f"127.0.0.1:{port}"], "1s")],
    )
    try:
        prometheus.start()
        rng = random.Random(5)
        sandbox.set_stream(running=True, rate=40.0, failure_ratio=0.25)
        started = time.time()
        for _ in range(5):
            time.sleep(rng.uniform(0.4, 1.6))
            exporter.process.kill()
            exporter = start_exporter(sandbox, port=port, ledger=exporter.ledger_path)
        time.sleep(1.0)
        sandbox.set_stream(running=False)
        expected = truth_executions(sandbox.truth())
        exporter.wait_for(lambda s: executions(s) == expected, timeout=20)
        window = f"{int(time.time() - started) + 30}s"
        for family in cat.EXECUTION_FAMILIES:
            name = family.sample_name

            def seen_by_prometheus(result, name=name):
                got = {
                    (r["metric"]["org_id"], r["metric"]["workspace_id"]): int(float(r["value"][1]))
                    for r in result
                }
                index = 0 if name == cat.EXECUTIONS.sample_name else 1
                return got == {key: counts[index] for key, counts in expected.items()}

            prometheus.wait_for(name, seen_by_prometheus, timeout=30)
            assert prometheus.scalar(f"sum(resets({name}[{window}]))") == 0.0
            assert prometheus.scalar(f"count(count_over_time({name}[{window}]))") == len(expected)
    finally:
        sandbox.set_stream(running=False)
        prometheus.stop()
