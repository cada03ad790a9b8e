"""gunicorn settings of `mm-analytics facade` (loaded as `python:facade.gunicorn_conf`)."""

from __future__ import annotations

from typing import Any

from prometheus_client import multiprocess

wsgi_app = "facade.app:create_app()"
accesslog = "-"
# The access log never shows query strings or headers, so no token can end up in it.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live metric files so /metrics stops summing them."""
    multiprocess.mark_process_dead(worker.pid)
