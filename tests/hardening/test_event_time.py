"""Executions on the platform's clock, end to end: a sandbox streaming across a real boundary
of the exporters' one-minute grid (`exposure_boundary`), a real exporter, a real Prometheus and
the façade.

Three runs share one boundary (once their stacks run, the next one far enough ahead; the suite
waits for it): clustered executions with nothing killed, the same under exporter SIGKILLs and
Prometheus restarts, and records written late. Afterwards every hourly bucket and every daily
bucket in four zones equals the sandbox's truth by execution time, failed counts included (read
from Prometheus at the bucket boundaries), and the boundary's own sample is exact; after the
chaos, so does every bucket and total of every execution detail (`event_time_details`).
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import suppress
from pathlib import Path

import pytest
import requests

from tests.hardening.event_time_buckets import (
    Facade,
    Truth,
    all_mismatches,
    at_instant,
    stamps_at,
)
from tests.hardening.event_time_details import detail_mismatches, detail_truth, distinct_values
from tests.hardening.event_time_late import HourRange
from tests.hardening.event_time_runs import (
    INSERTED,
    LATENESS,
    LEAD,
    Cleanup,
    Stream,
    StreamedRun,
    prepare_boundary,
    prepare_chaos,
    prepare_late,
)
from tests.hardening.event_time_stack import Timeline, settle
from tests.sandbox.recompute_executions import execution_rows
from vocabulary import catalogue as cat
from vocabulary import details

PREPARE: dict[str, Callable[[Path, Cleanup], Stream]] = {
    "boundary": prepare_boundary,
    "chaos": prepare_chaos,
    "late": prepare_late,
}
CODES = 10_000  # distinct error codes sent to one workspace by the cap test
SCHEDULE = 2.0  # seconds for the streams to start waiting once the boundary is picked
Runs = dict[str, Future[StreamedRun]]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    """The three runs, side by side across the same boundary; their processes serve on."""
    cleanup: Cleanup = []
    try:
        with ThreadPoolExecutor(len(PREPARE)) as pool:
            prepared = {
                name: pool.submit(prepare, tmp_path_factory.mktemp(name), cleanup)
                for name, prepare in PREPARE.items()
            }
            wait(prepared.values())
            timeline = Timeline.ahead(LEAD + SCHEDULE)
            at = time.strftime("%H:%M:%S", time.gmtime(timeline.boundary))
            print(f"\nstreaming across {at} UTC")
            futures = {name: _streamed(pool, stream, timeline) for name, stream in prepared.items()}
            wait(futures.values())
        yield futures
    finally:
        for stop in reversed(cleanup):
            with suppress(Exception):
                stop()


def _streamed(
    pool: ThreadPoolExecutor, prepared: Future[Stream], timeline: Timeline
) -> Future[StreamedRun]:
    """The run of a prepared stream, or its preparation's failure."""
    error = prepared.exception()
    if error is None:
        return pool.submit(prepared.result(), timeline)
    failed: Future[StreamedRun] = Future()
    failed.set_exception(error)
    return failed


def before(run: StreamedRun, at: float) -> dict[str, tuple[int, int]]:
    """Per workspace, (total, failed) of the platform's executions stamped before `at`."""
    counts: Counter[tuple[str, bool]] = Counter()
    for row in execution_rows(run.sandbox.db_path):
        if row["ts_us"] < at * 1_000_000:
            counts[(row["workspace_id"], bool(row["success"]))] += 1
    workspaces = Truth.read(run.sandbox, None).org_of
    return {
        ws: (counts[(ws, True)] + counts[(ws, False)], counts[(ws, False)]) for ws in workspaces
    }


def boundary_values(run: StreamedRun) -> dict[str, tuple[int, int]]:
    """Per workspace, the by-time counters' samples at the boundary, as Prometheus holds them."""
    at = run.timeline.boundary
    totals = at_instant(run.prometheus, cat.EXECUTIONS_BY_TIME, at)
    failed = at_instant(run.prometheus, cat.EXECUTIONS_FAILED_BY_TIME, at)
    return {ws: (round(totals[ws]), round(failed.get(ws, 0.0))) for ws in totals}


