"""A small client of the Prometheus HTTP query API (also Mimir, Thanos, VictoriaMetrics).

Exceptions, caught by the error handler through their base class:

    PrometheusError          the query API gave no usable answer
    ├── PrometheusUnreachable    no connection, or a proxy in front of it answered 5xx
    ├── PrometheusTimeout        no answer within the configured timeout
    └── PrometheusResponseError  an answer that is not a successful query result

The base URL may carry a path prefix (`http://mimir:8080/prometheus`) and credentials (sent as
basic auth, never shown); tenant headers (`X-Scope-OrgID`, ...) go with every request, and so do
the query parameters of the engine (`facade.engines`), named in the configuration or asked once
with `auto`. Requests go through one urllib3 pool (`connection_pool`) rather than a requests
session, whose own overhead was a large share of a series request (one instant query with its
parsing against a real Prometheus: 0.74 ms through a session, 0.40 ms through the pool).
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
from base64 import b64encode
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

import certifi
import requests.utils
import urllib3
from urllib3 import exceptions

from facade import engines
from facade.engines import Engine

log = logging.getLogger(__name__)

# The façade's reading pool (8 threads) and a gunicorn worker's threads may all query at once.
POOL_SIZE = 16


class PrometheusError(Exception):
    """The query API gave no usable answer."""

    reason = "error"


class PrometheusUnreachable(PrometheusError):
    """No connection to the query API, or a proxy in front of it answered 5xx."""

    reason = "unreachable"


class PrometheusTimeout(PrometheusError):
    """The query API did not answer within the timeout."""

    reason = "timeout"


class PrometheusResponseError(PrometheusError):
    """The answer was not a successful query result."""

    reason = "error"


@dataclass(frozen=True)
class Sample:
    """One element of an instant vector."""

    labels: Mapping[str, str]
    value: float


@dataclass(frozen=True)
class Series:
    """One series of a matrix: its labels and (unix time, value) points, oldest first."""

    labels: Mapping[str, str]
    points: tuple[tuple[float, float], ...]


def without_credentials(url: str) -> str:
    """`url` without a `user:password@` part, for messages and logs."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _basic_auth(url: str, header: str = "Authorization") -> dict[str, str]:
    """`header` carrying the `user:password@` of `url` as basic auth; none without a password."""
    parts = urlsplit(url)
    if parts.username is None or parts.password is None:
        return {}
    credentials = f"{unquote(parts.username)}:{unquote(parts.password)}".encode("latin-1")
    return {header: f"Basic {b64encode(credentials).decode()}"}


def _number(text: str) -> float:
    value = float(text)
    return 0.0 if math.isnan(value) else value


