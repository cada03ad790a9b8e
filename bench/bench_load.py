"""Load bench: concurrent clients over the façade's endpoint mix, against PromQL sent directly.

Starts the whole stack with `mm-analytics up` on free ports (sandbox streaming, exporter,
Prometheus, the façade under gunicorn with two workers), waits until Prometheus holds every
workspace, app and namespace, then runs two phases at the same concurrency on the same mix:

1. baseline: the Prometheus query API calls the façade makes for each request of the mix
   (recorded once through an in-process façade), POSTed straight to Prometheus;
2. the façade: the fifteen endpoint kinds (org rollup, summary, resources, executions, hourly
   24/168, daily 30/90 in UTC and in local zones, sources, secrets, actions, app, namespace).

The façade keeps answers for `--cache-seconds` (FACADE_CACHE_SECONDS, default 15, the
exporter's activity interval; 0 keeps none). Prints requests, errors (any status but 200, shown
with its body), throughput, p50/p95/p99 per endpoint and overall for both phases, their ratio,
the CPU each process spent per thousand requests, the store queries Prometheus answered per
façade request and the p99 ratio. The clients run on the same cores as the stack. Exits 1 on
any error.

Run: `.venv/bin/python bench/bench_load.py [--duration 60 --clients 50]`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import requests
from prometheus_client.parser import text_string_to_metric_families

from stack.supervisor import REPO_ROOT, StackError

if str(REPO_ROOT) not in sys.path:  # run as `python bench/bench_load.py`
    sys.path.insert(0, str(REPO_ROOT))

from bench.load_clients import (
    LoadResult,
    Send,
    facade_sender,
    percentile,
    print_failures,
    replay_sender,
    run_clients,
)
from bench.load_mix import ENDPOINTS, PrometheusCall, Request, build_mix, record_queries
from bench.load_stack import LaunchedStack, StackFailed, StackOptions, exit_on_sigterm


@dataclass(frozen=True)
class Phase:
    """One measured run: the clients' result and CPU seconds each process spent."""

    result: LoadResult
    cpu: dict[str, float]
    store_queries: float  # query API calls Prometheus answered during the phase


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per phase")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds per phase")
    parser.add_argument("--targets", type=int, default=24, help="targets per endpoint kind")
    parser.add_argument("--scrape-interval", default="5s")
    parser.add_argument("--rate", type=float, default=2.0, help="sandbox executions per second")
    parser.add_argument(
        "--cache-seconds", type=float, default=15.0, help="FACADE_CACHE_SECONDS (0: no cache)"
    )
    return parser.parse_args(argv)


def address(url: str) -> tuple[str, int]:
    """Host and port of a URL."""
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def cpu_seconds(processes: Sequence[psutil.Process]) -> float:
    """User plus system CPU time of the processes."""
    times = [process.cpu_times() for process in processes]
    return sum(t.user + t.system for t in times)


def store_queries(prometheus_url: str) -> float:
    """Query API calls Prometheus has answered so far (instant and range)."""
    text = requests.get(f"{prometheus_url}/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "prometheus_http_requests"
        for sample in family.samples
        if sample.name.endswith("_total")
        and sample.labels.get("handler") in {"/api/v1/query", "/api/v1/query_range"}
    )


def measure(
    stack: LaunchedStack, target: str, send: Send, mix: list[Request], args: argparse.Namespace
) -> Phase:
    """Warm up, then run the clients for the duration while counting every process' CPU."""
    run_clients(address(stack.url(target)), send, mix, clients=args.clients, duration=args.warmup)
    stack.check_alive()
    processes = {
        "façade": stack.tree("facade"),
        "prometheus": [stack.service("prometheus")],
        "clients": [psutil.Process()],
    }
    before = {name: cpu_seconds(group) for name, group in processes.items()}
    queries = store_queries(stack.url("prometheus"))
    result = run_clients(
        address(stack.url(target)), send, mix, clients=args.clients, duration=args.duration
    )
    cpu = {name: cpu_seconds(group) - before[name] for name, group in processes.items()}
    queries = store_queries(stack.url("prometheus")) - queries
    stack.check_alive()
    return Phase(result, cpu, queries)


def ms_triple(times: Sequence[float]) -> str:
    """p50, p95 and p99 in milliseconds."""
    return "".join(f"{percentile(times, q) * 1000:>8.1f}" for q in (0.5, 0.95, 0.99))


