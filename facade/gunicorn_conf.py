"""gunicorn settings of `mm-analytics facade` (loaded as `python:facade.gunicorn_conf`)."""

from __future__ import annotations

from typing import Any

from prometheus_client import multiprocess

from facade.access_log import AccessLogger

wsgi_app = "facade.app:create_app()"
accesslog = "-"
# The access log never shows query strings or headers, so no token can end up in it, and the
# logger escapes what it does show, so a request cannot write lines of its own into it.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
logger_class = AccessLogger
# No runtime control socket: it would be one more way in, and every façade on the host would
# share its default path ($HOME/.gunicorn/gunicorn.ctl). Signals manage the workers.
control_socket_disable = True


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live metric files so /metrics stops summing them."""
    multiprocess.mark_process_dead(worker.pid)
