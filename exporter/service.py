"""The running exporter: platform client, ledger, scheduled collections and HTTP server, wired.

Collection is scheduled (APScheduler intervals, one instance of each job at a time, missed
runs coalesced) rather than done at scrape time, because one inventory pass costs many platform
requests; a scrape only renders the latest immutable state.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import requests
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from requests.adapters import HTTPAdapter

from exporter.config import ExporterConfig
from exporter.inventory.schedule import InventoryCollection
from exporter.ledger.activity import ActivityPoller, ActivitySettings
from exporter.ledger.store import Ledger
from exporter.metrics.collectors import MetricSources
from exporter.metrics.event_time import EventTimeCollector
from exporter.metrics.exposition import CONTENT_TYPE, CachedExposition
from exporter.metrics.registry import build_registry
from exporter.platform.client import PlatformClient, RequestCounter
from exporter.platform.throttle import Throttle
from exporter.status import RunStatus, run_recorded
from exporter.web import exporter_app, make_http_server

log = logging.getLogger(__name__)


def platform_session(concurrency: int, platform_url: str) -> requests.Session:
    """A session whose pool holds every worker's connection, environment settings read once."""
    session = requests.Session()
    # requests re-reads the whole environment for proxies on every request (a fifth of the
    # exporter's CPU in a pass); resolve proxies and the CA bundle once instead.
    session.proxies.update(requests.utils.get_environ_proxies(platform_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=concurrency + 4)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class ExporterService:
    """Everything one exporter process runs; `start()` then `stop()`."""

    def __init__(
        self,
        config: ExporterConfig,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.clock = clock
        self.stopping = threading.Event()
        self.ledger = Ledger(
            config.ledger_path, config.label_caps
        )  # first: a bad ledger stops the start
        self.session = session or platform_session(config.concurrency, config.platform_url)
        self.requests = RequestCounter()
        client = self._platform_client()
        self.inventory = InventoryCollection(
            client, config.org_ids, config.concurrency, clock, config.inventory_page_size
        )
        settings = ActivitySettings.from_seconds(
            config.activity_page_cap,
            lag=config.activity_lag,
            overlap=config.activity_overlap,
            start=config.activity_start,
            lateness=config.activity_lateness,
            horizon=config.activity_late_horizon,
        )
        self.activity = ActivityPoller(client, self.ledger, config.org_ids, settings, clock)
        self.status = RunStatus()
        self.exposition = CachedExposition(build_registry(self._sources()))
        # The standard process_* series (CPU, memory, open files), outside the cached registry.
        self.process_registry = CollectorRegistry(auto_describe=False)
        ProcessCollector(registry=self.process_registry)
        self._recording_shown = threading.Lock()  # held while served boundaries are recorded
        app = exporter_app(self.scrape, CONTENT_TYPE, self.status.problems)
        try:
            self.server = make_http_server(config.listen_host, config.listen_port, app)
        except BaseException:
            self.ledger.close()
            raise
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(2)},
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        )
        self._server_thread = threading.Thread(
            target=self.server.serve_forever, name="http", daemon=True
        )

    def _platform_client(self) -> PlatformClient:
        config = self.config
        return PlatformClient(
            config.platform_target(),
            self.session,
            config.request_policy(),
            counter=self.requests,
            throttle=Throttle(self.stopping),  # stopping the service abandons every wait
        )

    def _sources(self) -> MetricSources:
        config = self.config
        return MetricSources(
            snapshot=lambda: self.inventory.snapshot,
            ledger=lambda: self.ledger.view,
            status=self.status,
            requests=self.requests,
            org_ids=config.org_ids,
            app_metrics=config.app_metrics,
            namespace_metrics=config.namespace_metrics,
            pipeline_metrics=config.pipeline_metrics,
            clock=self.clock,
            mark_exposed=self.ledger.mark_exposed,
            exposure_hold=config.exposure_hold,
            exposure_step=config.exposure_boundary,
        )

    def scrape(self) -> bytes:
        """The `/metrics` body of a served scrape (renders ahead of scrapes are not scrapes)."""
        body = self.exposition.render()
        # Recording what was shown writes the ledger, which a poll's commit (or a locked file)
        # can hold for seconds: it runs beside the answer, one recording at a time.
        if self._recording_shown.acquire(blocking=False):
            threading.Thread(target=self._record_shown, name="shown-boundaries").start()
        return body + generate_latest(self.process_registry)

    def _record_shown(self) -> None:
        try:
            for collector in self.exposition.registry.collectors:
                if isinstance(collector, EventTimeCollector):
                    collector.scraped()
        except Exception:  # the next scrape records it again
            log.exception("recording the boundaries a scrape showed failed")
        finally:
            self._recording_shown.release()

    @property
    def server_port(self) -> int:
        """The port the HTTP server is bound to."""
        return int(self.server.server_address[1])

    def run_inventory(self) -> None:
        """One inventory pass, recorded; then the new snapshot is rendered ahead of scrapes."""
        run_recorded("inventory", self.inventory.run, self.status, self.clock)
        self._render_ahead("the new inventory")

    def run_activity(self) -> None:
        """One activity poll of every org, recorded; then rendered ahead of scrapes (the
        by-time families of 1,000 workspaces, details included, take about 0.1 s to render)."""
        run_recorded("activity", self.activity.run, self.status, self.clock)
        self._render_ahead("the new counts")

    def run_sweep(self) -> None:
        """One re-read of every org's late horizon, recorded like a poll."""
        run_recorded("activity", self.activity.sweep, self.status, self.clock)
        self._render_ahead("the new counts")

    def _render_ahead(self, what: str) -> None:
        try:
            self.exposition.render()
        except Exception:  # a scrape will show it again; the scheduler must never see it
            log.exception("rendering %s failed", what)

    def start(self) -> None:
        """Start serving and schedule both collections, each running once right away, and the
        late sweep, first after one interval (the first poll reads the overlap already)."""
        now = datetime.now(UTC)
        for job, interval in (
            (self.run_inventory, self.config.inventory_interval),
            (self.run_activity, self.config.activity_interval),
        ):
            self.scheduler.add_job(job, "interval", seconds=interval, next_run_time=now)
        self.scheduler.add_job(
            self.run_sweep, "interval", seconds=self.config.activity_sweep_interval
        )
        self.scheduler.start()
        self._server_thread.start()
        shard = self.config.shard
        log.info(
            "exporter listening on %s:%d for orgs %s%s",
            self.config.listen_host,
            self.server_port,
            ", ".join(self.config.org_ids),
            "" if shard is None else f" (shard {shard})",
        )

    def stop(self) -> None:
        """Stop collections (abandoning waits), the server, then close the ledger."""
        self.stopping.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.inventory.close()
        if self._server_thread.is_alive():
            self.server.shutdown()
        self.server.server_close()
        self.ledger.close()
        self.session.close()
        log.info("exporter stopped")
