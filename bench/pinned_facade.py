"""The façade as `mm-analytics facade` serves it (configured from `FACADE_*`, under gunicorn),
with "now" pinned at `BENCH_FACADE_NOW` (unix seconds) when it is set: the benchmarks read a
history that ended in the past as well as live data.

Run: `gunicorn --config python:facade.gunicorn_conf "bench.pinned_facade:create()"`.
"""

from __future__ import annotations

import os

from flask import Flask

from facade import create_app

NOW_VARIABLE = "BENCH_FACADE_NOW"


def create() -> Flask:
    """The façade app, its clock stopped at `BENCH_FACADE_NOW` if set."""
    pinned = os.environ.get(NOW_VARIABLE)
    if pinned is None:
        return create_app()
    now = float(pinned)
    return create_app(clock=lambda: now)
