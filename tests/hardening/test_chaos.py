"""Chaos with ground truth: SIGKILL the exporter, Prometheus and the façade, one at a time and
together, at seeded random moments, under a steady stream of executions. Afterwards every count
the façade serves equals the sandbox platform's truth exactly, the hourly buckets add up to it,
and no execution counter ever went down in Prometheus.
"""

from __future__ import annotations

import math
import random
import signal
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

import pytest
import requests

from tests.exporter.truth import executions, truth_executions
from tests.hardening.chaos_exporter import wait_until
from tests.hardening.chaos_probe import FacadeProbe
from tests.hardening.chaos_stack import PARTS, ChaosStack
from tests.support.sandbox import SandboxServer
from vocabulary import catalogue as cat

SEED = 20_250_101
RATE = 20.0  # executions per second across all workspaces
FAILURE_RATIO = 0.2
# Each event kills these parts together; the schedule holds every event this many times.
EVENTS = {
    ("exporter",): 5,
    ("prometheus",): 2,
    ("facade",): 2,
    ("exporter", "prometheus"): 1,
    PARTS: 2,
}
# These parts are also killed again while they start up (opening the ledger or the TSDB).
AT_START = {"exporter": 2, "prometheus": 1, "facade": 1}
Counts = dict[tuple[str, str], tuple[int, int]]


@dataclass(frozen=True)
class ChaosRun:
    """What happened, and what the sandbox says is true after it."""

    stack: ChaosStack
    truth: Counts
    started: float
    events: Counter[str]
    probe: FacadeProbe  # asks on through the settling, so its answers end with current data


def kill_while_starting(stack: ChaosStack, part: str, rng: random.Random) -> None:
    """Start the (killed) part and kill it again before or just after it is ready."""
    stack.restart(part, wait=False)
    time.sleep(rng.uniform(0.05, 1.0))
    stack.kill(part)


def run_schedule(stack: ChaosStack, rng: random.Random) -> Counter[str]:
    """Kill and restart parts at random moments; returns how often each event happened."""
    schedule = [(parts, False) for parts, times in EVENTS.items() for _ in range(times)]
    schedule += [((part,), True) for part, times in AT_START.items() for _ in range(times)]
    rng.shuffle(schedule)
    events: Counter[str] = Counter()
    for parts, at_start in schedule:
        time.sleep(rng.uniform(0.2, 1.5))
        for part in parts:
            stack.kill(part)
        if at_start:
            kill_while_starting(stack, parts[0], rng)
        events["+".join(parts) + (" while starting" if at_start else "")] += 1
        time.sleep(rng.uniform(0.0, 0.6))  # the parts stay down a little while
        for part in ("prometheus", "exporter", "facade"):
            if part in parts:
                # The façade takes seconds to boot: the chaos goes on meanwhile.
                stack.restart(part, wait=part != "facade")
    stack.wait_ready()
    time.sleep(rng.uniform(1.0, 2.0))  # the stream goes on with everything up again
    return events


@pytest.fixture(scope="module")
def chaos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChaosRun]:
    """One chaos run under a streaming sandbox; the stack stays up for the checks."""
    workdir = tmp_path_factory.mktemp("chaos")
    sandbox = SandboxServer(
        workdir / "sandbox", seed=SEED % 1000, orgs=2, workspaces=4, failure_ratio=FAILURE_RATIO
    )
    with sandbox:
        stack = ChaosStack(workdir, sandbox)
        workspaces = sorted(truth_executions(sandbox.truth()))
        tokens = {org: stack.token(org) for org, _ in workspaces}
        probe = FacadeProbe(stack.facade_url, tokens, workspaces, SEED)
        try:
            stack.start()
            probe.start()
            started = time.time()
            sandbox.set_stream(running=True, rate=RATE, failure_ratio=FAILURE_RATIO)
            try:
                events = run_schedule(stack, random.Random(SEED))
            finally:
                sandbox.set_stream(running=False)
            truth = truth_executions(sandbox.truth())
            waited = {part: round(seconds, 1) for part, seconds in stack.restart_seconds.items()}
            print(f"\nchaos kills by part: {dict(stack.kills)}; events: {dict(events)}")
            print(f"seconds spent restarting, by part: {waited}")
            yield ChaosRun(stack, truth, started, events, probe)
        finally:
            probe.stop()
            stack.stop()


@pytest.fixture(scope="module")
def settled(chaos: ChaosRun) -> ChaosRun:
    """The run once the exporter has counted everything and Prometheus has scraped it."""
    assert chaos.stack.exporter is not None
    chaos.stack.exporter.wait_for(lambda s: executions(s) == chaos.truth, timeout=30)
    prometheus = chaos.stack.prometheus
    for family, index in ((cat.EXECUTIONS, 0), (cat.EXECUTIONS_FAILED, 1)):
        expected = {key: counts[index] for key, counts in chaos.truth.items()}
        prometheus.wait_for(family.sample_name, partial(scraped_equal, expected), timeout=30)
    # The counters on the platform's clock reach the same totals once settled past the stream.
    for family, index in ((cat.EXECUTIONS_BY_TIME, 0), (cat.EXECUTIONS_FAILED_BY_TIME, 1)):
        expected = {key: counts[index] for key, counts in chaos.truth.items()}
        query = f"max by (org_id, workspace_id) (last_over_time({family.sample_name}[15m]))"
        prometheus.wait_for(query, partial(scraped_equal, expected), timeout=60)
    # A restarted Prometheus scrapes only after its first discovery update (about 5 s), and a
    # restarted exporter is fresh after its first collections: the probe waits for both.
    wait_until(
        lambda: any(answer.status == 200 for answer in chaos.probe.answers[-3:]),
        30,
        lambda: str(chaos.probe.answers[-3:]),
    )
    chaos.probe.stop()
    return chaos