def check_boundary_sample(run: StreamedRun, expected: dict[str, tuple[int, int]]) -> None:
    """The sample at the boundary exists, stamped exactly there, and holds `expected`."""
    at = run.timeline.boundary
    stamps = stamps_at(run.prometheus, cat.EXECUTIONS_BY_TIME, at)
    values = boundary_values(run)
    assert values == expected, f"samples at or before {at} stamped {stamps}"
    assert stamps == dict.fromkeys(expected, float(at)), "a sample at the boundary itself"


# -- 1. boundaries -------------------------------------------------------------------------------


def test_clustered_executions_fall_in_their_own_buckets(runs: Runs) -> None:
    run: StreamedRun = runs["boundary"].result()
    rows = execution_rows(run.sandbox.db_path)
    near = Counter(
        row["workspace_id"] for row in rows if abs(row["ts_us"] / 1e6 - run.timeline.boundary) <= 5
    )
    assert len(near) == 6 and min(near.values()) >= 10, f"clustered per workspace: {near}"
    assert all_mismatches(run.sandbox, run.prometheus) == []


def test_the_boundary_sample_is_exact_where_the_scrape_clock_is_not(runs: Runs) -> None:
    run: StreamedRun = runs["boundary"].result()
    expected = before(run, run.timeline.boundary)
    check_boundary_sample(run, expected)
    scraped = at_instant(run.prometheus, cat.EXECUTIONS, run.timeline.boundary)
    # Executions stamped before the boundary that the scrape-time counter shows only after it.
    misplaced = {ws: total - round(scraped.get(ws, 0.0)) for ws, (total, _) in expected.items()}
    print(f"\nscrape clock: executions after the boundary that happened before it: {misplaced}")
    assert all(count >= 0 for count in misplaced.values()), misplaced
    assert sum(misplaced.values()) > 0, misplaced


# -- 2. chaos ------------------------------------------------------------------------------------


def test_the_chaos_killed_and_restarted_exporter_and_prometheus(runs: Runs) -> None:
    run: StreamedRun = runs["chaos"].result()
    assert run.chaos is not None
    killed = run.chaos.killed
    assert len(killed["exporter"]) >= 5 and len(killed["prometheus"]) == 2, killed
    for part in ("exporter", "prometheus"):
        assert {status for _, status in killed[part]} == {-signal.SIGKILL}, killed[part]
        assert len({pid for pid, _ in killed[part]}) == len(killed[part]), killed[part]
    when = {action: at for at, action in run.events}
    outage = when["start prometheus"] - when["stop prometheus"]
    assert outage >= 60.0, run.events
    assert when["stop prometheus"] < run.timeline.boundary < when["start prometheus"]


def test_after_the_chaos_every_bucket_equals_the_truth(runs: Runs) -> None:
    run: StreamedRun = runs["chaos"].result()
    assert all_mismatches(run.sandbox, run.prometheus) == []
    check_boundary_sample(run, before(run, run.timeline.boundary))
    window = f"{round(time.time() - run.events[0][0]) + 120}s"
    for family in (cat.EXECUTIONS_BY_TIME, cat.EXECUTIONS_FAILED_BY_TIME):
        series = at_instant(run.prometheus, family, time.time())
        query = f"max by (workspace_id) (resets({family.sample_name}[{window}]))"
        assert run.prometheus.by_label(query, "workspace_id") == dict.fromkeys(series, 0.0)


def test_after_the_chaos_every_detail_bucket_equals_the_truth(runs: Runs) -> None:
    run: StreamedRun = runs["chaos"].result()
    totals = detail_truth(run.sandbox, None)
    for part in ("tokens", "apps", "pipelines", "error_codes"):
        assert any(entry[part] for entry in totals.values()), (part, totals)
    # Under the caps, so every value has its own series.
    for entry in totals.values():
        assert all(n <= details.LABEL_CAPS[k] for k, n in distinct_values(entry).items()), entry
    assert detail_mismatches(run.sandbox, run.prometheus) == []


# -- 3. late records -----------------------------------------------------------------------------


def late_counts(run: StreamedRun, at: float | None = None) -> dict[str, float]:
    """Per org, the exporter's late executions counter as Prometheus holds it at `at`."""
    query = f"max by (org_id) ({cat.LATE_EXECUTIONS.sample_name})"
    return run.prometheus.by_label(query, "org_id", at)


