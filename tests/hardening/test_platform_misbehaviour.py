"""A misbehaving platform against a real exporter: bounded work, clear reports, no wrong numbers.

Every gauge the exporter publishes is the truth or its last good value, every execution counter
is exact or behind (never ahead, never lowered), each refusal names in the log the endpoint and
what was wrong, and each misbehaviour costs a bounded number of requests and seconds.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from exporter.config import ConfigError, load_config
from exporter.platform import api
from exporter.platform.client import PlatformClient, PlatformTarget, RequestPolicy
from exporter.platform.errors import PlatformTimeout, ResponseTooLarge, TokenHeldBack
from exporter.platform.token import ServiceToken
from tests.exporter.conftest import ExporterProcess, Samples, select
from tests.exporter.truth import executions, truth_executions
from tests.hardening import platform_cases as cases
from tests.hardening import platform_harness as h
from tests.hardening import platform_loopback as loopback
from tests.support.sandbox import SandboxServer
from vocabulary import catalogue as cat

BURST = 450  # executions at once: more than two pages of the activity list at its maximum
RETRY_INTERVAL = 1.5  # between tries of a refused token


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """Two orgs of four workspaces, an activity stream, and each org's history on 3+ pages."""
    server = SandboxServer(tmp_path_factory.mktemp("misbehaving"), seed=11, orgs=2, workspaces=4)
    try:
        server.start()
        truth = server.truth()
        for org in truth["orgs"]:
            server.insert_executions(next(iter(truth["orgs"][org]["workspaces"])), BURST, 90)
        server.set_stream(running=True, rate=4.0, failure_ratio=0.3)
        yield server
    finally:
        server.stop()


@pytest.fixture
def faults_cleared(platform: SandboxServer) -> Iterator[None]:
    """No fault before the test; none left behind after it."""
    platform.clear_faults()
    yield
    platform.clear_faults()


@pytest.fixture
def exporters(tmp_path) -> Iterator[Callable[..., ExporterProcess]]:
    """Start exporters with the suite's settings; all are stopped after the test."""
    started: list[ExporterProcess] = []

    def start(sandbox: SandboxServer, **settings: Any) -> ExporterProcess:
        started.append(h.start(sandbox, tmp_path, **settings))
        return started[-1]

    yield start
    for exporter in started:
        exporter.process.stop()


def healthy(samples: Samples) -> bool:
    return all(h.collector(samples, cat.COLLECTOR_UP, name) == 1.0 for name in cat.COLLECTORS)


def failures(samples: Samples, name: str) -> float:
    return h.collector(samples, cat.COLLECTOR_FAILURES, name)


def one_pass(start: Callable[..., ExporterProcess], sandbox: SandboxServer) -> ExporterProcess:
    """An exporter that makes one inventory pass and one activity poll, at its start."""
    return start(sandbox, inventory_interval=h.ONCE, activity_interval=h.ONCE)


@pytest.mark.parametrize("case", cases.LIST_FAULTS.values(), ids=cases.LIST_FAULTS.keys())
def test_one_pass_over_a_misbehaving_list(platform, faults_cleared, exporters, case):
    truth = platform.truth()
    sizes = {key: h.resources(truth, key)["sources"] for key in h.workspaces(truth)}
    spoiled = {key for key, n in sizes.items() if case.spoils(n)}
    platform.set_faults(**case.fault, paths="/sources$")
    platform.reset_requests()
    exporter = one_pass(exporters, platform)
    samples = exporter.wait_for(lambda s: h.ran(s, "inventory"))
    # Nothing wrong is published: a workspace is the truth, or absent (it has no last good value).
    assert h.published(samples) == set(sizes) - spoiled
    assert h.wrong_workspaces(samples, truth) == []
    assert h.collector(samples, cat.COLLECTOR_UP, "inventory") == (0.0 if spoiled else 1.0)
    assert h.stale(samples) == 0
    # Bounded work, and the exporter's request accounting agrees with the platform's.
    seen = h.platform_counts(platform, api.SOURCES)
    assert len(sizes) <= sum(seen.values()) <= sum(case.bound(n) for n in sizes.values())
    counted = h.exporter_counts(samples, api.SOURCES)
    if "slow_drip_ms" in case.fault:  # a body cut off at the deadline counts as `error`
        assert sum(counted.values()) == sum(seen.values())
        assert counted.get("error") == cases.ATTEMPTS * len(spoiled)
    else:
        assert counted == seen
    # A pass lasts at most a few rounds of timed-out attempts, whatever the platform does.
    rounds = math.ceil(len(sizes) / h.CONCURRENCY)
    bound = 2 + rounds * cases.ATTEMPTS * (h.TIMEOUT + 0.2)
    assert h.collector(samples, cat.COLLECTOR_DURATION, "inventory") <= bound
    for org, ws in spoiled:  # each refusal named in the log: endpoint and what was wrong
        assert h.log_lines(exporter, f"/v1/orgs/{org}/workspaces/{ws}/sources", case.says)
    if case.fault.get("page_repeat"):
        assert h.log_lines(exporter, "/sources", "repeated")


