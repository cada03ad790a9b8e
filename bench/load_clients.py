"""Concurrent keep-alive clients for the load and soak benches.

Each client thread owns one `http.client` connection (kept alive while the server allows it),
walks the mix from its own offset until the deadline and records the latency of every request
it completed and every failure: any status but 200, or a connection error (status 0).
"""

from __future__ import annotations

import http.client
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import requests

from bench.load_mix import PrometheusCall, Request

Send = Callable[[http.client.HTTPConnection, Request], tuple[int, bytes]]
# The headers the façade's requests session sends: it accepts gzip, and compressing every answer
# is a large share of Prometheus' CPU per query, so the baseline pays for it too.
REPLAY_HEADERS = {
    **requests.utils.default_headers(),
    "Content-Type": "application/x-www-form-urlencoded",
}


@dataclass(frozen=True)
class Failure:
    """One request that did not answer 200."""

    endpoint: str
    path: str
    status: int  # 0: no HTTP answer at all
    body: str


@dataclass
class LoadResult:
    """Latencies (seconds) by endpoint, failures, and the wall time the clients ran."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def requests(self) -> int:
        """Requests sent, answered or not."""
        return sum(len(times) for times in self.latencies.values()) + len(self.failures)

    @property
    def throughput(self) -> float:
        """Requests answered with 200 per second."""
        answered = sum(len(times) for times in self.latencies.values())
        return answered / self.elapsed if self.elapsed else 0.0

    def merge(self, other: LoadResult) -> None:
        """Add another client's latencies and failures."""
        for endpoint, times in other.latencies.items():
            self.latencies.setdefault(endpoint, []).extend(times)
        self.failures.extend(other.failures)

    def all_latencies(self) -> list[float]:
        """Every latency of every endpoint."""
        return [t for times in self.latencies.values() for t in times]


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank q-quantile (0 < q <= 1) of a non-empty sequence."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def facade_sender(tokens: Mapping[str, str]) -> Send:
    """GET the request's path with the bearer token of its org."""
    headers = {org: {"Authorization": f"Bearer {token}"} for org, token in tokens.items()}

    def send(connection: http.client.HTTPConnection, request: Request) -> tuple[int, bytes]:
        connection.request("GET", request.path, headers=headers[request.org_id])
        answer = connection.getresponse()
        return answer.status, answer.read()

    return send


def replay_sender(recorded: Mapping[Request, Sequence[PrometheusCall]]) -> Send:
    """POST, one after the other as the façade does, the query API calls a request made."""

    def send(connection: http.client.HTTPConnection, request: Request) -> tuple[int, bytes]:
        for call in recorded[request]:
            connection.request("POST", call.path, body=call.form, headers=REPLAY_HEADERS)
            answer = connection.getresponse()
            body = answer.read()
            if answer.status != 200:
                return answer.status, body
        return 200, b""

    return send


class _Client:
    """One client thread's connection, schedule and tally."""

    def __init__(self, address: tuple[str, int], send: Send, order: Sequence[Request]) -> None:
        self.address = address
        self.send = send
        self.order = order
        self.result = LoadResult()
        self.connection = http.client.HTTPConnection(*address, timeout=60)

    def one(self, request: Request) -> None:
        started = time.perf_counter()
        try:
            status, body = self.send(self.connection, request)
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()  # reconnects on the next request
            status, body = 0, repr(error).encode()
        if status == 200:
            self.result.latencies.setdefault(request.endpoint, []).append(
                time.perf_counter() - started
            )
        else:
            text = body[:500].decode(errors="replace")
            self.result.failures.append(Failure(request.endpoint, request.path, status, text))

    def run(self, start: threading.Barrier, deadline: list[float], pace: float) -> None:
        start.wait()
        index, next_at = 0, time.monotonic()
        while time.monotonic() < deadline[0]:
            self.one(self.order[index % len(self.order)])
            index += 1
            if pace:
                next_at += pace
                time.sleep(max(0.0, min(next_at, deadline[0]) - time.monotonic()))
        self.connection.close()


def run_clients(
    address: tuple[str, int],
    send: Send,
    mix: Sequence[Request],
    *,
    clients: int,
    duration: float,
    pace: float = 0.0,
) -> LoadResult:
    """`clients` threads send the mix for `duration` seconds; `pace` spaces one client's requests.

    The mix is shuffled once and each client starts at its own offset, so every endpoint is in
    flight at once. Requests still running at the deadline complete and count.
    """
    order = list(mix)
    random.Random(1).shuffle(order)
    workers = [
        _Client(
            address, send, order[i * len(order) // clients :] + order[: i * len(order) // clients]
        )
        for i in range(clients)
    ]
    start, deadline = threading.Barrier(clients + 1), [0.0]
    threads = [
        threading.Thread(target=worker.run, args=(start, deadline, pace), daemon=True)
        for worker in workers
    ]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + duration
    started = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    total = LoadResult(elapsed=time.perf_counter() - started)
    for worker in workers:
        total.merge(worker.result)
    return total


def print_failures(result: LoadResult, limit: int = 20) -> None:
    """Each distinct failure (endpoint, status, body) once, with how often it happened."""
    counts = Counter((f.endpoint, f.status, f.body) for f in result.failures)
    examples = {(f.endpoint, f.status, f.body): f.path for f in result.failures}
    for (endpoint, status, body), count in counts.most_common(limit):
        print(f"  {count:>6} x {endpoint} -> {status}  e.g. {examples[endpoint, status, body]}")
        print(f"           {body}")
    if len(counts) > limit:
        print(f"  ... and {len(counts) - limit} more distinct failures")