def scraped_equal(expected: dict[tuple[str, str], int], result: list[dict]) -> bool:
    """Whether an instant query's values, by workspace, are exactly `expected`."""
    values = {
        (r["metric"]["org_id"], r["metric"]["workspace_id"]): int(float(r["value"][1]))
        for r in result
    }
    return values == expected


def get(run: ChaosRun, org: str, path: str, **params: int) -> dict:
    """GET a façade path as the org, waiting out 503s (fresh data arrives within seconds)."""
    headers = {"Authorization": f"Bearer {run.stack.token(org)}"}
    answers: list[requests.Response] = []

    def answered() -> bool:
        answers.append(
            requests.get(run.stack.facade_url + path, headers=headers, params=params, timeout=10)
        )
        return answers[-1].status_code != 503

    wait_until(answered, 30, lambda: answers[-1].text)
    assert answers[-1].status_code == 200, answers[-1].text
    return dict(answers[-1].json())


def as_counts(executions_body: dict) -> tuple[int, int]:
    """(total, failed) of an `executions` object, checking that its parts add up."""
    total, failed = executions_body["total"], executions_body["failed"]
    assert executions_body["success"] == total - failed
    return total, failed


def test_the_chaos_killed_every_part_often_enough(chaos: ChaosRun) -> None:
    killed = chaos.stack.killed
    assert sum(map(len, killed.values())) >= 20
    for part, ended in killed.items():
        assert ended, f"{part} was never killed"
        # Each kill ended a process of its own (the restarts happened), by SIGKILL.
        assert len({pid for pid, _ in ended}) == len(ended), (part, ended)
        assert {status for _, status in ended} == {-signal.SIGKILL}, (part, ended)
    # The façade's outages reached its clients.
    assert any(answer.status != 200 for answer in chaos.probe.answers)
    assert sum(total for total, _ in chaos.truth.values()) >= RATE * 10  # a real workload


def test_the_facade_totals_equal_the_truth(settled: ChaosRun) -> None:
    orgs = sorted({org for org, _ in settled.truth})
    for org in orgs:
        expected = {ws: counts for (o, ws), counts in settled.truth.items() if o == org}
        rollup = get(settled, org, f"/v1/orgs/{org}/analytics")
        assert rollup["workspace_count"] == len(expected)
        assert {w["workspace_id"]: as_counts(w["executions"]) for w in rollup["workspaces"]} == (
            expected
        )
        assert as_counts(rollup["executions"]) == (
            sum(total for total, _ in expected.values()),
            sum(failed for _, failed in expected.values()),
        )
        for workspace, counts in expected.items():
            summary = get(settled, org, f"/v1/orgs/{org}/workspaces/{workspace}/analytics")
            assert as_counts(summary["executions"]) == counts, workspace


def test_the_hourly_buckets_add_up_to_the_totals(settled: ChaosRun) -> None:
    hours = math.ceil((time.time() - settled.started) / 3600) + 1  # the whole run and more
    for (org, workspace), (total, _) in settled.truth.items():
        path = f"/v1/orgs/{org}/workspaces/{workspace}/analytics/executions/hourly"
        series = get(settled, org, path, hours=hours)
        values = [bucket["value"] for bucket in series["data"]]
        assert len(values) == hours
        assert all(isinstance(value, int) and value >= 0 for value in values)
        assert sum(values) == total, (workspace, values)


def test_no_counter_ever_decreased_in_prometheus(settled: ChaosRun) -> None:
    window = math.ceil(time.time() - settled.started) + 60
    for family in (*cat.EXECUTION_FAMILIES, cat.EXECUTIONS_BY_TIME, cat.EXECUTIONS_FAILED_BY_TIME):
        result = settled.stack.prometheus.query(f"resets({family.sample_name}[{window}s])")
        resets = {
            (r["metric"]["org_id"], r["metric"]["workspace_id"]): float(r["value"][1])
            for r in result
        }
        assert resets.keys() == settled.truth.keys(), family.name
        assert set(resets.values()) == {0.0}, resets


def test_clients_saw_only_answers_or_honest_unavailability(settled: ChaosRun) -> None:
    answered = [answer for answer in settled.probe.answers if answer.status is not None]
    assert len(answered) >= 20
    for answer in answered:
        assert answer.status in {200, 503}, answer
        assert answer.body is not None and "not_json" not in answer.body, answer
    seen: dict[tuple[str, str], int] = {}
    for answer in answered:  # in the order they were received
        if answer.status == 200 and answer.body is not None:
            total = answer.body["executions"]["total"]
            assert total >= seen.get(answer.workspace, 0), answer
            seen[answer.workspace] = total
    reasons = Counter(
        (answer.status, (answer.body or {}).get("details", {}).get("reason")) for answer in answered
    )
    examples = [answer.body for answer in answered[-3:]]
    assert seen, f"no summary was answered during the chaos: {reasons}; the last: {examples}"


def test_killed_facades_leave_no_worker_metrics_behind(chaos: ChaosRun) -> None:
    assert chaos.stack.killed["facade"]
    # Only the running façade's directory remains, however often one was killed before it.
    assert len(list(chaos.stack.facade_tmp.iterdir())) == 1