def test_multi_megabyte_bodies_are_never_read_into_memory(platform, faults_cleared, exporters):
    peaks = {}
    for padding in (0, cases.PADDING):
        platform.set_faults(huge_page={"factor": 1, "padding_bytes": padding}, paths="/sources$")
        exporter = one_pass(exporters, platform)
        exporter.wait_for(lambda s: h.ran(s, "inventory"))
        peaks[padding] = h.peak_memory(exporter.process.pid)
        exporter.process.stop()
    # Eight bodies of 16 MB, four at a time: reading them would add well over 64 MB.
    assert peaks[cases.PADDING] < peaks[0] + 8 * 2**20, peaks


@pytest.fixture(scope="class")
def watched(platform, tmp_path_factory) -> Iterator[ExporterProcess]:
    """One exporter running through every fault of the class."""
    exporter = h.start(platform, tmp_path_factory.mktemp("watched"))
    try:
        yield exporter
    finally:
        exporter.process.stop()


class TestARunningExporter:
    """Faults come and go under one exporter, which keeps its last good values and recovers."""

    @pytest.mark.parametrize("case", cases.KEPT_FAULTS.values(), ids=cases.KEPT_FAULTS.keys())
    def test_a_refused_list_keeps_the_last_good_values(
        self, platform, faults_cleared, watched, case
    ):
        truth = platform.truth()
        baseline = watched.wait_for(healthy)
        assert h.published(baseline) == set(h.workspaces(truth))
        assert h.wrong_workspaces(baseline, truth) == []
        spoiled = [key for key in h.workspaces(truth) if case.spoils(h.resources(truth, key))]
        failed = failures(baseline, "inventory")
        platform.set_faults(**case.fault)
        # Two failed passes: the second one ran wholly under the fault.
        samples = watched.wait_for(lambda s: failures(s, "inventory") >= failed + 2)
        assert h.inventory_gauges(samples) == h.inventory_gauges(baseline)
        assert h.stale(samples) == len(spoiled) > 0
        assert h.collector(samples, cat.COLLECTOR_UP, "inventory") == 0.0
        response = watched.health()
        assert response.status_code == 503 and "inventory" in response.json()["reasons"]
        platform.clear_faults()
        recovered = watched.wait_for(lambda s: healthy(s) and h.stale(s) == 0)
        assert h.wrong_workspaces(recovered, truth) == []
        assert h.published(recovered) == set(h.workspaces(truth))

    @pytest.mark.parametrize(
        "case", cases.ACTIVITY_FAULTS.values(), ids=cases.ACTIVITY_FAULTS.keys()
    )
    def test_activity_counts_stay_exact_or_behind(self, platform, faults_cleared, watched, case):
        h.settled_executions(platform, watched)
        failed = failures(watched.scrape(), "activity")
        platform.reset_requests()
        platform.set_faults(**case.fault, paths="/activity$")
        started = time.monotonic()
        platform.insert_executions(h.workspaces(platform.truth())[0][1], BURST, failed=50)
        if case.refused:
            samples = watched.wait_for(refused_polls(platform, watched, failed + 2))
            assert h.collector(samples, cat.COLLECTOR_UP, "activity") == 0.0
        else:  # harmless to counting: exact while the fault lasts
            samples = h.settled_executions(platform, watched)
            assert h.collector(samples, cat.COLLECTOR_UP, "activity") == 1.0
        assert h.log_lines(watched, "/activity", case.says)
        # Bounded work: a poll reads each org's window, a page more, or times out a few times.
        orgs = len(platform.org_ids())
        bound = 0.5 + orgs * cases.ATTEMPTS * (h.TIMEOUT + 0.2)
        assert h.collector(samples, cat.COLLECTOR_DURATION, "activity") <= bound
        requests_made = sum(h.platform_counts(platform, api.ACTIVITY).values())
        elapsed = time.monotonic() - started
        if case.refused:  # the polls counted as failed so far, and one in flight
            polls = failures(watched.scrape(), "activity") - failed + 1
        else:
            polls = elapsed / h.SETTINGS["activity_interval"] + 1
        window = BURST + 8 * (h.SETTINGS["activity_overlap"] + elapsed)
        per_org = (math.ceil(window / api.ACTIVITY.max_limit) + 1) * cases.ATTEMPTS
        assert requests_made <= polls * orgs * per_org
        platform.clear_faults()
        h.settled_executions(platform, watched)  # caught up exactly...
        watched.wait_for(lambda s: h.collector(s, cat.COLLECTOR_UP, "activity") == 1.0)  # and up