class PrometheusClient:
    """Instant and range queries against one Prometheus-compatible query API."""

    def __init__(
        self,
        base_url: str,
        *,
        http: urllib3.PoolManager,
        timeout: float,
        headers: Mapping[str, str] | None = None,
        on_error: Callable[[str], None] | None = None,
        engine: str = Engine.PROMETHEUS,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Requests go to the URL without credentials (they go as a header), also shown in messages.
        self._shown_base = without_credentials(self.base_url)
        self.http = http
        self.timeout = timeout
        self.headers = dict(headers or {})
        # Answers are small and Prometheus sits next to the façade: gzip would cost Prometheus
        # more CPU than the bytes it saves (measured: about 2.4 ms against 0.7 ms per query).
        sent = {"Accept-Encoding": "identity", **self.headers, **_basic_auth(base_url)}
        self._get_headers = sent
        self._post_headers = {**sent, "Content-Type": "application/x-www-form-urlencoded"}
        self._timeouts = urllib3.Timeout(connect=timeout, read=timeout)
        self.on_error = on_error
        self._engine = None if engine == engines.AUTO else Engine(engine)
        self._asking = threading.Lock()  # one build information call, however many threads

    @property
    def engine(self) -> Engine:
        """The engine behind the query API; `auto` asks its build information once.

        No connection or no answer in time fails like a query. A refusal or a proxy without
        its store is taken for Prometheus and asked again by the next query; 404 is Prometheus.
        """
        if self._engine is not None:
            return self._engine
        with self._asking:
            return self._engine or self._asked()

    def _asked(self) -> Engine:
        if self._engine is None:
            response = self._send("GET", engines.BUILDINFO, None)
            if response.status >= 400 and response.status != 404:
                return Engine.PROMETHEUS
            body = _json(response.data)
            self._engine = engines.from_buildinfo(body)
            log.info("the query API at %s is %s", self._shown_base, self._engine)
        return self._engine

    def instant(self, expression: str, at: float) -> list[Sample]:
        """Evaluate an expression that returns an instant vector at time `at`."""
        data = self._post("query", {"query": expression, "time": f"{at:.3f}"})
        try:
            if data.get("resultType") != "vector":
                raise ValueError(data.get("resultType"))
            return [Sample(item["metric"], _number(item["value"][1])) for item in data["result"]]
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise self._failed(PrometheusResponseError(f"not an instant vector: {data}")) from exc

    def instant_matrix(self, expression: str, at: float) -> list[Series]:
        """Evaluate a range selector at time `at`: the raw samples of each series."""
        data = self._post("query", {"query": expression, "time": f"{at:.3f}"})
        return self._matrix(data)

    def range(self, expression: str, start: float, end: float, step: float) -> list[Series]:
        """Evaluate an expression at start, start + step, ... up to end."""
        params = {
            "query": expression,
            "start": f"{start:.3f}",
            "end": f"{end:.3f}",
            "step": f"{step:.3f}",
        }
        return self._matrix(self._post("query_range", params))

    def _matrix(self, data: Mapping[str, Any]) -> list[Series]:
        try:
            if data.get("resultType") != "matrix":
                raise ValueError(data.get("resultType"))
            return [
                Series(item["metric"], tuple((float(t), _number(v)) for t, v in item["values"]))
                for item in data["result"]
            ]
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise self._failed(PrometheusResponseError(f"not a matrix: {data}")) from exc

    def _failed(self, error: PrometheusError) -> PrometheusError:
        if self.on_error is not None:
            self.on_error(error.reason)
        return error

    def _post(self, endpoint: str, params: Mapping[str, str]) -> Mapping[str, Any]:
        # The query API's own timeout stops the evaluation when the client gives up. A form
        # body (POST) spares the long query the URL encoding and any URL length limit.
        form = {**params, "timeout": f"{self.timeout:g}s", **engines.query_params(self.engine)}
        response = self._send("POST", endpoint, form)
        return self._data(f"{self._shown_base}/api/v1/{endpoint}", response)

    def _send(
        self, method: str, endpoint: str, form: Mapping[str, str] | None
    ) -> urllib3.BaseHTTPResponse:
        # Retries off: a silent retry would double a slow query. The URL carries no credentials:
        # they go as the Authorization header.
        shown = f"{self._shown_base}/api/v1/{endpoint}"
        headers = self._get_headers if form is None else self._post_headers
        try:
            return self.http.urlopen(
                method,
                shown,
                body=None if form is None else urlencode(form),
                headers=headers,
                timeout=self._timeouts,
                retries=False,
                redirect=False,
            )
        except exceptions.NewConnectionError as exc:  # a subclass of urllib3's connect timeout
            raise self._failed(PrometheusUnreachable(f"{shown}: {exc}")) from exc
        except exceptions.TimeoutError as exc:
            raise self._failed(
                PrometheusTimeout(f"{shown}: no answer within {self.timeout:g} s")
            ) from exc
        except exceptions.HTTPError as exc:
            raise self._failed(PrometheusUnreachable(f"{shown}: {exc}")) from exc

    def _data(self, url: str, response: urllib3.BaseHTTPResponse) -> Mapping[str, Any]:
        body = _json(response.data)
        if isinstance(body, dict) and body.get("status") == "success":
            data = body.get("data")
            if isinstance(data, dict):
                return data
        if isinstance(body, dict):
            detail = body.get("error", "")
        else:
            detail = response.data[:200].decode("utf-8", "replace")
        message = f"{url}: HTTP {response.status} {detail}"
        if isinstance(body, dict) and body.get("errorType") in {"timeout", "canceled"}:
            raise self._failed(PrometheusTimeout(message))
        if response.status >= 500 and not isinstance(body, dict):
            raise self._failed(PrometheusUnreachable(message))
        raise self._failed(PrometheusResponseError(message))


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:  # also a body that is not UTF-8
        return None


def connection_pool(base_url: str) -> urllib3.PoolManager:
    """The pool a client of `base_url` sends through, with the proxy (honouring `NO_PROXY`)
    and CA bundle of the environment read once, not per query."""
    bundle = (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or certifi.where()
    )
    ca = {"ca_cert_dir": bundle} if os.path.isdir(bundle) else {"ca_certs": bundle}
    options: dict[str, Any] = {"maxsize": POOL_SIZE, "block": False, "retries": False, **ca}
    options["cert_reqs"] = "CERT_REQUIRED"
    proxies = requests.utils.get_environ_proxies(base_url)
    proxy = proxies.get(urlsplit(base_url).scheme) or proxies.get("all")
    if not proxy:
        return urllib3.PoolManager(**options)
    proxy = requests.utils.prepend_scheme_if_needed(proxy, "http")
    auth = _basic_auth(proxy, "Proxy-Authorization")
    return urllib3.ProxyManager(proxy, proxy_headers=auth, **options)
