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
# gunicorn's own error pages (414, 431, 400) are sent as the API's JSON envelope.
worker_class = "facade.gunicorn_worker.JsonErrorWorker"
# Bounds of what gunicorn reads before the app sees a request. The request line keeps
# gunicorn's default (a URL of about 4 KB is far above any route with its parameters). A header
# may hold 32 KiB, so a JWT naming 1,000 workspaces (ids up to about 20 characters, in the
# compact `workspaces` claim) fits in `Authorization`; with at most 100 headers, a request's
# head is bounded by 100 x 32 KiB.
limit_request_line = 4094
limit_request_field_size = 32768
limit_request_fields = 100


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live metric files so /metrics stops summing them."""
    multiprocess.mark_process_dead(worker.pid)
