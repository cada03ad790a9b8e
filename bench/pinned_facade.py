"""The façade as `mm-analytics facade` serves it (configured from `FACADE_*`, under gunicorn),
with "now" pinned at `BENCH_FACADE_NOW` (unix seconds): the benchmarks read a history that
ended in the past.

Run: `gunicorn --config python:facade.gunicorn_conf "bench.pinned_facade:create()"`.
"""

from __future__ import annotations

import os

from flask import Flask

from facade import create_app

NOW_VARIABLE = "BENCH_FACADE_NOW"


def create() -> Flask:
    """The façade app, its clock stopped at `BENCH_FACADE_NOW`."""
    now = float(os.environ[NOW_VARIABLE])
    return create_app(clock=lambda: now)
