"""The floor each façade endpoint is measured against, and a hello-world under its gunicorn.

The floor of an endpoint is the cheapest PromQL that yields the same exact answer on the same
store: one instant query for the summary and the org rollup (the façade's own tagged query is
that one query), and for a series one query of boundary values per run of equally spaced
boundaries, `max(last_over_time(selector[step]))` sent as the façade sends it (a range query
from a multiple of its step, or an instant query for a run of one); for the latency, the same
per `le` of the duration histogram's buckets. It is what a client that knew there was no
counter reset and that the workspace existed would send to Prometheus directly, over a plain
requests session (`floor_session`: answers not gzipped, the environment read once).

`hello_world` is the smallest Flask app, served by `wrk_rate`'s comparison under the very
gunicorn settings of `mm-analytics facade` (`facade.gunicorn_conf`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import requests
from flask import Flask

from facade import promql
from facade.buckets import Buckets, reads
from facade.promql import counters
from stack.supervisor import REPO_ROOT, ManagedProcess, free_port

Action = Callable[[], object]
hello_world = Flask("hello")


@hello_world.get("/")
def hello() -> str:
    """The least a Flask view can answer."""
    return "hello"


def floor_session(api: str) -> requests.Session:
    """The floor's client: a requests session that reads proxy and CA settings from the
    environment once and asks for uncompressed answers."""
    session = requests.Session()
    session.proxies = requests.utils.get_environ_proxies(api)  # honours NO_PROXY
    session.verify = (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    )
    session.trust_env = False
    session.headers["Accept-Encoding"] = "identity"
    return session


def boundary_values(
    scope: promql.Scope,
    step: float,
    shift: float = 0.0,
    counted: counters.Counted = counters.EXECUTIONS_COUNTED,
) -> str:
    """The counter's last sample (per value of the counted labels) in the window of `step`
    ending at (or `shift` before) the evaluation time: the boundary value alone, without reset
    checks."""
    return counters.counter_values(scope, step, shift, counted)[promql.Part.COUNTER_VALUE]


def series_floor(
    api: str,
    scope: promql.Scope,
    buckets: Buckets,
    counted: counters.Counted = counters.EXECUTIONS_COUNTED,
) -> Action:
    """One query of boundary values per run of `buckets`."""
    plain = floor_session(api)
    calls: list[tuple[str, dict[str, str | float]]] = []
    for run in reads(buckets):
        if run.last == run.first:
            query = boundary_values(scope, run.step, counted=counted)
            calls.append(("query", {"query": query, "time": run.start}))
        else:
            query = boundary_values(scope, run.step, run.shift, counted)
            window = {"start": run.start + run.shift, "end": run.end + run.shift, "step": run.step}
            calls.append(("query_range", {"query": query, **window}))

    def send() -> None:
        for endpoint, params in calls:
            plain.post(f"{api}/{endpoint}", data=params, timeout=30).raise_for_status()

    return send


def instant_floor(api: str, query: str, at: float) -> Action:
    """One instant query."""
    plain = floor_session(api)
    params = {"query": query, "time": at}
    return lambda: plain.post(f"{api}/query", data=params, timeout=30).status_code


def summary_query(scope: promql.Scope) -> str:
    """The one instant query a summary or rollup needs."""
    return promql.tagged(promql.workspace_parts(scope))


def wrk_rate(url: str, headers: dict[str, str], connections: int, seconds: int = 8) -> float:
    """Requests per second `wrk` gets answered at `connections` (two threads, as the cores)."""
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    found = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in found:
        raise RuntimeError(f"wrk saw errors at {url}:\n{found}")
    match = re.search(r"Requests/sec:\s+([0-9.]+)", found)
    if match is None:
        raise RuntimeError(f"no rate in wrk's output:\n{found}")
    return float(match.group(1))


def gunicorn_app(
    workdir: Path,
    app: str,
    env: dict[str, str],
    ready_path: str = "/",
    workers: int = 2,
    threads: int = 4,
) -> ManagedProcess:
    """The WSGI `app` ("module:name" or "module:factory()") under `facade.gunicorn_conf` with
    these workers and threads, started; its ready URL is `ready_path` on its port."""
    port = free_port()
    name = app.rsplit(":", maxsplit=1)[-1].strip("()").replace("_", "-")
    metrics = workdir / f"{name}-metrics"
    metrics.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "gunicorn", "--config", "python:facade.gunicorn_conf"]
    argv += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads)]
    process = ManagedProcess(
        name,
        [*argv, app],
        log_path=workdir / f"{name}.log",
        env={**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics), "PYTHONPATH": str(REPO_ROOT)},
        ready_url=f"http://127.0.0.1:{port}{ready_path}",
    )
    process.start(ready_timeout=60)
    return process


def gunicorn_hello(workdir: Path, workers: int, threads: int) -> ManagedProcess:
    """`hello_world` under `facade.gunicorn_conf` with these workers and threads, started."""
    return gunicorn_app(workdir, "bench.floor:hello_world", {}, "/", workers, threads)


def hello_url(process: ManagedProcess) -> str:
    """The URL `gunicorn_hello` serves."""
    assert process.ready_url is not None
    return process.ready_url