def refused_polls(
    sandbox: SandboxServer, exporter: ExporterProcess, target: float
) -> Callable[[Samples], bool]:
    """A predicate on scrapes: `target` activity failures; asserts on the way that no counter
    is ever ahead of the truth or lower than before."""
    last: dict[tuple[str, str], tuple[int, int]] = {}

    def check(samples: Samples) -> bool:
        truth = truth_executions(sandbox.truth())  # read after the scrape: the truth only grows
        for key, (total, failed) in executions(samples).items():
            assert total <= truth[key][0] and failed <= truth[key][1], key
            before = last.get(key, (0, 0))
            assert total >= before[0] and failed >= before[1], key
            last[key] = (total, failed)
        return failures(samples, "activity") >= target

    return check


def test_an_expired_token_is_held_back_then_renewed_from_its_file(tmp_path, exporters):
    token_file = tmp_path / "token"
    token_file.write_text("first-token\n")
    sandbox = SandboxServer(
        tmp_path / "platform", seed=5, orgs=1, workspaces=2, token="first-token"
    )
    with sandbox:
        sandbox.set_stream(running=True, rate=4.0, failure_ratio=0.3)
        exporter = exporters(
            sandbox,
            platform_token="",
            platform_token_file=token_file,
            auth_retry_interval=RETRY_INTERVAL,
        )
        baseline = exporter.wait_for(healthy)
        sandbox.reset_requests()
        sandbox.set_faults(token_expiry=0)
        expired = time.monotonic()
        refused = exporter.wait_for(lambda s: not any(healthy_collectors(s)))
        held = hold_for(exporter, seconds=3 * RETRY_INTERVAL)
        elapsed = time.monotonic() - expired
        # Reported: every collector down, workspaces kept, the reason in /healthz and the log.
        assert h.inventory_gauges(held) == h.inventory_gauges(baseline)
        assert h.stale(held) == len(h.workspaces(sandbox.truth())) == h.stale(refused)
        assert "401" in str(exporter.health().json()["reasons"])
        assert h.log_lines(exporter, "refused the service token", "401 at /v1/orgs/", "token")
        # Not hammered: the requests in flight, then one try per interval; counted exactly.
        before = refusals_counted(exporter)
        refusals = sandbox.requests_seen()["by_status"].get("401", 0)
        assert 1 <= refusals <= h.CONCURRENCY + 1 + elapsed / RETRY_INTERVAL + 1
        assert before <= refusals <= refusals_counted(exporter)
        # Renewed in the file, taken without a restart.
        pid = exporter.process.pid
        sandbox.set_token("second-token")
        renewed = tmp_path / "token.new"
        renewed.write_text("second-token\n")
        renewed.replace(token_file)
        exporter.wait_for(lambda s: healthy(s) and h.stale(s) == 0, timeout=10)
        assert exporter.process.pid == pid and exporter.process.alive
        assert h.log_lines(exporter, "service token renewed from", str(token_file))
        settled = h.settled_executions(sandbox, exporter)
        assert h.wrong_workspaces(settled, sandbox.truth()) == []


def refusals_counted(exporter: ExporterProcess) -> int:
    """The 401 answers the exporter counted, over every endpoint."""
    rows = select(exporter.scrape(), cat.PLATFORM_REQUESTS.sample_name, code="401")
    return int(sum(rows.values()))


def healthy_collectors(samples: Samples) -> list[bool]:
    return [h.collector(samples, cat.COLLECTOR_UP, name) == 1.0 for name in cat.COLLECTORS]