def test_records_beyond_the_lateness_count_as_late(runs: Runs) -> None:
    run: StreamedRun = runs["late"].result()
    final, streamed = late_counts(run), late_counts(run, run.timeline.at(-5.0))
    truth = {after: Truth.read(run.sandbox, None, after) for after in (9.0, 10.0, 13.0)}
    orgs = sorted(set(truth[10.0].org_of.values()))

    def late_truth(after: float, org: str) -> int:
        return sum(
            late
            for ws, (_, _, late) in truth[after].totals.items()
            if truth[after].org_of[ws] == org
        )

    print(
        f"\nlate by org: exporter {final}, truth (late_after=10) "
        f"{ {org: late_truth(10.0, org) for org in orgs} }"
    )
    per_org = Counter(truth[10.0].org_of.values())
    for org in orgs:
        # The 25 s inserts are late, the 2 s ones not: exactly what each org gained after them.
        assert final[org] - streamed[org] == per_org[org] * INSERTED[0], (org, final, streamed)
        # The stream's delays run through the lateness: those near it depend on the polls.
        assert late_truth(13.0, org) <= final[org] <= late_truth(9.0, org), (org, final)


def test_late_records_keep_totals_exact(runs: Runs) -> None:
    run: StreamedRun = runs["late"].result()
    truth = Truth.read(run.sandbox, None)
    facade = Facade(run.prometheus.url)
    served = {ws: facade.totals(org, ws) for org, ws in truth.pairs()}
    assert served == {ws: (total, failed) for ws, (total, failed, _) in truth.totals.items()}


def test_records_within_the_lateness_land_in_their_own_bucket(runs: Runs) -> None:
    run: StreamedRun = runs["late"].result()
    expected = before(run, run.timeline.boundary)
    # The 25 s inserts (stamped 10 s before the boundary) count at the settled point after it.
    late_total, late_failed = INSERTED
    expected = {
        ws: (total - late_total, failed - late_failed) for ws, (total, failed) in expected.items()
    }
    check_boundary_sample(run, expected)


def test_hourly_buckets_count_late_records_at_the_settled_point(runs: Runs) -> None:
    run: StreamedRun = runs["late"].result()
    hours = HourRange.of(execution_rows(run.sandbox.db_path), LATENESS)
    facade = Facade(run.prometheus.url)
    wrong = []
    for org, ws in Truth.read(run.sandbox, None).pairs():
        wrong += hours.mismatches(ws, facade.series(org, ws, None))
    print(f"\nhours with a range rather than an exact count: {hours.uncertain_hours()}")
    assert wrong == []


# -- 4. caps (last: it adds executions to the boundary run) -----------------------------------


def error_code_overflow(run: StreamedRun, org_id: str) -> float:
    """The org's executions whose error code went to `other`, as Prometheus holds it now."""
    name = details.LABEL_OVERFLOW.sample_name
    value = run.prometheus.scalar(f'max({name}{{org_id="{org_id}", label="error_code"}})')
    return value or 0.0


def test_ten_thousand_error_codes_in_a_workspace_stay_within_its_cap(runs: Runs) -> None:
    run: StreamedRun = runs["boundary"].result()
    org_id, workspace_id = Truth.read(run.sandbox, None).pairs()[0]
    cap, before_overflow = details.LABEL_CAPS["error_code"], error_code_overflow(run, org_id)
    codes = [f"CODE_{n:05d}" for n in range(CODES)]
    order = {"workspace_id": workspace_id, "count": CODES, "failed": True, "error_codes": codes}
    answer = requests.post(f"{run.sandbox.url}/_sandbox/executions", json=order, timeout=120)
    assert answer.status_code == 200, answer.text
    settle(run.prometheus, run.sandbox.org_ids(), time.time() + 1)
    truth = detail_truth(run.sandbox, None)[workspace_id]["error_codes"]
    series = f'{details.FAILURES_BY_CODE.sample_name}{{workspace_id="{workspace_id}"}}'
    query = f"max by (error_code) ({series})"
    served = run.prometheus.by_label(query, "error_code")
    admitted = {code: count for code, count in served.items() if code != details.OVERFLOW}
    assert len(admitted) == cap and len(served) == cap + 1, sorted(served)
    assert {code: truth[code] for code in admitted} == admitted
    assert sum(served.values()) == sum(truth.values()) >= CODES
    overflow = sum(count for code, count in truth.items() if code not in admitted)
    assert served[details.OVERFLOW] == overflow >= CODES - cap
    assert error_code_overflow(run, org_id) - before_overflow == overflow