def print_latencies(facade: LoadResult, direct: LoadResult, queries: Mapping[str, float]) -> None:
    """Per endpoint and overall: requests and p50/p95/p99 of both phases, p50 ratio."""
    print(
        f"\n{'':<13}{'façade':>31}{'direct PromQL':>34}\n"
        f"{'endpoint':<13}{'requests':>9}{'p50':>8}{'p95':>8}{'p99':>8}"
        f"{'requests':>10}{'p50':>8}{'p95':>8}{'p99':>8}{'ratio':>7}{'queries':>9}"
    )
    rows = [
        (name, facade.latencies.get(name, []), direct.latencies.get(name, [])) for name in ENDPOINTS
    ]
    rows.append(("overall", facade.all_latencies(), direct.all_latencies()))
    for name, ours, theirs in rows:
        if not ours or not theirs:
            print(f"{name:<13}{len(ours):>9}  (no answered request in one of the phases)")
            continue
        ratio = percentile(ours, 0.5) / percentile(theirs, 0.5)
        per_request = queries[name]
        print(
            f"{name:<13}{len(ours):>9}{ms_triple(ours)}{len(theirs):>10}{ms_triple(theirs)}"
            f"{ratio:>7.2f}{per_request:>9.1f}"
        )
    print("(latencies in ms; ratio = façade p50 / direct p50; queries = Prometheus calls each)")


def print_totals(facade: Phase, direct: Phase, clients: int) -> None:
    """Requests, errors, throughput and CPU per thousand requests of both phases."""
    print(f"\n{'':<34}{'façade':>12}{'direct':>12}")
    pairs = [
        ("requests", f"{facade.result.requests}", f"{direct.result.requests}"),
        ("errors", f"{len(facade.result.failures)}", f"{len(direct.result.failures)}"),
        (
            f"throughput at {clients} clients (req/s)",
            f"{facade.result.throughput:.1f}",
            f"{direct.result.throughput:.1f}",
        ),
    ]
    for name in facade.cpu:
        ours, theirs = (
            f"{phase.cpu[name] / max(1, phase.result.requests) * 1000:.2f}"
            for phase in (facade, direct)
        )
        pairs.append((f"{name} CPU s per 1000 requests", ours, theirs))
    for label, ours, theirs in pairs:
        print(f"{label:<34}{ours:>12}{theirs:>12}")
    ratio = direct.result.throughput / max(facade.result.throughput, 1e-9)
    print(f"direct / façade throughput: {ratio:.2f}")
    per_request = facade.store_queries / max(1, facade.result.requests)
    print(f"store queries per façade request: {per_request:.3f}")
    p99 = percentile(facade.result.all_latencies(), 0.99) / percentile(
        direct.result.all_latencies(), 0.99
    )
    print(f"façade p99 / direct p99: {p99:.2f}")


def run(workdir: Path, args: argparse.Namespace) -> tuple[Phase, Phase]:
    """Start the stack, record the mix's queries, run both phases, stop the stack."""
    options = StackOptions(
        rate=args.rate, scrape_interval=args.scrape_interval, cache_seconds=args.cache_seconds
    )
    stack = LaunchedStack(workdir, options)
    try:
        stack.start()
        targets = stack.wait_for_data()
        mix = build_mix(targets, args.targets)
        tokens = {org: stack.token(org) for org in targets.org_ids}
        recorded: dict[Request, tuple[PrometheusCall, ...]] = record_queries(
            mix, stack.url("prometheus"), stack.jwt_secret(), tokens.__getitem__
        )
        print(
            f"stack: {len(targets.workspaces)} workspaces, {len(targets.apps)} apps, "
            f"{len(targets.namespaces)} namespaces in {len(targets.org_ids)} orgs; mix of "
            f"{len(mix)} requests ({sum(map(len, recorded.values()))} Prometheus calls); "
            f"{args.clients} clients, {args.duration:.0f} s per phase",
            flush=True,
        )
        direct = measure(stack, "prometheus", replay_sender(recorded), mix, args)
        facade = measure(stack, "facade", facade_sender(tokens), mix, args)
        calls: dict[str, list[int]] = {"overall": [len(recorded[request]) for request in mix]}
        for request in mix:
            calls.setdefault(request.endpoint, []).append(len(recorded[request]))
        print_latencies(
            facade.result, direct.result, {k: sum(v) / len(v) for k, v in calls.items()}
        )
        return facade, direct
    finally:
        stack.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the bench; 1 on any failed request, 2 when the stack could not be measured."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    exit_on_sigterm()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as directory:
        try:
            facade, direct = run(Path(directory), args)
        except (StackFailed, StackError) as error:
            print(f"bench_load: {error}", file=sys.stderr)
            return 2
    print_totals(facade, direct, args.clients)
    for name, phase in (("façade", facade), ("direct PromQL", direct)):
        if phase.result.failures:
            print(f"\n{name}: {len(phase.result.failures)} failed requests:")
            print_failures(phase.result)
    return 1 if facade.result.failures or direct.result.failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