def hold_for(exporter: ExporterProcess, seconds: float) -> Samples:
    """Scrape for `seconds`, asserting the whole time that every collector stays down."""
    deadline = time.monotonic() + seconds
    samples = exporter.scrape()
    while time.monotonic() < deadline:
        samples = exporter.scrape()
        assert not any(healthy_collectors(samples))
        time.sleep(0.2)
    return samples


@pytest.fixture
def loopback_stream(request) -> Iterator[tuple[str, loopback.Stream]]:
    """A loopback server streaming the parametrized `Stream` as a chunked body."""
    stream = request.param
    with contextlib.contextmanager(loopback.serve)(stream) as url:
        yield url, stream


def client_of(url: str) -> PlatformClient:
    policy = RequestPolicy(timeout=0.5, max_retries=0, max_response_bytes=64 * 1024)
    return PlatformClient(PlatformTarget(url, "token"), requests.Session(), policy)


ENDLESS = loopback.Stream(b" " * 65536, count=1024)  # 64 MB of whitespace, never announced


@pytest.mark.parametrize("loopback_stream", [ENDLESS], indirect=True)
def test_an_unannounced_body_is_cut_off_at_the_cap(loopback_stream):
    url, stream = loopback_stream
    client = client_of(url)
    with pytest.raises(ResponseTooLarge, match="over the cap of 65536 bytes"):
        client.records(api.WORKSPACES, {"org_id": "org-a"}, api.workspace_id)
    h.wait(lambda: stream.sent, what="the server noticed the hang-up")
    assert stream.sent[0] < 16 * 2**20  # the rest of the 64 MB was never sent
    assert client.counter.snapshot() == {(api.WORKSPACES.template, "200"): 1}


DRIP = loopback.Stream(loopback.ENVELOPE[:4], count=40, delay=0.05)  # 2 s for 160 bytes


@pytest.mark.parametrize("loopback_stream", [DRIP], indirect=True)
def test_a_dripped_body_times_out_as_a_whole(loopback_stream):
    url, _ = loopback_stream
    client = client_of(url)
    started = time.monotonic()
    with pytest.raises(PlatformTimeout, match="still arriving"):
        client.records(api.WORKSPACES, {"org_id": "org-a"}, api.workspace_id)
    assert time.monotonic() - started < 0.5 + 0.3
    assert client.counter.snapshot() == {(api.WORKSPACES.template, "error"): 1}


def test_the_token_file_is_read_and_checked_before_anything_starts(tmp_path):
    env = {"EXPORTER_PLATFORM_URL": "http://platform.test", "EXPORTER_ORG_IDS": "org-a"}
    token_file = tmp_path / "token"
    token_file.write_text("  tok-1\n")
    with_file = {**env, "EXPORTER_PLATFORM_TOKEN_FILE": str(token_file)}
    config = load_config(None, with_file)
    assert (config.platform_token, config.platform_token_file) == ("tok-1", token_file)
    problems = {
        "cannot read token file": {**env, "EXPORTER_PLATFORM_TOKEN_FILE": str(tmp_path / "no")},
        "both set": {**with_file, "EXPORTER_PLATFORM_TOKEN": "tok-2"},
        "platform_token is required": env,
    }
    for message, environ in problems.items():
        with pytest.raises(ConfigError, match=message) as raised:
            load_config(None, environ)
        assert len(raised.value.problems) == 1, raised.value.problems  # and nothing misleading


def test_a_refused_token_gets_one_try_per_interval_until_it_changes(tmp_path):
    now = [0.0]
    token_file = tmp_path / "token"
    token_file.write_text("old\n")
    token = ServiceToken("old", token_file, retry_interval=10.0, clock=lambda: now[0])
    assert token.current("/a") == "old"
    assert token.refused("old", "/a") is False  # the file still holds the refused token
    with pytest.raises(TokenHeldBack, match=r"401 at /a\); next try in 10.0 s"):
        token.current("/b")
    now[0] = 10.5
    assert token.current("/b") == "old"  # the one try of the interval...
    with pytest.raises(TokenHeldBack):
        token.current("/c")  # ... and no second one
    token.accepted("old")  # the platform took it again
    assert token.current("/c") == "old"
    assert token.refused("old", "/c") is False
    token_file.write_text("new\n")
    assert token.current("/d") == "new"  # renewed in the file: no waiting for the interval
    token_file.write_text("newer\n")
    assert token.refused("new", "/d") is True  # a 401 re-reads the file: retry at once
    assert token.current("/d") == "newer"
