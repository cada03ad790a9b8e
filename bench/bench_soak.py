"""Soak bench: the whole stack under a light steady load for ten minutes, watching memory.

Starts `mm-analytics up` on free ports (sandbox streaming, exporter, Prometheus, Alertmanager,
the façade under gunicorn with two workers) and waits for data. Then `--clients` clients each
send one request of the façade's endpoint mix every 1/`--client-rate` seconds while, every
`--interval` seconds, psutil reads the RSS of the exporter and of the façade (the
`mm-analytics facade` process, the gunicorn master and its workers, summed) and the exporter's
health check is read.

Prints the samples; for each service, after the warm-up, the least-squares slope in KiB/min,
first/last/max and a verdict: no growth trend while the slope over ten minutes stays under
`--bound` percent of the mean. Exits 1 on any failed request, failed health check, lost or
restarted process, or growth; 2 when the stack could not be measured.

Run: `.venv/bin/python bench/bench_soak.py [--duration 600 --interval 10 --warmup 120]`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import psutil
import requests

from stack.supervisor import REPO_ROOT, StackError

if str(REPO_ROOT) not in sys.path:  # run as `python bench/bench_soak.py`
    sys.path.insert(0, str(REPO_ROOT))

from bench.load_clients import LoadResult, facade_sender, percentile, print_failures, run_clients
from bench.load_memory import Sample, print_samples, print_trends, rss_kib, trend
from bench.load_mix import build_mix
from bench.load_stack import LaunchedStack, StackFailed, StackOptions, exit_on_sigterm

SERVICES = ("exporter", "facade")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command line; the run must leave at least three samples after the warm-up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds under load")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--warmup", type=float, default=120.0, help="seconds left out of trends")
    parser.add_argument("--bound", type=float, default=1.0, help="%% of the mean per 10 min")
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--client-rate", type=float, default=2.0, help="requests/s per client")
    parser.add_argument("--targets", type=int, default=24, help="targets per endpoint kind")
    parser.add_argument("--scrape-interval", default="15s")
    parser.add_argument("--rate", type=float, default=2.0, help="sandbox executions per second")
    args = parser.parse_args(argv)
    if args.duration - args.warmup < 2 * args.interval:
        parser.error("--duration must exceed --warmup by at least two --interval")
    return args


def take_sample(stack: LaunchedStack, seconds: float) -> Sample:
    """RSS and process ids of every watched service (psutil.Error if a process vanished)."""
    trees = {name: stack.tree(name) for name in SERVICES}
    return Sample(
        seconds=seconds,
        rss_kib={name: rss_kib(tree) for name, tree in trees.items()},
        pids={name: frozenset(p.pid for p in tree) for name, tree in trees.items()},
    )


def exporter_health(stack: LaunchedStack) -> str | None:
    """What is wrong with the exporter's health check, if anything."""
    try:
        answer = requests.get(f"{stack.url('exporter')}/healthz", timeout=10)
    except requests.RequestException as error:
        return f"exporter /healthz: {error}"
    return None if answer.ok else f"exporter /healthz {answer.status_code}: {answer.text[:300]}"


def watch(stack: LaunchedStack, args: argparse.Namespace) -> tuple[list[Sample], list[str]]:
    """Sample every `interval` seconds for `duration`; also return the problems seen."""
    samples: list[Sample] = []
    problems: list[str] = []
    started = time.monotonic()
    for index in range(int(args.duration // args.interval) + 1):
        time.sleep(max(0.0, started + index * args.interval - time.monotonic()))
        stack.check_alive()
        seconds = time.monotonic() - started
        try:
            samples.append(take_sample(stack, seconds))
        except psutil.Error as error:
            problems.append(f"at {seconds:.0f} s a process vanished while sampled: {error}")
        health = exporter_health(stack)
        if health is not None:
            problems.append(f"at {seconds:.0f} s {health}")
        if sys.stdout.isatty():
            print(f"sampled at {seconds:5.0f} s", end="\r", flush=True)
    for name in SERVICES:
        seen = sorted({tuple(sorted(sample.pids[name])) for sample in samples})
        if len(seen) > 1:
            problems.append(f"{name} processes changed during the run: {seen}")
    return samples, problems


def soak(workdir: Path, args: argparse.Namespace) -> tuple[list[Sample], list[str], LoadResult]:
    """Start the stack, load it lightly while sampling, stop it."""
    options = StackOptions(rate=args.rate, scrape_interval=args.scrape_interval, alertmanager=True)
    stack = LaunchedStack(workdir, options)
    try:
        stack.start()
        targets = stack.wait_for_data()
        mix = build_mix(targets, args.targets)
        sender = facade_sender({org: stack.token(org) for org in targets.org_ids})
        host_port = ("127.0.0.1", stack.ports["facade"])
        results: list[LoadResult] = []

        def load() -> None:
            pace = 1 / args.client_rate
            outcome = run_clients(
                host_port, sender, mix, clients=args.clients, duration=args.duration, pace=pace
            )
            results.append(outcome)

        print(f"soak: {args.duration:.0f} s, {args.clients} x {args.client_rate:g} requests/s")
        clients = threading.Thread(target=load, name="clients", daemon=True)
        clients.start()
        samples, problems = watch(stack, args)
        clients.join()
        return samples, problems, results[0]
    finally:
        stack.stop()


def print_load(result: LoadResult) -> None:
    """Requests, errors, throughput and latency of the steady load."""
    times = result.all_latencies()
    quantiles = (0.5, 0.95, 0.99) if times else ()
    latency = "  ".join(f"p{q * 100:.0f} {percentile(times, q) * 1000:.1f} ms" for q in quantiles)
    print(
        f"\nload: {result.requests} requests, {len(result.failures)} errors, "
        f"{result.throughput:.1f} requests/s, {latency}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the soak; 1 on errors or growth, 2 when the stack could not be measured."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    exit_on_sigterm()
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as directory:
        try:
            samples, problems, result = soak(Path(directory), args)
        except (StackFailed, StackError) as error:
            print(f"bench_soak: {error}", file=sys.stderr)
            return 2
    if sum(sample.seconds >= args.warmup for sample in samples) < 2:
        print(f"bench_soak: too few samples after the warm-up: {problems}", file=sys.stderr)
        return 2
    print_samples(samples, args.warmup)
    trends = [trend(name, samples, args.warmup) for name in SERVICES]
    print_trends(trends, args.bound)
    print_load(result)
    for problem in problems:
        print(f"problem: {problem}")
    if result.failures:
        print_failures(result)
    growing = [t.name for t in trends if not t.within(args.bound)]
    return 1 if result.failures or problems or growing else 0


if __name__ == "__main__":
    raise SystemExit(main())
