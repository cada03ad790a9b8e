"""Backfill bench: a sandbox history of over a million records, backfilled into a data dir.

Prints, each next to the baseline measured in the same run:
- backfill records per second ÷ the rate at which the sandbox serves the same pages to a bare
  `requests` paging loop (the floor: the backfill cannot read faster than that);
- platform requests per backfilled day ÷ the paging minimum, ceil(records of the day / 200)
  per org;
- the backfill process' peak RSS (ru_maxrss of the child).

Run: `.venv/bin/python bench/bench_backfill.py [--days 2 --rate 15000]`.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from exporter.backfill.values import first_boundary, windows
from exporter.platform import api
from stack.supervisor import REPO_ROOT, python_command

if str(REPO_ROOT) not in sys.path:  # run as `python bench/bench_backfill.py`
    sys.path.insert(0, str(REPO_ROOT))

from tests.support.sandbox import SandboxServer

DAY = 86_400


def day_windows(since: datetime, end: datetime) -> list[tuple[int, int]]:
    """The backfill's windows (µs), newest first."""
    low = first_boundary(round(since.timestamp() * 1e6))
    return [(w.low, w.high) for w in windows(low, round(end.timestamp() * 1e6))]


def bare_paging(
    sandbox: SandboxServer, orgs: list[str], spans: list[tuple[int, int]]
) -> tuple[int, float, dict[tuple[str, int], int]]:
    """Records read by a plain paging loop, its seconds, and records per (org, window)."""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    read, per_window, started = 0, {}, time.perf_counter()
    for org in orgs:
        for low, high in spans:
            params = {
                "start_time": api.format_time(low),
                "end_time": api.format_time(high),
                "limit": "200",
            }
            count = 0
            while True:
                body = session.get(
                    f"{sandbox.url}/v1/orgs/{org}/activity",
                    params=params,
                    headers=headers,
                    timeout=60,
                ).json()
                count += len(body["activities"])
                if not body["has_more"]:
                    break
                params["cursor"] = body["next_cursor"]
            per_window[(org, low)] = count
            read += count
    return read, time.perf_counter() - started, per_window


def run_backfill(
    sandbox: SandboxServer, orgs: list[str], since: datetime, workdir: Path
) -> tuple[float, int, str]:
    """Seconds, the child's peak RSS (KiB) and its summary line."""
    (workdir / "data").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXPORTER_")}
    env["EXPORTER_PLATFORM_TOKEN"] = sandbox.token
    command = python_command(
        "backfill",
        f"--since={since.isoformat()}",
        f"--prometheus-data-dir={workdir / 'data'}",
        f"--platform-url={sandbox.url}",
        f"--org-ids={','.join(orgs)}",
        f"--ledger-path={workdir / 'ledger.sqlite3'}",
    )
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, result.stdout.strip()


def main() -> None:
    """Seed, page bare, backfill, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--rate", type=float, default=15_000.0, help="executions per hour")
    args = parser.parse_args()
    end = datetime.fromtimestamp(time.time() // 3600 * 3600 - 3600, UTC)
    since = end - timedelta(days=args.days, minutes=30)
    with tempfile.TemporaryDirectory() as tmp:
        seeded = time.perf_counter()
        sandbox = SandboxServer(
            Path(tmp) / "sandbox",
            orgs=2,
            workspaces=4,
            history_days=args.days,
            extra_args=(f"--history-rate={args.rate}", f"--history-end={end.isoformat()}"),
        )
        with sandbox.start(timeout=600):
            print(f"sandbox seeded in {time.perf_counter() - seeded:.1f} s", flush=True)
            orgs = sandbox.org_ids()
            spans = day_windows(since, datetime.now(UTC))
            records, bare_s, per_window = bare_paging(sandbox, orgs, spans)
            print(f"bare paging loop: {records:,} records in {bare_s:.1f} s", flush=True)
            minimum = sum(math.ceil(count / 200) or 1 for count in per_window.values())
            sandbox.reset_requests()
            seconds, rss_kib, line = run_backfill(sandbox, orgs, since, Path(tmp) / "backfill")
            made = sum(
                count
                for route, count in sandbox.requests_seen()["by_route"].items()
                if "activity" in route
            )
    days = len(per_window)
    print(line)
    print(f"records: {records:,} in {days} org-days")
    print(f"bare paging loop: {records / bare_s:,.0f} records/s ({bare_s:.1f} s)")
    rate, floor = records / seconds, records / bare_s
    print(f"backfill: {rate:,.0f} records/s ({seconds:.1f} s), {rate / floor:.3f} of the floor")
    per_day, least = made / days, minimum / days
    print(f"platform requests per org-day: {per_day:.1f}, paging minimum {least:.1f}")
    print(f"requests ratio: {made / minimum:.3f}")
    print(f"backfill peak RSS: {rss_kib / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
